"""How a page is declared: once, as data. Everything else (the Dash page and its callback, the
downloads, the board pack, the About page, the tests and the benchmark) reads the declaration.

A page module in dashboard/views declares ``PAGE = PageSpec(...)``; dashboard/views finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..filters import InvalidFilter, pick

#: A value computed for a request: from the rendered card (captions, charts) or the filter options.
Computed = Callable[..., object]


@dataclass(frozen=True)
class PageSetting:
    """A control of the page's own (e.g. "Compare by"), kept in the address like the filters."""

    key: str
    label: str
    #: (value, label) pairs, or a function of the filter options giving them (e.g. the published years).
    choices: tuple[tuple[str, str], ...] | Callable[[dict], tuple[tuple[str, str], ...]]
    #: The value when the address gives none: a choice's value ('' for "none"), or a function of the options.
    default: str | Callable[[dict], str] = ""
    #: The words of the '' choice, when not choosing is a choice ("All regions").
    everything: str | None = None
    #: How the control looks: a drop-down ("select") or a row of radio buttons ("radio").
    control: str = "select"

    def choices_for(self, options: dict) -> tuple[tuple[str, str], ...]:
        found = self.choices(options) if callable(self.choices) else self.choices
        return ((("", self.everything),) if self.everything else ()) + tuple(found)

    def default_for(self, options: dict) -> str:
        return self.default(options) if callable(self.default) else self.default

    def read(self, value: str | None, options: dict) -> str:
        """The value from the address, checked against the choices (InvalidFilter otherwise)."""
        if value in (None, ""):
            return self.default_for(options)
        valid = [v for v, _ in self.choices_for(options) if v]
        return pick(self.key, value, valid, self.label.lower())


@dataclass(frozen=True)
class CardSpec:
    """One chart card: its measure and how to ask for it, its chart, caption and table."""

    id: str
    title: str
    measure: str
    #: A ChartSpec (views/charts.py), or a function of the rendered card giving one.
    chart: object
    #: The text alternative: a function of the rendered card.
    caption: Callable[..., str]
    #: The measure's settings: a mapping, or a function of the page's settings giving one.
    settings: Mapping[str, object] | Callable[[Mapping[str, str]], Mapping[str, object]] = field(default_factory=dict)
    #: The filters the measure is asked with, from the page's filters and settings (default: the filters).
    filters: Callable | None = None
    #: The table's columns (default: all of the measure's).
    columns: tuple[str, ...] | None = None
    #: The measure's rows the card shows: column -> the values kept (default: every row). One measure can
    #: so fill several cards (each KPI's), all from one result and one suppression.
    rows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    empty: str = "Nothing to show for these filters."
    #: The download's file name (without extension): text, or a function of the page's settings.
    filename: str | Callable[[Mapping[str, str]], str] = ""
    #: 'extract' (the service's own data, with its date), or the source line itself (published tables).
    source: str = "extract"

    def measure_settings(self, page_settings: Mapping[str, str]) -> dict:
        return dict(self.settings(page_settings) if callable(self.settings) else self.settings)

    def file_name(self, page_settings: Mapping[str, str]) -> str:
        return self.filename(page_settings) if callable(self.filename) else (self.filename or self.id)


@dataclass(frozen=True)
class KpiSpec:
    """A headline figure on the overview: ``compute(context, filters)`` gives its ``Kpi``."""

    compute: Callable
    #: The page the figure comes from (its card links there).
    page: str | None = None


@dataclass(frozen=True)
class PackSection:
    """The page's section of the board pack: which card's chart, its reading and its table."""

    card: str
    #: Plain words on the figures: a function of the rendered cards (by id) and the context.
    reading: Callable[..., str]
    #: The table printed under the chart: a function of the rendered cards and the context.
    table: Callable
    note: str = ""
    title: str = ""
    #: Columns holding shares (0.35), printed as percentages (35%).
    percent: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageSpec:
    """A page of the dashboard, declared once."""

    key: str
    path: str
    #: The page's name in the navigation and its title.
    name: str
    heading: str
    lead: str
    #: What the page measures, in words: the About page, the workbook's notes and the pack's definitions.
    definition: str
    order: int
    cards: tuple[CardSpec, ...] = ()
    settings: tuple[PageSetting, ...] = ()
    kpis: tuple[KpiSpec, ...] = ()
    pack: PackSection | None = None
    #: A note shown under the lead in plain words (e.g. how to read a relative rate index).
    explainer: str = ""
    #: The filter bar's choices apply (False: the page shows published tables only).
    uses_filters: bool = True
    #: Said above the headline figures when a period is chosen that they do not follow (the overview's).
    headline_note: str = ""

    def card(self, card_id: str) -> CardSpec:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise InvalidFilter("that chart is not on this page")

    def read_settings(self, values: Mapping[str, str], options: dict) -> dict[str, str]:
        """The page's settings from the address's values, each checked against its choices."""
        return {s.key: s.read(values.get(s.key), options) for s in self.settings}
