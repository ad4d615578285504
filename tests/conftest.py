"""Shared fixtures: build a database from a small extract in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.db import Database
from dashboard.ingest import ingest

from .extracts import write_extract


@pytest.fixture
def load_extract(tmp_path):
    """Write an extract and ingest it: ``db = load_extract(children=[...], ...)``."""
    def load(db_name: str = "test.duckdb", **tables) -> Database:
        folder = write_extract(tmp_path / f"extract-{len(list(tmp_path.iterdir()))}", **tables)
        db_path = tmp_path / db_name
        ingest(folder, db_path)
        return Database.open(db_path)
    return load
