"""Compare areas: every YJS in England and Wales on the YJB's published figures, ranked and mapped."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, chart_card
from dashboard.filters import period_label
from dashboard.pages._charts import TITLES, card_contents
from dashboard.pages._common import card_errors, guarded, options
from dashboard.pages._downloads import page_downloads

dash.register_page(__name__, path="/compare-areas", name="Compare areas", order=6,
                   title="Compare areas - Youth justice partnership dashboard")
YEAR, REGION, HIGHLIGHT = "areas-year", "areas-region", "areas-highlight"
CARDS = ("areas-ranked", "areas-map", "areas-regions", "areas-trend")


def _select(control, label, choices, value, everything=None):
    items = ([{"label": everything, "value": ""}] if everything else []) + [{"label": c, "value": c} for c in choices]
    return dbc.Col([dbc.Label(label, html_for=control), dbc.Select(id=control, options=items, value=value)], md=4)


def layout(**_query):
    found = options()
    years = [period_label(y) for y in found["published_years"]]
    return html.Div([
        html.H1("Compare areas"),
        html.P("Children cautioned or sentenced per 1,000 children aged 10 to 17, from the Youth Justice Board's "
               "published tables for every Youth Justice Service in England and Wales. The filters at the top "
               "of the page are for your own service's data and do not apply here.", className="lead"),
        page_downloads("compare-areas"),
        dbc.Row([_select(YEAR, "Year", list(reversed(years)), years[-1]),
                 _select(REGION, "Region", found["regions"], "", "All regions"),
                 _select(HIGHLIGHT, "Highlight a service", found["published_yjs"], "", "None")], className="mb-3"),
        chart_card("areas-ranked", TITLES["areas-ranked"]),
        chart_card("areas-map", TITLES["areas-map"]),
        chart_card("areas-regions", TITLES["areas-regions"]),
        chart_card("areas-trend", TITLES["areas-trend"]),
    ])


@callback(*[o for card in CARDS for o in card_outputs(card)], Input(YEAR, "value"), Input(REGION, "value"),
          Input(HIGHLIGHT, "value"))
@guarded(card_errors(4))
def update(year, region, highlight):
    return card_contents("compare-areas", None, year=year, region=region, highlight=highlight)
