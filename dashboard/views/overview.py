"""Overview: the board's headline figures, their change on last year and their trend."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..filters import period_label
from ..metrics.kpis import reasons
from .readings import change_from, change_in_words, shown_value
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
    tiers = context.measure("disposals", _whole_years(filters), breakdown="tier").table
    return tiers.pivot(index="period", columns="tier", values="count")


def custody(context, filters) -> Kpi:
    this, last, full = _years(context)
    counts = _tiers(context, filters, full).get("Custody", pd.Series(dtype="float64")).reindex(full)
    return Kpi("Custody", shown_value(counts.get(this), "{:,.0f} programmes"),
               *change_in_words(counts.get(this), counts.get(last), lower_is_better=True),
               note=f"Custodial sentences started, {this}", trend=counts.dropna())


def _at_the_end(kpi: str, title: str, what: str):
    """A KPI's share suitable at the end of orders (ETE, accommodation): the latest full year against the
    year before, for every service the viewer sees together, with what was not recorded."""
    def figure(context, filters) -> Kpi:
        this, last, full = _years(context)
        asked = _whole_years(filters)
        table = context.measure("kpis", asked, combine=True).table
        rows = table[(table["kpi"] == kpi) & (table["measure"] == "suitable_at_end")].set_index("period")
        if rows.empty:
            said = reasons(context.db, asked, context.viewer.scope).get(kpi, "Nothing to show for these filters.")
            return Kpi(title, "Not in this extract", said, "same", note="")
        # (count, base, rate), or (not recorded, base, percent): the last three columns either way.
        get = lambda period, source=rows: (tuple(None if pd.isna(v) else float(v) for v in source.loc[period].iloc[-3:])
                                           if period in source.index else (None, None, None))
        now = get(this)
        change, verdict = change_from(now, get(last), last)
        recording = context.measure("kpi-recording", asked, combine=True).table
        empty = recording[(recording["kpi"] == kpi) & (recording["measure"] == "suitable_at_end")].set_index("period")
        missing = get(this, empty)
        count = lambda v: "c" if v is None else f"{v:,.0f}"
        return Kpi(title, shown_value(now[2], "{:.0f}%"), change, verdict,
                   note=f"{this}, children whose intervention or order ended in the year",
                   trend=rows["rate"].reindex(full).astype("float64").dropna(), scale=(0, 100),
                   detail=f"{count(now[0])} of {count(now[1])} children",
                   quality=f"Not recorded: {count(missing[0])} of {count(missing[1])} children had no {what} "
                           "recorded at the end." if missing[1] is not None or missing[0] is not None else "")
    figure.__name__ = f"{kpi}_at_the_end"
    return figure


PAGE = PageSpec(
    key="overview", path="/", name="Overview", heading="Overview", order=0,
    lead="The partnership's key figures for the latest full financial year, compared with the year before. "
         "Each card says whether the change is better or worse.",
    definition="",
    headline_note="The overview always shows the latest full year against the year before: the period you chose "
                  "is used on the other pages.",
    kpis=(
        KpiSpec(first_time_entrants, "first-time-entrants"),
        KpiSpec(reoffending, "reoffending"),
        KpiSpec(custody, "disposals"),
        KpiSpec(_at_the_end("ete", "Education, training or employment at the end of orders",
                            "education, training or employment"), "kpis"),
        KpiSpec(_at_the_end("accommodation", "Suitable accommodation at the end of orders", "accommodation"), "kpis"),
    ),
)
