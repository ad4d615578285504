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

Published counts are protected as one lattice, the same for everyone (``published_withheld``): in each
source and period, services (or the authorities standing for them) add up to their region where the
source has regions, and regions to the national figure. What a region or the nation holds beyond the
areas listed is a cell of its own that no one sees, so a small count's total cannot be taken apart from
its other areas, on this page (any region chosen, any area) or on ``areas``, which shows the same counts.
"""

from __future__ import annotations

import pandas as pd

from ..disclosure import ALL, Dimension, protect
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
           population, 'service|' || area_name AS cell
    FROM chosen WHERE area_type = 'service'
    UNION ALL
    SELECT 'service', c.period, c.period_basis, c.unit, c.source, s.yjs, c.region, c.value, c.count, c.population,
           'authority|' || c.area_code
    FROM chosen c JOIN single_service s ON s.area_code = c.area_code
    WHERE c.area_type = 'authority'
      AND NOT EXISTS (SELECT 1 FROM chosen v WHERE v.period = c.period AND v.area_type = 'service')
    UNION ALL
    SELECT 'region', period, period_basis, unit, source, region, region, value, count, population,
           'region|' || area_name
    FROM chosen WHERE area_type = 'region'
    UNION ALL
    SELECT area_type, period, period_basis, unit, source, area_name, CAST(NULL AS VARCHAR), value, count, population,
           'national'
    FROM chosen WHERE area_type IN ('england', 'england_and_wales')
"""
#: Every published count, for the lattice: each row's cell as ``_AREAS`` names it.
_COUNTED = """
    SELECT measure, source, period, area_type, region, count,
           CASE WHEN area_type = 'authority' THEN 'authority|' || area_code
                WHEN area_type IN ('england', 'england_and_wales') THEN 'national'
                ELSE area_type || '|' || area_name END AS cell
    FROM published_indicator WHERE count IS NOT NULL
"""
NATIONAL_CELL = "national"
#: What a region (or the nation) holds beyond the areas listed under it: a cell no one sees.
REST = "rest|"


def compare_areas(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    indicator = resolved.settings.indicator
    per = INDICATORS[indicator]
    table = db.query(_AREAS, {"indicator": indicator}).astype(
        {"value": "float64", "count": "Int64", "population": "Int64"}
    )
    table.insert(0, "measure", indicator)
    hidden = withheld_counts(db, indicator, table[["source", "period", "cell"]])
    # A withheld count takes its rate out of the ranking too, so no rank or band points back to it.
    ranked = table["area_type"].eq("service") & table["value"].notna() & ~hidden
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
    table = table.assign(type_order=table["area_type"].map(ORDER), hidden=hidden)
    table = table.sort_values(["period", "type_order", "rank", "area"], na_position="last")
    hidden = table["hidden"].to_numpy(dtype=bool)
    table = table.reset_index(drop=True)[COLUMNS]
    table = table.astype({"rank": "Int64", "out_of": "Int64", "quartile": "Int64", "funnel": "object"})
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for column in ("count", "value", "ci_low", "ci_high", "rank", "out_of", "quartile", "funnel"):
        mask[column] = hidden
    return table, mask


def withheld_counts(db, measure: str, cells: pd.DataFrame) -> pd.Series:
    """Whether each of ``cells`` (source, period, cell as ``_AREAS`` names it) of ``measure`` is withheld in
    the published counts' lattice; False for a figure with no count (a rate alone)."""
    protected = published_withheld(db)
    hidden = protected[protected["measure"] == measure].set_index(["source", "period", "cell"])["withheld"]
    keys = pd.MultiIndex.from_frame(cells[["source", "period", "cell"]].astype(object))
    return pd.Series(hidden.reindex(keys).eq(True).to_numpy(dtype=bool), index=cells.index)


def published_withheld(db) -> pd.DataFrame:
    """Every published count protected once (the same for everyone): measure, source, period, cell, count,
    withheld."""
    with db.snapshot() as snap:
        return snap.remember("published counts withheld", lambda: _protect_published(snap.query(_COUNTED)))


def _protect_published(rows: pd.DataFrame) -> pd.DataFrame:
    """Each source and period's counts as a lattice: areas under their region (where the source has
    regions) or the nation, regions under the nation (the margin), and what each holds beyond the areas
    listed (``REST``: never shown, so it is chosen first as a second cell; withheld itself when small,
    as it is a count of children too)."""
    out = []
    for (measure, source, period), found in rows.groupby(["measure", "source", "period"], sort=True):
        cells = _published_cells(found)
        lines = cells["lines"].to_numpy(dtype=bool)
        area = Dimension(
            "area", {c: p for c, p, added in zip(cells["cell"], cells["parent"], lines) if added and p is not None}
        )
        cells["area"] = [ALL if c == NATIONAL_CELL and added else c for c, added in zip(cells["cell"], lines)]
        cells["apart"] = ~lines
        rest = cells["cell"].str.startswith(REST)
        mask = protect(
            cells[["apart", "area", "count"]],
            [area],
            ["count"],
            fixed=["apart"],
            prefer=rest,
        )
        out.append(
            cells.loc[~rest, ["cell", "count"]].assign(
                measure=measure, source=source, period=period, withheld=mask.loc[~rest, "count"]
            )
        )
    columns = ["measure", "source", "period", "cell", "count", "withheld"]
    return pd.concat(out, ignore_index=True)[columns] if out else pd.DataFrame(columns=columns)


def _published_cells(rows: pd.DataFrame) -> pd.DataFrame:
    """One period's cells: cell, count, parent (a region's cell, or None: under the nation) and whether the
    counts add up (``lines``; a source whose areas sum to more than their total is protected cell by cell).
    A source listing both services and authorities adds up its services; its authorities stand apart."""
    rows = rows.assign(count=rows["count"].astype("int64"))
    regions = set(rows.loc[rows["area_type"] == "region", "cell"])
    kind = "service" if (rows["area_type"] == "service").any() else "authority"
    parts = rows[rows["area_type"] == kind]
    parent = [f"region|{r}" if f"region|{r}" in regions else None for r in parts["region"]]
    cells = [rows[rows["area_type"] == "region"].assign(parent=None), parts.assign(parent=parent)]
    national = rows[rows["cell"] == NATIONAL_CELL]
    adds_up = len(national) <= 1
    for total, under in [
        *((region, parts.loc[[p == region for p in parent], "count"]) for region in sorted(regions)),
        (
            NATIONAL_CELL,
            pd.concat(
                [rows.loc[rows["area_type"] == "region", "count"], parts.loc[[p is None for p in parent], "count"]]
            ),
        ),
    ]:
        found = rows.loc[rows["cell"] == total, "count"]
        if found.empty:
            continue
        rest = int(found.iloc[0]) - int(under.sum())
        adds_up &= rest >= 0
        if rest > 0:
            cells.append(
                pd.DataFrame(
                    {"cell": [REST + total], "count": [rest], "parent": [None if total == NATIONAL_CELL else total]}
                )
            )
    others = rows[~rows["area_type"].isin(["region", kind]) & (rows["cell"] != NATIONAL_CELL)].assign(parent=None)
    cells = pd.concat([*cells, national.assign(parent=None)], ignore_index=True)[["cell", "count", "parent"]]
    cells["lines"] = adds_up
    others = others[["cell", "count"]].assign(parent=None, lines=False)
    return pd.concat([cells, others], ignore_index=True)


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
