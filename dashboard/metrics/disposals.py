"""disposals: programmes started in each period, by disposal type and tier."""

from __future__ import annotations

import pandas as pd

from .. import config
from ..disclosure import Dimension
from ..filters import Resolved
from . import lattice
from .common import Coverage, Measure, label_periods, period_columns, period_frame, where
from .sources import PROGRAMME_STARTS

COLUMNS = ["period", "disposal_type", "tier", "count"]
#: Disposal types add up to their tier, tiers to every programme.
DISPOSALS = Dimension("disposal", config.DISPOSAL_TIERS, ("tier", "disposal"))


def _starts(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per programme started, for the lattice."""
    clause, params = where(resolved, "start_date", PROGRAMME_STARTS)
    return (
        f"""
        SELECT start_fy AS fy, start_quarter AS quarter, yjs, tier, disposal_type AS disposal,
               {PROGRAMME_STARTS.columns(PROGRAMME_STARTS.group_filters())}, 1 AS count
        FROM programme_fact WHERE {clause}""",
        params,
    )


CELLS = lattice.Cells(
    rows=_starts,
    counts=("count",),
    dimensions=(Dimension("quarter"), Dimension("yjs"), DISPOSALS),
    filters=PROGRAMME_STARTS.group_filters(),
    slices={"disposal_type": "disposal"},
)


def disposals(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By disposal type; with breakdown 'tier', one row per tier (disposal_type 'All'), for headlines
    that need a tier's total without adding up cells that may be withheld."""
    clause, params = where(resolved, "start_date", PROGRAMME_STARTS)
    by_tier = resolved.settings.breakdown == "tier"
    split = "tier" if by_tier else "disposal_type"
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, "start_fy", "start_quarter")}, {split}, count(*) AS count
        FROM programme_fact WHERE {clause}
        GROUP BY 1, 2, 3""",
        params,
    )
    counts["period"] = label_periods(counts)
    order = {t: i for i, t in enumerate(config.TIERS if by_tier else config.DISPOSAL_TYPES)}
    kinds = sorted(counts[split].unique(), key=order.get)
    grid = period_frame(resolved).merge(pd.DataFrame({split: pd.Series(kinds, dtype="object")}), how="cross")
    table = grid.merge(counts[["period", split, "count"]], on=["period", split], how="left")
    table["count"] = table["count"].fillna(0).astype("int64")
    if by_tier:
        table["disposal_type"] = "All"
    else:
        table["tier"] = table["disposal_type"].map(config.DISPOSAL_TIERS)
    table["order"] = table[split].map(order)
    table = table.sort_values(["period_order", "order"]).reset_index(drop=True)[COLUMNS]

    def locate(rows: pd.DataFrame) -> pd.DataFrame:
        """A tier's row is its tier's cell, or the type's when one type is chosen (the slice)."""
        return pd.DataFrame({"disposal": rows["tier"] if by_tier else rows["disposal_type"]}, index=rows.index)

    return table, lattice.withheld(db, CELLS, resolved, options, table, shows={"count": ("count",)}, locate=locate)


MEASURES = [
    Measure(
        "disposals",
        tuple(COLUMNS),
        disposals,
        PROGRAMME_STARTS.applies(),
        frozenset({"breakdown"}),
        summary="programmes started, by disposal type and tier",
        order=2,
        coverage=Coverage("programme", ("count",)),
    )
]
