"""areas: children cautioned or sentenced per 1,000 aged 10-17, from the YJB's published tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import suppression
from ..filters import PERIOD_FILTERS, Resolved
from .common import Measure, rate
from .compare_areas import NATIONAL_CELL, published_withheld, withheld_counts

COLUMNS = ["period", "yjs", "region", "children", "population_10_17", "rate_per_1000"]
NATIONAL = "England and Wales"
#: level -> (SELECT list naming yjs and region, GROUP BY list)
LEVELS = {
    "yjs": ("yjs, region", "period, yjs, region"),
    "region": ("CAST(NULL AS VARCHAR) AS yjs, region", "period, region"),
    "national": (f"CAST(NULL AS VARCHAR) AS yjs, '{NATIONAL}' AS region", "period"),
}


def areas(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = resolved.settings
    years = [fy for fy, _ in resolved.periods]
    conditions = ["CAST(substr(period, 1, 4) AS INTEGER) BETWEEN :first_year AND :last_year"]
    params: dict = {"first_year": years[0], "last_year": years[-1]}
    for name, value in (("yjs", resolved.filters.yjs), ("region", f.region)):
        if value:
            conditions.append(f"{name} = :{name}")
            params[name] = value
    select, group = LEVELS[f.level]
    table = db.query(
        f"""
        SELECT period, {select}, sum(children) AS children, sum(population_10_17) AS population_10_17
        FROM published_children WHERE {" AND ".join(conditions)}
        GROUP BY {group} ORDER BY {group}""",
        params,
    )
    table["children"] = table["children"].astype("int64")
    table["population_10_17"] = table["population_10_17"].astype("Int64")
    table["rate_per_1000"] = rate(table["children"], table["population_10_17"], 1000)
    table = table[COLUMNS]
    margins = [["period", "region"]] if f.level == "yjs" else [["period"]] if f.level == "region" else []
    mask = suppression.withhold(table, ["children"], margins=margins, dependents={"children": ["rate_per_1000"]})
    # The same counts as compare-areas' children cautioned or sentenced (the YJB's tables): withheld exactly
    # as its lattice withholds them, so neither page gives away a count the other withholds.
    cells = table.assign(source=PUBLISHED[1], period=table["period"].astype(object), cell=_cells(table, f.level))
    counted = published_withheld(db)
    counted = counted[counted["measure"] == PUBLISHED[0]].set_index(["source", "period", "cell"])["count"]
    keys = pd.MultiIndex.from_frame(cells[["source", "period", "cell"]])
    same = counted.reindex(keys).to_numpy() == table["children"].to_numpy()
    hidden = withheld_counts(db, PUBLISHED[0], cells).to_numpy()
    for column in ("children", "rate_per_1000"):
        mask[column] = np.where(same, hidden, mask[column].to_numpy())
    return table, mask


#: The compare-areas indicator and source holding the same counts.
PUBLISHED = ("cautioned_or_sentenced_per_1000", "yjb")


def _cells(table: pd.DataFrame, level: str) -> list[str]:
    """Each row's cell of the published counts' lattice (compare_areas)."""
    if level == "national":
        return [NATIONAL_CELL] * len(table)
    if level == "region":
        return [f"region|{r}" for r in table["region"]]
    return [f"service|{y}" for y in table["yjs"]]


MEASURES = [
    Measure(
        "areas",
        tuple(COLUMNS),
        areas,
        frozenset({*PERIOD_FILTERS, "yjs"}) - {"by_quarter"},
        frozenset({"region", "level"}),
        published=True,
        summary="children cautioned or sentenced per 1,000 aged 10-17, by service (published tables)",
        order=7,
    )
]
