"""fte: children entering the youth justice system for the first time, per 100,000 aged 10-17."""

from __future__ import annotations

import pandas as pd

from ..disclosure import ALL, Dimension
from ..filters import Resolved
from . import lattice
from .common import Coverage, Measure, label_periods, period_columns, rate, where
from .population import by_service, combined
from .sources import FIRST_TIME_ENTRY

COLUMNS = ["period", "yjs", "fte", "fte_knife_or_weapon", "population_10_17", "rate_per_100000"]


def _entries(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per first-time entry, for the lattice. Entries not involving a knife or weapon are
    counted too: a reader could take the knife count from the whole, so a small rest is withheld."""
    clause, params = where(resolved, "outcome_date", FIRST_TIME_ENTRY)
    return (
        f"""
        SELECT fy, quarter, yjs, {FIRST_TIME_ENTRY.columns(CELLS_FILTERS)}, 1 AS fte,
               CASE WHEN knife_or_weapon THEN 1 ELSE 0 END AS fte_knife_or_weapon,
               CASE WHEN knife_or_weapon THEN 0 ELSE 1 END AS fte_other
        FROM first_time_entry WHERE {clause}""",
        params,
    )


CELLS_FILTERS = FIRST_TIME_ENTRY.group_filters()
CELLS = lattice.Cells(
    rows=_entries,
    counts=("fte", "fte_knife_or_weapon", "fte_other"),
    dimensions=(Dimension("quarter"), Dimension("yjs")),
    filters=CELLS_FILTERS,
    dependants={"fte": ("fte_knife_or_weapon", "fte_other"), "fte_other": ("fte_knife_or_weapon",)},
)


def first_time_entrants(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    clause, params = where(resolved, "outcome_date", FIRST_TIME_ENTRY)
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, "fy", "quarter")}, yjs, count(*) AS fte,
               sum(CASE WHEN knife_or_weapon THEN 1 ELSE 0 END) AS fte_knife_or_weapon
        FROM first_time_entry WHERE {clause}
        GROUP BY 1, 2, 3""",
        params,
    )
    counts["period"] = label_periods(counts)
    table = by_service(db, resolved, options, counts, ["fte", "fte_knife_or_weapon"])
    table["rate_per_100000"] = rate(table["fte"], table["population_10_17"], 100_000)
    table = table[COLUMNS]
    mask = lattice.withheld(
        db,
        CELLS,
        resolved,
        options,
        table,
        shows={"fte": ("fte",), "fte_knife_or_weapon": ("fte_knife_or_weapon",), "rate_per_100000": ("fte",)},
        locate=lambda t: pd.DataFrame({"yjs": ALL}, index=t.index) if combined(resolved) else t[[]],
    )
    return table, mask


MEASURES = [
    Measure(
        "fte",
        tuple(COLUMNS),
        first_time_entrants,
        FIRST_TIME_ENTRY.applies(),
        frozenset({"combine"}),
        summary="first-time entrants per 100,000 children aged 10-17",
        order=1,
        coverage=Coverage("outcome", ("fte", "fte_knife_or_weapon", "rate_per_100000")),
    )
]
