"""areas: children cautioned or sentenced per 1,000 aged 10-17, from the YJB's published tables."""

from __future__ import annotations

import pandas as pd

from .. import suppression
from ..filters import PERIOD_FILTERS, Resolved
from .common import Measure, rate

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
    return table, mask


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
