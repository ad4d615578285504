"""Shared fixtures. Every measure test runs on both backends: a DuckDB file and PostgreSQL."""

from __future__ import annotations

import os

import pytest

from dashboard.db import Database
from dashboard.ingest import ingest

from .demo import build_small_demo
from .extracts import write_extract
from .postgres import postgres_bin, postgres_server

BACKENDS = ("duckdb", "postgresql")
# No app of the tests works out first views in the background (web.Served.warm) unless it asks to: the
# threads would take the cores the other tests need. tests/pages/test_warm.py asks.
os.environ.setdefault("DASHBOARD_WARM", "0")
#: Fixtures that start Chromium or serve the app: a test using one is a browser test.
BROWSER_FIXTURES = {"browser", "page", "app_url", "served", "pack"}
#: Tests that are slow by nature, not by setup: every value of every filter through every page and the
#: board pack, and the suppression audit's attacks on every view of two roles (minutes each). Marked here,
#: by path, so the files themselves need no edit. ``-m "not browser and not slow"`` is the quick loop;
#: the full run (``bash scripts/test``) includes them.
SLOW_FILES = {"test_every_filter.py", "test_suppression_audit.py"}
#: Tests that time the app under load (a bystander's p95 while another user hammers it, ingests under 50
#: clicking users): they need the cores to themselves, so scripts/test runs them after the others, alone.
ALONE_FILES = {"test_faults.py"}


def pytest_collection_modifyitems(items):
    """Mark the browser tests once, here: everything under tests/browser, and any test that uses a
    fixture starting Chromium or a server (``-m "not browser"`` then leaves a fast suite); and the slow ones."""
    for item in items:
        if "browser" in item.path.parts or BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        if item.path.name in ALONE_FILES:
            item.add_marker(pytest.mark.alone)
        # With pytest-xdist (``-n 2 --dist loadgroup``, scripts/test): a file's tests stay on one worker, so
        # its module fixtures are made once and its views computed once (every_filter's board pack reads
        # what its page tests worked out), and the browser tests all on one (one Chromium, one served app).
        group = "browser" if "browser" in item.path.parts else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
    # The longest groups first (the browser tests, the slow files), so the workers end together rather
    # than one running the suppression audit alone at the end; the order within a file is kept.
    items.sort(key=lambda item: not ("browser" in item.path.parts or item.path.name in SLOW_FILES))


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    """The small demo database (tests/demo.py), built once per session for every test that only reads it:
    the page tests, the browser tests, the access and board-pack tests. A test that writes copies it."""
    return build_small_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def new_postgres_database():
    """Make an empty PostgreSQL database; skipped (locally) or failed (CI) without PostgreSQL."""
    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL must be installed in CI (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed")
    with postgres_server() as new_database:
        yield new_database


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def database_at(backend, request, tmp_path_factory):
    """``database_at(name)``: where to load a database of this name on the current backend."""
    if backend == "postgresql":
        factory = request.getfixturevalue("new_postgres_database")
        return lambda name: factory()
    folder = tmp_path_factory.mktemp("databases")
    return lambda name: str(folder / f"{name}.duckdb")


@pytest.fixture(scope="session")
def build_database(database_at, tmp_path_factory):
    """``build_database(name, **tables)``: write an extract, load it, open the database."""

    def build(name: str, **tables) -> Database:
        folder = write_extract(tmp_path_factory.mktemp(name), **tables)
        location = database_at(name)
        ingest(folder, location)
        return Database.open(location)

    return build


@pytest.fixture
def load_extract(build_database, request):
    """The same for one test: ``db = load_extract(children=[...], ...)``."""
    return lambda **tables: build_database(request.node.name[:40].replace("[", "_").replace("]", ""), **tables)
