"""Overview: the board's headline figures for a financial year, their change on the year before and their trend."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..config import YOUTH_DETENTION
from ..filters import financial_year_of, parse_period, period_label
from ..metrics.kpis import reasons
from .custody import not_followed_by_custody
from .readings import change_from, change_in_words, shown_value
from .render import Kpi
from .reoffending import live_so_far, whole_cohorts
from .spec import KpiSpec, PageSpec
from .standing import standing
from .texts import words


def _whole_years(filters):
    """Every year of the measure: the card picks its year and the one before, and draws the years to it."""
    return replace(filters, period=None, by_quarter=False)


def _years(context, filters) -> tuple[str, str, list[str]]:
    """The year the figures are for (``shown_year``), the year before it and the full years up to it."""
    shown = shown_year(context, filters)
    full = [period_label(y) for y in context.options["years"] if y <= shown]
    return period_label(shown), period_label(shown - 1), full


def shown_year(context, filters) -> int:
    """The financial year the headline figures are for: the chosen period's (a quarter's year: the figures
    compare whole years), else the latest full year. A year not over yet is never compared with a full
    one: the latest full year is shown instead (``period_note`` says so)."""
    latest = context.options["latest_complete_year"]
    return min(_chosen_year(filters), latest) if filters.period else latest


def _chosen_year(filters) -> int:
    """The financial year the chosen period starts in (a quarter's year)."""
    return financial_year_of(parse_period(filters.period)[0])


def period_note(context, filters) -> str:
    """Said above the figures when they do not show the period exactly as chosen."""
    if not filters.period:
        return ""
    shown = period_label(shown_year(context, filters))
    if _chosen_year(filters) > context.options["latest_complete_year"]:
        return (
            f"{filters.period.partition(' ')[0]} is not over yet, so it is not compared with a full year: the "
            f"headline figures are for the latest full year, {shown}."
        )
    if " Q" in filters.period:
        return f"The headline figures compare whole years: {filters.period} is shown as the year {shown}."
    return ""


def covers(result, when: str) -> str:
    """What a figure covers, said on its card: the year or cohort, the children chosen (or all of them) and
    any filter chosen that it does not use."""
    said = f"{when}. Covers {result.chosen or 'every service you can see, all children'}."
    if result.ignored:
        said += f" Not used here: {', '.join(words(f) for f in result.ignored)}."
    return said


def _counts(table: pd.DataFrame, count: str, base: str, this, last) -> tuple:
    """(count, base) for ``this`` period and ``last`` (rows indexed by period): for the chance test."""
    return tuple(
        table.at[period, column] if period in table.index else None
        for period in (this, last)
        for column in (count, base)
    )


def first_time_entrants(context, filters) -> Kpi:
    this, last, full = _years(context, filters)
    result = context.measure("fte", _whole_years(filters), combine=True)
    table = result.table.set_index("period")
    fte = table["rate_per_100000"].reindex(full)
    return Kpi(
        "First-time entrants",
        shown_value(fte.get(this), "{:,.0f} per 100,000"),
        *change_in_words(
            fte.get(this),
            fte.get(last),
            lower_is_better=True,
            since=last,
            counts=_counts(table, "fte", "population_10_17", this, last),
        ),
        note=covers(result, f"{this}, per 100,000 children of those ages in the population"),
        trend=fte.dropna(),
        standing=standing(context, filters, "fte_rate_per_100000").text,
    )


def reoffending(context, filters) -> Kpi:
    """Proven reoffending by the national method: the latest complete cohort up to the year shown against the
    one before, with the most advanced live cohort's figure so far beside it."""
    this = period_label(shown_year(context, filters))
    result = context.measure("proven-reoffending", _whole_years(filters), combine=True)
    whole = whole_cohorts(result).set_index("cohort")
    rates = whole.loc[whole["complete"].astype(bool) & whole["children"].fillna(1).gt(0), "binary_rate"] / 100
    rates = rates[rates.index <= this]
    latest = rates.index[-1] if len(rates) else None
    before = rates.index[-2] if len(rates) > 1 else None
    dates = context.options["as_of"]
    live = live_so_far(result, dates.get(filters.yjs) or min(dates.values()))
    when = (
        f"Children cautioned, sentenced or released from custody in {latest}, proven to reoffend within 12 "
        "months" + (f" ({this}'s children are still being followed)" if latest != this else "")
        if latest
        else "No cohort followed for the full 18 months yet"
    )
    return Kpi(
        "Proven reoffending",
        shown_value(rates.get(latest), "{:.1%}"),
        *change_in_words(
            rates.get(latest),
            rates.get(before),
            True,
            "points",
            since=f"the {before} cohort",
            counts=_counts(whole, "reoffenders", "children", latest, before),
        ),
        note=covers(result, when) + (f" Live: {live}." if live else ""),
        trend=rates.dropna() * 100,
    )


def custody(context, filters) -> Kpi:
    """Children sentenced to custody per 1,000 aged 10 to 17, with the remands to youth detention and the
    share of those ended not followed by custody (the YJB's "use of custody and remands")."""
    this, last, full = _years(context, filters)
    result = context.measure("use-of-custody", _whole_years(filters), combine=True)
    sentenced = result.table.set_index("period")
    rates = sentenced["rate_per_1000"].reindex(full)
    said = [f"{this}: {shown_value(sentenced['children'].get(this), '{:,.0f}')} children sentenced to custody"]
    remands = context.measure("remands", _whole_years(filters), combine=True).table
    if remands.empty:
        said.append("remands are not in this extract")
    else:
        detention = remands[remands["remand_type"] == YOUTH_DETENTION].set_index("period")["remands"]
        share = not_followed_by_custody(context.measure("remand-outcomes", _whole_years(filters), combine=True))
        said.append(
            f"remands to youth detention: {shown_value(detention.get(this), '{:,.0f}')}; not followed by "
            f"custody: {shown_value(share.get(this), '{:.0%}')} of those ended"
        )
    return Kpi(
        "Custody and remands",
        shown_value(rates.get(this), "{:.2f} per 1,000"),
        *change_in_words(
            rates.get(this),
            rates.get(last),
            lower_is_better=True,
            since=last,
            counts=_counts(sentenced, "children", "population_10_17", this, last),
        ),
        note=covers(result, "; ".join(said)),
        trend=rates.dropna(),
    )


def _at_the_end(kpi: str, title: str, what: str):
    """A KPI's share suitable at the end of orders (ETE, accommodation): the latest full year against the
    year before, for every service the viewer sees together, with what was not recorded."""

    def figure(context, filters) -> Kpi:
        this, last, full = _years(context, filters)
        asked = _whole_years(filters)
        result = context.measure("kpis", asked, combine=True)
        table = result.table
        rows = table[(table["kpi"] == kpi) & (table["measure"] == "suitable_at_end")].set_index("period")
        if rows.empty:
            said = reasons(context.db, asked, context.viewer.scope).get(kpi, "Nothing to show for these filters.")
            return Kpi(title, "Not in this extract", said, "same", note="")
        # (count, base, rate), or (not recorded, base, percent): the last three columns either way.
        get = lambda period, source=rows: (
            tuple(None if pd.isna(v) else float(v) for v in source.loc[period].iloc[-3:])
            if period in source.index
            else (None, None, None)
        )
        now = get(this)
        change, verdict = change_from(now, get(last), last)
        recording = context.measure("kpi-recording", asked, combine=True).table
        empty = recording[(recording["kpi"] == kpi) & (recording["measure"] == "suitable_at_end")].set_index("period")
        missing = get(this, empty)
        count = lambda v: "c" if v is None else f"{v:,.0f}"
        return Kpi(
            title,
            shown_value(now[2], "{:.0f}%"),
            change,
            verdict,
            note=covers(result, f"{this}, children whose intervention or order ended in the year"),
            trend=rows["rate"].reindex(full).astype("float64").dropna(),
            scale=(0, 100),
            detail=f"{count(now[0])} of {count(now[1])} children",
            quality=f"Not recorded: {count(missing[0])} of {count(missing[1])} children had no {what} "
            "recorded at the end."
            if missing[1] is not None or missing[0] is not None
            else "",
        )

    figure.__name__ = f"{kpi}_at_the_end"
    return figure


PAGE = PageSpec(
    key="overview",
    path="/",
    name="Overview",
    heading="Overview",
    order=0,
    lead="The partnership's key figures for a financial year (the latest full one unless you choose another), "
    "compared with the year before. Each card says whether the change is better or worse, and what it covers.",
    definition="",
    headline_note=period_note,
    kpis=(
        KpiSpec(first_time_entrants, "first-time-entrants"),
        KpiSpec(reoffending, "reoffending"),
        KpiSpec(custody, "custody"),
        KpiSpec(
            _at_the_end(
                "ete", "Education, training or employment at the end of orders", "education, training or employment"
            ),
            "kpis",
        ),
        KpiSpec(_at_the_end("accommodation", "Suitable accommodation at the end of orders", "accommodation"), "kpis"),
    ),
)
