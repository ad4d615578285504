"""Disproportionality: which groups are over-represented at which stage, and is the gap real."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, chart_card
from dashboard.components.ids import URL
from dashboard.pages._charts import RRI_EXPLAINED, TITLES, card_contents
from dashboard.pages._common import card_errors, guarded
from dashboard.pages._downloads import page_downloads

dash.register_page(__name__, path="/disproportionality", name="Disproportionality", order=4,
                   title="Disproportionality - Youth justice partnership dashboard")
BY, BASE = "dp-by", "dp-base"


def layout(**_query):
    controls = dbc.Row([
        dbc.Col([dbc.Label("Compare by", html_for=BY), dbc.Select(id=BY, value="ethnicity_group", options=[
            {"label": "Ethnic group (against White children)", "value": "ethnicity_group"},
            {"label": "Sex (against girls)", "value": "sex"},
            {"label": "Age band (against 10 to 14)", "value": "age_band"}])], md=6),
        dbc.Col([dbc.Label("Rate out of", html_for=BASE), dbc.Select(id=BASE, value="population", options=[
            {"label": "All children aged 10 to 17 in the area", "value": "population"},
            {"label": "Children at the stage before", "value": "previous"}])], md=6),
    ], className="mb-3")
    return html.Div([
        html.H1("Disproportionality"),
        html.P("Children at each stage (offence, diversion, pre-court, court, custody) by group, and how their "
               "rates compare.", className="lead"),
        page_downloads("disproportionality"),
        controls,
        dbc.Alert(RRI_EXPLAINED, color="light", className="plain-words"),
        chart_card("dp-rri", TITLES["dp-rri"]),
        chart_card("dp-rates", TITLES["dp-rates"]),
    ])


@callback(*card_outputs("dp-rri"), *card_outputs("dp-rates"), Input(URL, "search"), Input(BY, "value"),
          Input(BASE, "value"))
@guarded(card_errors(2))
def update(search, by, base):
    return card_contents("disproportionality", search, by=by, base=base)
