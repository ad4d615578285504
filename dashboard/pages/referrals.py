"""Referrals: the work referred to the service, by area, referral source and age."""

from __future__ import annotations

import dash
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, chart_card
from dashboard.components.ids import URL
from dashboard.pages._charts import TITLES, card_contents
from dashboard.pages._common import card_errors, guarded
from dashboard.pages._downloads import page_downloads

dash.register_page(__name__, path="/referrals", name="Referrals", order=3,
                   title="Referrals by area and age - Youth justice partnership dashboard")


def layout(**_query):
    return html.Div([
        html.H1("Referrals by area and age"),
        html.P("Programmes referred to the service in the period: where the child lives, who referred them "
               "and how old they were on the day of referral.", className="lead"),
        page_downloads("referrals"),
        chart_card("referrals-age", TITLES["referrals-age"]),
        chart_card("referrals-area", TITLES["referrals-area"]),
    ])


@callback(*card_outputs("referrals-age"), *card_outputs("referrals-area"), Input(URL, "search"))
@guarded(card_errors(2))
def update(search):
    return card_contents("referrals", search)
