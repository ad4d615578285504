"""A headline figure for the board: value, its count, the change said in words (not only by colour), the
figures read with it, what was not recorded, a trend, and a link to the page it comes from."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html


def kpi_card(kpi, trend=None, href: str | None = None, link_text: str = "") -> dbc.Card:
    """``kpi``: a views.Kpi; its verdicts ('better', 'worse' or 'same') colour the change, whose words say
    it as well."""
    body = [html.H3(kpi.title, className="kpi-title"), html.P(kpi.value, className="kpi-value")]
    if kpi.detail:
        body.append(html.P(kpi.detail, className="kpi-detail"))
    body += [
        html.P(words, className=f"kpi-change kpi-{verdict}")
        for words, verdict in ((kpi.change, kpi.verdict), *kpi.also)
    ]
    if kpi.facts:
        body.append(html.Ul([html.Li(fact) for fact in kpi.facts], className="kpi-facts"))
    if trend is not None:
        body.append(
            html.Div(
                dcc.Graph(figure=trend, config={"displayModeBar": False, "staticPlot": True}),
                className="kpi-trend",
                **{"aria-hidden": "true"},
            )
        )
    if kpi.quality:
        body.append(html.P(kpi.quality, className="kpi-quality"))
    if kpi.note:
        body.append(html.P(kpi.note, className="kpi-note"))
    if kpi.standing:
        # Apart from the headline value: it is another year's figure, on the published basis.
        body.append(
            html.Div(
                [
                    html.H4("Compared with other areas", className="kpi-standing-title"),
                    html.P(kpi.standing, className="kpi-standing mb-0"),
                ],
                className="kpi-standing-box",
            )
        )
    if href:
        body.append(dcc.Link(link_text, href=href, className="kpi-link"))
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100")
