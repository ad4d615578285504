"""Disposals by year: programmes started, by disposal type and tier, including prevention and diversion."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, card_values, chart_card
from dashboard.components.ids import URL
from dashboard.figures import stacked_disposals
from dashboard.filters import InvalidFilter
from dashboard.pages._common import card_errors, extract_source, guarded, mark_part_year, measure, withheld

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
        chart_card("disposals", "Programmes started, by disposal type", extra_controls=html.Div(
            [dbc.Label("Show", html_for=VIEW, className="me-2"), view])),
    ])


@callback(*card_outputs("disposals"), Input(URL, "search"), Input(VIEW, "value"))
@guarded(card_errors(1))
def update(search, view):
    if view not in ("count", "share"):
        raise InvalidFilter("that view is not available")
    result = measure("disposals", search)
    figure = stacked_disposals(result.table, share=view == "share", withheld=withheld(result, "count"))
    mark_part_year(figure)
    busiest = result.table.dropna(subset=["count"]).sort_values("count").tail(1)
    caption = ("Stacked bar chart of programmes started each year by disposal type. " +
               (f"Largest single group: {busiest.iloc[0]['disposal_type'].replace('_', ' ').lower()} in "
                f"{busiest.iloc[0]['period']} ({int(busiest.iloc[0]['count']):,})." if not busiest.empty else ""))
    return card_values(result, figure, caption, filename="disposals", source=extract_source(),
                       empty_message="No programmes started in this period for this cohort.")
