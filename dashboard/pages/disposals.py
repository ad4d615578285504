"""Disposals by year: programmes started, by disposal type and tier, including prevention and diversion."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, chart_card
from dashboard.components.ids import URL
from dashboard.pages._charts import TITLES, card_contents
from dashboard.pages._common import card_errors, guarded
from dashboard.pages._downloads import page_downloads

dash.register_page(__name__, path="/disposals", name="Disposals", order=2,
                   title="Disposals by year - Youth justice partnership dashboard")
VIEW = "disposals-view"


def layout(**_query):
    view = dbc.RadioItems(id=VIEW, inline=True, value="count", className="mb-2",
                          options=[{"label": "Numbers", "value": "count"}, {"label": "Share of each year", "value": "share"}])
    return html.Div([
        html.H1("Disposals by year"),
        html.P("Programmes of work started each year, by the disposal they carry out: prevention, diversion "
               "(community resolution, Outcome 22), pre-court (cautions), first-tier (referral orders, fines, "
               "discharges), community (youth rehabilitation orders) and custody.", className="lead"),
        page_downloads("disposals"),
        chart_card("disposals", TITLES["disposals"], extra_controls=html.Div(
            [dbc.Label("Show", html_for=VIEW, className="me-2"), view])),
    ])


@callback(*card_outputs("disposals"), Input(URL, "search"), Input(VIEW, "value"))
@guarded(card_errors(1))
def update(search, view):
    return card_contents("disposals", search, view=view)
