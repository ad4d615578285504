"""referrals: programmes referred in each period, by locality, referral source and age."""

from __future__ import annotations

import pandas as pd

from .. import suppression
from ..filters import InvalidFilter, Resolved
from .common import Measure, Quarters, label_periods, period_columns, where
from .sources import PROGRAMME_REFERRALS

COLUMNS = ["period", "locality", "referral_source", "age", "count"]
ALL = "All"
SPLITS = {"locality": "coalesce(locality, 'Unknown')", "referral_source": "coalesce(referral_source, 'Unknown')",
          "age": "age_at_referral"}


def referrals(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    clause, params = where(resolved, "referral_date", PROGRAMME_REFERRALS)
    split = [c for c in SPLITS if c in resolved.settings.breakdown.split(",")]
    if not split:
        raise InvalidFilter(f"breakdown must name some of: {', '.join(SPLITS)}")
    selected = ", ".join(f"{SPLITS[c]} AS {c}" for c in split)
    groups = ", ".join(str(n) for n in range(1, len(split) + 3))
    table = db.query(f"""
        SELECT {period_columns(resolved, 'referral_fy', 'referral_quarter')}, {selected}, count(*) AS count
        FROM programme_fact WHERE {clause}
        GROUP BY {groups} ORDER BY {groups}""", params)
    table["period"] = label_periods(table)
    for column in SPLITS:
        if column not in split:
            table[column] = ALL
    table = table[COLUMNS].astype({"count": "int64"}).reset_index(drop=True)
    if "age" in split:
        table["age"] = table["age"].astype("int64")
    margins = [["period", *(c for c in split if c != dropped)] for dropped in split]
    mask = suppression.withhold(table, ["count"], margins=margins)
    return table, mask


MEASURES = [Measure(
    "referrals", tuple(COLUMNS), referrals, PROGRAMME_REFERRALS.applies(), frozenset({"breakdown"}),
    quarters=Quarters("period", ("locality", "referral_source", "age"), ("count",)),
    summary="programmes referred, by area, referral source and age", order=3)]
