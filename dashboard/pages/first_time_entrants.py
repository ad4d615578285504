"""First-time entrants: children entering the youth justice system, count and rate per 100,000."""

from __future__ import annotations

import dash
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, chart_card
from dashboard.components.ids import URL
from dashboard.pages._charts import TITLES, card_contents
from dashboard.pages._common import card_errors, guarded
from dashboard.pages._downloads import page_downloads

dash.register_page(__name__, path="/first-time-entrants", name="First-time entrants", order=1,
                   title="First-time entrants - Youth justice partnership dashboard")


def layout(**_query):
    return html.Div([
        html.H1("First-time entrants"),
        html.P("Children aged 10 to 17 receiving their first youth caution, conditional caution or court "
               "conviction. Community resolutions and Outcome 22 are diversion, so they are not counted. "
               "Lower is better.", className="lead"),
        page_downloads("first-time-entrants"),
        chart_card("fte-rate", TITLES["fte-rate"]),
        chart_card("fte-count", TITLES["fte-count"]),
    ])


@callback(*card_outputs("fte-rate"), *card_outputs("fte-count"), Input(URL, "search"))
@guarded(card_errors(2))
def update(search):
    return card_contents("first-time-entrants", search)
