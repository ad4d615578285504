"""The Dash app in-process (Flask test client) on a small demo database."""

from __future__ import annotations

import pytest

from ..demo import build_small_demo


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    import os

    from dashboard import state
    path = build_small_demo(tmp_path_factory.mktemp("pages"))
    old = os.environ.get("DASHBOARD_DB")
    os.environ["DASHBOARD_DB"] = str(path)
    state._database = None
    from dashboard import create_app
    from dashboard.static import speed_up
    app = create_app()
    speed_up(app.server)        # as the app factory will (a second call does nothing); before any request
    yield app
    state._database = None
    if old is None:
        os.environ.pop("DASHBOARD_DB", None)
    else:
        os.environ["DASHBOARD_DB"] = old


@pytest.fixture
def client(app):
    """A test client that has opened the dashboard, so it holds the CSRF token as a browser would."""
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    return client


@pytest.fixture
def in_request(app):
    """A request context as the demo visitor, for calling layouts directly."""
    from flask import g

    from dashboard.access import DEMO_VISITOR
    with app.server.test_request_context("/"):
        g.viewer = DEMO_VISITOR
        yield
