"""A small demo database shared by the page and browser tests (built once per test session)."""

from __future__ import annotations

from pathlib import Path

from dashboard.ingest import build_demo

DEMO_CHILDREN = 4000


def build_small_demo(folder: Path) -> Path:
    path = folder / "demo.duckdb"
    build_demo(path, children=DEMO_CHILDREN, progress=lambda message: None)
    return path
