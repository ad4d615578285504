"""Compare areas: every YJS in England and Wales on the YJB's published figures, ranked and mapped."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, callback, html

from dashboard.components.chart_card import PUBLISHED_SOURCE, card_outputs, card_values, chart_card
from dashboard.figures import area_map, bars, trend_lines
from dashboard.filters import InvalidFilter, period_label
from dashboard.config import BOUNDARIES_URL
from dashboard.metrics import service_areas
from dashboard.state import database
from dashboard.pages._common import card_errors, guarded, measure, options

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
        dbc.Row([_select(YEAR, "Year", list(reversed(years)), years[-1]),
                 _select(REGION, "Region", found["regions"], "", "All regions"),
                 _select(HIGHLIGHT, "Highlight a service", found["published_yjs"], "", "None")], className="mb-3"),
        chart_card("areas-ranked", "Services ranked by rate"),
        chart_card("areas-map", "Map of rates: a service covering several authorities colours all of them"),
        chart_card("areas-regions", "Regions"),
        chart_card("areas-trend", "Trend, 2013-14 to 2021-22"),
    ])



@callback(*[o for card in CARDS for o in card_outputs(card)], Input(YEAR, "value"), Input(REGION, "value"),
          Input(HIGHLIGHT, "value"))
@guarded(card_errors(4))
def update(year, region, highlight):
    highlight = highlight or None
    ranked = measure("areas", None, period=year, region=region or None)
    if highlight and highlight not in options()["published_yjs"]:
        raise InvalidFilter("that service is not in the published tables")
    regions = measure("areas", None, period=year, level="region")
    trend = measure("areas", None, region=region or None, level="region" if region else "national")
    ordered = ranked.table.sort_values("rate_per_1000", ascending=False)
    areas = service_areas(database())
    top = ordered.dropna(subset=["rate_per_1000"]).head(1)
    first = f"Highest: {top.iloc[0]['yjs']}, {top.iloc[0]['rate_per_1000']:.1f} per 1,000." if len(top) else ""
    empty = "No published figures for this choice."
    columns = ["period", "yjs", "region", "children", "population_10_17", "rate_per_1000"]
    return (card_values(ranked, _ranked(ordered, highlight), f"Bar chart of services ranked by rate, {year}. {first}",
                        empty_message=empty, source=PUBLISHED_SOURCE, filename=f"areas-{year}", columns=columns) +
            card_values(ranked, area_map(ranked.table, areas, BOUNDARIES_URL, highlight=highlight),
                        f"Map of England and Wales shaded by rate, {year}. {first}", empty_message=empty,
                        source=PUBLISHED_SOURCE + " Boundaries: ONS, OS data © Crown copyright 2019.",
                        filename=f"areas-map-{year}", columns=columns) +
            card_values(regions, bars(regions.table.sort_values("rate_per_1000", ascending=False), x="region",
                                      y="rate_per_1000", y_title="Per 1,000 aged 10-17", horizontal=True,
                                      highlight=region or None),
                        f"Bar chart of regions by rate, {year}.", empty_message=empty, source=PUBLISHED_SOURCE,
                        filename=f"regions-{year}", columns=["period", "region", "children", "population_10_17",
                                                             "rate_per_1000"]) +
            card_values(trend, trend_lines(trend.table, x="period", y="rate_per_1000", series="region",
                                           y_title="Per 1,000 aged 10-17"),
                        "Line chart of the rate each year since 2013-14.", empty_message=empty,
                        source=PUBLISHED_SOURCE, filename="areas-trend",
                        columns=["period", "region", "children", "population_10_17", "rate_per_1000"]))


def _ranked(ordered, highlight):
    figure = bars(ordered, x="yjs", y="rate_per_1000", y_title="Per 1,000 aged 10-17", horizontal=True,
                  highlight=highlight)
    figure.update_layout(height=max(400, 22 * len(ordered)))
    return figure
