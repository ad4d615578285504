"""The measures of ../shared/spec/metrics.md: one function each, shared by the CLI and the pages.

``compute(db, metric, filters)`` validates the filters against the data, runs the measure's SQL and
applies suppression (unless ``suppressed=False``, for the analysts' CLI only).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .. import config, suppression
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
        "programmes": sorted(db.query(
            "SELECT DISTINCT programme_name FROM programme WHERE programme_name IS NOT NULL")["programme_name"]),
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


def compute(db: Database, metric: str, filters: Filters | None = None, *, suppressed: bool = True) -> MeasureResult:
    """One measure for the given filters; raises InvalidFilter for an unknown metric or value.

    Results are remembered per loaded database, keyed by the whole Filters value (every field,
    whatever is added to it) and ``suppressed``; they are shared, so callers must not modify them."""
    if metric not in MEASURES:
        raise InvalidFilter(f"unknown metric '{metric}'; valid choices: {', '.join(MEASURES)}")
    filters = filters or Filters()
    return db.remember(("measure", metric, filters, suppressed), lambda: _compute(db, metric, filters, suppressed))


def _compute(db: Database, metric: str, filters: Filters, suppressed: bool) -> MeasureResult:
    resolved = resolve(filters, metric, filter_options(db),
                       default_period="latest" if metric in POOLED else "all")
    table, mask = MEASURES[metric](db, resolved, filter_options(db))
    if not suppressed:
        mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    return MeasureResult(metric, suppression.apply(table, mask), mask, describe(resolved), resolved.ignored)


__all__ = ["MEASURES", "MeasureResult", "compute", "filter_options", "service_areas", "InvalidFilter"]
