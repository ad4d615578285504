"""Reoffending: proven reoffending by the national method and its live tracker first, then the local
view (offending before, during and after programmes, and time to reoffend)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..filters import parse_period
from ..metrics.intervals import percent_interval
from ..metrics.proven_reoffending import ALL_TIERS, FOLLOW_UP_MONTHS, complete_on, months_followed
from ..metrics.proven_reoffending import COLUMNS as PROVEN_COLUMNS
from .charts import MOST_CURVES, CohortLines, ReoffenceCounts, ReoffendingWindows, SurvivalCurve, Tracker
from .readings import TABLE_PERIODS
from .spec import CardSpec, PackSection, PageSpec

NATIONAL = (
    "The YJB and Ministry of Justice measure: children cautioned, given a court sentence other than "
    "custody, or released from custody in the period, followed for 12 months, with 6 more months for "
    "the offence to be proven by a caution or a court. Lower is better."
)
LOCAL_MEASURE = (
    "These local figures count every recorded offence, proven or not, for each child's first "
    "programme in the period. They are not the national proven reoffending measure above, which "
    "follows a different cohort for 12 months plus 6 months for cases to be proven."
)
EMPTY = "No children were cautioned, sentenced or released from custody in this period for this cohort."
#: Every proven reoffending card asks for all the services chosen as one cohort.
TOGETHER = {"combine": True}
#: The per-child card's table: the measure's columns but the binary rate (the card above shows it).
PER_CHILD_COLUMNS = tuple(c for c in PROVEN_COLUMNS if c != "binary_rate")


def as_of(card) -> date:
    """The date the card's figures run to: its service's extract, or the earliest of those combined."""
    dates = card.context.options["as_of"]
    return dates[card.filters.yjs] if card.filters.yjs in dates else min(dates.values())


def progress(cohort: str, on: date, short: bool = False) -> str:
    """How far an open cohort has been followed, in words: 'tracking: 7 of 12 months so far' (``short``,
    for an axis: '7 of 12 months')."""
    months = months_followed(cohort, on)
    if parse_period(cohort)[1] > on or months == 0:
        return "forming" if short else "still forming"
    if months < FOLLOW_UP_MONTHS:
        return (
            f"{months} of {FOLLOW_UP_MONTHS} months"
            if short
            else f"tracking: {months} of {FOLLOW_UP_MONTHS} months so far"
        )
    return f"proving to {complete_on(cohort):%b %Y}" if short else f"proving until {complete_on(cohort):%b %Y}"


def whole_cohorts(result) -> pd.DataFrame:
    """The rows of whole cohorts (every index tier together)."""
    return result.table[result.table["index_tier"] == ALL_TIERS]


def _open(card) -> dict:
    """The chart's words for the card's open cohorts: how far each has been followed, and which are forming."""
    whole, on = whole_cohorts(card.result), as_of(card)
    cohorts = whole.loc[~whole["complete"].astype(bool), "cohort"]
    return {
        "progress": tuple((c, progress(c, on), progress(c, on, short=True)) for c in cohorts),
        "forming": tuple(c for c in cohorts if months_followed(c, on) == 0),
    }


def _rate_chart(card) -> CohortLines:
    return CohortLines(
        columns=(("binary_rate", "Proven reoffending"),),
        y_title="Children who reoffended (%)",
        interval=True,
        **_open(card),
    )


def _per_child_chart(card) -> CohortLines:
    return CohortLines(
        columns=(
            ("frequency_rate", "Reoffences per child"),
            ("reoffences_per_reoffender", "Reoffences per reoffender"),
        ),
        y_title="Proven reoffences",
        **_open(card),
    )


def _tier_chart(card) -> CohortLines:
    return CohortLines(by_tier="binary_rate", y_title="Children who reoffended (%)", **_open(card))


def _rate(value, pattern: str = "{:.1f}%") -> str:
    return "c (withheld)" if value is None or pd.isna(value) else pattern.format(value)


def latest_complete(result) -> pd.Series | None:
    """The latest complete cohort's whole row, or None."""
    whole = whole_cohorts(result)
    done = whole[whole["complete"].astype(bool) & whole["children"].fillna(1).gt(0)]
    return done.iloc[-1] if len(done) else None


def open_cohorts(card) -> str:
    """'2023-24: 32.2% so far (proving until Sep 2025); ...' for the open cohorts with children."""
    whole = whole_cohorts(card.result)
    live = whole[~whole["complete"].astype(bool)]
    return "; ".join(
        f"{r.cohort}: {_rate(r.binary_rate)} ({progress(r.cohort, as_of(card))})" for r in live.itertuples()
    )


def live_so_far(result, on: date) -> str:
    """The most advanced open cohort's rate so far, labelled: '2023-24 so far: 32.2% (proving until Sep 2025)'."""
    whole = whole_cohorts(result)
    live = whole[~whole["complete"].astype(bool) & whole["children"].fillna(1).gt(0)]
    if live.empty:
        return ""
    first = live.iloc[0]
    return f"{first['cohort']} so far: {_rate(first['binary_rate'])} ({progress(first['cohort'], on)})"


def _rate_caption(card) -> str:
    last = latest_complete(card.result)
    said = (
        f"Latest complete cohort, {last['cohort']}: {_rate(last['binary_rate'])} of "
        f"{_rate(last['children'], '{:,.0f}')} children reoffended. "
        if last is not None
        else "No cohort has been followed for the full 18 months yet. "
    )
    live = open_cohorts(card)
    return (
        "Line chart of the share of children proven to reoffend within 12 months, by cohort, with 95% "
        "intervals. " + said + (f"Still being followed: {live}." if live else "")
    )


def _per_child_caption(card) -> str:
    last = latest_complete(card.result)
    if last is None:
        return "Line chart of proven reoffences per child and per reoffender, by cohort."
    return (
        f"Line chart of proven reoffences per child and per reoffender, by cohort. {last['cohort']}: "
        f"{_rate(last['frequency_rate'], '{:.2f}')} per child, "
        f"{_rate(last['reoffences_per_reoffender'], '{:.2f}')} per reoffender."
    )


def _tier_caption(card) -> str:
    last = latest_complete(card.result)
    if last is None:
        return "Line chart of proven reoffending by the index disposal, by cohort."
    rows = card.result.table
    tiers = rows[(rows["cohort"] == last["cohort"]) & (rows["index_tier"] != ALL_TIERS)]
    return (
        f"Line chart of proven reoffending by the index disposal, by cohort. {last['cohort']}: "
        + "; ".join(f"{r.index_tier} {_rate(r.binary_rate)}" for r in tiers.itertuples())
        + "."
    )


def few_children_most_reoffences(card) -> tuple[str | None, str]:
    """The cohort the counts chart shows (the latest complete one, else the latest) and, in words, what
    share of its proven reoffences the reoffenders with 5 or more committed. The share is worked out only
    from figures that are shown (every band and the cohort's total), so it reveals nothing withheld."""
    table = card.result.table
    cohorts = list(dict.fromkeys(table["cohort"]))
    if not cohorts:
        return None, ""
    on = as_of(card)
    done = [c for c in cohorts if complete_on(c) <= on]
    cohort = done[-1] if done else cohorts[-1]
    bands = table[table["cohort"] == cohort].set_index("reoffences")["reoffenders"]
    # The cohort's total as proven-reoffending shows it for the same filters (never from another view).
    whole = whole_cohorts(card.context.measure("proven-reoffending", card.filters, **TOGETHER))
    total = whole.set_index("cohort")["reoffences"].get(cohort)
    if bands.isna().any() or total is None or pd.isna(total):
        return cohort, (
            f"{cohort}: too few children in some groups to show what share of reoffences those with 5 "
            "or more committed (withheld)."
        )
    if total == 0:
        return cohort, f"{cohort}: no proven reoffences."
    reoffenders = int(bands.sum())
    five = int(bands["5+"])
    most = total - sum(int(bands[str(n)]) * n for n in range(1, 5))
    if five == 0:
        return cohort, f"{cohort}: no reoffender had 5 or more proven reoffences."
    return cohort, (
        f"{cohort}: the {five:,} reoffenders with 5 or more ({five / reoffenders:.0%} of reoffenders) "
        f"committed {most / total:.0%} of the {int(total):,} proven reoffences."
    )


def _counts_chart(card) -> ReoffenceCounts:
    cohort, share = few_children_most_reoffences(card)
    return ReoffenceCounts(cohort=cohort, share=share)


def _counts_caption(card) -> str:
    cohort, share = few_children_most_reoffences(card)
    if cohort is None:
        return "Bar chart of reoffenders by how many proven reoffences they had."
    rows = card.result.table[card.result.table["cohort"] == cohort]
    return (
        f"Bar chart of reoffenders by how many proven reoffences they had, {cohort}: "
        + "; ".join(f"{r.reoffences}: {_rate(r.reoffenders, '{:,.0f}')}" for r in rows.itertuples())
        + f". {share}"
    )


READING_WORDS = {"higher": "higher than", "lower": "lower than", "similar": "similar to"}


def tracker_words(row) -> str:
    """One open cohort against the last complete one, in words."""
    if row["months_followed"] == 0 or pd.isna(row["months_followed"]):
        return f"{row['cohort']}: still forming, {_rate(row['children'], '{:,.0f}')} children so far."
    point = f"within the first {int(row['months_followed'])} months"
    if not isinstance(row["previous_cohort"], str):
        return f"{row['cohort']}: {_rate(row['binary_rate_so_far'])} {point}; no complete cohort to compare with."
    if pd.isna(row["binary_rate_so_far"]) or pd.isna(row["previous_binary_rate_same_point"]):
        return f"{row['cohort']}: too few children to compare {point} with {row['previous_cohort']} (withheld)."
    reading = row["reading"]
    verdict = {"higher": "worse so far", "lower": "better so far"}.get(reading, "could be chance")
    return (
        f"{row['cohort']}: {_rate(row['binary_rate_so_far'])} reoffended {point}, "
        f"{READING_WORDS.get(reading, 'against')} {row['previous_cohort']} at the same point "
        f"({_rate(row['previous_binary_rate_same_point'])}): {verdict}."
    )


def _tracker_caption(card) -> str:
    rows = card.result.table
    return (
        "Bar chart of each open cohort's reoffending so far beside the last complete cohort at the same "
        "point. " + " ".join(tracker_words(r) for _, r in rows.iterrows())
    )


def within_a_year(result) -> pd.DataFrame:
    """Each cohort's last shown point of the curve within 365 days (a step: disclosure.protect_curve)."""
    table = result.table
    return table[table["day"] <= 365].dropna(subset=["reoffended"]).groupby("cohort").tail(1)


def _curve_caption(card) -> str:
    return (
        "Step chart of the share of children who reoffended by days since their programme ended "
        f"(the latest {MOST_CURVES} years at most; choose a period to see another). "
        + "; ".join(
            f"{r.cohort}: {r.reoffended:.0%} within {r.day} days" for r in within_a_year(card.result).itertuples()
        )
    )


def _reading(cards, context) -> str:
    rate, tracker = cards["proven-rate"], cards["reoffending-tracker"]
    last = latest_complete(rate.result)
    if last is None:
        said = "No cohort has been followed for the full 18 months yet."
    else:
        limits = percent_interval(*(None if pd.isna(v) else float(v) for v in (last["reoffenders"], last["children"])))
        interval = f" (95% interval {limits[0]:.1f}% to {limits[1]:.1f}%)" if limits else ""
        said = (
            f"Of the {_rate(last['children'], '{:,.0f}')} children in the {last['cohort']} cohort, "
            f"{_rate(last['binary_rate'])}{interval} were proven to reoffend within 12 months."
        )
    live = " ".join(tracker_words(r) for _, r in tracker.result.table.iterrows())
    return said + (f" Live tracker: {live}" if live else "")


def _pack_table(cards, context) -> pd.DataFrame:
    card = cards["proven-rate"]
    whole = whole_cohorts(card.result)
    shown = card.table().loc[
        whole.index, ["cohort", "children", "reoffenders", "binary_rate", "frequency_rate", "reoffences_per_reoffender"]
    ]
    limits = [
        percent_interval(*(None if pd.isna(v) else float(v) for v in pair))
        for pair in zip(whole["reoffenders"], whole["children"])
    ]
    shown.insert(4, "ci_low", [round(lim[0], 1) if lim else "" for lim in limits])
    shown.insert(5, "ci_high", [round(lim[1], 1) if lim else "" for lim in limits])
    on = as_of(card)
    shown["status"] = ["complete" if done else progress(c, on) for c, done in zip(whole["cohort"], whole["complete"])]
    counted = whole["children"].fillna(1) > 0
    return shown[counted.to_numpy()].tail(TABLE_PERIODS)


PROVEN = ("Proven reoffending, the national measure", NATIONAL)
LOCAL = ("The local view: offending around programmes", LOCAL_MEASURE)
PAGE = PageSpec(
    key="reoffending",
    path="/reoffending",
    name="Reoffending",
    heading="Reoffending",
    order=5,
    lead="How many children reoffend: first by the national proven reoffending measure, with a live tracker of the "
    "cohorts still being followed; then the local view of offending around the service's programmes.",
    definition="Proven reoffending (the YJB and Ministry of Justice measure): children aged 10 to 17 cautioned, given "
    "a court sentence other than custody, or released from custody in a financial year or quarter form "
    "its cohort, each from their first such event in it. A child reoffends when they commit an offence "
    "in the 12 months after that day which a caution or court outcome (not a community resolution) "
    "proves within 18 months. Binary rate: the share who reoffend; frequency: proven reoffences per "
    "child. A cohort's figures are final 18 months after its period ends; until then the live tracker "
    "shows them so far, against the last complete cohort over the same months. The local view counts "
    "every recorded offence, proven or not, around each child's first programme in the year "
    "(Kaplan-Meier estimate with a 95% band); it is not the national measure.",
    cards=(
        CardSpec(
            "proven-rate",
            "Children proven to reoffend within 12 months",
            "proven-reoffending",
            _rate_chart,
            _rate_caption,
            settings=TOGETHER,
            empty=EMPTY,
            filename="proven-reoffending",
            section=PROVEN,
        ),
        CardSpec(
            "proven-per-child",
            "Proven reoffences per child and per reoffender",
            "proven-reoffending",
            _per_child_chart,
            _per_child_caption,
            settings=TOGETHER,
            empty=EMPTY,
            columns=PER_CHILD_COLUMNS,
            filename="proven-reoffences-per-child",
            width=6,
        ),
        CardSpec(
            "proven-counts",
            "A few children commit most reoffences",
            "proven-reoffending-counts",
            _counts_chart,
            _counts_caption,
            settings=TOGETHER,
            empty=EMPTY,
            filename="proven-reoffences-by-child",
            width=6,
        ),
        CardSpec(
            "proven-tiers",
            "Proven reoffending by the index disposal",
            "proven-reoffending",
            _tier_chart,
            _tier_caption,
            settings=TOGETHER,
            empty=EMPTY,
            filename="proven-reoffending-by-disposal",
        ),
        CardSpec(
            "reoffending-tracker",
            "Live tracker: cohorts still being followed, against the last complete one",
            "reoffending-tracker",
            Tracker(),
            _tracker_caption,
            settings=TOGETHER,
            empty="No cohort is still being followed in this period.",
            filename="reoffending-live-tracker",
        ),
        CardSpec(
            "reoffending-windows",
            "Children who offended before, during and after their programme",
            "programme-reoffending",
            ReoffendingWindows(),
            lambda card: "Bar chart of the share of children offending in each window; the table gives the numbers.",
            empty="No programmes started in this period for this cohort.",
            filename="programme-reoffending",
            section=LOCAL,
        ),
        CardSpec(
            "reoffending-curve",
            "Time to reoffend after a programme ends",
            "reoffending-curve",
            SurvivalCurve(),
            _curve_caption,
            empty="No programmes ended in this period for this cohort.",
            filename="reoffending-curve",
        ),
    ),
    pack=PackSection(
        "proven-rate",
        _reading,
        _pack_table,
        title="Proven reoffending",
        note="Each cohort's children, those proven to reoffend within 12 months and the rate's 95% "
        "interval; cohorts still being followed show their figures so far.",
    ),
)
