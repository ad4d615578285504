"""Plain words from numbers, for captions, headline figures and the board pack: what changed, by how
much, and whether it can be compared at all (a withheld figure or a part year cannot)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .. import config
from ..metrics.intervals import proportions_differ
from .texts import code_words

#: Tables in the board pack show the latest periods only; the chart and the workbook have them all.
TABLE_PERIODS = 5


def by_period(result, column: str) -> pd.Series:
    return result.table.set_index("period")[column]


def full_periods(values: pd.Series, part_year: str | None) -> pd.Series:
    """Values by period without the part year (quarters are whole, so they are all kept)."""
    return values[[p != part_year for p in values.index]]


def percent_change(now: float, before: float) -> int:
    return 0 if before == 0 else round((now - before) / before * 100)


def year_on_year(values: pd.Series, what: str, number: str, part_year: str | None) -> str:
    """'First-time entrants fell 21% on the year before (120 in 2024-25, 152 in 2023-24).' from values by
    period; the part year is left out, and a withheld figure means 'too few to compare'."""
    full = full_periods(values, part_year)
    if full.empty:
        return f"{what}: no full year in the period chosen."
    latest = full.index[-1]
    unit = "quarter" if " Q" in str(latest) else "year"
    if len(full) == 1:
        shown = "c (withheld)" if pd.isna(full.iloc[-1]) else number.format(full.iloc[-1])
        return f"{what}: {shown} in {latest}; there is no earlier {unit} in the period chosen to compare with."
    now, before, earlier = full.iloc[-1], full.iloc[-2], full.index[-2]
    if pd.isna(now) or pd.isna(before):
        return f"{what}: too few to compare {latest} with {earlier} (numbers withheld)."
    both = f"({number.format(now)} in {latest}, {number.format(before)} in {earlier})"
    change = percent_change(now, before)
    if change == 0:
        return f"{what}: about the same as the {unit} before {both}."
    return f"{what} {'rose' if change > 0 else 'fell'} {abs(change)}% on the {unit} before {both}."


def by_group(result, group: str, part_year: str | None, most: int = 6) -> str:
    """'2024-25 against 2023-24: Diversion 45, up 12%; ...; too few to compare: Custody.' for the latest two
    full years, naming at most ``most`` groups (the largest; the table has them all)."""
    table = result.table
    periods = list(full_periods(pd.Series(index=list(dict.fromkeys(table["period"])), dtype=float), part_year).index)
    if len(periods) < 2:
        return "there is no earlier full year in the period chosen to compare with."
    latest, earlier = periods[-1], periods[-2]
    counts = table.pivot_table(index=group, columns="period", values="count", aggfunc="first", sort=False)
    both = counts[[latest, earlier]].dropna() if {latest, earlier} <= set(counts.columns) else counts.iloc[:0]
    withheld = [code_words(name) for name in counts.index if name not in both.index]
    largest = both.sort_values(latest, ascending=False).head(most) if len(both) > most else both
    compared = []
    for name, row in largest.iterrows():
        change = percent_change(row[latest], row[earlier])
        compared.append(
            f"{code_words(name)} {row[latest]:,.0f}, "
            + (f"{'up' if change > 0 else 'down'} {abs(change)}%" if change else "about the same")
        )
    return (
        f"{latest} against {earlier}: "
        + ("; ".join(compared) or "none can be compared")
        + (f" (the {most} largest; the table has every one)" if len(both) > most else "")
        + "."
        + (
            f" Too few to compare (withheld): {', '.join(withheld)}."
            if withheld and len(withheld) <= most
            else f" {len(withheld)} too few to compare (withheld)."
            if withheld
            else ""
        )
    )


def latest_point(card, column: str, chart: str, number: str, empty: str) -> str:
    """A rate chart's caption: what it draws (``chart``), then its last point shown, with the service and
    period (``number`` writes the value); ``empty`` when no rate can be shown."""
    shown = card.result.table.dropna(subset=[column])
    if shown.empty:
        return empty
    last = shown.iloc[-1]
    return f"{chart} Latest: {last['yjs']}, {last['period']}, {number.format(last[column])}."


def latest_lines(card, column: str, chart: str, each: Callable, empty: str) -> str:
    """A line chart's caption: what it draws (``chart``), then each line's figure in the latest period
    shown (``each``: a row's words); ``empty`` when no figure can be shown."""
    shown = card.result.table.dropna(subset=[column])
    if shown.empty:
        return empty
    latest = shown[shown["period"] == shown["period"].iloc[-1]]
    return f"{chart} " + "; ".join(each(row) for row in latest.itertuples()) + "."


def recent(table: pd.DataFrame, column: str = "period") -> pd.DataFrame:
    """The rows of the latest periods only."""
    periods = list(dict.fromkeys(table[column]))[-TABLE_PERIODS:]
    return table[table[column].isin(periods)]


def pivot(table: pd.DataFrame, rows: str, value: str) -> pd.DataFrame:
    """Periods across, ``rows`` down, the latest periods only; withheld cells read c; a row of zeros is left
    out. ``table`` is a shown table (withheld cells already c)."""
    table = recent(table[["period", rows, value]])
    wide = table.pivot_table(index=rows, columns="period", values=value, aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(table["period"]))).astype(object)
    return wide[~wide.eq(0).all(axis=1)].where(wide.notna(), "").reset_index()


def change_in_words(
    now, before, lower_is_better: bool, unit: str = "%", *, since: str = "last year", counts: tuple | None = None
) -> tuple[str, str]:
    """Plain words on a headline figure's change on ``since`` (the year or cohort before), and whether it is
    better or worse. ``counts``: (count, base, count before, base before) when the figure is a share or a
    rate of children; a change the two-proportion test puts down to chance is said to be so, not better or
    worse (a board should not read a year's wobble as a trend)."""
    if now is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
        return f"No comparison with {since} (figures withheld or missing).", "same"
    if unit == "points":
        diff = (now - before) * 100
        said = f"{abs(diff):.1f} percentage points {'up' if diff > 0 else 'down'} on {since}"
    else:
        diff = (now - before) / before * 100
        said = f"{'Up' if diff > 0 else 'Down'} {abs(diff):.0f}% on {since}"
    if abs(diff) < 0.5:
        return f"About the same as {since}.", "same"
    known = counts is not None and not any(v is None or pd.isna(v) for v in counts)
    if known and proportions_differ(*(float(v) for v in counts)) is False:
        return f"{said}: could be chance.", "same"
    better = (diff < 0) == lower_is_better
    return f"{said}: {'better' if better else 'worse'}.", "better" if better else "worse"


def shown_value(value, pattern: str) -> str:
    """A headline value, or 'c (withheld)'."""
    return f"{config.SUPPRESSED_MARK} (withheld)" if value is None or pd.isna(value) else pattern.format(value)


def change_from(
    now: tuple,
    before: tuple,
    period: str,
    *,
    unit: str = "%",
    higher_is: str | None = "better",
) -> tuple[str, str]:
    """Plain words on a figure against another period's, and whether that is better, worse or neither
    ('same'): "Up 4 percentage points from 66% in 2024-25 Q4: better." ``now`` and ``before`` are (count,
    base, rate), withheld parts None. A change that could be chance (the two-proportion test) is said to be
    so, not better or worse: a quarter's few children move a share a long way. ``higher_is``: 'better',
    'worse' or None (a measure of need: neither)."""
    if now[2] is None or before[2] is None:
        return f"No comparison with {period}: a figure is withheld or has nothing to count.", "same"
    shown = f"{before[2]:.0f}%" if unit == "%" else f"{before[2]:,.1f} {unit}"
    difference = now[2] - before[2]
    if abs(difference) < (0.5 if unit == "%" else 0.05):
        return f"About the same as {period} ({shown}).", "same"
    rise = difference > 0
    said = (
        (
            f"{'Up' if rise else 'Down'} {abs(difference):.0f} percentage point{'s' * (round(abs(difference)) != 1)} "
            f"from {shown} in {period}"
        )
        if unit == "%"
        else f"{'Up' if rise else 'Down'} from {shown} in {period}"
    )
    real = (
        None
        if None in (now[0], now[1], before[0], before[1])
        else proportions_differ(now[0], now[1], before[0], before[1])
    )
    if real is False:
        return f"{said}: could be chance.", "same"
    if higher_is is None:
        return f"{said}.", "same"
    better = rise == (higher_is == "better")
    return f"{said}: {'better' if better else 'worse'}.", "better" if better else "worse"
