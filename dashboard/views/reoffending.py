"""Reoffending around programmes: offending before, during and after, and time to reoffend."""

from __future__ import annotations

import pandas as pd

from .charts import MOST_CURVES, ReoffendingWindows, SurvivalCurve
from .readings import TABLE_PERIODS
from .spec import CardSpec, PackSection, PageSpec

LOCAL_MEASURE = ("These local figures count every recorded offence, proven or not, for each child's first "
                 "programme in the period. They are not the national proven reoffending measure, which follows a "
                 "different cohort for 12 months plus 6 months for cases to be proven.")


def within_a_year(result) -> pd.DataFrame:
    """Each cohort's last shown point of the curve within 365 days."""
    table = result.table
    return table[table["day"] <= 365].dropna(subset=["reoffended"]).groupby("cohort").tail(1)


def _curve_caption(card) -> str:
    return ("Step chart of the share of children who reoffended by days since their programme ended "
            f"(the latest {MOST_CURVES} years at most; choose a period to see another). " +
            "; ".join(f"{r.cohort}: {r.reoffended:.0%} within {r.day} days"
                      for r in within_a_year(card.result).itertuples()))


def _reading(cards, context) -> str:
    year = within_a_year(cards["reoffending-curve"].result)
    full = year[year["day"] >= 365]
    if year.empty:
        return "No programme ended in the period with enough children followed up to show."
    said = "; ".join(f"{r.cohort}: {r.reoffended:.0%}" for r in full.tail(TABLE_PERIODS).itertuples())
    later = [str(c) for c in year.loc[year["day"] < 365, "cohort"]]
    return ((f"Children who reoffended within a year of their programme ending, by the year it started: {said}."
             if said else "No year has been followed up for a full year yet.") +
            (f" Not yet followed up for a full year: {', '.join(later)}." if later else ""))


def _pack_table(cards, context) -> pd.DataFrame:
    card = cards["reoffending-curve"]
    table = card.result
    shown = card.table().loc[:, ["cohort", "day", "at_risk", "reoffended", "ci_low", "ci_high"]]
    return shown.loc[within_a_year(table).index].tail(TABLE_PERIODS)


PAGE = PageSpec(
    key="reoffending", path="/reoffending", name="Reoffending", heading="Reoffending around programmes", order=5,
    lead=LOCAL_MEASURE,
    definition="Share of children who offended again within a given time after their first programme in the year "
               "ended (Kaplan-Meier estimate, with a 95% band). These local figures count every recorded offence, "
               "proven or not; they are not the national proven reoffending measure, which follows a different "
               "cohort for 12 months plus 6 months for cases to be proven.",
    cards=(
        CardSpec("reoffending-windows", "Children who offended before, during and after their programme",
                 "programme-reoffending", ReoffendingWindows(),
                 lambda card: "Bar chart of the share of children offending in each window; the table gives the "
                              "numbers.",
                 empty="No programmes started in this period for this cohort.", filename="programme-reoffending"),
        CardSpec("reoffending-curve", "Time to reoffend after a programme ends", "reoffending-curve",
                 SurvivalCurve(), _curve_caption, empty="No programmes ended in this period for this cohort.",
                 filename="reoffending-curve"),
    ),
    pack=PackSection("reoffending-curve", _reading, _pack_table, title="Reoffending after a programme",
                     note="Each year's last point within a year of the programme ending.",
                     percent=("reoffended", "ci_low", "ci_high")),
)
