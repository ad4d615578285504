"""A database holding the base extract (corpus.py), and a fresh copy of it per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.ingest import ingest

from .corpus import write_base


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    """A database holding the base extract; tests work on copies of it."""
    folder = write_base(tmp_path_factory.mktemp("base") / "extract")
    db = folder.parent / "base.duckdb"
    ingest(folder, db)
    return db


@pytest.fixture
def live_db(base_db, tmp_path) -> Path:
    db = tmp_path / "db" / "dashboard.duckdb"
    db.parent.mkdir()
    shutil.copyfile(base_db, db)
    return db
