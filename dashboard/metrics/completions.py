"""completions: programmes that ended in each period, and how many the child completed, by tier."""

from __future__ import annotations

import pandas as pd

from .. import config
from ..disclosure import Dimension
from ..filters import Resolved
from . import lattice
from .common import (
    Coverage,
    Measure,
    Source,
    label_periods,
    period_columns,
    period_frame,
    quarter_of,
    rate,
    where,
    year_of,
)
from .disposals import DISPOSALS

COLUMNS = ["period", "tier", "ended", "completed", "percent_completed"]
#: Programmes by their end (the record table: it has ``completed``), with the child's sex and group.
PROGRAMME_ENDS = Source(
    "programme",
    {
        "yjs": "p.yjs",
        "locality": "coalesce(p.locality, c.locality)",
        "sex": "c.sex",
        "ethnicity_group": "c.ethnicity_group",
        "disposal_type": "p.disposal_type",
        "programme": "p.programme_name",
    },
)


def _ended(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per programme ended, for the lattice. The programmes not completed are a count a reader
    can work out (ended minus completed): a small one is withheld through the completed count."""
    clause, params = where(resolved, "p.end_date", PROGRAMME_ENDS)
    return (
        f"""
        SELECT {year_of("p.end_date")} AS fy, {quarter_of("p.end_date")} AS quarter, p.yjs AS yjs, p.tier AS tier,
               p.disposal_type AS disposal,
               {PROGRAMME_ENDS.columns(PROGRAMME_ENDS.group_filters())}, 1 AS ended,
               CASE WHEN p.completed THEN 1 ELSE 0 END AS completed,
               CASE WHEN p.completed THEN 0 ELSE 1 END AS not_completed
        FROM programme p JOIN child c ON c.yjs = p.yjs AND c.child_id = p.child_id
        WHERE {clause}""",
        params,
    )


CELLS = lattice.Cells(
    rows=_ended,
    counts=("ended", "completed", "not_completed"),
    dimensions=(Dimension("quarter"), Dimension("yjs"), DISPOSALS),
    filters=PROGRAMME_ENDS.group_filters(),
    slices={"disposal_type": "disposal"},
    dependants={"ended": ("completed", "not_completed"), "not_completed": ("completed",)},
)


def completions(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ended: programmes with an end date in the period; completed: those marked completed (a missing
    ``completed`` counts as not completed: the share is of every programme that ended)."""
    clause, params = where(resolved, "p.end_date", PROGRAMME_ENDS)
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, year_of("p.end_date"), quarter_of("p.end_date"))}, p.tier, count(*) AS ended,
               sum(CASE WHEN p.completed THEN 1 ELSE 0 END) AS completed
        FROM programme p JOIN child c ON c.yjs = p.yjs AND c.child_id = p.child_id
        WHERE {clause}
        GROUP BY 1, 2, 3""",
        params,
    )
    counts["period"] = label_periods(counts)
    tiers = [t for t in config.TIERS if t in set(counts["tier"])]
    grid = period_frame(resolved).merge(pd.DataFrame({"tier": pd.Series(tiers, dtype="object")}), how="cross")
    table = grid.merge(counts[["period", "tier", "ended", "completed"]], on=["period", "tier"], how="left")
    table[["ended", "completed"]] = table[["ended", "completed"]].fillna(0).astype("int64")
    table["percent_completed"] = rate(table["completed"], table["ended"], 100)
    table = table.sort_values(["period_order", "tier"], key=lambda c: c.map(tiers.index) if c.name == "tier" else c)
    table = table.reset_index(drop=True)[COLUMNS]
    return table, lattice.withheld(
        db,
        CELLS,
        resolved,
        options,
        table,
        locate=lambda rows: rows[["tier"]].rename(columns={"tier": "disposal"}),
        shows={"ended": ("ended",), "completed": ("completed",), "percent_completed": ("completed",)},
    )


MEASURES = [
    Measure(
        "completions",
        tuple(COLUMNS),
        completions,
        PROGRAMME_ENDS.applies(),
        summary="programmes ended and the share completed, by tier",
        order=8,
        coverage=Coverage("programme", ("ended", "completed", "percent_completed")),
    )
]
