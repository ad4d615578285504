"""programme-reoffending (windows around a programme) and reoffending-curve (Kaplan-Meier).

The cohort is each child's earliest programme that passes the filters and started in the period;
its windows and follow-up were worked out at ingest (ingest/derive.py), so here we only count.
"""

from __future__ import annotations

import itertools
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from .. import config, disclosure
from ..disclosure import Dimension
from ..filters import Resolved, financial_year_of
from ..ingest.derive import MARKED_BY
from . import lattice
from .common import Measure, label_periods, period_columns, where
from .sources import PROGRAMME_STARTS

WINDOW_COLUMNS = ["cohort", "window", "children_at_risk", "children_offended", "offences", "rate"]
CURVE_COLUMNS = ["cohort", "day", "at_risk", "events", "censored", "survival", "reoffended", "ci_low", "ci_high"]
#: The exact 97.5% normal quantile, as lifelines and statsmodels use for survival intervals.
Z_95 = NormalDist().inv_cdf(0.975)
#: window -> (SQL: is the child at risk, SQL: offences in the window)
WINDOW_SQL = {
    "pre": ("1 = 1", "offences_pre"),
    "during": ("1 = 1", "offences_during"),
    "0-3m": ("at_risk_0_3", "offences_0_3"),
    "3-6m": ("at_risk_3_6", "offences_3_6"),
    "6-9m": ("at_risk_6_9", "offences_6_9"),
    "9-12m": ("at_risk_9_12", "offences_9_12"),
}


#: Filters on the child rather than the programme: they never change which programme is a child's first.
CHILD_FILTERS = {"yjs", "sex", "ethnicity_group"}
ON_PROGRAMME = {name: column for name, column in PROGRAMME_STARTS.filters.items() if name not in CHILD_FILTERS}
assert set(ON_PROGRAMME.values()) == set(MARKED_BY)


def _cohort_sql(resolved: Resolved, options: dict) -> tuple[str, dict]:
    """Each child's earliest programme that passes the filters and started in the period."""
    clause, params = where(resolved, "start_date", PROGRAMME_STARTS)
    first = _marked_first(resolved, options)
    if first:
        return f"WITH cohort AS (SELECT * FROM programme_fact WHERE {first} AND {clause})", params
    return (
        f"""
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY yjs, child_id ORDER BY start_date, programme_id) AS nth
            FROM programme_fact WHERE {clause}
        ), cohort AS (SELECT * FROM ranked WHERE nth = 1)""",
        params,
    )


def _marked_first(resolved: Resolved, options: dict) -> str | None:
    """The column of programme_fact marking the cohort when ingest has already found it: at most
    one filter on the programme itself, and a period holding every programme start or one
    financial year (ingest/derive.py marks each child's first programme for those)."""
    on_programme = [ON_PROGRAMME[name] for name in sorted(ON_PROGRAMME) if getattr(resolved.filters, name) is not None]
    if len(on_programme) > 1:
        return None
    by = f"_by_{on_programme[0]}" if on_programme else ""
    first, last = options["programme_starts"]
    if first is None or (resolved.start <= first and resolved.end >= last):
        return f"first_ever{by}"
    year = financial_year_of(resolved.start)
    if (resolved.start, resolved.end) == (date(year, 4, 1), date(year + 1, 3, 31)):
        return f"first_in_year{by}"
    return None


def _cohort_windows(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per child of the cohort and window, for the lattice: each child's earliest programme
    in the period, or with ``ranked``, their earliest of each value of those filters (as the page's
    cohort is when one is chosen). The children at risk who did not offend are counted too: a reader
    could take the children who offended from those at risk."""
    clause, params = where(resolved, "start_date", PROGRAMME_STARTS)
    by = "".join(f", {PROGRAMME_STARTS.filters[name]}" for name in ranked)
    filters = PROGRAMME_STARTS.columns(PROGRAMME_STARTS.group_filters())
    windows = " UNION ALL ".join(
        f"""SELECT start_fy AS fy, start_quarter AS quarter, yjs, {", ".join(PROGRAMME_STARTS.group_filters())},
                   '{w}' AS follow_up, CASE WHEN {risk} THEN 1 ELSE 0 END AS children_at_risk,
                   CASE WHEN {risk} AND {offences} > 0 THEN 1 ELSE 0 END AS children_offended,
                   CASE WHEN {risk} AND {offences} > 0 THEN 0 WHEN {risk} THEN 1 ELSE 0 END AS children_not_offended
            FROM cohort"""
        for w, (risk, offences) in WINDOW_SQL.items()
    )
    return (
        f"""
        WITH ranked AS (
            SELECT start_fy, start_quarter, yjs, {filters}, {", ".join(o for _, o in WINDOW_SQL.values())},
                   {", ".join(dict.fromkeys(r for r, _ in WINDOW_SQL.values() if r != "1 = 1"))},
                   row_number() OVER (PARTITION BY yjs, child_id{by} ORDER BY start_date, programme_id) AS nth
            FROM programme_fact WHERE {clause}
        ), cohort AS (SELECT * FROM ranked WHERE nth = 1)
        {windows}""",
        params,
    )


#: A child's sex and ethnic group never change which programme is their first; the filters on the
#: programme do (a child's first programme of each disposal type): their cohorts are protected apart.
WINDOW_CELLS = lattice.Cells(
    rows=_cohort_windows,
    counts=("children_at_risk", "children_offended", "children_not_offended"),
    dimensions=(Dimension("quarter"), Dimension("yjs")),
    filters=tuple(sorted(CHILD_FILTERS - {"yjs"})),
    apart=tuple(f for f in PROGRAMME_STARTS.group_filters() if f not in CHILD_FILTERS),
    fixed=("fy", "follow_up"),
    dependants={
        "children_at_risk": ("children_offended", "children_not_offended"),
        "children_not_offended": ("children_offended",),
    },
    per_period=True,
)


def programme_reoffending(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    cohort, params = _cohort_sql(resolved, options)
    sums = ",\n".join(
        f"""sum(CASE WHEN {risk} THEN 1 ELSE 0 END) AS "{w}|children_at_risk",
            sum(CASE WHEN {risk} AND {offences} > 0 THEN 1 ELSE 0 END) AS "{w}|children_offended",
            sum(CASE WHEN {risk} THEN {offences} ELSE 0 END) AS "{w}|offences" """
        for w, (risk, offences) in WINDOW_SQL.items()
    )
    wide = db.query(
        f"""{cohort}
        SELECT {period_columns(resolved, "start_fy", "start_quarter")}, {sums}
        FROM cohort GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )
    if wide.empty:
        table = pd.DataFrame(columns=WINDOW_COLUMNS)
        return table, pd.DataFrame(False, index=table.index, columns=table.columns)
    wide["cohort"] = label_periods(wide)
    long = wide.drop(columns=["fy", "quarter"]).melt(id_vars="cohort")
    long[["window", "measure"]] = long["variable"].str.split("|", expand=True)
    table = long.pivot_table(index=["cohort", "window"], columns="measure", values="value", sort=False).reset_index()
    table["window_order"] = table["window"].map({w: i for i, w in enumerate(config.WINDOWS)})
    table = table.sort_values(["cohort", "window_order"]).reset_index(drop=True)
    for column in ("children_at_risk", "children_offended", "offences"):
        table[column] = table[column].astype("int64")
    at_risk = table["children_at_risk"].astype("float64")
    table["rate"] = (table["children_offended"] / at_risk.where(at_risk > 0)).astype("float64")
    table = table[WINDOW_COLUMNS]
    offended = ("children_offended",)
    return table, lattice.withheld(
        db,
        WINDOW_CELLS,
        resolved,
        options,
        table,
        period="cohort",
        locate=lambda rows: rows[["window"]].rename(columns={"window": "follow_up"}),
        shows={
            "children_at_risk": ("children_at_risk",),
            "children_offended": offended,
            "offences": offended,
            "rate": offended,
        },
    )


def kaplan_meier(days: pd.DataFrame) -> pd.DataFrame:
    """Survival, reoffended and its exponential Greenwood (log-log) 95% interval for one cohort.

    ``days`` has one row per day with events and censored counts, day 0 included."""
    days = days.sort_values("day").reset_index(drop=True)
    return days.assign(**_kaplan_meier(days["day"].to_numpy(), days["events"].to_numpy(), days["censored"].to_numpy()))


def _kaplan_meier(day: np.ndarray, events: np.ndarray, censored: np.ndarray) -> dict[str, np.ndarray]:
    """The estimate on plain arrays sorted by day (a curve has hundreds of days, a page many
    curves: pandas per curve cost more than the SQL)."""
    at_risk = (events + censored)[::-1].cumsum()[::-1]
    d, n = events.astype("float64"), at_risk.astype("float64")
    survival = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(d / (n * (n - d)))
        log_s = np.log(survival)
        spread = Z_95 * np.sqrt(greenwood) / np.abs(log_s)
        s_low = np.exp(-np.exp(np.log(-log_s) + spread))
        s_high = np.exp(-np.exp(np.log(-log_s) - spread))
    defined = (survival > 0) & (survival < 1)
    return {
        "at_risk": at_risk.astype("int64"),
        "survival": survival,
        "reoffended": 1 - survival,
        "ci_low": np.where(defined, 1 - s_high, np.where(survival == 1, 0.0, np.nan)),
        "ci_high": np.where(defined, 1 - s_low, np.where(survival == 1, 0.0, np.nan)),
    }


def reoffending_curve(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    cohort, params = _cohort_sql(resolved, options)
    days = db.query(
        f"""{cohort}
        SELECT {period_columns(resolved, "start_fy", "start_quarter")}, days_followed AS day,
               sum(CASE WHEN reoffended THEN 1 ELSE 0 END) AS events,
               sum(CASE WHEN reoffended THEN 0 ELSE 1 END) AS censored
        FROM cohort WHERE end_date IS NOT NULL
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        params,
    )
    labels = label_periods(days).to_numpy()
    columns = {name: days[name].to_numpy(dtype="int64") for name in ("day", "events", "censored")}
    # Rows come ordered by cohort then day: each cohort is one run of rows.
    starts = [0, *np.flatnonzero(labels[1:] != labels[:-1]) + 1, len(labels)] if len(labels) else [0]
    curves = []
    for first, stop in itertools.pairwise(starts):
        day, events, censored = (columns[name][first:stop] for name in ("day", "events", "censored"))
        if not (day == 0).any():
            day, events, censored = (np.concatenate([[0], values]) for values in (day, events, censored))
        curve = {
            "cohort": np.full(len(day), labels[first], dtype=object),
            "day": day,
            "events": events,
            "censored": censored,
            **_kaplan_meier(day, events, censored),
        }
        curves.append(pd.DataFrame(curve)[CURVE_COLUMNS])
    table = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    for column in ("day", "at_risk", "events", "censored"):
        table[column] = table[column].astype("int64")
    for column in ("survival", "reoffended", "ci_low", "ci_high"):
        table[column] = table[column].astype("float64")
    if not resolved.suppressed:
        return table, pd.DataFrame(False, index=table.index, columns=table.columns)
    return disclosure.protect_curve(table)


MEASURES = [
    Measure(
        "programme-reoffending",
        tuple(WINDOW_COLUMNS),
        programme_reoffending,
        PROGRAMME_STARTS.applies(),
        summary="offending before, during and after each child's first programme",
        order=5,
    ),
    Measure(
        "reoffending-curve",
        tuple(CURVE_COLUMNS),
        reoffending_curve,
        PROGRAMME_STARTS.applies(),
        summary="time to reoffend after a programme ends (Kaplan-Meier)",
        order=6,
    ),
]
