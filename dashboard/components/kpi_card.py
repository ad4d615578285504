"""A headline figure for the board: value, change on last year (said in words, not only colour), trend."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html


def kpi_card(title: str, value: str, change: str, verdict: str, trend=None, note: str = "",
             standing: str = "") -> dbc.Card:
    """``verdict`` is 'better', 'worse' or 'same' for the reader; the words say it as well as the colour.
    ``standing`` says where the service stands against England, its region and similar areas."""
    body = [html.H3(title, className="kpi-title"), html.P(value, className="kpi-value"),
            html.P(change, className=f"kpi-change kpi-{verdict}")]
    if trend is not None:
        body.append(html.Div(dcc.Graph(figure=trend, config={"displayModeBar": False, "staticPlot": True}),
                             className="kpi-trend", **{"aria-hidden": "true"}))
    if note:
        body.append(html.P(note, className="kpi-note"))
    if standing:
        # Apart from the headline value: it is another year's figure, on the published basis.
        body.append(html.Div([html.H4("Compared with other areas", className="kpi-standing-title"),
                              html.P(standing, className="kpi-standing mb-0")], className="kpi-standing-box"))
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100")
