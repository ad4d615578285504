"""The same dashboard served from PostgreSQL: a page renders with the numbers the measures give."""

from __future__ import annotations

from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters
from dashboard.ingest import build_demo
from dashboard.metrics import compute

from .conftest import open_page, running_app


def test_first_time_entrants_page_on_postgresql(page, new_postgres_database):
    url = new_postgres_database()
    build_demo(url, children=3000, progress=lambda message: None)  # the demo: open without sign-in
    expected = compute(Database.open(url), "fte", Filters(period="2023-24"), combine=True, scope=EVERYONE.scope)
    with running_app(url) as app_url:
        open_page(page, app_url + "/first-time-entrants?period=2023-24")
        assert page.locator(".alert-warning, .alert-danger").count() == 0
        page.locator("#card-fte-count button", has_text="Show table").click()
        page.wait_for_selector("#card-fte-count .ag-row")
        cell = page.locator("#card-fte-count .ag-row .ag-cell[col-id=fte]").first.inner_text()
    assert cell == ("c" if expected.withheld["fte"].iloc[0] else str(expected.table["fte"].iloc[0]))
