"""Key performance indicators: the board's quarterly scorecard of the YJB's KPIs.

A tile per KPI (the page's headline figures): the latest whole quarter's figure with its count and base,
the change on the quarter before and on the same quarter a year before in words (said to be chance where
it could be), a trend, the figures read with it (the start against the end; each step from a need found
to help taken up) and what was not recorded. Then the charts, each with its table and downloads, and the
board pack's scorecard. The YJB calls its early KPI data illustrative: every figure says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from ..filters import Filters, parse_period, period_label
from ..metrics.kpis import reasons
from .charts import AttendanceGrid, NotRecorded, Panels, PathwaySteps
from .readings import change_from
from .render import Kpi, rows_holding
from .spec import CardSpec, KpiSpec, PackSection, PageSetting, PageSpec

PER_10000 = "per 10,000"
#: A tile's trend: two years of quarters (more would be noise at a tile's size).
TREND_QUARTERS = 8
#: Each KPI's headline figure: (measure, title, unit, which way is better: None for a measure of need).
HEADLINES = {
    "accommodation": ("suitable_at_end", "Suitable accommodation at the end", "%", "better"),
    "ete": ("suitable_at_end", "Education, training or employment at the end", "%", "better"),
    "send": ("with_plan", "Special educational needs with a plan", "%", "better"),
    "mental_health": ("attending", "Mental health: attending help", "%", "better"),
    "substance_misuse": ("attending", "Substance misuse: attending help", "%", "better"),
    "wider_services": ("looked_after", "Looked after by the local authority", "%", None),
    "out_of_court": ("completed", "Out-of-court outcomes completed", "%", "better"),
    "serious_violence": ("children", "Serious violence", PER_10000, "worse"),
    "victims": ("consented", "Victims who agreed to take part", "%", "better"),
}
#: What each headline's count is of ("41 of 48 ..."), and what its not-recorded line says was missing.
OF = {
    "accommodation": ("children", "children had no accommodation recorded at the end"),
    "ete": ("children", "children had no education, training or employment recorded at the end"),
    "send": ("children identified with SEND", "children identified had no plan recorded"),
    "mental_health": ("children with a need", "children with a need had no record of attending"),
    "substance_misuse": ("children with a need", "children with a need had no record of attending"),
    "wider_services": ("children", "children had nothing recorded about being looked after"),
    "out_of_court": ("children whose order was out of court", "children had no completion recorded"),
    "serious_violence": ("", "offences in these categories had no seriousness score"),
    "victims": ("victims contacted", "victims had no consent recorded"),
}
PARTNERS = (
    ("POLICE", "Police"),
    ("PROBATION", "Probation"),
    ("HEALTH", "Health"),
    ("CHILDRENS_SOCIAL_CARE", "Children's social care"),
    ("EDUCATION", "Education"),
    ("OTHER", "Other"),
)
#: The headline measures (they name one figure of each KPI).
HEADLINE_MEASURES = tuple(dict.fromkeys(measure for measure, *_ in HEADLINES.values()))
EXPLAINED = (
    "The YJB's key performance indicators (from April 2023) for every child whose intervention or order "
    "ended in the quarter, prevention and diversion included: what was recorded at the end, compared "
    "with the start. The YJB calls the early KPI data illustrative, so each figure says how much was "
    "not recorded. A change that could be chance, given how few children it rests on, is said to be so."
)


def _previous(label: str, quarters: int = 1) -> str:
    """The quarter ``quarters`` before a quarter's label."""
    year, quarter = int(label[:4]), int(label[-1])
    count = year * 4 + quarter - 1 - quarters
    return period_label(count // 4, count % 4 + 1)


def _asked(filters: Filters, page) -> Filters:
    """The cards' filters: by quarter unless the page's "Figures for each" says financial year (the filter
    bar's "Show quarters" asks for quarters too)."""
    return replace(filters, by_quarter=filters.by_quarter or page.get("every", "quarter") == "quarter")


def _until(context, filters: Filters) -> date:
    """The last day a tile may read: the end of the period chosen, or of the data."""
    return min(context.as_of, parse_period(filters.period)[1]) if filters.period else context.as_of


# --- The tiles ----------------------------------------------------------------------------------------------


@dataclass
class _Quarters:
    """Every quarter's KPIs for the filters (the services combined) and the quarters a tile compares."""

    figures: pd.DataFrame
    recording: pd.DataFrame
    latest: str | None
    reasons: dict

    def get(self, kpi: str, measure: str, period: str | None, recorded: bool = False) -> tuple:
        """(count, base, rate) of one figure; None for a part withheld or missing."""
        table = self.recording if recorded else self.figures
        found = table[(table["kpi"] == kpi) & (table["measure"] == measure) & (table["period"] == period)]
        if found.empty:
            return None, None, None
        return tuple(None if pd.isna(v) else float(v) for v in found.iloc[0, 4:7])

    def trend(self, kpi: str, measure: str) -> pd.Series:
        """The figure over the TREND_QUARTERS quarters to the latest (withheld ones left out)."""
        rows = self.figures[(self.figures["kpi"] == kpi) & (self.figures["measure"] == measure)]
        values = pd.Series(
            pd.to_numeric(rows["rate"]).to_numpy(dtype="float64", na_value=float("nan")),
            index=rows["period"].to_numpy(),
        )
        kept = list(values.index[: list(values.index).index(self.latest) + 1])[-TREND_QUARTERS:]
        return values[kept].dropna()


def quarters(context, filters: Filters) -> _Quarters:
    """What every tile reads (measure results are remembered, so the tiles share them): each quarter's
    figures and the latest whole quarter up to the end of the period chosen (or of the data)."""
    every = replace(filters, period=None, by_quarter=True)
    figures = context.measure("kpis", every, combine=True).table
    until = _until(context, filters)
    whole = [p for p in dict.fromkeys(figures["period"]) if parse_period(p)[1] <= until]
    return _Quarters(
        figures,
        context.measure("kpi-recording", every, combine=True).table,
        whole[-1] if whole else None,
        reasons(context.db, filters, context.viewer.scope),
    )


def _count(value) -> str:
    return "c" if value is None else f"{value:,.0f}"


def _shown(figure: tuple, unit: str = "%") -> str:
    if figure[2] is None:
        return "c (withheld)" if figure[0] is None or figure[1] else "nothing to count"
    return f"{figure[2]:.0f}%" if unit == "%" else f"{figure[2]:,.1f} {unit}"


def _of(figure: tuple, of: str) -> str:
    return f"{_count(figure[0])} of {_count(figure[1])} {of}".strip()


def _share(q: _Quarters, kpi: str, measure: str, words: str, of: str = "") -> str:
    found = q.get(kpi, measure, q.latest)
    if found[2] is None and found[1]:
        return f"{words}: c (withheld), out of {found[1]:,.0f}"
    return f"{words}: {_shown(found)} ({_of(found, of)})"


def _facts(q: _Quarters, kpi: str) -> tuple[str, ...]:
    """What a board reads beside each headline: the start against the end, each step of a pathway."""
    if kpi in ("accommodation", "ete"):
        facts = [_share(q, kpi, "suitable_at_start", "At the start of their orders")]
        if kpi == "ete":
            facts.append(_share(q, "ete", "hours_attended_percent", "Hours attended of those offered", "hours a week"))
        return tuple(facts)
    if kpi == "send":
        return (_share(q, "send", "identified", "Identified with SEND"),)
    if kpi in ("mental_health", "substance_misuse"):
        return (
            _share(q, kpi, "need", "Screened: a need identified"),
            _share(q, kpi, "offered", "Offered help, of those with a need"),
        )
    if kpi == "wider_services":
        return tuple(
            _share(q, kpi, measure, words)
            for measure, words in (
                ("child_in_need", "A child in need"),
                ("child_protection_plan", "On a child protection plan"),
                ("early_help", "Getting early help"),
            )
        )
    if kpi == "victims":
        return (
            _share(q, kpi, "rj_offered", "Offered restorative justice, of those agreeing"),
            _share(q, kpi, "rj_participated", "Took part, of those offered"),
        )
    return ()


def _quality(q: _Quarters, kpi: str, measure: str) -> str:
    empty, base, _ = q.get(kpi, measure, q.latest, recorded=True)
    if base is None and empty is None:
        return ""
    if empty == 0:
        return (
            f"Nothing missing: recorded for all {base:,.0f} {OF[kpi][1].split(' had ')[0]}."
            if base
            else "Nothing missing."
        )
    return f"Not recorded: {_count(empty)} of {_count(base)} {OF[kpi][1]}."


def _scale(trend: pd.Series, unit: str) -> tuple[float, float]:
    """A trend's axis from 0: to 100 for a share, else a little above its highest point."""
    return (0, 100) if unit == "%" else (0, max(float(trend.max()) * 1.25, 1.0) if len(trend) else 1.0)


def _tile(kpi: str):
    """The KpiSpec function of one KPI's tile."""
    measure, title, unit, higher_is = HEADLINES[kpi]

    def tile(context, filters) -> Kpi:
        q = quarters(context, filters)
        said = q.reasons.get(kpi, "")
        if said and not (q.figures["kpi"] == kpi).any():
            return Kpi(title, "Not in this extract" if said.startswith("Not in") else "Not shown", said, "same", "")
        if q.latest is None:
            return Kpi(title, "No whole quarter yet", "No quarter of the period chosen has ended.", "same", "")
        now = q.get(kpi, measure, q.latest)
        before, year_ago = _previous(q.latest), _previous(q.latest, 4)
        change, verdict = change_from(now, q.get(kpi, measure, before), before, unit=unit, higher_is=higher_is)
        also = change_from(
            now, q.get(kpi, measure, year_ago), f"{year_ago}, a year before", unit=unit, higher_is=higher_is
        )
        detail = (
            f"{_count(now[0])} children with a serious violence offence proven; "
            f"{'no population in the extract' if now[1] is None else f'{now[1]:,.0f} aged 10 to 17'}"
            if kpi == "serious_violence"
            else _of(now, OF[kpi][0])
        )
        return Kpi(
            title,
            _shown(now, unit),
            change,
            verdict,
            trend=q.trend(kpi, measure),
            note=" ".join([f"The line: the {TREND_QUARTERS} quarters to {q.latest}.", said]).strip(),
            detail=f"{detail}, {q.latest}",
            also=(also,),
            facts=_facts(q, kpi),
            quality=_quality(q, kpi, measure),
            scale=_scale(q.trend(kpi, measure), unit),
        )

    tile.__name__ = f"{kpi}_tile"
    return tile


def board_attendance(context, filters) -> Kpi:
    """KPI 8: the share of the partners' places at the board filled, in the latest quarter a board met."""
    from ..metrics import measure

    title = "Management board attendance"
    table = context.measure("board-attendance", replace(filters, period=None, by_quarter=True)).table
    if table.empty:
        said = " ".join(measure("board-attendance").notes(context.db, filters, context.viewer.scope))
        return Kpi(title, "Not in this extract", said or "No board met in the data.", "same", "")
    until = _until(context, filters)
    totals = table.groupby("period", sort=False)[["meetings", "attended", "senior"]].sum()
    ended = pd.Series([parse_period(p)[1] <= until for p in totals.index], index=totals.index)
    met = totals[(totals["meetings"] > 0) & ended]
    if met.empty:
        return Kpi(title, "No meeting yet", "No board met in the period chosen.", "same", "")
    latest, rate = met.index[-1], met["attended"] / met["meetings"] * 100
    figure = lambda period: (
        (float(met.at[period, "attended"]), float(met.at[period, "meetings"]), float(rate[period]))
        if period in met.index
        else (None, None, None)
    )
    before = met.index[-2] if len(met) > 1 else None
    change, verdict = (
        change_from(figure(latest), figure(before), before)
        if before
        else ("No earlier meeting to compare with.", "same")
    )
    absent = table[(table["period"] == latest) & (table["attended"] < table["meetings"])]
    several = table["yjs"].nunique() > 1
    named = [dict(PARTNERS)[r.partner] + (f" ({r.yjs})" if several else "") for r in absent.itertuples()]
    facts = (
        f"Not there: {', '.join(named)}" if named else "Every partner came",
        f"At the agreed seniority: {met.at[latest, 'senior']:,.0f} of the {met.at[latest, 'attended']:,.0f} "
        "places filled",
    )
    return Kpi(
        title,
        f"{rate[latest]:.0f}%",
        change,
        verdict,
        trend=rate[-TREND_QUARTERS:],
        scale=(0, 100),
        note=f"The line: the latest {min(len(rate), TREND_QUARTERS)} quarters a board met.",
        detail=f"{_of(figure(latest), 'places filled')}, {latest}",
        facts=facts,
        quality="Not recorded: seniority left empty counts as not at the agreed level.",
    )


# --- The cards ----------------------------------------------------------------------------------------------

#: Short names: a panel is a third of the card wide.
SHORT = {
    "accommodation": "Accommodation at the end",
    "ete": "Education or work at the end",
    "send": "Special needs: with a plan",
    "mental_health": "Mental health: attending",
    "substance_misuse": "Substance misuse: attending",
    "wider_services": "Looked after",
    "out_of_court": "Out of court: completed",
    "serious_violence": "Serious violence",
    "victims": "Victims: agreed to take part",
}
TRENDS = Panels(
    tuple((SHORT[kpi], unit, ((kpi, measure, SHORT[kpi]),)) for kpi, (measure, _, unit, _) in HEADLINES.items())
)
START_END = Panels(
    (
        (
            "Accommodation",
            "%",
            (
                ("accommodation", "suitable_at_start", "At the start"),
                ("accommodation", "suitable_at_end", "At the end"),
            ),
        ),
        (
            "Education or work",
            "%",
            (("ete", "suitable_at_start", "At the start"), ("ete", "suitable_at_end", "At the end")),
        ),
        ("Hours of education attended", "%", (("ete", "hours_attended_percent", "Of the hours offered"),)),
    )
)
WIDER = Panels(
    (
        ("Special educational needs", "%", (("send", "identified", "Identified"),)),
        ("Special needs: with a plan", "%", (("send", "with_plan", "With a plan"),)),
        *(
            (words, "%", (("wider_services", flag, words),))
            for flag, words in (
                ("looked_after", "Looked after"),
                ("child_in_need", "A child in need"),
                ("child_protection_plan", "On a child protection plan"),
                ("early_help", "Getting early help"),
            )
        ),
    )
)
NEEDS = PathwaySteps(
    tuple(
        (
            words,
            (
                (kpi, "need", "count", "Screened: a need identified", "the children"),
                (kpi, "offered", "count", "Offered help", "those with a need"),
                (kpi, "attending", "count", "Attending", "those with a need"),
            ),
        )
        for kpi, words in (("mental_health", "Mental health"), ("substance_misuse", "Substance misuse"))
    )
)
VICTIMS = PathwaySteps(
    (
        (
            "Victims",
            (
                ("victims", "consented", "base", "Contacted", ""),
                ("victims", "consented", "count", "Agreed to take part", "those contacted"),
                ("victims", "rj_offered", "count", "Offered restorative justice", "those agreeing"),
                ("victims", "rj_participated", "count", "Took part", "those offered"),
            ),
        ),
    )
)
RECORDING = NotRecorded(
    (
        ("accommodation", "suitable_at_end", "Accommodation at the end"),
        ("accommodation", "suitable_at_start", "Accommodation at the start"),
        ("ete", "suitable_at_end", "Education or work at the end"),
        ("ete", "suitable_at_start", "Education or work at the start"),
        ("ete", "hours_attended_percent", "Hours of education"),
        ("send", "identified", "Special educational needs"),
        ("mental_health", "need", "Mental health need"),
        ("substance_misuse", "need", "Substance misuse need"),
        ("wider_services", "looked_after", "Looked after"),
        ("out_of_court", "completed", "Out-of-court completion"),
        ("serious_violence", "children", "Seriousness score"),
        ("victims", "consented", "Victim's consent"),
    )
)
MISSING = (
    "No figures: no child's order ended in this period for these filters, or the file these figures come "
    "from is not in this extract (the figures at the top say which)."
)


def _latest_words(card, specs) -> str:
    """Each panel's latest shown figure, for the caption (the chart's text alternative)."""
    table = card.result.table
    said = []
    for title, unit, lines in specs.panels:
        for kpi, measure, label in lines:
            rows = table[(table["kpi"] == kpi) & (table["measure"] == measure)].dropna(subset=["rate"])
            if len(rows):
                row = rows.iloc[-1]
                value = f"{row['rate']:.0f}%" if unit == "%" else f"{row['rate']:.1f} {unit}"
                said.append(f"{title if len(lines) == 1 else f'{title}, {label.lower()}'} {value} in {row['period']}")
    return "; ".join(said) + "." if said else "No figure can be shown for these filters."


def _funnel_words(card, funnel: PathwaySteps) -> str:
    table = card.result.table
    if table.empty:
        return MISSING
    latest = table[table["period"] == table["period"].iloc[-1]].set_index(["kpi", "measure"])
    said = []
    for title, steps in funnel.groups:
        parts = []
        for kpi, measure, column, label, _ in steps:
            value = latest[column].get((kpi, measure)) if (kpi, measure) in latest.index else None
            parts.append(f"{label.lower()} {'c' if value is None or pd.isna(value) else f'{value:,.0f}'}")
        said.append(f"{title}: " + ", ".join(parts))
    return f"Bar charts of each step in {table['period'].iloc[-1]}. " + "; ".join(said) + "."


def _grid_words(card) -> str:
    table = card.result.table
    if table.empty:
        return MISSING
    latest = table[table["period"] == table["period"].iloc[-1]]
    several = table["yjs"].nunique() > 1
    return (
        f"Grid of the meetings each partner attended; in {latest['period'].iloc[0]}: "
        + "; ".join(
            f"{f'{r.yjs}, ' if several else ''}{dict(PARTNERS)[r.partner]} {r.attended} of {r.meetings}"
            for r in latest.itertuples()
        )
        + "."
    )


def _recording_words(card) -> str:
    table = card.result.table.dropna(subset=["percent_not_recorded"])
    if table.empty:
        return MISSING
    latest = table[table["period"] == table["period"].iloc[-1]].sort_values("percent_not_recorded", ascending=False)
    labels = {(k, m): w for k, m, w in RECORDING.labels}
    named = [
        f"{labels[(r.kpi, r.measure)]} {r.percent_not_recorded:.0f}%"
        for r in latest.itertuples()
        if (r.kpi, r.measure) in labels
    ][:3]
    return (
        f"Bar chart of the share not recorded in {latest['period'].iloc[0]}; most often missing: "
        + "; ".join(named)
        + "."
    )


def _kpi_card(card_id: str, title: str, measure: str, chart, caption, filename: str, rows=None) -> CardSpec:
    """A KPI chart card: each asks its measure of the services chosen together, by the page's "Figures for
    each", and says what may be missing when it has no rows."""
    return CardSpec(
        card_id,
        title,
        measure,
        chart,
        caption,
        settings={"combine": True},
        filters=_asked,
        rows=rows,
        empty=MISSING,
        filename=filename,
    )


CARDS = (
    _kpi_card(
        "kpi-trends",
        "Each indicator over time",
        "kpis",
        TRENDS,
        lambda card: "Small line charts of each indicator's headline figure. Latest: " + _latest_words(card, TRENDS),
        "kpis-headline",
        rows=rows_holding(measure=HEADLINE_MEASURES),
    ),
    _kpi_card(
        "kpi-start-end",
        "Accommodation and education, training or employment: at the start and at the end",
        "kpis",
        START_END,
        lambda card: "Line charts of the share suitable at the start and at the end. " + _latest_words(card, START_END),
        "kpis-accommodation-ete",
        rows=rows_holding(kpi=("accommodation", "ete")),
    ),
    _kpi_card(
        "kpi-needs",
        "Mental health and substance misuse: screened, offered help, attending",
        "kpis",
        NEEDS,
        lambda card: _funnel_words(card, NEEDS),
        "kpis-needs",
        rows=rows_holding(kpi=("mental_health", "substance_misuse")),
    ),
    _kpi_card(
        "kpi-victims",
        "Victims: agreed to take part, offered restorative justice, took part",
        "kpis",
        VICTIMS,
        lambda card: _funnel_words(card, VICTIMS),
        "kpis-victims",
        rows=rows_holding(kpi=("victims",)),
    ),
    _kpi_card(
        "kpi-wider",
        "Special educational needs and wider children's services",
        "kpis",
        WIDER,
        lambda card: "Line charts of the share of children in each group. " + _latest_words(card, WIDER),
        "kpis-send-wider-services",
        rows=rows_holding(kpi=("send", "wider_services")),
    ),
    _kpi_card(
        "kpi-recording",
        "What was not recorded",
        "kpi-recording",
        RECORDING,
        _recording_words,
        "kpis-not-recorded",
    ),
    CardSpec(
        "board-attendance",
        "Management board attendance by partner",
        "board-attendance",
        AttendanceGrid(PARTNERS),
        _grid_words,
        filters=_asked,
        empty="No board meetings: the board meetings file is not in this extract, or no board met.",
        filename="board-attendance",
    ),
)


# --- The board pack -----------------------------------------------------------------------------------------


def scorecard(context, filters: Filters) -> pd.DataFrame:
    """The pack's table: a row per KPI, as the tiles say it."""
    rows = [
        (k.title, k.value, k.detail or "", k.change, k.also[0][0] if k.also else "", k.quality)
        for k in (spec.compute(context, filters) for spec in PAGE.kpis)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "Indicator",
            "Latest",
            "Out of",
            "On the quarter before",
            "On the same quarter a year before",
            "Not recorded",
        ],
    )


def _reading(cards, context) -> str:
    filters = cards["kpi-trends"].filters
    figures = [spec.compute(context, filters) for spec in PAGE.kpis]
    shown = [k for k in figures if k.detail]
    if not shown:
        return "No indicator can be shown for these filters."
    better = [k.title.lower() for k in shown if k.verdict == "better"]
    worse = [k.title.lower() for k in shown if k.verdict == "worse"]
    said = (
        f"In {quarters(context, filters).latest}, against the quarter before: "
        + (f"better: {', '.join(better)}; " if better else "")
        + (f"worse: {', '.join(worse)}; " if worse else "")
    )
    return (
        said + f"the other {len(shown) - len(better) - len(worse)} about the same or a change that could be "
        "chance. The YJB calls early KPI data illustrative: the table says what was not recorded."
    )


PAGE = PageSpec(
    key="kpis",
    path="/key-performance-indicators",
    name="Key performance indicators",
    heading="Key performance indicators",
    order=1,
    lead="The Youth Justice Board's key performance indicators for children whose intervention or order ended in "
    "each quarter. Each figure is compared with the quarter before and the same quarter a year before, says "
    "when a change could be chance, and what was not recorded.",
    definition=EXPLAINED,
    settings=(
        PageSetting(
            "every",
            "Figures for each",
            (("quarter", "Quarter"), ("year", "Financial year")),
            "quarter",
            control="radio",
        ),
    ),
    kpis=(*(KpiSpec(_tile(kpi)) for kpi in HEADLINES), KpiSpec(board_attendance)),
    cards=CARDS,
    pack=PackSection(
        "kpi-trends",
        _reading,
        lambda cards, context: scorecard(context, cards["kpi-trends"].filters),
        title="Key performance indicators",
        note="Each indicator's latest whole quarter. The charts show every quarter of the period chosen.",
    ),
)
