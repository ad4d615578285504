"""A page's content for one request or command, without Dash: every card's measure, chart spec,
caption and table, and the overview's headline figures.

Everything takes a ``Context``: one database snapshot and the viewer, passed in by whoever handles
the request (a page callback, a download, the board pack, the command line, a test).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

import pandas as pd

from .. import config
from ..access import Viewer, scoped_options
from ..filters import Filters, period_label
from ..metrics import MeasureResult, compute, filter_options, measure
from .spec import CardSpec, PageSpec
from .texts import EXTRACT_SOURCE, VALUE_WORDS, words


class Context:
    """What a request renders with: one snapshot of the database and who is asking."""

    def __init__(self, db, viewer: Viewer):
        self.db = db
        self.viewer = viewer

    def measure(self, metric: str, filters: Filters | None = None, **settings) -> MeasureResult:
        """A measure as this viewer may see it (the scope goes to compute as an argument)."""
        return compute(self.db, metric, filters or Filters(), scope=self.viewer.scope, **settings)

    def notes(self, metric: str, filters: Filters | None = None, **about) -> list[str]:
        """What a reader needs beside a measure's figures for these filters (``Measure.notes``, given ``about``),
        in plain words."""
        found = measure(metric).notes
        return list(found(self.db, filters or Filters(), self.viewer.scope, **about)) if found else []

    @cached_property
    def options(self) -> dict:
        """The filter options the viewer may see."""
        return scoped_options(filter_options(self.db), self.viewer.scope.services)

    @property
    def as_of(self) -> date:
        """The date the loaded data runs to (the latest extract's)."""
        return max(self.options["as_of"].values())

    @property
    def part_year(self) -> str | None:
        """The latest financial year's label when the extract stops inside it, else None."""
        found = self.options
        if not found["years"] or found["latest_complete_year"] == found["years"][-1]:
            return None
        return period_label(found["years"][-1])

    def source(self, source: str) -> str:
        """A card's source line: 'extract' is the loaded extract, with its date; other text stands as it is."""
        return EXTRACT_SOURCE.format(as_of=f"{self.as_of:%-d %B %Y}") if source == "extract" else source


@dataclass
class Card:
    """A card rendered for one request: what the page, a download or the pack shows for a CardSpec."""

    spec: CardSpec
    page: PageSpec
    result: MeasureResult
    #: The filters the measure was asked with, and the page's settings.
    filters: Filters
    settings: Mapping[str, str]
    context: Context
    chart: object = None
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    #: Why the measure was not asked (CardSpec.unavailable), shown instead of the chart.
    unavailable: str | None = None
    #: The measure's whole result, before the card took its part of it (CardSpec.rows).
    measured: MeasureResult | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def filename(self) -> str:
        return self.spec.file_name(self.settings)

    @property
    def source(self) -> str:
        source = self.spec.source
        return self.context.source(source(self) if callable(source) else source)

    @property
    def empty(self) -> bool:
        return self.result.table.empty

    @property
    def empty_message(self) -> str:
        """What the card says instead of a chart when it has no rows."""
        if self.unavailable:
            return self.unavailable
        return self.spec.empty(self) if callable(self.spec.empty) else self.spec.empty

    def table(self) -> pd.DataFrame:
        """The card's table as people read it: withheld cells as c, rates rounded."""
        return shown_table(self.result, self.spec.columns)


def render_card(
    context: Context, page: PageSpec, spec: CardSpec, filters: Filters, settings: Mapping[str, str]
) -> Card:
    """One card for the filters and the page's (checked) settings."""
    asked = spec.filters(filters, settings) if spec.filters else filters
    reason = spec.unavailable(asked, context) if spec.unavailable else None
    if reason:
        columns = list(measure(spec.measure).columns)
        result = MeasureResult(
            spec.measure, pd.DataFrame(columns=columns), pd.DataFrame(columns=columns, dtype=bool), ""
        )
    else:
        result = context.measure(spec.measure, asked, **spec.measure_settings(settings))
    card = Card(spec, page, result, asked, settings, context, unavailable=reason)
    if reason:
        card.caption = reason
        return card
    card.measured = result
    if spec.rows:
        card.result = spec.rows(card)
    card.chart = spec.chart(card) if callable(spec.chart) else spec.chart
    card.caption = spec.caption(card)
    card.notes = list(spec.notes(card)) if spec.notes else []
    return card


def only(result: MeasureResult, keep, description: str | None = None) -> MeasureResult:
    """The rows of ``result`` where ``keep`` is true (a card's part of it), with what they are in words."""
    keep = pd.Series(keep, index=result.table.index).fillna(False).astype(bool)
    return replace(
        result,
        table=result.table[keep].reset_index(drop=True),
        withheld=result.withheld[keep].reset_index(drop=True),
        description=result.description if description is None else description,
    )


def render_page(context: Context, page: PageSpec, filters: Filters, settings: Mapping[str, str]) -> list[Card]:
    """Every card of the page, in order."""
    if not page.uses_filters:
        filters = Filters()
    return [render_card(context, page, spec, filters, settings) for spec in page.cards]


def rows_holding(**values: tuple[str, ...]) -> Callable[[Card], MeasureResult]:
    """A CardSpec.rows keeping the rows whose columns hold the values given (``kpi=("ete",)``): one measure
    so fills several cards (each KPI's), all from one result and one suppression."""

    def part(card: Card) -> MeasureResult:
        table = card.result.table
        keep = pd.Series(True, index=table.index)
        for column, kept in values.items():
            keep &= table[column].isin(kept)
        return only(card.result, keep)

    return part


@dataclass
class Kpi:
    """A headline figure: value, change in words, and whether that is better or worse; with, where the
    figure has them, its numerator and denominator, more comparisons, facts beside it and what was not
    recorded."""

    title: str
    value: str
    change: str
    verdict: str
    note: str
    trend: pd.Series | None = field(default=None, repr=False)
    #: Where the service stands against England, its region and similar areas (views.standing), in words.
    standing: str = ""
    #: The count behind the figure: "41 of 48 children".
    detail: str = ""
    #: Further comparisons, (words, verdict): the same quarter a year before.
    also: tuple[tuple[str, str], ...] = ()
    #: Figures read with it: the start against the end, each step of a pathway.
    facts: tuple[str, ...] = ()
    #: What was not recorded: "7 of 48 had no accommodation recorded at the end".
    quality: str = ""
    #: The page it comes from (its card links there), from the KpiSpec.
    page: str | None = None
    #: The trend's axis, when it is not to fit the values: (0, 100) for a share.
    scale: tuple[float, float] | None = None


def headline_figures(context: Context, page: PageSpec, filters: Filters) -> list[Kpi]:
    """The page's headline figures, each with the page its KpiSpec names."""
    return [replace(kpi.compute(context, filters), page=kpi.page) for kpi in page.kpis]


def shown_table(result: MeasureResult, columns=None) -> pd.DataFrame:
    """The result's table as people read it: codes and yes/no in words, withheld cells as c, rates rounded.
    The columns keep the measure's names (``texts.heading`` gives each its words)."""
    columns = list(columns or result.table.columns)
    shown = result.table[columns].astype(object).where(result.table[columns].notna(), "")
    for column in columns:
        values = result.table[column]
        if column in VALUE_WORDS:
            shown[column] = values.map(VALUE_WORDS[column], na_action="ignore").astype(object).where(values.notna(), "")
        elif pd.api.types.is_float_dtype(values):
            shown[column] = values.round(3).astype(object).where(values.notna(), "")
        shown.loc[result.withheld[column], column] = config.SUPPRESSED_MARK
    return shown


def subtitle(result: MeasureResult) -> str:
    """The filters applied, in words, and any chosen filter the measure does not use."""
    return result.description + (
        f". Not used here: {', '.join(words(f) for f in result.ignored)}" if result.ignored else ""
    )


def withheld(result: MeasureResult, *columns: str) -> bool:
    """Whether any of these columns has a withheld cell (the chart then says so)."""
    return bool(result.withheld[list(columns)].any().any())
