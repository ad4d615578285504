"""A viewer's first request starts working out every page's first view in the background, once per
viewer and database version, so the slow part of a first view (the protected lattices) is done before
they click."""

from __future__ import annotations

import threading

import dashboard.metrics
from dashboard import create_app, views
from dashboard.access import DEMO_VISITOR, Scope, Viewer
from dashboard.filters import Filters
from dashboard.settings import Settings


def _warming() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "warm"]


def test_the_first_request_works_out_every_page_and_later_views_compute_nothing(demo_path, tmp_path, monkeypatch):
    app = create_app(Settings(db=str(demo_path), secret_file=tmp_path / "key", warm=True))
    served = app.server.extensions["dashboard"]
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    started = _warming()
    assert len(started) == 1
    started[0].join(timeout=600)
    assert not started[0].is_alive()
    assert client.get("/disposals").status_code == 200
    assert _warming() == []  # the same viewer and version: not again
    computed = []
    real = dashboard.metrics._compute
    monkeypatch.setattr(dashboard.metrics, "_compute", lambda *a, **k: computed.append(a[1].name) or real(*a, **k))
    with served.db.snapshot() as snap:
        views.warm(views.Context(snap, DEMO_VISITOR))  # every page's first view again
    assert computed == []


def test_no_background_work_when_turned_off(demo_path, tmp_path):
    app = create_app(Settings(db=str(demo_path), secret_file=tmp_path / "key", warm=False))
    assert app.server.test_client().get("/").status_code == 200
    assert _warming() == [] and app.server.extensions["dashboard"].warmed == set()


def test_a_load_prepares_each_year_and_each_one_choice_of_service_and_group(context):
    """What a board member clicks first: a year, a service of several, a sex, an ethnic group, an age band."""
    assert views.first_views(context) == [Filters()]  # a viewer's own first request: the default view only
    ahead = views.first_views(context, ahead=True)
    assert ahead[:3] == [Filters(), Filters(period="2025-26"), Filters(period="2024-25")]
    assert Filters(period="2015-16") in ahead and Filters(period="2014-15") not in ahead  # the demo's years
    assert [f.yjs for f in ahead if f.yjs] == ["Ashby Vale", "Brackendale", "Cwm Arian", "Kingsmere", "Northvale"]
    groups = [f.chosen() for f in ahead if f.period is None and f.yjs is None and f.chosen()]
    assert groups == [
        {"ethnicity_group": "White"},
        {"ethnicity_group": "Mixed"},
        {"ethnicity_group": "Asian"},
        {"ethnicity_group": "Black"},
        {"ethnicity_group": "Other"},
        {"ethnicity_group": "Unknown"},
        {"sex": "male"},
        {"sex": "female"},
        {"sex": "unknown"},
        {"age_band": "10-14"},
        {"age_band": "15-17"},
    ]
    # A board member of one service, who sees whole-service figures: their years only.
    board = views.Context(context.db, Viewer("board", "board", Scope(("Northvale",), drill_down=False)))
    assert [f.chosen() for f in views.first_views(board, ahead=True)][:2] == [{}, {"period": "2025-26"}]
    assert all(set(f.chosen()) <= {"period"} for f in views.first_views(board, ahead=True))
