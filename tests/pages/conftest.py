"""The Dash app in-process (Flask test client) on the session's small demo database (tests/conftest.py)."""

from __future__ import annotations

import duckdb
import pytest

from dashboard import accounts, create_app
from dashboard.db import Database
from dashboard.metrics import filter_options
from dashboard.settings import Settings

#: Results the session's app keeps: every page, filter value and board pack of the session's tests, so no
#: view is worked out twice (the default, 256, is a worker's memory bound; every_filter alone makes
#: thousands, and the board pack's then found none of the page tests' left). Eviction is tested on
#: databases of its own (tests/test_result_cache.py).
SESSION_RESULTS_KEPT = 20_000


@pytest.fixture(scope="session")
def app(demo_path, tmp_path_factory):
    return create_app(
        Settings(
            db=str(demo_path),
            secret_file=tmp_path_factory.mktemp("secret") / "key",
            results_kept=SESSION_RESULTS_KEPT,
        )
    )


@pytest.fixture(scope="session")
def db(app):
    """The app's own database (demo_path, tests/conftest.py): what the tests compute directly and what its
    callbacks compute share one result cache, as they would in one worker. A test that needs a cold
    cache builds an app of its own (tests/pages/test_warm.py)."""
    return app.server.extensions["dashboard"].db


#: The password of every account on the 'real' database.
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def real_db(demo_path, tmp_path_factory):
    """A 'real' (non-demo) copy of the demo database with three accounts."""
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    path.write_bytes(demo_path.read_bytes())
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE schema_info SET demo = false")  # only the demo build marks a database open
    services = filter_options(Database.open(path))["yjs"]
    accounts.add_user(str(path), "manager1", PASSWORD, "manager", (services[0],))
    accounts.add_user(str(path), "board1", PASSWORD, "board", (services[0],))
    accounts.add_user(str(path), "admin1", PASSWORD, "admin")
    return {"path": path, "mine": services[0], "other": services[1]}


def opened(client):
    """``client`` once it has opened the dashboard: it holds the CSRF token as a browser would."""
    assert client.get("/").status_code == 200
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    return client


@pytest.fixture
def client(app):
    """A test client that has opened the dashboard, so it holds the CSRF token as a browser would."""
    return opened(app.server.test_client())


@pytest.fixture
def context(app, db):
    """What a request renders with, as the demo visitor: for calling layouts and views directly."""
    from flask import g

    from dashboard.access import DEMO_VISITOR
    from dashboard.views import Context

    with app.server.test_request_context("/"), db.snapshot() as snap:
        g.viewer, g.db = DEMO_VISITOR, snap
        yield Context(snap, DEMO_VISITOR)
