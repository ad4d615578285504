"""fte: children entering the youth justice system for the first time, per 100,000 aged 10-17."""

from __future__ import annotations

import pandas as pd

from .. import suppression
from ..filters import Resolved
from .common import Coverage, Measure, Quarters, label_periods, period_columns, rate, where
from .population import by_service
from .sources import FIRST_TIME_ENTRY

COLUMNS = ["period", "yjs", "fte", "fte_knife_or_weapon", "population_10_17", "rate_per_100000"]


def first_time_entrants(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    clause, params = where(resolved, "outcome_date", FIRST_TIME_ENTRY)
    counts = db.query(f"""
        SELECT {period_columns(resolved, 'fy', 'quarter')}, yjs, count(*) AS fte,
               sum(CASE WHEN knife_or_weapon THEN 1 ELSE 0 END) AS fte_knife_or_weapon
        FROM first_time_entry WHERE {clause}
        GROUP BY 1, 2, 3""", params)
    counts["period"] = label_periods(counts)
    table = by_service(db, resolved, options, counts, ["fte", "fte_knife_or_weapon"])
    table["rate_per_100000"] = rate(table["fte"], table["population_10_17"], 100_000)
    table = table[COLUMNS]
    mask = suppression.withhold(table, ["fte", "fte_knife_or_weapon"], margins=[["period"]],
                                dependents={"fte": ["rate_per_100000", "fte_knife_or_weapon"]})
    return table, mask


MEASURES = [Measure(
    "fte", tuple(COLUMNS), first_time_entrants, FIRST_TIME_ENTRY.applies(), frozenset({"combine"}),
    quarters=Quarters("period", ("yjs",), ("fte", "fte_knife_or_weapon", "rate_per_100000")),
    summary="first-time entrants per 100,000 children aged 10-17", order=1,
    coverage=Coverage("outcome", ("fte", "fte_knife_or_weapon", "rate_per_100000")))]
