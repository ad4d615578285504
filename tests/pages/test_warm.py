"""A viewer's first request starts working out every page's first view in the background, once per
viewer and database version, so the slow part of a first view (the protected lattices) is done before
they click."""

from __future__ import annotations

import threading

import dashboard.metrics
from dashboard import create_app, views
from dashboard.access import DEMO_VISITOR
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
