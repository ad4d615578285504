"""Overview: the board's headline figures, their change on last year and their trend."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard.components.ids import URL
from dashboard.components.kpi_card import kpi_card
from dashboard.pages._charts import PERIOD_KEYS, headline_figures, kpi_sparkline
from dashboard.pages._common import guarded
from dashboard.pages._downloads import page_downloads
from dashboard.state import parse_query

dash.register_page(__name__, path="/", name="Overview", order=0,
                   title="Overview - Youth justice partnership dashboard")
KPIS = "overview-kpis"


def layout(**_query):
    return html.Div([
        html.H1("Overview"),
        html.P("The partnership's key figures for the latest full financial year, compared with the year before. "
               "Each card says whether the change is better or worse.", className="lead"),
        page_downloads("overview"),
        html.Div(id=KPIS, **{"aria-live": "polite"}),
    ])


@callback(Output(KPIS, "children"), Input(URL, "search"))
@guarded(lambda message: dbc.Alert(message, color="warning"))
def update(search):
    cards = [kpi_card(k.title, k.value, k.change, k.verdict, trend=kpi_sparkline(k), note=k.note)
             for k in headline_figures(search)]
    period_chosen = set(parse_query(search)) & set(PERIOD_KEYS)
    note = [dbc.Alert("The overview always shows the latest full year against the year before: the period "
                      "you chose is used on the other pages.", color="light")] if period_chosen else []
    return note + [dbc.Row([dbc.Col(c, xs=12, md=6, xl=4, className="mb-3") for c in cards])]
