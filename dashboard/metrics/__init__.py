"""The measures of ../shared/spec/metrics.md: one function each, shared by the CLI and the pages.

``compute(db, metric, filters, viewer=...)`` limits the filters to what the viewer may see (access.py),
validates them against the data, runs the measure's SQL and applies suppression (unless
``suppressed=False``, for the analysts' CLI only).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from .. import config, suppression
from ..access import Viewer
from ..db import Database
from ..filters import Filters, InvalidFilter, describe, financial_year_of, resolve
from .areas import areas
from .common import MeasureResult
from .disposals import disposals
from .disproportionality import disproportionality
from .first_time_entrants import first_time_entrants
from .referrals import referrals
from .reoffending import programme_reoffending, reoffending_curve

MEASURES = {
    "fte": first_time_entrants,
    "disposals": disposals,
    "referrals": referrals,
    "disproportionality": disproportionality,
    "programme-reoffending": programme_reoffending,
    "reoffending-curve": reoffending_curve,
    "areas": areas,
}
#: Measures that pool one window rather than splitting by year; their default is the latest full year.
POOLED = {"disproportionality"}
#: Measures split by quarter, suppressed against their yearly figures for the same period:
#: (period column, row keys, cells, keys whose totals are shown too).
QUARTERLY = {
    "fte": ("period", ["yjs"], ["fte", "fte_knife_or_weapon", "rate_per_100000"], []),
    "disposals": ("period", ["disposal_type", "tier"], ["count"], ["tier"]),
    "referrals": ("period", ["locality", "referral_source", "age"], ["count"], []),
    "programme-reoffending": ("cohort", ["window"], ["children_at_risk", "children_offended", "offences", "rate"], []),
}
#: Of those, the counts of events that simply add up over quarters: one quarter is cut from its year.
#: (A reoffending cohort is the children whose first programme in the chosen period began then.)
ADDITIVE = {"fte", "disposals", "referrals"}
assert tuple(MEASURES) == config.METRICS


def filter_options(db: Database) -> dict:
    """Every valid filter value, from the data; cached until the database file changes."""
    return db.memo("filter_options", lambda: _filter_options(db))


def _filter_options(db: Database) -> dict:
    services = db.query("SELECT yjs, as_of FROM extract_info ORDER BY yjs")
    localities = db.query("""
        SELECT DISTINCT yjs, locality FROM (
            SELECT yjs, locality FROM child UNION SELECT yjs, locality FROM programme
            UNION SELECT yjs, locality FROM population) l
        WHERE locality IS NOT NULL ORDER BY yjs, locality""")
    first = db.scalar("""SELECT min(d) FROM (SELECT min(offence_date) AS d FROM offence
                         UNION ALL SELECT min(outcome_date) FROM outcome
                         UNION ALL SELECT min(referral_date) FROM programme) m""")
    programmes = db.query("""SELECT DISTINCT yjs, programme_name FROM programme
                             WHERE programme_name IS NOT NULL ORDER BY yjs, programme_name""")
    published = db.query("SELECT DISTINCT period, yjs, region FROM published_children ORDER BY period, yjs")
    starts = db.query("SELECT min(start_date) AS first, max(start_date) AS last FROM programme_fact").iloc[0]
    years: list[int] = []
    latest_complete = None
    if not services.empty and first is not None:
        last_as_of: date = pd.Timestamp(services["as_of"].max()).date()
        last = financial_year_of(last_as_of)
        years = list(range(financial_year_of(pd.Timestamp(first).date()), last + 1))
        latest_complete = last if (last_as_of.month, last_as_of.day) == (3, 31) else last - 1
    return {
        "yjs": services["yjs"].tolist(),
        "as_of": {r.yjs: pd.Timestamp(r.as_of).date() for r in services.itertuples()},
        "localities": {y: g["locality"].tolist() for y, g in localities.groupby("yjs")},
        "all_localities": sorted(localities["locality"].unique().tolist()),
        "programmes": sorted(programmes["programme_name"].unique().tolist()),
        "programmes_by_yjs": {y: g["programme_name"].tolist() for y, g in programmes.groupby("yjs")},
        "years": years,
        "latest_complete_year": latest_complete,
        "published_yjs": sorted(published["yjs"].unique().tolist()),
        "regions": sorted(published["region"].unique().tolist()),
        "published_years": sorted({int(p[:4]) for p in published["period"]}),
        "programme_starts": tuple(None if pd.isna(d) else pd.Timestamp(d).date() for d in starts),
    }


def service_areas(db: Database) -> pd.DataFrame:
    """Which county or unitary authorities (April 2019 codes) each published YJS covers, for the map."""
    return db.memo("service_areas", lambda: db.query("SELECT yjs, ctyua_code, ctyua_name FROM yjs_area"))


def compute(db: Database, metric: str, filters: Filters | None = None, *, viewer: Viewer,
            suppressed: bool = True) -> MeasureResult:
    """One measure for the given filters, as ``viewer`` may see it; raises InvalidFilter for an
    unknown metric or value, AccessDenied for a service or breakdown outside the viewer's view.

    Results are remembered per loaded database, keyed by the whole Filters value once limited to the
    viewer's view (every field, whatever is added to it) and ``suppressed``; they are shared, so
    callers must not modify them."""
    if metric not in MEASURES:
        raise InvalidFilter(f"unknown metric '{metric}'; valid choices: {', '.join(MEASURES)}")
    filters = filters or Filters()
    # The published tables (areas) are open data, the same for everyone.
    restricted, options = (filters, filter_options(db)) if metric == "areas" else \
        viewer.restrict(filters, filter_options(db))
    return db.remember(("measure", metric, restricted, suppressed),
                       lambda: _compute(db, metric, restricted, options, viewer, suppressed))


def _compute(db: Database, metric: str, filters: Filters, options: dict, viewer: Viewer,
             suppressed: bool) -> MeasureResult:
    resolved = resolve(filters, metric, options, default_period="latest" if metric in POOLED else "all")
    one_quarter = bool(filters.period) and " Q" in filters.period
    if suppressed and one_quarter and metric in ADDITIVE:
        # One quarter is cut from its whole year by quarter, so it is withheld exactly as there.
        year = compute(db, metric, replace(filters, period=filters.period[:7], by_quarter=True), viewer=viewer)
        keep = (year.table[QUARTERLY[metric][0]] == filters.period).to_numpy()
        return MeasureResult(metric, year.table[keep].reset_index(drop=True),
                             year.withheld[keep].reset_index(drop=True), describe(resolved), resolved.ignored)
    table, mask = MEASURES[metric](db, resolved, options)
    if not suppressed:
        mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    elif resolved.by_quarter and metric in QUARTERLY and not one_quarter:
        years = compute(db, metric, replace(filters, by_quarter=False), viewer=viewer)
        period, keys, cells, totals = QUARTERLY[metric]
        mask = suppression.nest_quarters(table, mask, years.table, years.withheld, period=period, keys=keys,
                                         cells=cells, totals=totals)
    return MeasureResult(metric, suppression.apply(table, mask), mask, describe(resolved), resolved.ignored,
                         reference=resolved.filters.reference if metric == "disproportionality" else None)


__all__ = ["MEASURES", "MeasureResult", "compute", "filter_options", "service_areas", "InvalidFilter"]
