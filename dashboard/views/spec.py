"""How a page is declared: once, as data. Everything else (the Dash page and its callback, the
downloads, the board pack, the About page, the tests and the benchmark) reads the declaration.

A page module in dashboard/views declares ``PAGE = PageSpec(...)``; dashboard/views finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    #: Earlier settings this one's choices hang on (the compare-areas year on the measure chosen): its
    #: ``choices`` and ``default`` functions then take (options, those settings' values), and it goes
    #: back to its default when one of them changes.
    depends_on: tuple[str, ...] = ()

    def _given(self, value, options: dict, chosen: Mapping[str, str]):
        if not callable(value):
            return value
        return value(options, {k: chosen.get(k, "") for k in self.depends_on}) if self.depends_on else value(options)

    def choices_for(self, options: dict, chosen: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
        found = self._given(self.choices, options, chosen or {})
        return ((("", self.everything),) if self.everything else ()) + tuple(found)

    def default_for(self, options: dict, chosen: Mapping[str, str] | None = None) -> str:
        return self._given(self.default, options, chosen or {})

    def read(self, value: str | None, options: dict, chosen: Mapping[str, str] | None = None) -> str:
        """The value from the address, checked against the choices (InvalidFilter otherwise); ``chosen``
        holds the settings read before it."""
        if value in (None, ""):
            return self.default_for(options, chosen)
        valid = [v for v, _ in self.choices_for(options, chosen) if v]
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
    #: What the card says when it has no rows: text, or a function of the rendered card.
    empty: str | Callable[..., str] = "Nothing to show for these filters."
    #: The download's file name (without extension): text, or a function of the page's settings.
    filename: str | Callable[[Mapping[str, str]], str] = ""
    #: 'extract' (the service's own data, with its date), or the source line itself (published tables):
    #: text, or a function of the rendered card.
    source: str | Callable[..., str] = "extract"
    #: The part of the measure's result the card shows, chart, table and downloads alike (e.g. one year of
    #: it): a function of the rendered card giving a MeasureResult (``render.only``).
    rows: Callable | None = None
    #: Plain words shown under the chart, in the workbook and the pack (what the figures can and cannot
    #: say): a function of the rendered card giving sentences.
    notes: Callable[..., Sequence[str]] | None = None
    #: Why the measure cannot be asked for these filters (a comparison of one service when several are
    #: chosen): a function of (filters, context) giving the reason the card shows instead, or None.
    unavailable: Callable | None = None
    #: A section of the page starts at this card: its heading and a sentence under it.
    section: tuple[str, str] | None = None
    #: Twelfths of a wide screen the card takes (12: the whole width; two of 6 sit side by side).
    width: int = 12

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
    #: Said above the headline figures when they do not show the period exactly as chosen (the overview
    #: compares whole years): a function of (context, filters) giving the words, or '' for none.
    headline_note: Callable[..., str] | None = None

    def card(self, card_id: str) -> CardSpec:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise InvalidFilter("that chart is not on this page")

    def __post_init__(self):
        for number, setting in enumerate(self.settings):
            earlier = {s.key for s in self.settings[:number]}
            if not set(setting.depends_on) <= earlier:
                raise ValueError(f"{self.key}: setting {setting.key} depends on a setting not read before it")

    def read_settings(self, values: Mapping[str, str], options: dict) -> dict[str, str]:
        """The page's settings from the address's values, each checked against its choices (in order, so
        a setting's choices can hang on those before it)."""
        chosen: dict[str, str] = {}
        for setting in self.settings:
            chosen[setting.key] = setting.read(values.get(setting.key), options, chosen)
        return chosen

    def resets(self, changed: str) -> set[str]:
        """The settings that go back to their defaults when ``changed`` changes: those hanging on it, and on them."""
        reset: set[str] = set()
        for setting in self.settings:
            if set(setting.depends_on) & (reset | {changed}):
                reset.add(setting.key)
        return reset
