"""What each page shows, declared once and without Dash: its cards, measures, settings, captions,
headline figures, board-pack section and definition (``PageSpec``, views/spec.py).

Every module here that declares ``PAGE`` is a page; ``PAGES`` lists them in order. The Dash pages, the
downloads, the board pack, the About page, the tests and the benchmark all read this registry, and
``render_page`` fills a page for one request from a ``Context`` (a database snapshot and the viewer).
"""

from __future__ import annotations

import importlib
import pkgutil

from ..filters import Filters, InvalidFilter
from .render import Card, Context, Kpi, headline_figures, render_card, render_page, shown_table, subtitle
from .spec import CardSpec, KpiSpec, PackSection, PageSetting, PageSpec


def _discover() -> dict[str, PageSpec]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        page = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PAGE", None)
        if page is not None:
            found.append(page)
    keys = [p.key for p in found]
    if len(set(keys)) != len(keys):
        raise RuntimeError(f"two pages share a key: {keys}")
    return {page.key: page for page in sorted(found, key=lambda p: (p.order, p.key))}


PAGES = _discover()


def page(key) -> PageSpec:
    """The page called ``key`` (a value from the browser: checked)."""
    if not isinstance(key, str) or key not in PAGES:
        raise InvalidFilter("that page does not exist")
    return PAGES[key]


def warm(context: Context) -> None:
    """Every page's first view (its headline figures and cards, default settings) for the context's viewer:
    the protected lattices behind them, worked out once per viewer and database version, are then ready
    for every later view of theirs."""
    for spec in PAGES.values():
        settings = spec.read_settings({}, context.options)
        headline_figures(context, spec, Filters())
        render_page(context, spec, Filters(), settings)


def setting_keys() -> tuple[str, ...]:
    """Every page setting's key: the address holds them beside the filters."""
    return tuple(dict.fromkeys(s.key for p in PAGES.values() for s in p.settings))


__all__ = [
    "PAGES",
    "Card",
    "CardSpec",
    "Context",
    "Kpi",
    "KpiSpec",
    "PackSection",
    "PageSetting",
    "PageSpec",
    "headline_figures",
    "page",
    "render_card",
    "render_page",
    "setting_keys",
    "shown_table",
    "subtitle",
    "warm",
]
