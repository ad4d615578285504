"""Reoffending around programmes: offending before, during and after, and time to reoffend."""

from __future__ import annotations

import dash
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, card_values, chart_card
from dashboard.components.ids import URL
from dashboard.figures import MOST_CURVES, reoffending_windows, survival_curve
from dashboard.pages._common import card_errors, extract_source, guarded, measure, withheld

dash.register_page(__name__, path="/reoffending", name="Reoffending", order=5,
                   title="Programme reoffending - Youth justice partnership dashboard")
NOTE = ("These local figures count every recorded offence, proven or not, for each child's first programme in "
        "the period. They are not the national proven reoffending measure, which follows a different cohort "
        "for 12 months plus 6 months for cases to be proven.")


def layout(**_query):
    return html.Div([
        html.H1("Reoffending around programmes"),
        html.P(NOTE, className="lead"),
        chart_card("reoffending-windows", "Children who offended before, during and after their programme"),
        chart_card("reoffending-curve", "Time to reoffend after a programme ends"),
    ])



@callback(*card_outputs("reoffending-windows"), *card_outputs("reoffending-curve"), Input(URL, "search"))
@guarded(card_errors(2))
def update(search):
    windows = measure("programme-reoffending", search)
    curve = measure("reoffending-curve", search)
    source = extract_source()
    year = curve.table[curve.table["day"] <= 365].dropna(subset=["reoffended"]).groupby("cohort").tail(1)
    caption = ("Step chart of the share of children who reoffended by days since their programme ended "
               f"(the latest {MOST_CURVES} years at most; choose a period to see another). " +
               "; ".join(f"{r.cohort}: {r.reoffended:.0%} within {r.day} days" for r in year.itertuples()))
    empty = "No programmes started in this period for this cohort."
    return (card_values(windows, reoffending_windows(windows.table, withheld=withheld(windows, "rate")),
                        "Bar chart of the share of children offending in each window; the table gives the numbers.",
                        filename="programme-reoffending", empty_message=empty, source=source) +
            card_values(curve, survival_curve(curve.table, withheld=withheld(curve, "reoffended")), caption,
                        filename="reoffending-curve", empty_message="No programmes ended in this period for "
                        "this cohort.", source=source))
