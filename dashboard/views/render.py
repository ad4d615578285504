"""A page's content for one request or command, without Dash: every card's measure, chart spec,
caption and table, and the overview's headline figures.

Everything takes a ``Context``: one database snapshot and the viewer, passed in by whoever handles
the request (a page callback, a download, the board pack, the command line, a test).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import pandas as pd

from .. import config
from ..access import Viewer, scoped_options
from ..filters import Filters, period_label
from ..metrics import MeasureResult, compute, filter_options
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

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def filename(self) -> str:
        return self.spec.file_name(self.settings)

    @property
    def source(self) -> str:
        return self.context.source(self.spec.source)

    @property
    def empty(self) -> bool:
        return self.result.table.empty

    def table(self) -> pd.DataFrame:
        """The card's table as people read it: withheld cells as c, rates rounded."""
        return shown_table(self.result, self.spec.columns)


def render_card(context: Context, page: PageSpec, spec: CardSpec, filters: Filters,
                settings: Mapping[str, str]) -> Card:
    """One card for the filters and the page's (checked) settings."""
    asked = spec.filters(filters, settings) if spec.filters else filters
    result = context.measure(spec.measure, asked, **spec.measure_settings(settings))
    card = Card(spec, page, result, asked, settings, context)
    card.chart = spec.chart(card) if callable(spec.chart) else spec.chart
    card.caption = spec.caption(card)
    return card


def render_page(context: Context, page: PageSpec, filters: Filters, settings: Mapping[str, str]) -> list[Card]:
    """Every card of the page, in order."""
    if not page.uses_filters:
        filters = Filters()
    return [render_card(context, page, spec, filters, settings) for spec in page.cards]


@dataclass
class Kpi:
    """A headline figure: value, change on last year in words, and whether that is better or worse."""

    title: str
    value: str
    change: str
    verdict: str
    note: str
    trend: pd.Series | None = field(default=None, repr=False)


def headline_figures(context: Context, page: PageSpec, filters: Filters) -> list[Kpi]:
    """The page's headline figures (the overview's)."""
    return [kpi.compute(context, filters) for kpi in page.kpis]


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
    return result.description + (f". Not used here: {', '.join(words(f) for f in result.ignored)}"
                                 if result.ignored else "")


def withheld(result: MeasureResult, *columns: str) -> bool:
    """Whether any of these columns has a withheld cell (the chart then says so)."""
    return bool(result.withheld[list(columns)].any().any())
