"""proven-reoffending and proven-reoffending-counts (indicators.md), and the live tracker.

The YJB/MoJ measure: children cautioned, given a non-custodial conviction or released from custody in
a period, followed for 12 months, with 6 more for the reoffence to be proven. Each child's cohorts,
index date and proven reoffences were worked out at ingest (ingest/derive.py: ``proven_cohort``), so
here we only count. A cohort is complete once its period end + 18 months is on or before the
extract's date; before then its figures are the live tracker's, "so far".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from .. import config, suppression
from ..disclosure import ALL, Dimension
from ..filters import GROUP_FILTERS, PERIOD_FILTERS, Resolved, parse_period
from . import lattice
from .common import (
    Measure,
    filter_conditions,
    label_periods,
    months_after,
    period_columns,
    rate,
    where,
    whole_months,
)
from .intervals import compared_with, difference_interval
from .population import ALL_SERVICES
from .sources import PROVEN_COHORT

COLUMNS = [
    "cohort",
    "yjs",
    "index_tier",
    "children",
    "reoffenders",
    "reoffences",
    "binary_rate",
    "frequency_rate",
    "reoffences_per_reoffender",
    "complete",
]
COUNT_COLUMNS = ["cohort", "yjs", "reoffences", "reoffenders"]
TRACKER_COLUMNS = [
    "cohort",
    "yjs",
    "children",
    "months_followed",
    "months_to_go",
    "complete_on",
    "previous_cohort",
    "reoffenders_so_far",
    "binary_rate_so_far",
    "previous_children",
    "previous_reoffenders_same_point",
    "previous_binary_rate_same_point",
    "difference",
    "difference_low",
    "difference_high",
    "reading",
]
#: Index tiers in the order of the disposals' seriousness; ``All`` is the whole cohort.
INDEX_TIERS = ("Pre-court", "First-tier", "Community", "Custody")
ALL_TIERS = "All"
#: How many reoffences a reoffender had: 1 to 4, and 5 or more.
REOFFENCE_BANDS = ("1", "2", "3", "4", "5+")
FOLLOW_UP_MONTHS, PROVEN_WITHIN_MONTHS = 12, 18
#: Cohorts are financial years or quarters only: a free date range (--from/--to) is no cohort.
FILTERS = PROVEN_COHORT.applies() - (set(PERIOD_FILTERS) - {"period", "by_quarter"})
#: The live tracker is for every child of the service together (``reoffending_tracker`` says why).
TRACKER_FILTERS = FILTERS - set(GROUP_FILTERS)


def complete_on(cohort: str) -> date:
    """The day a cohort's figures are final: its period's end + 18 months."""
    return months_after(parse_period(cohort)[1], PROVEN_WITHIN_MONTHS)


def months_followed(cohort: str, as_of: date) -> int:
    """Months every child of the cohort has been followed by ``as_of`` (0 to 12): from the period's end."""
    return min(whole_months(parse_period(cohort)[1], as_of), FOLLOW_UP_MONTHS)


def _services(resolved: Resolved, options: dict) -> dict[str, date]:
    """Each row's service and its extract date (all services as one, at the earliest date, when combined)."""
    services = [resolved.filters.yjs] if resolved.filters.yjs else options["yjs"]
    as_of = {s: options["as_of"][s] for s in services}
    if _combined(resolved) and as_of:
        return {ALL_SERVICES: min(as_of.values())}
    return as_of


def _combined(resolved: Resolved) -> bool:
    return resolved.settings.combine and not resolved.filters.yjs


def _counts(db, resolved: Resolved, group: str, *, whole_period: bool = True) -> pd.DataFrame:
    """Children in each cohort and service, split by ``group`` (SQL from our own constants), with
    their periods labelled. ``whole_period`` False: every cohort of the kind, whatever the period."""
    if whole_period:
        clause, params = where(resolved, "index_date", PROVEN_COHORT)
    else:
        conditions, params = filter_conditions(resolved, PROVEN_COHORT.filters)
        clause = " AND ".join(["1 = 1", *conditions])
    service = f"'{ALL_SERVICES}'" if _combined(resolved) else "yjs"
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, "fy", "quarter")}, {service} AS yjs, {group}, count(*) AS children,
               sum(CASE WHEN reoffences > 0 THEN 1 ELSE 0 END) AS reoffenders, sum(reoffences) AS reoffences
        FROM proven_cohort WHERE by_quarter = :by_quarter AND {clause}
        GROUP BY 1, 2, 3, 4""",
        {**params, "by_quarter": resolved.by_quarter},
    )
    counts["cohort"] = label_periods(counts)
    for column in ("children", "reoffenders", "reoffences"):
        counts[column] = counts[column].astype("int64")
    return counts.drop(columns=["fy", "quarter"])


def _grid(resolved: Resolved, options: dict, column: str | None = None, values=()) -> pd.DataFrame:
    """Every cohort of the period that has begun by its service's extract date, for every service (and
    value of ``column``), in order: a cohort with no children still shows 0."""
    rows = [
        (label, order, service, as_of)
        for order, label in enumerate(resolved.labels())
        for service, as_of in _services(resolved, options).items()
        if parse_period(label)[0] <= as_of
    ]
    grid = pd.DataFrame(rows, columns=["cohort", "order", "yjs", "as_of"])
    return grid.merge(pd.DataFrame({column: pd.Series(values, dtype="object")}), how="cross") if column else grid


#: A cohort's children by how many proven reoffences they had: the bands add up to the reoffenders,
#: the reoffenders and those who did not reoffend ("0") to the cohort.
REOFFENDED = "reoffended"
BANDS = Dimension("band", dict.fromkeys(REOFFENCE_BANDS, REOFFENDED), ("reoffended", "band"))


def _cohorts(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per child and cohort, for the lattice: a year's cohort is its own (quarter WHOLE_YEAR),
    not its quarters' (a child can be in two). Children add up over services, index tiers, bands of
    reoffences and every group (each of the child's cohorts has one index event)."""
    clause, params = where(resolved, "index_date", PROVEN_COHORT)
    return (
        f"""
        SELECT fy, CASE WHEN by_quarter THEN quarter ELSE {lattice.WHOLE_YEAR} END AS quarter, yjs, index_tier,
               CASE WHEN reoffences >= 5 THEN '5+' ELSE CAST(reoffences AS VARCHAR) END AS band,
               CASE WHEN reoffences > 0 THEN '{REOFFENDED}' ELSE '0' END AS reoffended,
               {PROVEN_COHORT.columns(PROVEN_COHORT.group_filters())}, 1 AS children, reoffences
        FROM proven_cohort WHERE {clause}""",
        params,
    )


CELLS = lattice.Cells(
    rows=_cohorts,
    counts=("children", "reoffences"),
    dimensions=(Dimension("yjs"), Dimension("index_tier"), BANDS),
    fixed=("fy", "quarter"),
    filters=PROVEN_COHORT.group_filters(),
    dependants={"children": ("reoffences",)},
)


def _cells(resolved: Resolved, rows: pd.DataFrame, band) -> pd.DataFrame:
    """``locate`` for the lattice: the cohort's own cell, all services as one, the cohort's index tier
    (All: every one), children of ``band`` (a column of ``rows``, REOFFENDED or ALL)."""
    at = lattice.whole_years(rows, "cohort")
    if _combined(resolved):
        at["yjs"] = ALL
    if "index_tier" in rows:
        at["index_tier"] = rows["index_tier"].map(lambda tier: ALL if tier == ALL_TIERS else tier)
    else:
        at["index_tier"] = ALL
    at["band"] = rows[band] if isinstance(band, str) and band in rows else band
    return at


def _withheld(db, resolved: Resolved, options: dict, table: pd.DataFrame, shows: dict, band) -> pd.DataFrame:
    """``table``'s mask in proven-reoffending's lattice, which every measure here looks up: each row's cohort
    and its children of ``band`` (``_cells``)."""
    return lattice.withheld(
        db,
        CELLS,
        resolved,
        options,
        table,
        period="cohort",
        shows=shows,
        locate=lambda rows: _cells(resolved, rows, band),
    )


def proven_reoffending(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = _counts(db, resolved, "index_tier")
    whole = counts.groupby(["cohort", "yjs"], as_index=False)[["children", "reoffenders", "reoffences"]].sum()
    counts = pd.concat([counts, whole.assign(index_tier=ALL_TIERS)], ignore_index=True)
    table = _grid(resolved, options, "index_tier", [*INDEX_TIERS, ALL_TIERS]).merge(
        counts, on=["cohort", "yjs", "index_tier"], how="left"
    )
    table = table.sort_values(["order", "yjs"], kind="stable").reset_index(drop=True)
    for column in ("children", "reoffenders", "reoffences"):
        table[column] = table[column].fillna(0).astype("int64")
    table["binary_rate"] = rate(table["reoffenders"], table["children"], 100)
    table["frequency_rate"] = rate(table["reoffences"], table["children"], 1)
    table["reoffences_per_reoffender"] = rate(table["reoffences"], table["reoffenders"], 1)
    table["complete"] = [complete_on(c) <= as_of for c, as_of in zip(table["cohort"], table["as_of"])]
    # The tiers add up to the cohort (its All row), the reoffenders and those who did not reoffend to the
    # cohort too: one lattice holds them all (so the 1 who did not reoffend withholds the 19 who did).
    everyone = _withheld(db, resolved, options, table, {"children": ("children",), "reoffences": ("reoffences",)}, ALL)
    reoffended = _withheld(db, resolved, options, table, {"reoffenders": ("children",)}, REOFFENDED)
    mask = everyone | reoffended
    mask["binary_rate"] = mask["children"] | mask["reoffenders"]
    mask["frequency_rate"] = mask["children"] | mask["reoffences"]
    mask["reoffences_per_reoffender"] = mask["reoffenders"] | mask["reoffences"]
    return table[COLUMNS], mask[COLUMNS]


def proven_reoffending_counts(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How many reoffenders had 1, 2, 3, 4 and 5 or more proven reoffences, per cohort and service."""
    band = "CASE WHEN reoffences >= 5 THEN '5+' ELSE CAST(reoffences AS VARCHAR) END AS band"
    counts = _counts(db, resolved, band)
    counts = counts[counts["band"] != "0"].rename(columns={"reoffences": "total", "band": "reoffences"})
    table = _grid(resolved, options, "reoffences", REOFFENCE_BANDS).merge(
        counts[["cohort", "yjs", "reoffences", "children"]], on=["cohort", "yjs", "reoffences"], how="left"
    )
    table = table.sort_values(["order", "yjs"], kind="stable").reset_index(drop=True)
    table["reoffenders"] = table["children"].fillna(0).astype("int64")
    # The bands add up to the cohort's reoffenders, which proven-reoffending shows: cells of its lattice.
    mask = _withheld(db, resolved, options, table, {"reoffenders": ("children",)}, "reoffences")
    return table[COUNT_COLUMNS], mask[COUNT_COLUMNS]


def reoffending_tracker(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each open cohort of the period so far, against the latest complete cohort at the same point.

    Like for like: "reoffended within the first N months" for both cohorts is a reoffence committed
    and proven on or before the child's index date + N months, N being the months every child of the
    open cohort has been followed (ingest's ``first_known_month``).

    For every child of the service together, whatever group is chosen (TRACKER_FILTERS): its points
    are differences of proven-reoffending's figures and of each other, which that lattice holds by
    group only as whole cohorts, so a group's tracker less the other groups' could give children back."""
    resolved = replace(resolved, filters=replace(resolved.filters, **dict.fromkeys(GROUP_FILTERS)))
    by_child = _counts(db, resolved, "first_known_month", whole_period=False)
    rows = []
    for (cohort, service), found in by_child.groupby(["cohort", "yjs"], sort=False):
        months = found["first_known_month"]
        rows.append(
            {
                "cohort": cohort,
                "yjs": service,
                "children": int(found["children"].sum()),
                "to_date": int(found.loc[months.notna(), "children"].sum()),
                "within": [int(found.loc[months <= n, "children"].sum()) for n in range(FOLLOW_UP_MONTHS + 1)],
            }
        )
    cohorts = pd.DataFrame(rows, columns=["cohort", "yjs", "children", "to_date", "within"])
    found = {(r.cohort, r.yjs): r for r in cohorts.itertuples()}
    out = []
    for row in _grid(resolved, options).itertuples():
        if complete_on(row.cohort) <= row.as_of:
            continue
        this = found.get((row.cohort, row.yjs))
        months = months_followed(row.cohort, row.as_of)
        previous = _last_complete(cohorts[cohorts["yjs"] == row.yjs], row.as_of)
        children = this.children if this else 0
        line = {
            "cohort": row.cohort,
            "yjs": row.yjs,
            "children": children,
            "months_followed": months,
            "months_to_go": FOLLOW_UP_MONTHS - months,
            "complete_on": complete_on(row.cohort),
            "previous_cohort": previous.cohort if previous else None,
            "later": (this.to_date - this.within[months]) if this and months else None,
        }
        if months and this and previous:
            line.update(
                reoffenders_so_far=this.within[months],
                previous_children=previous.children,
                previous_reoffenders_same_point=previous.within[months],
                previous_later=previous.to_date - previous.within[months],
            )
        out.append(line)
    table = pd.DataFrame(out, columns=[*TRACKER_COLUMNS, "later", "previous_later"])
    for column in (
        "children",
        "months_followed",
        "months_to_go",
        "reoffenders_so_far",
        "previous_children",
        "previous_reoffenders_same_point",
        "later",
        "previous_later",
    ):
        table[column] = table[column].astype("Int64")
    table["binary_rate_so_far"] = rate(table["reoffenders_so_far"], table["children"], 100)
    table["previous_binary_rate_same_point"] = rate(
        table["previous_reoffenders_same_point"], table["previous_children"], 100
    )
    differences = [
        difference_interval(*(None if pd.isna(v) else float(v) for v in values))
        for values in zip(
            table["reoffenders_so_far"],
            table["children"],
            table["previous_reoffenders_same_point"],
            table["previous_children"],
        )
    ]
    for index, name in enumerate(("difference", "difference_low", "difference_high")):
        table[name] = pd.Series([d[index] if d else None for d in differences], index=table.index, dtype="float64")
    table["reading"] = pd.Series(
        [
            compared_with(low, high, 0.0) if pd.notna(low) else None
            for low, high in zip(table["difference_low"], table["difference_high"])
        ],
        index=table.index,
        dtype="object",
    )
    table["complete_on"] = table["complete_on"].astype("object")
    # Who has not reoffended so far, and who reoffended only after the point compared (against the
    # figures proven-reoffending shows), are counts a reader can work out: withheld with what they follow from.
    table["not_so_far"] = table["children"] - table["reoffenders_so_far"]
    table["previous_not"] = table["previous_children"] - table["previous_reoffenders_same_point"]
    compared = ["difference", "difference_low", "difference_high", "reading"]
    this_cohort = ["reoffenders_so_far", "binary_rate_so_far", *compared]
    previous_cohort = ["previous_reoffenders_same_point", "previous_binary_rate_same_point", *compared]
    mask = suppression.withhold(
        table,
        [
            "children",
            "reoffenders_so_far",
            "not_so_far",
            "later",
            "previous_children",
            "previous_reoffenders_same_point",
            "previous_not",
            "previous_later",
        ],
        dependents={
            "children": this_cohort,
            "reoffenders_so_far": this_cohort,
            "not_so_far": this_cohort,
            "later": this_cohort,
            "previous_children": previous_cohort,
            "previous_reoffenders_same_point": previous_cohort,
            "previous_not": previous_cohort,
            "previous_later": previous_cohort,
        },
    )
    # A cohort's children and its reoffenders so far are shown by proven-reoffending too (its reoffenders
    # are the point's plus those after it): withheld wherever its lattice withholds them.
    for cohort, children, built in (
        ("cohort", "children", this_cohort),
        ("previous_cohort", "previous_children", previous_cohort),
    ):
        shown = table[[cohort, "yjs"]].rename(columns={cohort: "cohort"})
        mask.loc[_withheld_in_lattice(db, resolved, options, shown, ALL), [children, *built]] = True
        mask.loc[_withheld_in_lattice(db, resolved, options, shown, REOFFENDED), built] = True
    between = _between_points(cohorts, {**options["as_of"], **_services(resolved, options)})
    points = [(r.yjs, r.previous_cohort, r.months_followed) in between for r in table.itertuples()]
    mask.loc[points, previous_cohort] = True
    return table[TRACKER_COLUMNS], mask[TRACKER_COLUMNS]


def _last_complete(cohorts: pd.DataFrame, as_of: date):
    """The latest of a service's cohorts complete by ``as_of`` (a row of ``cohorts``), or None."""
    done = [r for r in cohorts.itertuples() if complete_on(r.cohort) <= as_of]
    return max(done, key=lambda r: parse_period(r.cohort)[0]) if done else None


def _between_points(cohorts: pd.DataFrame, as_of: dict[str, date]) -> set[tuple[str, str, int]]:
    """(service, last complete cohort, months) of the points to withhold. That cohort's reoffenders shown at
    two points (beside two open cohorts followed for different months) differ by the children first known
    to reoffend between them: where that is 1 to 4 the later point is withheld, until every two points
    differ by 0 or more than 4. Worked out over every open cohort of the service (``cohorts``: every
    cohort of the kind, whatever the period), so every view withholds the same points."""
    withheld = set()
    for service, found in cohorts.groupby("yjs"):
        previous = _last_complete(found, as_of[service])
        if previous is None:
            continue
        months = {
            months_followed(r.cohort, as_of[service])
            for r in found.itertuples()
            if complete_on(r.cohort) > as_of[service]
        }
        kept = None
        for point in sorted(m for m in months if m > 0):
            value = previous.within[point]
            if kept is not None and 0 < value - kept <= config.SUPPRESSION_MAX:
                withheld.add((service, previous.cohort, point))
            else:
                kept = value
    return withheld


def _withheld_in_lattice(db, resolved: Resolved, options: dict, cohorts: pd.DataFrame, band) -> pd.Series:
    """Whether each row's cohort (and service) has its children of ``band`` (ALL: every child;
    REOFFENDED: its reoffenders) withheld in proven-reoffending's lattice."""
    hidden = pd.Series(False, index=cohorts.index)
    known = cohorts["cohort"].notna()
    if resolved.suppressed and known.any():
        found = _withheld(db, resolved, options, cohorts[known], {"children": ("children",)}, band)
        hidden[known] = found["children"].to_numpy()
    return hidden


_SETTINGS = frozenset({"combine"})
MEASURES = [
    Measure(
        "proven-reoffending",
        tuple(COLUMNS),
        proven_reoffending,
        FILTERS,
        _SETTINGS,
        summary="proven reoffending by the national method: binary and frequency rates by cohort",
        order=9,
    ),
    Measure(
        "proven-reoffending-counts",
        tuple(COUNT_COLUMNS),
        proven_reoffending_counts,
        FILTERS,
        _SETTINGS,
        summary="reoffenders by how many proven reoffences they had (1, 2, 3, 4, 5 or more)",
        order=10,
    ),
    Measure(
        "reoffending-tracker",
        tuple(TRACKER_COLUMNS),
        reoffending_tracker,
        TRACKER_FILTERS,
        _SETTINGS,
        summary="the live tracker: each open cohort so far against the last complete one at the same point",
        order=11,
    ),
]
