"""benchmarks: one service against England (and Wales), its region and its statistical neighbours.

Rows per measure and period (``area_type``): ``service`` (the service's own figure from its extract,
on the published basis, for periods the extract covers whole), ``published_service``, ``region``,
``england`` or ``england_and_wales``, ``neighbour`` (each of the DfE's ten) and ``neighbour_average``.
Published figures come from published_indicator (dashboard/ingest/public.py), one source per measure
and period, so a comparison never mixes two publishers' bases. ``notes`` gives the reasons a page
shows beside them (a Welsh service has no LAIT figures, how a service of several authorities is made).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .. import config, suppression
from ..filters import Filters, InvalidFilter, Resolved, period_label
from . import first_time_entrants, lattice
from .common import Measure
from .intervals import compared_with, published_rate_interval

COLUMNS = [
    "measure",
    "period",
    "area_type",
    "area",
    "value",
    "count",
    "population",
    "ci_low",
    "ci_high",
    "compared_with_england",
]
#: The comparisons in display order, with the rate's multiplier (None: a percentage, which has no count here).
INDICATORS = {
    "fte_rate_per_100000": 100_000,
    "reoffending_percent_10_14": None,
    "reoffending_percent_15_17": None,
    "cautioned_or_sentenced_per_1000": 1_000,
    "cautioned_or_sentenced_per_10000": 10_000,
}
NATIONAL = ("england", "england_and_wales")
#: A source covering a few areas gives way to one covering them all for the same period, and its
#: neighbours without a figure are left out rather than listed empty.
PARTIAL_SOURCES = ("trafford",)
#: An average of the neighbours needs figures for at least this many of the ten.
NEIGHBOURS_FOR_AVERAGE = 5
#: Stages whose outcomes are cautions or sentences (the YJB's "children cautioned or sentenced").
CAUTIONED_OR_SENTENCED = tuple(
    stage for stage, tiers in config.STAGE_TIERS.items() if set(tiers) <= set(config.SUBSTANTIVE_TIERS)
)
#: The types of the rows gathered, the same from either backend and from the extract.
TYPES = {"rank": "int64", "value": "float64", "count": "Int64", "population": "Int64"}
ORDER = {
    "service": 0,
    "published_service": 1,
    "region": 2,
    "england": 3,
    "england_and_wales": 3,
    "neighbour": 4,
    "neighbour_average": 5,
}

#: Common table expressions every comparison starts from: ``usable``, the published figures of one source
#: per measure and period (a source of every area before one of a few, so bases are never mixed), with
#: its ``preference``; ``single_service``, each service of one authority, which stands for it.
USABLE = f"""
    figures AS (
        SELECT *, CASE WHEN source IN ({", ".join(f"'{s}'" for s in PARTIAL_SOURCES)}) THEN 2 ELSE 1 END AS preference
        FROM published_indicator
    ), usable AS (
        SELECT f.* FROM figures f
        JOIN (SELECT measure, period, min(preference) AS preference FROM figures GROUP BY measure, period) c
          ON c.measure = f.measure AND c.period = f.period AND c.preference = f.preference
    ), single_service AS (   -- a service of one authority stands for it in a source by service (the YJB's)
        SELECT yjs, min(area_code) AS area_code FROM service_authority
        WHERE geography = 'current' GROUP BY yjs HAVING count(*) = 1
    )"""

_PUBLISHED = f"""
    WITH {USABLE}, neighbours AS (
        SELECT rank, neighbour_code, neighbour_name FROM statistical_neighbour
        WHERE area_code = :authority
          AND neighbour_code NOT IN (SELECT area_code FROM service_authority
                                     WHERE yjs = :published AND geography = 'current')
    )
    SELECT measure, period, 'published_service' AS area_type, 0 AS rank, :published AS area, value, count,
           population, preference
    FROM usable
    WHERE (area_type = 'service' AND area_name = :published)
       OR (area_type = 'authority' AND area_code = (SELECT area_code FROM single_service WHERE yjs = :published)
           AND NOT EXISTS (SELECT 1 FROM usable s WHERE s.measure = usable.measure AND s.period = usable.period
                           AND s.area_type = 'service' AND s.area_name = :published))
    UNION ALL
    SELECT measure, period, 'region', 0, area_name, value, count, population, preference
    FROM usable WHERE area_type = 'region' AND region = :region
    UNION ALL
    SELECT measure, period, area_type, 0, area_name, value, count, population, preference
    FROM usable WHERE area_type IN ('england', 'england_and_wales')
    UNION ALL
    SELECT p.measure, p.period, 'neighbour', n.rank, n.neighbour_name,
           coalesce(a.value, s.value), coalesce(a.count, s.count), coalesce(a.population, s.population),
           p.preference
    FROM (SELECT DISTINCT measure, period, preference FROM usable) p
    CROSS JOIN neighbours n
    LEFT JOIN usable a ON a.measure = p.measure AND a.period = p.period AND a.area_type = 'authority'
                      AND a.area_code = n.neighbour_code
    LEFT JOIN single_service ss ON ss.area_code = n.neighbour_code
    LEFT JOIN usable s ON s.measure = p.measure AND s.period = p.period AND s.area_type = 'service'
                      AND s.area_name = ss.yjs
    WHERE p.preference = 1 OR coalesce(a.value, s.value) IS NOT NULL
"""


def benchmarks(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    yjs = _one_service(resolved, options)
    published, region = comparison(db, yjs)
    rows = db.query(
        _PUBLISHED, {"published": published, "region": region, "authority": neighbours_of(db, published)}
    ).astype(TYPES)
    own_figures = _own_figures(db, yjs, options["as_of"][yjs], rows)
    rows = pd.concat([own_figures, rows], ignore_index=True) if not own_figures.empty else rows
    # Only where there is something of the service's own to compare: its figure or its published one.
    own = rows.loc[rows["area_type"].isin(["service", "published_service"]), ["measure", "period"]].drop_duplicates()
    rows = rows.merge(own, on=["measure", "period"])
    averages = _neighbour_averages(rows)
    rows = pd.concat([rows, averages], ignore_index=True) if not averages.empty else rows
    table = _with_intervals(rows)
    table = table.assign(
        measure_order=table["measure"].map(list(INDICATORS).index), type_order=table["area_type"].map(ORDER)
    )
    table = table.sort_values(["measure_order", "period", "type_order", "rank"]).reset_index(drop=True)[COLUMNS]
    table["count"] = table["count"].astype("Int64")
    table["population"] = table["population"].astype("Int64")
    mask = suppression.withhold(
        table,
        ["count"],
        eligible=table["area_type"] == "service",
        dependents={"count": ["value", "ci_low", "ci_high", "compared_with_england"]},
    )
    hidden = _calendar_years_withheld(db, resolved, options, yjs, table)
    for column in ("count", "value", "ci_low", "ci_high", "compared_with_england"):
        mask[column] |= hidden
    return table, mask


def _calendar_years_withheld(db, resolved: Resolved, options: dict, yjs: str, table: pd.DataFrame) -> pd.Series:
    """The service's first-time entrants in a calendar year are four quarters the first-time entrants page
    shows (January to March, the last quarter of one financial year, and the first three of the next):
    withheld where any of them is, so the year cannot be taken apart into them."""
    own = (table["area_type"] == "service") & (table["measure"] == "fte_rate_per_100000")
    hidden = pd.Series(False, index=table.index)
    if not resolved.suppressed or not own.any():
        return hidden
    years = [int(p) for p in table.loc[own, "period"]]
    quarters = pd.DataFrame(
        [
            (year, f"{period_label(year - 1, 4) if q == 4 else period_label(year, q)}")
            for year in years
            for q in (4, 1, 2, 3)
        ],
        columns=["year", "period"],
    ).assign(yjs=yjs)
    shown = lattice.withheld(db, first_time_entrants.CELLS, resolved, options, quarters, shows={"fte": ("fte",)})
    any_hidden = quarters.assign(hidden=shown["fte"]).groupby("year")["hidden"].any()
    hidden[own] = [bool(any_hidden.get(int(p), False)) for p in table.loc[own, "period"]]
    return hidden


def _one_service(resolved: Resolved, options: dict) -> str:
    """The service compared: the one chosen, or the only one loaded."""
    if resolved.filters.yjs:
        return resolved.filters.yjs
    services = resolved.services if resolved.services is not None else options["yjs"]
    if len(services) == 1:
        return services[0]
    raise InvalidFilter("benchmarks compare one service at a time: choose a YJS; valid choices: " + ", ".join(services))


def comparison(db, yjs: str) -> tuple[str | None, str | None]:
    """The published service whose figures and neighbours stand for ``yjs``, and its YJB region:
    extract.json's ``compare_as`` and ``region`` where the extract gives them, else the service itself
    when the published tables name it (and its published region)."""
    given = _extract_services(db, yjs)
    published = given.get("compare_as") or yjs
    found = db.query("SELECT DISTINCT region FROM service_authority WHERE yjs = :yjs", {"yjs": published})
    if found.empty:
        published = None
    region = given.get("region") or (found["region"].iloc[0] if not found.empty else None)
    return published, region


def _extract_services(db, yjs: str) -> dict:
    """extract_info's ``region`` and ``compare_as`` for the service (from extract.json's ``services``
    block, else the published service of the same name)."""
    found = db.query("SELECT region, compare_as FROM extract_info WHERE yjs = :yjs", {"yjs": yjs})
    return {k: v for k, v in found.iloc[0].items() if isinstance(v, str) and v} if not found.empty else {}


def neighbours_of(db, published: str | None) -> str | None:
    """The authority whose DfE statistical neighbours the service takes: its own, or for a service of
    several, its largest (by 10-17 population, mid-2023) that has a group."""
    if published is None:
        return None
    return db.scalar(
        """
        SELECT s.area_code FROM service_authority s
        JOIN area_population p ON p.area_code = s.area_code AND p.mid_year = 2023
        WHERE s.yjs = :yjs AND s.geography = 'current'
          AND s.area_code IN (SELECT area_code FROM statistical_neighbour)
        ORDER BY p.population_10_17 DESC LIMIT 1""",
        {"yjs": published},
    )


def _own_figures(db, yjs: str, as_of: date, published: pd.DataFrame) -> pd.DataFrame:
    """The service's first-time entrants by calendar year and children cautioned or sentenced by financial
    year (aged 10-17 at the outcome), over its extract's 10-17 population, for the periods the extract
    covers from start to end and the published tables hold."""
    first = pd.Timestamp(
        db.scalar(
            """
        SELECT min(d) FROM (SELECT min(offence_date) AS d FROM offence WHERE yjs = :yjs
                            UNION ALL SELECT min(outcome_date) FROM outcome WHERE yjs = :yjs
                            UNION ALL SELECT min(referral_date) FROM programme WHERE yjs = :yjs) m""",
            {"yjs": yjs},
        )
    ).date()
    stages = {f"stage_{i}": stage for i, stage in enumerate(CAUTIONED_OR_SENTENCED)}
    counts = db.query(
        f"""
        SELECT 'calendar' AS basis, CAST(EXTRACT(YEAR FROM outcome_date) AS INTEGER) AS year, count(*) AS count
        FROM first_time_entry WHERE yjs = :yjs GROUP BY 2
        UNION ALL
        SELECT 'financial', CAST(fy AS INTEGER), count(DISTINCT child_id)
        FROM stage_event WHERE yjs = :yjs AND age_band IS NOT NULL
          AND stage IN ({", ".join(":" + name for name in stages)})
        GROUP BY 2""",
        {"yjs": yjs, **stages},
    )
    population = db.query(
        """SELECT CAST(year AS INTEGER) AS year, sum(population) AS population FROM population
                             WHERE yjs = :yjs AND age BETWEEN 10 AND 17 GROUP BY 1""",
        {"yjs": yjs},
    )
    count_of = {(r.basis, r.year): int(r.count) for r in counts.itertuples()}
    population_of = {int(r.year): int(r.population) for r in population.itertuples()}
    periods = set(zip(published["measure"], published["period"]))
    rows = []
    for measure in INDICATORS:
        calendar = measure == "fte_rate_per_100000"
        if measure.startswith("reoffending"):
            continue
        for year in range(first.year, as_of.year + 1):
            start, end = (
                (date(year, 1, 1), date(year, 12, 31)) if calendar else (date(year, 4, 1), date(year + 1, 3, 31))
            )
            period = str(year) if calendar else f"{year}-{(year + 1) % 100:02d}"
            if first <= start and end <= as_of and (measure, period) in periods:
                count = count_of.get(("calendar" if calendar else "financial", year), 0)
                people = population_of.get(year)
                rows.append(
                    dict(
                        measure=measure,
                        period=period,
                        area_type="service",
                        rank=0,
                        area=yjs,
                        count=count,
                        population=people,
                        value=count / people * INDICATORS[measure] if people else None,
                    )
                )
    return pd.DataFrame(
        rows, columns=["measure", "period", "area_type", "rank", "area", "value", "count", "population"]
    ).astype(TYPES)


def _neighbour_averages(rows: pd.DataFrame) -> pd.DataFrame:
    """The mean of the neighbours' published figures (as LAIT's statistical neighbour average), where
    at least NEIGHBOURS_FOR_AVERAGE of them have one."""
    shown = rows[(rows["area_type"] == "neighbour") & rows["value"].notna()]
    averages = shown.groupby(["measure", "period"], as_index=False).agg(value=("value", "mean"), n=("value", "size"))
    averages = averages[averages["n"] >= NEIGHBOURS_FOR_AVERAGE]
    names = [f"Average of {n} statistical neighbours (DfE)" for n in averages["n"]]
    return averages.assign(area_type="neighbour_average", rank=99, area=names).drop(columns="n")


def _with_intervals(rows: pd.DataFrame) -> pd.DataFrame:
    """95% limits (exact Poisson) where a rate has a count, and each row against the national figure of
    its measure and period."""
    table = rows.copy()
    limits = [
        published_rate_interval(v, c, p, per)
        for v, c, p, per in zip(table["value"], table["count"], table["population"], table["measure"].map(INDICATORS))
    ]
    table["ci_low"] = [lim[0] if lim else None for lim in limits]
    table["ci_high"] = [lim[1] if lim else None for lim in limits]
    national = table[table["area_type"].isin(NATIONAL)].set_index(["measure", "period"])["value"]
    reference = [national.get((m, p)) for m, p in zip(table["measure"], table["period"])]
    table["compared_with_england"] = [
        None if kind in NATIONAL else compared_with(low, high, ref)
        for kind, low, high, ref in zip(table["area_type"], table["ci_low"], table["ci_high"], reference)
    ]
    for column in ("value", "ci_low", "ci_high"):
        table[column] = pd.to_numeric(table[column]).astype("float64")
    table["compared_with_england"] = table["compared_with_england"].astype("object")
    return table


def notes(db, filters: Filters, scope, measures: tuple[str, ...] | None = None) -> list[str]:
    """What a reader needs beside the figures of ``benchmarks`` for these filters, in plain words; those about
    the service, then those about ``measures`` (default: every one)."""
    from . import filter_options, validate

    yjs = _one_service(validate(db, "benchmarks", filters, scope=scope), filter_options(db))
    published, region = comparison(db, yjs)
    said = []
    if published is None:
        said.append(
            f"{yjs} is not named in the published tables and its extract names no service to compare it "
            "as (compare_as in extract.json), so it is compared with its region and England only."
        )
    elif published != yjs:
        said.append(
            f"{yjs} is compared as {published}: the published figures and statistical neighbours shown "
            f"are {published}'s."
        )
    if region == "Wales":
        said.append(
            "LAIT covers England only: no first-time entrant, reoffending or 2024-25 figures are published "
            "for Welsh authorities, and the DfE's statistical neighbours are English authorities only."
        )
    authorities = (
        db.query(
            "SELECT area_name FROM service_authority WHERE yjs = :yjs AND geography = 'current' ORDER BY area_name",
            {"yjs": published},
        )["area_name"].tolist()
        if published
        else []
    )
    authority = neighbours_of(db, published)
    if len(authorities) > 1:
        said.append(
            f"{published} covers {_listed(authorities)}: its published figures from LAIT are the mean "
            "of theirs, weighted by their populations aged 10-17."
        )
        if authority:
            name = db.scalar(
                "SELECT min(area_name) FROM service_authority WHERE area_code = :code", {"code": authority}
            )
            said.append(
                f"Its statistical neighbours (DfE) are those of {name}, its largest authority; any of its own "
                "authorities among them are left out."
            )
    return said + [
        note for prefixes, note in MEASURE_NOTES if measures is None or any(m.startswith(prefixes) for m in measures)
    ]


#: The notes that hold for every service, with the measures (by name or prefix) each is about.
MEASURE_NOTES = (
    (
        ("fte_",),
        "England's first-time entrant rate is worked out from its nine regions' rates, weighted by their "
        "populations aged 10-17: LAIT's own England figures are wrongly scaled and are not used.",
    ),
    (
        ("reoffending_",),
        "Reoffending is published by LAIT for children aged 10-14 and 15-17 separately, without the "
        "number of children, so the two are not added together, have no confidence interval and have "
        "no England figure.",
    ),
    (
        ("cautioned_or_sentenced_",),
        "Children cautioned or sentenced are per 1,000 in the YJB's tables (to 2021-22) "
        "and per 10,000 from LAIT (2024-25) and Trafford Data Lab (earlier years, 11 areas "
        "and England): the two rates are shown apart, never converted.",
    ),
    (
        ("fte_", "reoffending_", "cautioned_or_sentenced_"),
        "First-time entrants are by calendar year (2024 is January to December 2024); the rest by financial year "
        "(2024-25 is April 2024 to March 2025). The service's own figures are shown for whole years its extract "
        "covers.",
    ),
)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


MEASURES = [
    Measure(
        "benchmarks",
        tuple(COLUMNS),
        benchmarks,
        frozenset({"yjs"}),
        notes=notes,
        order=20,
        summary="the service against England, its region and its statistical neighbours (published tables)",
    )
]
