"""What each page shows, once: its measures, figures, captions and headline figures for a query string.

The pages draw these on screen, and the exports (PNG/SVG, workbook, board pack) take the very same
objects away, so an export can never differ from the screen. Every number comes from ``measure``
(``dashboard.metrics.compute`` with Filters from the URL); page settings (``by``, ``view``...) are checked
here or by compute, since the browser can send anything.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.chart_card import PUBLISHED_SOURCE, card_values
from dashboard.config import BOUNDARIES_URL
from dashboard.figures import (MOST_CURVES, area_map, bars, grouped_bars, relative_rates, reoffending_windows,
                               sparkline, stacked_disposals, stage_rates, survival_curve, trend_lines)
from dashboard.filters import InvalidFilter, period_label
from dashboard.metrics import MeasureResult, service_areas
from dashboard.pages._common import extract_source, measure, options, part_year, withheld
from dashboard.state import database, parse_query, query_string


@dataclass
class Chart:
    """One chart card's content: the measure, its figure, a text caption and where it comes from."""

    card_id: str
    title: str
    result: MeasureResult
    figure: go.Figure
    caption: str
    filename: str
    source: str
    empty_message: str
    columns: list[str] | None = None
    #: The page and its own settings (not in the URL) that made it, so an export can rebuild it.
    settings: dict = field(default_factory=dict)
    page: str = ""


@dataclass
class Kpi:
    """A headline figure: value, change on last year in words, and whether that is better or worse."""

    title: str
    value: str
    change: str
    verdict: str
    note: str
    trend: pd.Series | None = None


TITLES = {
    "fte-rate": "First-time entrants per 100,000 children aged 10 to 17",
    "fte-count": "Number of first-time entrants, and how many for a knife or weapon offence",
    "disposals": "Programmes started, by tier of disposal",
    "referrals-age": "Referrals by age and who referred the child",
    "referrals-area": "Referrals by area",
    "dp-rri": "How much more or less likely each group is, at each stage",
    "dp-rates": "Children per 1,000 at each stage, by group",
    "reoffending-windows": "Children who offended before, during and after their programme",
    "reoffending-curve": "Time to reoffend after a programme ends",
    "areas-ranked": "Services ranked by rate",
    "areas-map": "Map of rates: a service covering several authorities colours all of them",
    "areas-regions": "Regions",
    "areas-trend": "Trend, 2013-14 to 2021-22",
}


def first_time_entrants(search) -> list[Chart]:
    by_service = measure("fte", search)
    combined = measure("fte", search, combine=True)
    rate = trend_lines(by_service.table, x="period", y="rate_per_100000", series="yjs",
                       y_title="Per 100,000 aged 10-17", withheld=withheld(by_service, "rate_per_100000"),
                       part_year=part_year())
    counts = grouped_bars(combined.table, x="period", bars={"fte": "First-time entrants",
                                                            "fte_knife_or_weapon": "Knife or offensive weapon"},
                          y_title="Children", withheld=withheld(combined, "fte", "fte_knife_or_weapon"),
                          part_year=part_year())
    empty = "No first-time entrants in this period for this cohort."
    source = extract_source()
    return [Chart("fte-rate", TITLES["fte-rate"], by_service, rate, _rate_caption(by_service.table),
                  "first-time-entrants-rate", source, empty),
            Chart("fte-count", TITLES["fte-count"], combined, counts,
                  "Bar chart of first-time entrants by year; the table gives the numbers.",
                  "first-time-entrants-count", source, empty)]


def _rate_caption(table) -> str:
    shown = table.dropna(subset=["rate_per_100000"])
    if shown.empty:
        return "No rates can be shown for these filters."
    last = shown.iloc[-1]
    return (f"Line chart of first-time entrants per 100,000 children by year. Latest: {last['yjs']}, "
            f"{last['period']}, {last['rate_per_100000']:.0f} per 100,000.")


def disposals(search, view: str = "count") -> list[Chart]:
    if view not in ("count", "share"):
        raise InvalidFilter("that view is not available")
    result = measure("disposals", search)
    tiers = measure("disposals", search, breakdown="tier")
    figure = stacked_disposals(tiers.table, share=view == "share", withheld=withheld(tiers, "count"),
                               part_year=part_year())
    busiest = result.table.dropna(subset=["count"]).sort_values("count").tail(1)
    caption = ("Stacked bar chart of programmes started each year by tier of disposal; the table has each type. " +
               (f"Largest single group: {busiest.iloc[0]['disposal_type'].replace('_', ' ').lower()} in "
                f"{busiest.iloc[0]['period']} ({int(busiest.iloc[0]['count']):,})." if not busiest.empty else ""))
    return [Chart("disposals", TITLES["disposals"], result, figure, caption, "disposals",
                  extract_source(), "No programmes started in this period for this cohort.",
                  settings={"view": view})]


def referrals(search) -> list[Chart]:
    empty = "No referrals in this period for this cohort."
    source = extract_source()
    by_age = measure("referrals", search, breakdown="referral_source,age")
    by_area = measure("referrals", search, breakdown="locality")
    age_table = by_age.table.assign(referral_source=by_age.table["referral_source"].str.replace("_", " ").str.lower())
    age_figure = bars(age_table, x="age", y="count", colour="referral_source", y_title="Referrals",
                      x_title="Age on the day of referral", withheld=withheld(by_age, "count"))
    area_figure = bars(by_area.table, x="locality", y="count", colour="period", y_title="Referrals",
                       withheld=withheld(by_area, "count"), part_year=part_year())
    area_figure.update_layout(barmode="group")
    top = by_area.table.dropna(subset=["count"]).groupby("locality")["count"].max().sort_values().tail(1)
    return [Chart("referrals-age", TITLES["referrals-age"], by_age, age_figure,
                  "Stacked bar chart of referrals by age, split by who referred.", "referrals-by-age", source, empty,
                  columns=["period", "referral_source", "age", "count"]),
            Chart("referrals-area", TITLES["referrals-area"], by_area, area_figure,
                  "Bar chart of referrals by area and year. " +
                  (f"Most in one year: {top.index[0]}." if len(top) else ""),
                  "referrals-by-area", source, empty, columns=["period", "locality", "count"])]

RRI_EXPLAINED = ("The relative rate index (RRI) divides a group's rate by the reference group's rate at the "
                 "same stage: 2 means twice as likely. The line shows the range the true value probably lies in "
                 "(95% confidence interval). A result is marked significant when that whole range is above or "
                 "below 1, so the difference is unlikely to be chance. A large ratio on a few children is usually "
                 "not significant: read it with care.")


def disproportionality(search, by: str = "ethnicity_group", base: str = "population") -> list[Chart]:
    result = measure("disproportionality", search, by=by, base=base)
    reference = reference_group(result)
    significant = significant_gaps(result)
    caption = ("Chart of relative rate index by stage and group with confidence intervals. " +
               ("; ".join(f"{r.group} at {r.stage.replace('_', '-')}: {r.rri:.1f} times (significant)"
                          for r in significant.itertuples()) or "No group is significantly over-represented."))
    empty = "No children at these stages in this period for this cohort."
    source, settings = extract_source(), {"by": by, "base": base}
    return [Chart("dp-rri", TITLES["dp-rri"], result,
                  relative_rates(result.table, reference=reference, withheld=withheld(result, "rri")), caption,
                  "disproportionality", source, empty, settings=settings),
            Chart("dp-rates", TITLES["dp-rates"], result,
                  stage_rates(result.table, withheld=withheld(result, "rate_per_1000")),
                  "Bar chart of children per 1,000 at each stage by group.", "stage-rates", source, empty,
                  columns=["stage", "group", "count", "base", "rate_per_1000"], settings=settings)]


def reference_group(result: MeasureResult) -> str:
    """The group the measure compared every other with (never guessed from an RRI of 1)."""
    return result.reference


def significant_gaps(result: MeasureResult) -> pd.DataFrame:
    """Groups significantly over-represented at a stage (the reference group never is), largest first."""
    table = result.table
    found = table[table["significant"].fillna(False).astype(bool) & (table["rri"] > 1)
                  & (table["group"] != reference_group(result)) & (table["stage"] != "population")]
    return found.sort_values("rri", ascending=False)


def reoffending(search) -> list[Chart]:
    windows = measure("programme-reoffending", search)
    curve = measure("reoffending-curve", search)
    source = extract_source()
    caption = ("Step chart of the share of children who reoffended by days since their programme ended "
               f"(the latest {MOST_CURVES} years at most; choose a period to see another). " +
               "; ".join(f"{r.cohort}: {r.reoffended:.0%} within {r.day} days"
                         for r in within_a_year(curve).itertuples()))
    return [Chart("reoffending-windows", TITLES["reoffending-windows"], windows,
                  reoffending_windows(windows.table, withheld=withheld(windows, "rate"), part_year=part_year()),
                  "Bar chart of the share of children offending in each window; the table gives the numbers.",
                  "programme-reoffending", source, "No programmes started in this period for this cohort."),
            Chart("reoffending-curve", TITLES["reoffending-curve"], curve,
                  survival_curve(curve.table, withheld=withheld(curve, "reoffended")), caption, "reoffending-curve",
                  source, "No programmes ended in this period for this cohort.")]


def within_a_year(curve: MeasureResult) -> pd.DataFrame:
    """Each cohort's last shown point of the curve within 365 days."""
    table = curve.table
    return table[table["day"] <= 365].dropna(subset=["reoffended"]).groupby("cohort").tail(1)


AREA_COLUMNS = ["period", "region", "children", "population_10_17", "rate_per_1000"]


def compare_areas(search=None, year: str | None = None, region: str | None = None,
                  highlight: str | None = None) -> list[Chart]:
    """The published tables: the URL's filters are the service's own and do not apply here."""
    found = options()
    year = year or period_label(found["published_years"][-1])
    region, highlight = region or None, highlight or None
    if highlight and highlight not in found["published_yjs"]:
        raise InvalidFilter("that service is not in the published tables")
    ranked = measure("areas", None, period=year, region=region)
    regions = measure("areas", None, period=year, level="region")
    trend = measure("areas", None, region=region, level="region" if region else "national")
    ordered = ranked.table.sort_values("rate_per_1000", ascending=False)
    top = ordered.dropna(subset=["rate_per_1000"]).head(1)
    first = f"Highest: {top.iloc[0]['yjs']}, {top.iloc[0]['rate_per_1000']:.1f} per 1,000." if len(top) else ""
    empty = "No published figures for this choice."
    settings = {"year": year, "region": region or "", "highlight": highlight or ""}
    columns = ["period", "yjs", *AREA_COLUMNS[1:]]
    ranking = bars(ordered, x="yjs", y="rate_per_1000", y_title="Per 1,000 aged 10-17", horizontal=True,
                   highlight=highlight)
    ranking.update_layout(height=max(400, 22 * len(ordered)))
    return [
        Chart("areas-ranked", TITLES["areas-ranked"], ranked, ranking,
              f"Bar chart of services ranked by rate, {year}. {first}", f"areas-{year}", PUBLISHED_SOURCE, empty,
              columns=columns, settings=settings),
        Chart("areas-map", TITLES["areas-map"], ranked,
              area_map(ranked.table, service_areas(database()), BOUNDARIES_URL, highlight=highlight),
              f"Map of England and Wales shaded by rate, {year}. {first}", f"areas-map-{year}",
              PUBLISHED_SOURCE + " Boundaries: ONS, OS data © Crown copyright 2019.", empty, columns=columns,
              settings=settings),
        Chart("areas-regions", TITLES["areas-regions"], regions,
              bars(regions.table.sort_values("rate_per_1000", ascending=False), x="region", y="rate_per_1000",
                   y_title="Per 1,000 aged 10-17", horizontal=True, highlight=region),
              f"Bar chart of regions by rate, {year}.", f"regions-{year}", PUBLISHED_SOURCE, empty,
              columns=AREA_COLUMNS, settings=settings),
        Chart("areas-trend", TITLES["areas-trend"], trend,
              trend_lines(trend.table, x="period", y="rate_per_1000", series="region", y_title="Per 1,000 aged 10-17"),
              "Line chart of the rate each year since 2013-14.", "areas-trend", PUBLISHED_SOURCE, empty,
              columns=AREA_COLUMNS, settings=settings),
    ]


#: The overview always compares the latest full year with the one before, so it drops these.
PERIOD_KEYS = ("period", "by_quarter")


def headline_figures(search) -> list[Kpi]:
    """The overview's five headline figures: latest full year against the one before, whatever the period."""
    search = query_string({k: v for k, v in parse_query(search).items() if k not in PERIOD_KEYS})
    years = options()["years"]
    latest = options()["latest_complete_year"]
    this, last = period_label(latest), period_label(latest - 1)
    full_years = [period_label(y) for y in years if y <= latest]

    fte = _by_year(measure("fte", search, combine=True).table, "rate_per_100000").reindex(full_years)
    tiers = measure("disposals", search, breakdown="tier").table.pivot(index="period", columns="tier", values="count")
    custody = tiers.get("Custody", pd.Series(dtype="float64")).reindex(full_years)
    formal = tiers.drop(columns=["Prevention"], errors="ignore")
    share = (tiers.get("Diversion") / formal.sum(axis=1, min_count=len(formal.columns), skipna=False)
             ).reindex(full_years)
    curve = measure("reoffending-curve", search).table
    within_year = (curve[curve["day"] <= 365].groupby("cohort")["reoffended"].last()
                   .reindex([period_label(y) for y in years if y <= latest - 1]))
    return [
        Kpi("First-time entrants", _fmt(fte.get(this), "{:,.0f} per 100,000"),
            *_change(fte.get(this), fte.get(last), lower_is_better=True),
            note=f"{this}, children aged 10 to 17", trend=fte.dropna()),
        Kpi("Reoffended within 12 months", _fmt(within_year.get(last), "{:.0%}"),
            *_change(within_year.get(last), within_year.get(period_label(latest - 2)), True, "points"),
            note=f"Children whose programme started in {last}; any recorded offence", trend=within_year.dropna() * 100),
        Kpi("Custody", _fmt(custody.get(this), "{:,.0f} programmes"),
            *_change(custody.get(this), custody.get(last), lower_is_better=True),
            note=f"Custodial sentences started, {this}", trend=custody.dropna()),
        Kpi("Diversion", _fmt(share.get(this), "{:.0%} of outcomes"),
            *_change(share.get(this), share.get(last), False, "points"),
            note=f"Community resolutions and Outcome 22 among all outcomes, {this}", trend=share.dropna() * 100),
        _disproportionality_kpi(search, this),
    ]


def kpi_sparkline(kpi: Kpi) -> go.Figure | None:
    return sparkline(kpi.trend, kpi.trend.index) if kpi.trend is not None else None


def _change(now, before, lower_is_better: bool, unit: str = "%") -> tuple[str, str]:
    """Plain words on the change, and whether it is better or worse for children."""
    if now is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
        return "No comparison with last year (figures withheld or missing).", "same"
    if unit == "points":
        diff = (now - before) * 100
        words = f"{abs(diff):.1f} percentage points {'up' if diff > 0 else 'down'} on last year"
    else:
        diff = (now - before) / before * 100
        words = f"{'Up' if diff > 0 else 'Down'} {abs(diff):.0f}% on last year"
    if abs(diff) < 0.5:
        return "About the same as last year.", "same"
    better = (diff < 0) == lower_is_better
    return f"{words}: {'better' if better else 'worse'}.", "better" if better else "worse"


def _by_year(frame: pd.DataFrame, value: str) -> pd.Series:
    return frame.set_index("period")[value]


def _fmt(value, pattern: str) -> str:
    return "c (withheld)" if value is None or pd.isna(value) else pattern.format(value)


STAGE_WORDS = {"pre_court": "a pre-court outcome", "court": "a court outcome", "custody": "custody",
               "offence": "an offence", "diversion": "diversion"}


def _disproportionality_kpi(search, this) -> Kpi:
    found = significant_gaps(measure("disproportionality", search, period=this))
    if found.empty:
        return Kpi("Disproportionality", "No significant gap", "No group was significantly over-represented "
                   "at any stage.", "same", note=f"{this}, by ethnic group against White children")
    top = found.iloc[0]
    return Kpi("Disproportionality", f"{top['rri']:.1f} times",
               f"{top['group']} children were {top['rri']:.1f} times as likely as White children to reach "
               f"{STAGE_WORDS[top['stage']]} (significant).", "worse",
               note=f"{this}. {len(found)} significant gap(s) in all: see Disproportionality.")


#: What each page measures, in words, for the workbook's notes and the board pack.
DEFINITIONS = {
    "first-time-entrants": ("First-time entrants", "Children aged 10 to 17 receiving their first youth caution, "
                            "youth conditional caution or court conviction, per 100,000 children aged 10 to 17 "
                            "(ONS mid-year estimates). Community resolutions and Outcome 22 are diversion and are "
                            "not counted. Lower is better."),
    "disposals": ("Disposals", "Programmes of work started in the year, by disposal: prevention, diversion, "
                  "pre-court, first-tier, community and custody."),
    "referrals": ("Referrals", "Programmes referred to the service in the year, by the area the child lives in, "
                  "who referred them and their age on the day."),
    "disproportionality": ("Disproportionality", RRI_EXPLAINED),
    "reoffending": ("Reoffending", "Share of children who offended again within a given time after their first "
                    "programme in the year ended (Kaplan-Meier estimate, with a 95% band). These local figures "
                    "count every recorded offence, proven or not; they are not the national proven reoffending "
                    "measure, which follows a different cohort for 12 months plus 6 months for cases to be proven."),
    "compare-areas": ("Compare areas", "Children cautioned or sentenced per 1,000 children aged 10 to 17, from the "
                      "Youth Justice Board's published tables for every service in England and Wales. The service "
                      "filters do not apply to them."),
}


#: Page key (its path without the slash) -> the function giving its charts from a query string and settings.
PAGES = {
    "first-time-entrants": first_time_entrants,
    "disposals": disposals,
    "referrals": referrals,
    "disproportionality": disproportionality,
    "reoffending": reoffending,
    "compare-areas": compare_areas,
}


def page_charts(page, search, settings=None) -> list[Chart]:
    """A page's charts for values from the browser: the page must exist and each setting be one of its
    own, as text (a forged page or setting is refused, never passed on)."""
    if not isinstance(page, str) or page not in PAGES:
        raise InvalidFilter("that page has no charts")
    settings = settings or {}
    allowed = list(inspect.signature(PAGES[page]).parameters)[1:]
    if not isinstance(settings, dict) or any(k not in allowed or not isinstance(v, str) or len(v) > 200
                                             for k, v in settings.items()):
        raise InvalidFilter("those page settings are not valid")
    charts = PAGES[page](search, **settings)
    for chart in charts:
        chart.page = page
    return charts


def card_contents(page: str, search, **settings) -> tuple:
    """Every card of a page, filled (the outputs of ``card_outputs`` for each card, in order)."""
    return tuple(value for chart in page_charts(page, search, settings) for value in card_values(chart))
