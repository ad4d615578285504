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
    yield create_app()
    state._database = None
    if old is None:
        os.environ.pop("DASHBOARD_DB", None)
    else:
        os.environ["DASHBOARD_DB"] = old
