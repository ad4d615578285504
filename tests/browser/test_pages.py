"""The dashboard in a real Chromium against the running app (gunicorn, demo database)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from benchmarks.dash_requests import ROOT
from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters
from dashboard.metrics import compute, filter_options

from .conftest import open_page

PAGES = [
    "/",
    "/first-time-entrants",
    "/key-performance-indicators",
    "/disposals",
    "/referrals",
    "/disproportionality",
    "/reoffending",
    "/custody-and-remand",
    "/compare-areas",
    "/about",
]


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_with_data_and_no_error(page, app_url, path):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_page(page, app_url + path)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").count() == 1
    assert page.locator(".alert-warning, .alert-danger").count() == 0
    if path not in ("/", "/about"):
        assert page.locator(".chart-card .js-plotly-plot").count() >= 1
        assert page.locator(".chart-card .card-subtitle").first.inner_text().strip()
    if path == "/":
        assert page.locator(".kpi-card").count() == 5
    if path == "/key-performance-indicators":
        # The YJB's ten KPIs, each with what was not recorded.
        assert page.locator(".kpi-card").count() == page.locator(".kpi-card .kpi-quality").count() == 10
    assert errors == []


def _grid_rows(page, card: str) -> list[dict]:
    """The table view of a card, as the reader sees it (once every column of every row is drawn)."""
    page.wait_for_function(f"""() => {{
        const grid = document.querySelector('#card-{card} .ag-root');
        if (!grid) return false;        // built once the table is opened
        const columns = grid.querySelectorAll('.ag-header-cell').length;
        const rows = grid.querySelectorAll('.ag-center-cols-container .ag-row');
        return rows.length > 0 && [...rows].every(r => r.querySelectorAll('.ag-cell').length === columns);
    }}""")
    grid = page.locator(f"#card-{card} .ag-center-cols-container .ag-row")
    rows = []
    for i in range(grid.count()):
        cells = grid.nth(i).locator(".ag-cell")
        rows.append({cells.nth(j).get_attribute("col-id"): cells.nth(j).inner_text() for j in range(cells.count())})
    return rows


def test_a_filter_changes_the_figures_to_what_the_measure_gives(page, app_url, demo_db):
    db = Database.open(demo_db)
    service = filter_options(db)["yjs"][0]
    open_page(page, app_url + "/first-time-entrants")
    page.select_option("#filter-yjs", service)
    page.wait_for_url(f"**yjs={service.replace(' ', '+')}*")
    open_page(page, page.url)
    page.locator("#card-fte-count button", has_text="Show table").click()
    page.wait_for_selector("#card-fte-count .ag-row")
    shown = {r["period"]: r["fte"] for r in _grid_rows(page, "fte-count")}
    expected = compute(db, "fte", Filters(yjs=service), combine=True, scope=EVERYONE.scope)
    want = {r.period: ("c" if w else str(r.fte)) for r, w in zip(expected.table.itertuples(), expected.withheld["fte"])}
    assert shown == want
    assert service in page.locator("#card-fte-count .card-subtitle").inner_text()


def test_a_link_reproduces_the_view(page, app_url):
    open_page(page, app_url + "/disposals?period=2023-24&sex=female")
    assert page.input_value("#filter-period") == "2023-24"
    assert page.input_value("#filter-sex") == "female"
    assert page.locator("#card-disposals .card-subtitle").inner_text().startswith("2023-24, girls")
    page.click("text=Referrals")
    page.wait_for_url("**/referrals?**")
    assert parse_qs(urlparse(page.url).query) == {"period": ["2023-24"], "sex": ["female"]}


def test_back_and_forward_restore_the_filters(page, app_url):
    open_page(page, app_url + "/disposals")
    page.select_option("#filter-period", "2022-23")
    page.wait_for_url("**period=2022-23*")
    page.select_option("#filter-period", "2021-22")
    page.wait_for_url("**period=2021-22*")
    page.go_back()
    page.wait_for_url("**period=2022-23*")
    page.wait_for_function("() => document.querySelector('#filter-period').value === '2022-23'")


def test_table_toggle_and_csv_download_give_what_is_shown(page, app_url):
    open_page(page, app_url + "/disposals?period=2023-24")
    page.locator("#card-disposals button", has_text="Show table").click()
    page.wait_for_selector("#card-disposals .ag-row")
    rows = _grid_rows(page, "disposals")
    with page.expect_download() as download:
        page.locator("#card-disposals button", has_text="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    downloaded = list(csv.DictReader(io.StringIO(text)))
    # Headed in words, as on screen (issue 13, item 10), the codes written out as the table writes them.
    assert list(downloaded[0]) == ["Period", "Disposal", "Tier", "Programmes started"]
    headers = page.locator("#card-disposals .ag-header-cell-text").all_inner_texts()
    assert headers == ["Period", "Disposal", "Tier", "Programmes started"]
    assert [(r["Disposal"], r["Programmes started"]) for r in downloaded] == [
        (r["disposal_type"], r["count"]) for r in rows
    ]
    assert not any("_" in r["Disposal"] for r in downloaded)
    assert download.value.suggested_filename == "disposals.csv"


def test_a_link_with_filters_that_cannot_be_shown_says_so_and_falls_back_to_the_default_view(page, app_url):
    open_page(page, app_url + "/first-time-entrants?period=2023-24&yjs=%27%3B+DROP+TABLE+child%3B+--")
    problem = page.locator("#link-problem .alert").inner_text()
    assert problem.startswith("This link's filters cannot be shown") and "unknown YJS" in problem
    page.wait_for_url(lambda url: "?" not in url)
    open_page(page, page.url)
    assert page.input_value("#filter-yjs") == "all"
    assert page.locator("#card-fte-rate .card-subtitle").inner_text().startswith("2015-16 to")


AXE = ROOT / ".test-tools" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[tuple]:
    """What axe finds serious or critical on the page as it stands: (rule, impact, the first three places)."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/install-test-tools.sh")
    page.evaluate(AXE.read_text())  # evaluated by the test, so the app's CSP need not allow it
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_accessibility_violations(page, app_url, path):
    open_page(page, app_url + path)
    assert serious_violations(page) == []


def test_only_periods_with_data_are_offered_and_none_shows_nothing_as_0(page, app_url, demo_db):
    """Issue 13, item 3: 2014-15 (before the extract's first record) showed 0 first-time entrants, and
    quarters after the extract was taken showed "0 per 100,000"."""
    options = filter_options(Database.open(demo_db))
    as_of = max(options["as_of"].values())
    open_page(page, app_url + "/first-time-entrants")
    offered = page.eval_on_selector_all("#filter-period option", "options => options.map(o => o.value)")
    first = min(options["years"])
    assert f"{first - 1}-{str(first)[2:]}" not in offered and f"{first}-{str(first + 1)[2:]}" in offered
    # The demo is taken on 30 June 2025: its first quarter of 2025-26 is offered, the next one is not.
    assert as_of.isoformat() == "2025-06-30" and "2025-26 Q1" in offered and "2025-26 Q2" not in offered
    page.locator("#card-fte-count button", has_text="Show table").click()
    rows = _grid_rows(page, "fte-count")
    assert rows[0]["period"] == f"{first}-{str(first + 1)[2:]}" and all(r["fte"] != "0" for r in rows)


def test_the_overview_follows_the_period_and_says_what_each_card_covers(page, app_url, demo_db):
    """Issue 13, item 5: a chosen year is the year shown; each card names its year and children."""
    latest = filter_options(Database.open(demo_db))["latest_complete_year"]
    year = f"{latest - 2}-{(latest - 1) % 100:02d}"
    open_page(page, app_url + f"/?period={year}&sex=female")
    page.wait_for_selector(".kpi-card")
    assert page.locator(".data-as-at").inner_text().startswith("Data as at ")
    notes = page.locator(".kpi-card .kpi-note").all_inner_texts()
    assert len(notes) == 5 and all("girls" in note for note in notes), notes
    assert page.locator(".kpi-card .kpi-note").first.inner_text().startswith(f"{year}, ")
    assert "Custody and remands" in page.locator(".kpi-card").nth(2).inner_text()
