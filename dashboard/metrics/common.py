"""Pieces every measure shares: its declaration, the result type, the WHERE clause, period labels."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from .. import suppression
from ..filters import GROUP_FILTERS, PERIOD_FILTERS, Resolved, parse_period, period_label


@dataclass(frozen=True)
class MeasureResult:
    """A measure's rows, exactly the spec's columns, with withheld cells null and marked in ``withheld``."""

    metric: str
    table: pd.DataFrame
    withheld: pd.DataFrame
    description: str
    ignored: tuple[str, ...] = ()
    #: The settings the rows were made with, once checked (e.g. the reference group of an RRI).
    settings: object = None

    @property
    def chosen(self) -> str:
        """The children the rows cover, in words: the description without its period ('' for everyone)."""
        return self.description.partition(", ")[2]

    @property
    def reference(self) -> str | None:
        """disproportionality: the group every RRI is against, as resolved (the default or --reference);
        None for the other measures."""
        return self.settings.reference if self.metric == "disproportionality" else None


@dataclass(frozen=True)
class Source:
    """A table the measures read, and which of its columns answers each filter (declared once, here,
    for every measure reading the table)."""

    table: str
    filters: Mapping[str, str]

    def columns(self, names) -> str:
        """SELECT items naming each of ``names`` (filters) by its column here: ``sex AS sex, ...``."""
        return ", ".join(f"{self.filters[name]} AS {name}" for name in names)

    def group_filters(self) -> tuple[str, ...]:
        """The group filters (not the service) this table answers, for a measure's lattice."""
        return tuple(name for name in GROUP_FILTERS if name in self.filters)

    def applies(self, *extra: str) -> frozenset[str]:
        """The filters a measure reading this table honours: its own columns, the period, ``extra``."""
        return frozenset({*self.filters, *PERIOD_FILTERS, *extra})


@dataclass(frozen=True)
class Quarters:
    """How a measure's quarters sit inside its years, so quarters are withheld with their year
    (``suppression.nest_quarters``): the period column, the row keys, the cells, and keys whose totals
    are shown too."""

    period: str
    keys: tuple[str, ...]
    cells: tuple[str, ...]
    totals: tuple[str, ...] = ()
    #: The counts simply add up over quarters, so one quarter on its own is cut from its year.
    additive: bool = True


#: The record tables whose first date, per service, starts what the extract covers: its case records.
#: (Offences before them are those cases' history, the 12 months before a programme, not every offence.)
RECORD_STARTS = {"outcome": "outcome_date", "programme": "referral_date"}


@dataclass(frozen=True)
class Coverage:
    """What a measure's rows cover: from the first record of ``records`` (a RECORD_STARTS table) of each
    service to its extract's as_of date. Outside it ``cells`` are no data (null), not 0: inside it a
    period with nothing in it is a true 0."""

    records: str
    cells: tuple[str, ...]
    period: str = "period"


@dataclass(frozen=True)
class Measure:
    """One measure of the spec (an ``export`` metric): its columns, what it honours, and how to run it.

    A module in this package declares ``MEASURES = [Measure(...)]``; the package finds it."""

    name: str
    columns: tuple[str, ...]
    #: (database snapshot, resolved filters, filter options) -> (table, withheld mask)
    run: Callable[..., tuple[pd.DataFrame, pd.DataFrame]]
    filters: frozenset[str]
    settings: frozenset[str] = frozenset()
    #: 'all' (every financial year in the data) or 'latest' (the latest full year: measures pooling one window)
    default_period: str = "all"
    #: Reads the published tables (open data, the same for everyone).
    published: bool = False
    quarters: Quarters | None = None
    summary: str = field(default="", compare=False)
    #: Where the measure is listed (the specs' order; the command line's list of metrics follows it).
    order: int = 100
    #: Plain words a reader needs beside the figures: (db, filters, scope, **about) -> list of sentences, where
    #: ``about`` narrows them (benchmarks: ``measures``, the indicators shown).
    notes: Callable[..., list[str]] | None = field(default=None, compare=False)
    #: Where its figures are no data rather than 0 (periods before its records start or after as_of).
    coverage: Coverage | None = None


def where(resolved: Resolved, date_column: str, source: Source) -> tuple[str, dict]:
    """The WHERE clause for the period and every chosen filter."""
    conditions, params = filter_conditions(resolved, source.filters)
    params.update(start=resolved.start, end=resolved.end)
    return " AND ".join([f"{date_column} BETWEEN :start AND :end", *conditions]), params


def filter_conditions(resolved: Resolved, columns: Mapping[str, str]) -> tuple[list[str], dict]:
    """One condition per chosen filter, and the viewer's services when no one service is chosen.
    ``columns`` maps a filter to this table's column; only those columns (our own constants) and
    generated placeholder names reach the SQL text, every value is bound."""
    conditions, params = [], {}
    for name, column in columns.items():
        value = getattr(resolved.filters, name)
        if value is not None:
            conditions.append(f"{column} = :{name}")
            params[name] = value
    if resolved.services is not None and resolved.filters.yjs is None:
        names = [f"service_{i}" for i in range(len(resolved.services))]
        conditions.append(f"{columns['yjs']} IN ({', '.join(':' + n for n in names)})" if names else "false")
        params.update(zip(names, resolved.services))
    return conditions, params


def period_columns(resolved: Resolved, year: str, quarter: str) -> str:
    """SELECT list items naming each row's financial year and, by quarter, its quarter."""
    return f"{year} AS fy, " + (f"{quarter} AS quarter" if resolved.by_quarter else "CAST(NULL AS INTEGER) AS quarter")


def year_of(day: str) -> str:
    """SQL, read alike by DuckDB and PostgreSQL: the year the financial year of ``day`` starts in."""
    return f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) - CASE WHEN EXTRACT(MONTH FROM {day}) < 4 THEN 1 ELSE 0 END)"


def quarter_of(day: str) -> str:
    """SQL for the quarter of the financial year ``day`` falls in (Q1 April-June ... Q4 January-March)."""
    return f"(CAST(FLOOR(CAST(EXTRACT(MONTH FROM {day}) + 8 AS INTEGER) % 12 / 3) AS INTEGER) + 1)"


def age_on(born: str, day: str) -> str:
    """SQL for the age in completed years on ``day`` (the birthday counts as the new age)."""
    part = lambda what, d: f"CAST(EXTRACT({what} FROM {d}) AS INTEGER)"
    return (
        f"({part('YEAR', day)} - {part('YEAR', born)} - CASE WHEN {part('MONTH', day)} < {part('MONTH', born)} "
        f"OR ({part('MONTH', day)} = {part('MONTH', born)} AND {part('DAY', day)} < {part('DAY', born)}) "
        "THEN 1 ELSE 0 END)"
    )


def age_band(age: str) -> str:
    """SQL for the age band of an age; ages outside 10-17 are in no band."""
    return f"CASE WHEN {age} BETWEEN 10 AND 14 THEN '10-14' WHEN {age} BETWEEN 15 AND 17 THEN '15-17' END"


def label_periods(frame: pd.DataFrame) -> pd.Series:
    """'2021-22' or '2021-22 Q4' from the fy and quarter columns of aggregated rows (each label
    made once: a curve has a row per day)."""
    quarters = pd.to_numeric(frame["quarter"]).fillna(0).astype("int64")
    pairs = list(zip(frame["fy"].astype("int64").tolist(), quarters.tolist()))
    labels = {pair: period_label(pair[0], pair[1] or None) for pair in set(pairs)}
    return pd.Series([labels[pair] for pair in pairs], index=frame.index, dtype="object")


def period_frame(resolved: Resolved) -> pd.DataFrame:
    """Every period the filters cover, in order, so periods with nothing in them still show 0."""
    frame = pd.DataFrame(resolved.periods, columns=["fy", "quarter"])
    frame["period"] = label_periods(frame)
    frame["period_order"] = range(len(frame))
    return frame[["period", "period_order"]]


def no_data(
    table: pd.DataFrame, mask: pd.DataFrame, resolved: Resolved, options: dict, coverage: Coverage
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table with the coverage's cells null (and not withheld) in rows the extract does not cover.
    A row of one service: by that service's first record and as_of date (a service with no such record
    covers nothing). A row of several (every service together, or a table without a yjs column): only
    where every one of them with such records covers it, since a total missing some services' records
    for part of the years would read as a rise or a fall; a service with none at all adds nothing to
    any year, so it does not hold the others back."""
    if table.empty:
        return table, mask
    first, as_of = options["first_record"][coverage.records], options["as_of"]
    together = [resolved.filters.yjs] if resolved.filters.yjs else list(resolved.services or options["yjs"])
    together = [yjs for yjs in together if yjs in first] or [None]
    spans = {label: parse_period(label)[:2] for label in set(table[coverage.period])}

    def covered(period: str, services) -> bool:
        start, end = spans[period]
        return all(yjs in first and first[yjs] <= end and start <= as_of[yjs] for yjs in services)

    rows = table["yjs"] if "yjs" in table.columns else pd.Series(None, index=table.index, dtype=object)
    outside = [
        not covered(period, [yjs] if yjs in as_of else together) for period, yjs in zip(table[coverage.period], rows)
    ]
    if not any(outside):
        return table, mask
    empty = pd.DataFrame(False, index=table.index, columns=table.columns)
    empty.loc[outside, list(coverage.cells)] = True
    return suppression.apply(table, empty), mask & ~empty


def begun_periods(resolved: Resolved, options: dict) -> pd.DataFrame:
    """The periods asked for that have begun by the latest extract's date, as ``fy`` and ``quarter`` (0 for
    a whole year): a quarter still to come has no figures, rather than figures of 0."""
    last = max(options["as_of"].values(), default=resolved.end)
    begun = [
        (fy, q or 0)
        for fy, q in resolved.periods
        if (date(fy, 4, 1) if not q else parse_period(f"{period_label(fy)} Q{q}")[0]) <= last
    ]
    return pd.DataFrame(begun, columns=["fy", "quarter"], dtype="int64")


def not_in_extract(without: Sequence[str], asked: Sequence[str]) -> str:
    """'Not in this extract', or 'Not in the extract of A and B' when only some services asked lack a file."""
    if len(without) == len(asked):
        return "Not in this extract"
    names = without[0] if len(without) == 1 else ", ".join(without[:-1]) + " and " + without[-1]
    return f"Not in the extract of {names}"


def rate(numerator: pd.Series, denominator: pd.Series, per: float) -> pd.Series:
    """numerator / denominator * per; null where the denominator is missing or zero."""
    denominator = denominator.astype("float64")
    result = numerator.astype("float64") / denominator.where(denominator > 0) * per
    return result.astype("float64")


def months_after(day: date, months: int) -> date:
    """Calendar months added with end-of-month clamping (31 Jan + 1 month = 28/29 Feb), as the SQL does."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def whole_months(start: date, end: date) -> int:
    """The most whole months from ``start`` that end on or before ``end`` (0 when none)."""
    months = 12 * (end.year - start.year) + end.month - start.month
    while months > 0 and months_after(start, months) > end:
        months -= 1
    return max(months, 0)
