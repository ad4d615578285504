"""The measures of ../shared/spec: one module each, found here by their ``MEASURES`` declarations.

``compute(db, metric, filters, scope=..., **settings)`` limits the filters to what the scope may see
(access.py), validates them against the data, runs the measure's SQL and applies suppression (unless
``suppressed=False``, for the analysts' CLI only). Results are remembered per database version.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

import pandas as pd

from .. import suppression
from ..access import Scope
from ..filters import Filters, InvalidFilter, covered_years, describe, first_case_record, measure_settings, resolve
from .benchmarks import INDICATORS
from .common import RECORD_STARTS, Measure, MeasureResult, no_data
from .compare_areas import counted_periods, published_sources


def _discover() -> dict[str, Measure]:
    """Every ``Measure`` declared in this package's modules, by name."""
    found: dict[str, Measure] = {}
    for module in pkgutil.iter_modules(__path__):
        for measure in getattr(importlib.import_module(f"{__name__}.{module.name}"), "MEASURES", ()):
            if measure.name in found:
                raise RuntimeError(f"two measures are called {measure.name}")
            found[measure.name] = measure
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


MEASURES = _discover()


def filter_options(db) -> dict:
    """Every valid filter value, from the data; worked out once per database version."""
    with db.snapshot() as snap:
        return snap.remember("filter_options", lambda: _filter_options(snap))


def _filter_options(db) -> dict:
    services = db.query("SELECT yjs, as_of FROM extract_info ORDER BY yjs")
    localities = db.query("""
        SELECT DISTINCT yjs, locality FROM (
            SELECT yjs, locality FROM child UNION SELECT yjs, locality FROM programme
            UNION SELECT yjs, locality FROM population) l
        WHERE locality IS NOT NULL ORDER BY yjs, locality""")
    first_record = {
        records: {
            r.yjs: pd.Timestamp(r.first).date()
            for r in db.query(
                f"SELECT yjs, min({column}) AS first FROM {records} GROUP BY yjs ORDER BY yjs"
            ).itertuples()
        }
        for records, column in RECORD_STARTS.items()
    }
    programmes = db.query("""SELECT DISTINCT yjs, programme_name FROM programme
                             WHERE programme_name IS NOT NULL ORDER BY yjs, programme_name""")
    published = db.query("SELECT DISTINCT period, yjs, region FROM published_children ORDER BY period, yjs")
    indicators = db.query("SELECT DISTINCT measure, period FROM published_indicator ORDER BY measure, period")
    starts = db.query("SELECT min(start_date) AS first, max(start_date) AS last FROM programme_fact").iloc[0]
    as_of = {r.yjs: pd.Timestamp(r.as_of).date() for r in services.itertuples()}
    years, latest_complete = covered_years(first_case_record(first_record, as_of), max(as_of.values(), default=None))
    return {
        "yjs": services["yjs"].tolist(),
        "as_of": as_of,
        "first_record": first_record,
        "localities": {y: g["locality"].tolist() for y, g in localities.groupby("yjs")},
        "all_localities": sorted(localities["locality"].unique().tolist()),
        "programmes": sorted(programmes["programme_name"].unique().tolist()),
        "programmes_by_yjs": {y: g["programme_name"].tolist() for y, g in programmes.groupby("yjs")},
        "years": years,
        "latest_complete_year": latest_complete,
        "published_yjs": sorted(published["yjs"].unique().tolist()),
        "regions": sorted(published["region"].unique().tolist()),
        "published_years": sorted({int(p[:4]) for p in published["period"]}),
        #: Each published comparator (benchmarks.INDICATORS, in that order) and its periods, oldest first.
        "indicator_periods": {
            m: indicators.loc[indicators["measure"] == m, "period"].tolist()
            for m in INDICATORS
            if (indicators["measure"] == m).any()
        },
        "programme_starts": tuple(None if pd.isna(d) else pd.Timestamp(d).date() for d in starts),
    }


def service_areas(db) -> pd.DataFrame:
    """Which county or unitary authorities (April 2019 codes) each published YJS covers, for the map."""
    with db.snapshot() as snap:
        return snap.remember("service_areas", lambda: snap.query("SELECT yjs, ctyua_code, ctyua_name FROM yjs_area"))


def measure(metric: str) -> Measure:
    """The measure called ``metric``; InvalidFilter naming the valid ones otherwise."""
    if not isinstance(metric, str) or metric not in MEASURES:
        raise InvalidFilter(f"unknown metric '{metric}'; valid choices: {', '.join(MEASURES)}")
    return MEASURES[metric]


def validate(db, metric: str, filters: Filters, *, scope: Scope, **settings):
    """The filters and settings resolved for ``metric`` as ``scope`` may see them, without running it:
    InvalidFilter or AccessDenied as ``compute`` would raise (for checking a link once for a page)."""
    found = measure(metric)
    with db.snapshot() as snap:
        options = filter_options(snap)
        if not found.published:
            filters, options = scope.check(filters, options)
        return resolve(
            filters,
            found.filters,
            options,
            settings=measure_settings(settings),
            takes=found.settings,
            published=found.published,
            default_period=found.default_period,
            services=None if found.published else scope.services,
        )


def compute(
    db, metric: str, filters: Filters | None = None, *, scope: Scope, suppressed: bool = True, **settings
) -> MeasureResult:
    """One measure for the given filters and settings, as ``scope`` may see it; raises InvalidFilter
    for an unknown metric, value or setting, AccessDenied for a service or breakdown outside the scope.

    ``db`` is a database or one snapshot of it: the whole measure reads one version. Results are
    remembered per version, keyed by everything that makes them (metric, filters once limited to the
    scope, settings, scope, suppressed); they are shared, so callers must not modify them."""
    found = measure(metric)
    chosen = measure_settings(settings)
    not_taken = sorted(set(chosen.chosen()) - found.settings)
    if not_taken:
        raise InvalidFilter(f"{', '.join(not_taken)} does not apply to {metric}")
    filters = filters or Filters()
    with db.snapshot() as snap:
        options = filter_options(snap)
        # The published tables (areas) are open data, the same for everyone.
        if not found.published:
            filters, options = scope.check(filters, options)
        key = ("measure", metric, filters, chosen, scope, suppressed)
        return snap.remember(key, lambda: _compute(snap, found, filters, chosen, options, scope, suppressed))


def _compute(
    db, found: Measure, filters: Filters, settings, options: dict, scope: Scope, suppressed: bool
) -> MeasureResult:
    services = None if found.published else scope.services
    resolved = resolve(
        filters,
        found.filters,
        options,
        settings=settings,
        takes=found.settings,
        published=found.published,
        default_period=found.default_period,
        services=services,
    )
    resolved = replace(resolved, drill_down=scope.drill_down, suppressed=suppressed)
    one_quarter = bool(filters.period) and " Q" in filters.period
    nesting = found.quarters
    again = dict(scope=scope, **resolved.settings.chosen())
    if suppressed and one_quarter and nesting and nesting.additive:
        # One quarter is cut from its whole year by quarter, so it is withheld exactly as there.
        year = compute(db, found.name, replace(filters, period=filters.period[:7], by_quarter=True), **again)
        keep = (year.table[nesting.period] == filters.period).to_numpy()
        return MeasureResult(
            found.name,
            year.table[keep].reset_index(drop=True),
            year.withheld[keep].reset_index(drop=True),
            describe(resolved),
            resolved.ignored,
            resolved.settings,
        )
    table, mask = found.run(db, resolved, options)
    if not suppressed:
        mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    elif resolved.by_quarter and nesting and not one_quarter:
        years = compute(db, found.name, replace(filters, by_quarter=False), **again)
        mask = suppression.nest_quarters(
            table,
            mask,
            years.table,
            years.withheld,
            period=nesting.period,
            keys=list(nesting.keys),
            cells=list(nesting.cells),
            totals=list(nesting.totals),
        )
    if found.coverage:
        table, mask = no_data(table, mask, resolved, options, found.coverage)
    return MeasureResult(
        found.name, suppression.apply(table, mask), mask, describe(resolved), resolved.ignored, resolved.settings
    )


__all__ = [
    "MEASURES",
    "InvalidFilter",
    "Measure",
    "MeasureResult",
    "compute",
    "counted_periods",
    "filter_options",
    "measure",
    "published_sources",
    "service_areas",
    "validate",
]
