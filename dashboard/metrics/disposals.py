"""disposals: programmes started in each period, by disposal type and tier."""

from __future__ import annotations

import pandas as pd

from .. import config, suppression
from ..filters import Resolved
from .common import Coverage, Measure, Quarters, label_periods, period_columns, period_frame, where
from .sources import PROGRAMME_STARTS

COLUMNS = ["period", "disposal_type", "tier", "count"]


def disposals(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By disposal type; with breakdown 'tier', one row per tier (disposal_type 'All'), for headlines
    that need a tier's total without adding up cells that may be withheld."""
    clause, params = where(resolved, "start_date", PROGRAMME_STARTS)
    by_tier = resolved.settings.breakdown == "tier"
    split = "tier" if by_tier else "disposal_type"
    counts = db.query(f"""
        SELECT {period_columns(resolved, 'start_fy', 'start_quarter')}, {split}, count(*) AS count
        FROM programme_fact WHERE {clause}
        GROUP BY 1, 2, 3""", params)
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
    # Each tier's total is shown too (tier breakdown, the overview): a tier never has one withheld type.
    mask = suppression.withhold(table, ["count"], margins=[["period"], ["period", "tier"]])
    return table, mask


MEASURES = [Measure(
    "disposals", tuple(COLUMNS), disposals, PROGRAMME_STARTS.applies(), frozenset({"breakdown"}),
    quarters=Quarters("period", ("disposal_type", "tier"), ("count",), ("tier",)),
    summary="programmes started, by disposal type and tier", order=2, coverage=Coverage("programme", ("count",)))]
