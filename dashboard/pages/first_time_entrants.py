"""First-time entrants: children entering the youth justice system, count and rate per 100,000."""

from __future__ import annotations

import dash
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, card_values, chart_card
from dashboard.components.ids import URL
from dashboard.figures import grouped_bars, trend_lines
from dashboard.pages._common import card_errors, extract_source, guarded, mark_part_year, measure, withheld

dash.register_page(__name__, path="/first-time-entrants", name="First-time entrants", order=1,
                   title="First-time entrants - Youth justice partnership dashboard")


def layout(**_query):
    return html.Div([
        html.H1("First-time entrants"),
        html.P("Children aged 10 to 17 receiving their first youth caution, conditional caution or court "
               "conviction. Community resolutions and Outcome 22 are diversion, so they are not counted. "
               "Lower is better.", className="lead"),
        chart_card("fte-rate", "First-time entrants per 100,000 children aged 10 to 17"),
        chart_card("fte-count", "Number of first-time entrants, and how many for a knife or weapon offence"),
    ])



@callback(*card_outputs("fte-rate"), *card_outputs("fte-count"), Input(URL, "search"))
@guarded(card_errors(2))
def update(search):
    by_service = measure("fte", search)
    combined = measure("fte", search, combine=True)
    rate = trend_lines(by_service.table, x="period", y="rate_per_100000", series="yjs",
                       y_title="Per 100,000 aged 10-17", withheld=withheld(by_service, "rate_per_100000"))
    counts = grouped_bars(combined.table, x="period", bars={"fte": "First-time entrants",
                                                            "fte_knife_or_weapon": "Knife or offensive weapon"},
                          y_title="Children", withheld=withheld(combined, "fte", "fte_knife_or_weapon"))
    mark_part_year(rate)
    mark_part_year(counts)
    return (card_values(by_service, rate, _rate_caption(by_service.table), filename="first-time-entrants-rate",
                        empty_message="No first-time entrants in this period for this cohort.",
                        source=extract_source()) +
            card_values(combined, counts, "Bar chart of first-time entrants by year; the table gives the numbers.",
                        filename="first-time-entrants-count", source=extract_source(),
                        empty_message="No first-time entrants in this period for this cohort."))


def _rate_caption(table) -> str:
    shown = table.dropna(subset=["rate_per_100000"])
    if shown.empty:
        return "No rates can be shown for these filters."
    last = shown.iloc[-1]
    return (f"Line chart of first-time entrants per 100,000 children by year. Latest: {last['yjs']}, "
            f"{last['period']}, {last['rate_per_100000']:.0f} per 100,000.")
