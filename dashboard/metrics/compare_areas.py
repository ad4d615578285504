"""compare-areas: every service on one published indicator, ranked, in quartile bands and against England.

For each period of the indicator (``--indicator``; one source per period, by the rule the benchmarks
use, so two publishers' bases are never mixed) the rows are each service with a figure (``area_type``
``service``; in a source by authority, such as Trafford Data Lab's, an authority stands for the service
it is the whole of), each region, and the national figure (``england``, or ``england_and_wales`` in the
YJB's tables). Every row carries its unit and period basis.

Services are ranked lowest first (``rank`` of ``out_of``; ties share the lower rank) and put in quarters
by rank (``quartile`` 1, the lowest rates, to 4). Where the source gives counts: 95% intervals (exact
Poisson, around the published rate), and where the count falls against the funnel of 95% and 99.8%
limits around the national rate at the service's population (``funnel``), so a small service is not
called an outlier by chance. LAIT gives rates only: no intervals and no funnel.
"""

from __future__ import annotations

import pandas as pd

from .. import suppression
from ..filters import Resolved
from .benchmarks import INDICATORS, NATIONAL, USABLE
from .common import Measure
from .intervals import funnel_reading, published_rate_interval

COLUMNS = [
    "measure",
    "period",
    "period_basis",
    "unit",
    "source",
    "area_type",
    "area",
    "region",
    "value",
    "count",
    "population",
    "ci_low",
    "ci_high",
    "rank",
    "out_of",
    "quartile",
    "funnel",
]
#: Rows in this order within a period: services by rank, then regions, then the national figure.
ORDER = {"service": 0, "region": 1, "england": 2, "england_and_wales": 2}
QUARTERS = 4

_AREAS = f"""
    WITH {USABLE}, chosen AS (SELECT * FROM usable WHERE measure = :indicator)
    SELECT 'service' AS area_type, period, period_basis, unit, source, area_name AS area, region, value, count,
           population
    FROM chosen WHERE area_type = 'service'
    UNION ALL
    SELECT 'service', c.period, c.period_basis, c.unit, c.source, s.yjs, c.region, c.value, c.count, c.population
    FROM chosen c JOIN single_service s ON s.area_code = c.area_code
    WHERE c.area_type = 'authority'
      AND NOT EXISTS (SELECT 1 FROM chosen v WHERE v.period = c.period AND v.area_type = 'service')
    UNION ALL
    SELECT 'region', period, period_basis, unit, source, region, region, value, count, population
    FROM chosen WHERE area_type = 'region'
    UNION ALL
    SELECT area_type, period, period_basis, unit, source, area_name, CAST(NULL AS VARCHAR), value, count, population
    FROM chosen WHERE area_type IN ('england', 'england_and_wales')
"""


def compare_areas(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    indicator = resolved.settings.indicator
    per = INDICATORS[indicator]
    table = db.query(_AREAS, {"indicator": indicator}).astype(
        {"value": "float64", "count": "Int64", "population": "Int64"}
    )
    table.insert(0, "measure", indicator)
    # A withheld count takes its rate out of the ranking too, so no rank or band points back to it.
    small = suppression.is_small(table["count"])
    ranked = table["area_type"].eq("service") & table["value"].notna() & ~small
    table["rank"] = table["out_of"] = table["quartile"] = pd.NA
    for _, group in table[ranked].groupby("period"):
        table.loc[group.index, "rank"] = group["value"].rank(method="min")
        table.loc[group.index, "out_of"] = len(group)
        table.loc[group.index, "quartile"] = quartile_bands(group["value"])
    limits = [
        published_rate_interval(v, c, p, per) for v, c, p in zip(table["value"], table["count"], table["population"])
    ]
    table["ci_low"] = pd.Series([lim[0] if lim else None for lim in limits], index=table.index, dtype="float64")
    table["ci_high"] = pd.Series([lim[1] if lim else None for lim in limits], index=table.index, dtype="float64")
    reference = national_rates(table, per)
    table["funnel"] = [
        funnel_reading(c, p, reference.get(period), per) if kind == "service" else None
        for kind, c, p, period in zip(table["area_type"], table["count"], table["population"], table["period"])
    ]
    table = table.assign(type_order=table["area_type"].map(ORDER))
    table = table.sort_values(["period", "type_order", "rank", "area"], na_position="last")
    table = table.reset_index(drop=True)[COLUMNS]
    table = table.astype({"rank": "Int64", "out_of": "Int64", "quartile": "Int64", "funnel": "object"})
    mask = suppression.withhold(
        table, ["count"], dependents={"count": ["value", "ci_low", "ci_high", "rank", "out_of", "quartile", "funnel"]}
    )
    return table, mask


def quartile_bands(values: pd.Series) -> pd.Series:
    """Each value's quarter of the ranking, 1 (lowest) to 4: rank r (lowest first, ties sharing the lower
    rank) of n falls in quarter floor((r - 1) * 4 / n) + 1, so the quarters are as equal as the ties allow."""
    ranks = values.rank(method="min")
    return ((ranks - 1) * QUARTERS // len(values) + 1).astype("int64")


def national_rates(table: pd.DataFrame, per) -> dict[str, float]:
    """The national rate of each period the funnel is drawn around: from its count and population where both
    are given (the published rate is rounded), else as published."""
    national = table[table["area_type"].isin(NATIONAL)]
    rates = {}
    for row in national.itertuples():
        exact = per and not pd.isna(row.count) and not pd.isna(row.population) and row.population > 0
        rates[row.period] = row.count / row.population * per if exact else row.value
    return rates


def counted_periods(db) -> pd.DataFrame:
    """Each indicator's first and latest period whose source gives counts and populations by area (those a
    funnel can be drawn for), by the one-source-per-period rule."""
    with db.snapshot() as snap:
        return snap.remember(
            "counted_periods",
            lambda: snap.query(f"""
            WITH {USABLE}
            SELECT measure, min(period) AS first_period, max(period) AS latest_period, min(source) AS source
            FROM usable WHERE area_type IN ('service', 'authority') AND count IS NOT NULL AND population IS NOT NULL
            GROUP BY measure ORDER BY measure"""),
        )


def published_sources(db) -> pd.DataFrame:
    """How current each published source is (published_source): measure, source, publisher, release, basis,
    unit, first and latest period, and whether it gives counts and populations (a funnel needs both)."""
    with db.snapshot() as snap:
        return snap.remember(
            "published_sources",
            lambda: snap.query("SELECT * FROM published_source ORDER BY measure, latest_period DESC, source"),
        )


MEASURES = [
    Measure(
        "compare-areas",
        tuple(COLUMNS),
        compare_areas,
        frozenset(),
        frozenset({"indicator"}),
        published=True,
        order=21,
        summary="every service on one published indicator (--indicator): ranked, in quartile bands, with intervals "
        "and funnel limits around England where counts are published",
    )
]
