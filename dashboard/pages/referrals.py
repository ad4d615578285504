"""Referrals: the work referred to the service, by area, referral source and age."""

from __future__ import annotations

import dash
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, card_values, chart_card
from dashboard.components.ids import URL
from dashboard.figures import bars
from dashboard.pages._common import card_errors, extract_source, guarded, measure, withheld

dash.register_page(__name__, path="/referrals", name="Referrals", order=3,
                   title="Referrals by area and age - Youth justice partnership dashboard")
EMPTY = "No referrals in this period for this cohort."


def layout(**_query):
    return html.Div([
        html.H1("Referrals by area and age"),
        html.P("Programmes referred to the service in the period: where the child lives, who referred them "
               "and how old they were on the day of referral.", className="lead"),
        chart_card("referrals-age", "Referrals by age and who referred the child"),
        chart_card("referrals-area", "Referrals by area"),
    ])



@callback(*card_outputs("referrals-age"), *card_outputs("referrals-area"), Input(URL, "search"))
@guarded(card_errors(2))
def update(search):
    source = extract_source()
    by_age = measure("referrals", search, breakdown="referral_source,age")
    by_area = measure("referrals", search, breakdown="locality")
    age_table = by_age.table.assign(referral_source=by_age.table["referral_source"].str.replace("_", " ").str.lower())
    age_figure = bars(age_table, x="age", y="count", colour="referral_source", y_title="Referrals",
                      x_title="Age on the day of referral", withheld=withheld(by_age, "count"))
    area_figure = bars(by_area.table, x="locality", y="count", colour="period", y_title="Referrals",
                       withheld=withheld(by_area, "count"))
    area_figure.update_layout(barmode="group")
    top = by_area.table.dropna(subset=["count"]).groupby("locality")["count"].max().sort_values().tail(1)
    return (card_values(by_age, age_figure, "Stacked bar chart of referrals by age, split by who referred.",
                        columns=["period", "referral_source", "age", "count"], filename="referrals-by-age",
                        empty_message=EMPTY, source=source) +
            card_values(by_area, area_figure, "Bar chart of referrals by area and year. " +
                        (f"Most in one year: {top.index[0]}." if len(top) else ""),
                        columns=["period", "locality", "count"], filename="referrals-by-area",
                        empty_message=EMPTY, source=source))
