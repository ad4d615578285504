"""A headline figure for the board: value, change on last year (said in words, not only colour), trend."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html


def kpi_card(title: str, value: str, change: str, verdict: str, trend=None, note: str = "") -> dbc.Card:
    """``verdict`` is 'better', 'worse' or 'same' for the reader; the words say it as well as the colour."""
    body = [html.H3(title, className="kpi-title"), html.P(value, className="kpi-value"),
            html.P(change, className=f"kpi-change kpi-{verdict}")]
    if trend is not None:
        body.append(html.Div(dcc.Graph(figure=trend, config={"displayModeBar": False, "staticPlot": True}),
                             className="kpi-trend", **{"aria-hidden": "true"}))
    if note:
        body.append(html.P(note, className="kpi-note"))
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100")
