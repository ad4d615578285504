"""Overview: the board's headline figures, their change on last year and their trend."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .. import config
from ..filters import period_label
from .disproportionality import STAGE_WORDS, significant_gaps
from .readings import change_in_words, shown_value
from .render import Kpi
from .spec import KpiSpec, PageSpec


def _whole_years(filters):
    """The overview compares the latest full year with the one before, whatever period is chosen."""
    return replace(filters, period=None, by_quarter=False)


def _years(context) -> tuple[str, str, list[str]]:
    latest = context.options["latest_complete_year"]
    full = [period_label(y) for y in context.options["years"] if y <= latest]
    return period_label(latest), period_label(latest - 1), full


def first_time_entrants(context, filters) -> Kpi:
    this, last, full = _years(context)
    fte = context.measure("fte", _whole_years(filters), combine=True).table.set_index("period")["rate_per_100000"]
    fte = fte.reindex(full)
    return Kpi("First-time entrants", shown_value(fte.get(this), "{:,.0f} per 100,000"),
               *change_in_words(fte.get(this), fte.get(last), lower_is_better=True),
               note=f"{this}, children aged 10 to 17", trend=fte.dropna())


def reoffending(context, filters) -> Kpi:
    latest = context.options["latest_complete_year"]
    last = period_label(latest - 1)
    curve = context.measure("reoffending-curve", _whole_years(filters)).table
    within_year = (curve[curve["day"] <= 365].groupby("cohort")["reoffended"].last()
                   .reindex([period_label(y) for y in context.options["years"] if y <= latest - 1]))
    return Kpi("Reoffended within 12 months", shown_value(within_year.get(last), "{:.0%}"),
               *change_in_words(within_year.get(last), within_year.get(period_label(latest - 2)), True, "points"),
               note=f"Children whose programme started in {last}; any recorded offence",
               trend=within_year.dropna() * 100)


def _tiers(context, filters, full) -> pd.DataFrame:
    """Programmes started by tier and year. The measure lists only the tiers that occur, so a tier the
    filters leave out (a disposal type of another tier) has none: 0, not a missing column."""
    tiers = context.measure("disposals", _whole_years(filters), breakdown="tier").table
    return tiers.pivot(index="period", columns="tier", values="count").reindex(columns=list(config.TIERS),
                                                                             fill_value=0)


def custody(context, filters) -> Kpi:
    this, last, full = _years(context)
    counts = _tiers(context, filters, full).get("Custody", pd.Series(dtype="float64")).reindex(full)
    return Kpi("Custody", shown_value(counts.get(this), "{:,.0f} programmes"),
               *change_in_words(counts.get(this), counts.get(last), lower_is_better=True),
               note=f"Custodial sentences started, {this}", trend=counts.dropna())


def diversion(context, filters) -> Kpi:
    this, last, full = _years(context)
    tiers = _tiers(context, filters, full)
    formal = tiers.drop(columns=["Prevention"], errors="ignore")
    share = (tiers.get("Diversion") / formal.sum(axis=1, min_count=len(formal.columns), skipna=False)).reindex(full)
    return Kpi("Diversion", shown_value(share.get(this), "{:.0%} of outcomes"),
               *change_in_words(share.get(this), share.get(last), False, "points"),
               note=f"Community resolutions and Outcome 22 among all outcomes, {this}", trend=share.dropna() * 100)


def disproportionality(context, filters) -> Kpi:
    this, _, _ = _years(context)
    found = significant_gaps(context.measure("disproportionality", replace(_whole_years(filters), period=this)))
    if found.empty:
        return Kpi("Disproportionality", "No significant gap", "No group was significantly over-represented "
                   "at any stage.", "same", note=f"{this}, by ethnic group against White children")
    top = found.iloc[0]
    return Kpi("Disproportionality", f"{top['rri']:.1f} times",
               f"{top['group']} children were {top['rri']:.1f} times as likely as White children to reach "
               f"{STAGE_WORDS[top['stage']]} (significant).", "worse",
               note=f"{this}. {len(found)} significant gap(s) in all: see Disproportionality.")


PAGE = PageSpec(
    key="overview", path="/", name="Overview", heading="Overview", order=0,
    lead="The partnership's key figures for the latest full financial year, compared with the year before. "
         "Each card says whether the change is better or worse.",
    definition="",
    kpis=(
        KpiSpec(first_time_entrants, "first-time-entrants"),
        KpiSpec(reoffending, "reoffending"),
        KpiSpec(custody, "disposals"),
        KpiSpec(diversion, "disposals"),
        KpiSpec(disproportionality, "disproportionality"),
    ),
)
