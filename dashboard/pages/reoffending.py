"""Reoffending around programmes: offending before, during and after, and time to reoffend."""

from __future__ import annotations

import dash
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, chart_card
from dashboard.components.ids import URL
from dashboard.pages._charts import TITLES, card_contents
from dashboard.pages._common import card_errors, guarded
from dashboard.pages._downloads import page_downloads

dash.register_page(__name__, path="/reoffending", name="Reoffending", order=5,
                   title="Programme reoffending - Youth justice partnership dashboard")
NOTE = ("These local figures count every recorded offence, proven or not, for each child's first programme in "
        "the period. They are not the national proven reoffending measure, which follows a different cohort "
        "for 12 months plus 6 months for cases to be proven.")


def layout(**_query):
    return html.Div([
        html.H1("Reoffending around programmes"),
        html.P(NOTE, className="lead"),
        page_downloads("reoffending"),
        chart_card("reoffending-windows", TITLES["reoffending-windows"]),
        chart_card("reoffending-curve", TITLES["reoffending-curve"]),
    ])


@callback(*card_outputs("reoffending-windows"), *card_outputs("reoffending-curve"), Input(URL, "search"))
@guarded(card_errors(2))
def update(search):
    return card_contents("reoffending", search)
