"""A small demo database shared by the page and browser tests (built once per test session)."""

from __future__ import annotations

from pathlib import Path

from dashboard.access import DEMO_VISITOR
from dashboard.db import Database
from dashboard.ingest import build_demo
from dashboard.settings import Settings
from dashboard.views import Context, warm

DEMO_CHILDREN = 4000


def build_small_demo(folder: Path) -> Path:
    """The demo as `python -m dashboard demo` leaves it: loaded, with the open demo visitor's first views
    worked out into the shared results before it went live (``views.prepare`` does each year's too; these
    default views are what the browser tests open). Every other viewer's views are worked out when first
    asked."""
    path = folder / "demo.duckdb"

    def first_views(staged: str | None, say) -> None:
        db = Database.from_settings(Settings(db=str(path)), staged)
        try:
            with db.snapshot() as snap:
                warm(Context(snap, DEMO_VISITOR))
        finally:
            db.close()

    build_demo(path, children=DEMO_CHILDREN, progress=lambda message: None, prepare=first_views)
    return path
