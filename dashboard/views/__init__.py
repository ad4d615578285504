"""What each page shows, declared once and without Dash: its cards, measures, settings, captions,
headline figures, board-pack section and definition (``PageSpec``, views/spec.py).

Every module here that declares ``PAGE`` is a page; ``PAGES`` lists them in order. The Dash pages, the
downloads, the board pack, the About page, the tests and the benchmark all read this registry, and
``render_page`` fills a page for one request from a ``Context`` (a database snapshot and the viewer).
"""

from __future__ import annotations

import importlib
import pkgutil
import time

from .. import accounts
from ..access import DEMO_VISITOR, Viewer, is_demo, viewer_for
from ..db import Database
from ..filters import GROUPS, Filters, InvalidFilter, financial_year_label
from ..settings import Settings
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


def first_views(context: Context, ahead: bool = False) -> list[Filters]:
    """The filters of a viewer's first views: the default one and, ``ahead`` (a load preparing them), each
    financial year the filter bar offers, newest first (the period is the first thing a viewer changes,
    and some lattices are the period's own: reoffending's cohorts, disproportionality's), then each one
    choice of service (of several) and of sex, ethnic group and age band (a drill-down the viewer may
    make): what a board member clicks first. Most are look-ups in the lattices the default view works
    out; the rest (the reoffending curve of a group, custody's lattice of a group by another) are
    protected for that choice, seconds each at national scale."""
    chosen = [Filters()]
    if ahead:
        chosen += [Filters(period=financial_year_label(y)) for y in reversed(context.options["years"])]
        services = context.options["yjs"]
        chosen += [Filters(yjs=service) for service in services] if len(services) > 1 else []
        if context.viewer.scope.drill_down:
            chosen += [Filters(**{name: value}) for name, values in GROUPS.items() for value in values]
    return chosen


def warm(context: Context, say=None, ahead: bool = False) -> None:
    """Every page's first views (its headline figures and cards, default settings: ``first_views``) for
    the context's viewer: the protected lattices behind them, worked out once per viewer and database
    version, are then ready for every later view of theirs. With ``say(message)``, each page is reported
    as it is done, and one that fails is reported and the next one tried (otherwise the failure is
    raised)."""
    views = first_views(context, ahead)
    for spec in PAGES.values():
        started = time.perf_counter()
        try:
            settings = spec.read_settings({}, context.options)
            for filters in views if spec.uses_filters else [Filters()]:
                headline_figures(context, spec, filters)
                render_page(context, spec, filters, settings)
        except Exception as error:
            if say is None:
                raise
            say(f"  {spec.name}: not worked out ahead ({type(error).__name__}: {str(error).splitlines()[0]})")
            continue
        if say is not None:
            say(f"  {spec.name}: {time.perf_counter() - started:.1f} s")


def prepare(settings: Settings, say=None, staged: str | None = None) -> bool:
    """A load's first views: every page's (``first_views``: its default view, each financial year's and
    each one choice of service or group), for each scope that will ask (each account's, and the open
    demo visitor's), worked out into the results every process serving the version shares, so the first
    viewer reads them instead of waiting. ``staged``: the load not yet live (ingest's copy of
    ``settings.db``, swapped in afterwards): its results go where the live file's go, and viewers keep
    reading the live version, quickly, until the prepared one replaces it. Best effort: what is not
    prepared is worked out when first asked (a page that fails here is said and skipped). False when
    nothing could be shared (``shared_results`` off, or a folder that is not ours)."""
    say = say or (lambda message: None)
    # Part of the load: DuckDB may use what ingest may (a worker's buffer would not hold an administrator's
    # lattice queries at national scale).
    db = Database.from_settings(settings.model_copy(update={"duckdb_memory": settings.ingest_memory}), staged)
    try:
        with db.snapshot() as snap:
            if snap.shared is None:
                say("Results are not shared (DASHBOARD_SHARED_RESULTS=0, or no folder of this user's own for them)")
                return False
            viewers = _viewers(snap, settings)
            if not viewers:
                say("No accounts yet: first views are worked out when someone first signs in")
            for n, viewer in enumerate(viewers, 1):
                services = "every service" if viewer.scope.services is None else ", ".join(viewer.scope.services)
                say(f"Working out first views ({n} of {len(viewers)}): {viewer.name}, {services}")
                try:
                    warm(Context(snap, viewer), say, ahead=True)
                except InvalidFilter as refused:  # an account of services this database does not hold
                    say(f"  not for {viewer.name}: {refused}")
            count, size = snap.shared.size()
            say(f"First views ready: {count} results ({size / 1e6:.1f} MB) in {snap.shared.folder}")
            return True
    except Exception as error:  # never undoes the load: the first viewer then works them out
        say(f"First views were not worked out ahead ({type(error).__name__}: {error}); they will be when first asked")
        return False
    finally:
        db.close()


def _viewers(snap, settings: Settings) -> list[Viewer]:
    """One viewer per scope that will ask: the open demo's visitor, then each account's (by name)."""
    found: dict = {}
    if settings.open_demo and is_demo(snap):
        found[DEMO_VISITOR.scope] = DEMO_VISITOR
    for user in accounts.list_users(snap):
        viewer = viewer_for(user, snap)
        found.setdefault(viewer.scope, viewer)
    return list(found.values())


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
    "prepare",
    "render_card",
    "render_page",
    "setting_keys",
    "shown_table",
    "subtitle",
    "warm",
]
