"""Overview: the board's headline figures, their change on last year and their trend."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..config import YOUTH_DETENTION
from ..filters import period_label
from .custody import not_followed_by_custody
from .disproportionality import STAGE_WORDS, significant_gaps
from .readings import change_in_words, shown_value
from .render import Kpi
from .reoffending import live_so_far, whole_cohorts
from .spec import KpiSpec, PageSpec
from .standing import standing


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
               note=f"{this}, children aged 10 to 17", trend=fte.dropna(),
               standing=standing(context, filters, "fte_rate_per_100000").text)


def reoffending(context, filters) -> Kpi:
    """Proven reoffending by the national method: the latest complete cohort against the one before, with
    the most advanced live cohort's figure so far beside it."""
    result = context.measure("proven-reoffending", _whole_years(filters), combine=True)
    whole = whole_cohorts(result).set_index("cohort")
    rates = whole.loc[whole["complete"].astype(bool) & whole["children"].fillna(1).gt(0), "binary_rate"] / 100
    latest = rates.index[-1] if len(rates) else None
    dates = context.options["as_of"]
    live = live_so_far(result, dates.get(filters.yjs) or min(dates.values()))
    return Kpi("Proven reoffending", shown_value(rates.get(latest), "{:.1%}"),
               *change_in_words(rates.get(latest), rates.iloc[-2] if len(rates) > 1 else None, True, "points"),
               note=(f"Children cautioned, sentenced or released from custody in {latest}, proven to reoffend "
                     f"within 12 months" if latest else "No cohort followed for the full 18 months yet") +
                    (f". Live: {live}." if live else "."),
               trend=rates.dropna() * 100)


def _tiers(context, filters, full) -> pd.DataFrame:
    tiers = context.measure("disposals", _whole_years(filters), breakdown="tier").table
    return tiers.pivot(index="period", columns="tier", values="count")


def custody(context, filters) -> Kpi:
    """Children sentenced to custody per 1,000 aged 10 to 17, with the remands to youth detention and the
    share of those ended not followed by custody (the YJB's "use of custody and remands")."""
    this, last, full = _years(context)
    sentenced = context.measure("use-of-custody", _whole_years(filters), combine=True).table.set_index("period")
    rates = sentenced["rate_per_1000"].reindex(full)
    said = [f"{this}: {shown_value(sentenced['children'].get(this), '{:,.0f}')} children sentenced to custody"]
    remands = context.measure("remands", _whole_years(filters), combine=True).table
    if remands.empty:
        said.append("remands are not in this extract")
    else:
        detention = remands[remands["remand_type"] == YOUTH_DETENTION].set_index("period")["remands"]
        share = not_followed_by_custody(context.measure("remand-outcomes", _whole_years(filters), combine=True))
        said.append(f"remands to youth detention: {shown_value(detention.get(this), '{:,.0f}')}; not followed by "
                    f"custody: {shown_value(share.get(this), '{:.0%}')} of those ended")
    return Kpi("Custody and remands", shown_value(rates.get(this), "{:.2f} per 1,000"),
               *change_in_words(rates.get(this), rates.get(last), lower_is_better=True),
               note="; ".join(said), trend=rates.dropna())


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
        KpiSpec(custody, "custody"),
        KpiSpec(diversion, "disposals"),
        KpiSpec(disproportionality, "disproportionality"),
    ),
)
