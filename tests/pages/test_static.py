"""A fast first load: static files compressed and kept by the browser, the page and Dash's answers
compressed and never stored, and the partial plotly.js served where Dash's renderer loads plotly.js."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import dash
import pytest
from plotly.offline import get_plotlyjs_version

from benchmarks.dash_requests import CALLBACK_PATH, page_request
from dashboard.static import IMMUTABLE, PARTIAL_PLOTLY, PLOTLY_URL, REVALIDATE, speed_up

from .conftest import opened

BROTLI = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(scope="module")
def fast(app):
    """The app with speed_up applied (by the fixture, as by the app factory): a second call changes nothing."""
    hooks = len(app.server.after_request_funcs[None]), len(app.server.before_request_funcs[None])
    speed_up(app.server)
    assert (len(app.server.after_request_funcs[None]), len(app.server.before_request_funcs[None])) == hooks
    return app


@pytest.fixture
def browser(fast):
    """A client that has opened the dashboard (CSRF token held), asking for compressed answers."""
    return opened(fast.server.test_client())


def _scripts(client) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', client.get("/").get_data(as_text=True))


def test_a_fingerprinted_suite_is_compressed_and_kept_for_a_year(browser):
    url = next(s for s in _scripts(browser) if "dash_ag_grid" in s)
    plain = browser.get(url, headers={"Accept-Encoding": "identity"})
    packed = browser.get(url, headers=BROTLI)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "br" and "Accept-Encoding" in packed.headers["Vary"]
    assert brotli.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["Cache-Control"] == plain.headers["Cache-Control"] == IMMUTABLE
    assert browser.get(url, headers=BROTLI).data == packed.data  # the stored copy, same bytes


def test_gzip_for_a_browser_without_brotli(browser):
    url = next(s for s in _scripts(browser) if "react-dom" in s)
    packed = browser.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == browser.get(url, headers={"Accept-Encoding": "identity"}).data
    refused = browser.get(url, headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_an_asset_is_kept_only_when_its_address_names_its_version(browser):
    linked = next(
        s
        for s in re.findall(r'href="([^"]+)"', browser.get("/").get_data(as_text=True))
        if s.startswith("/assets/style.css?m=")
    )
    assert browser.get(linked, headers=BROTLI).headers["Cache-Control"] == IMMUTABLE
    bare = browser.get("/assets/style.css", headers=BROTLI)  # as the sign-in page links it
    assert bare.headers["Cache-Control"] == REVALIDATE and bare.headers["Content-Encoding"] == "br"
    again = browser.get("/assets/style.css", headers={**BROTLI, "If-None-Match": bare.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_the_page_and_dash_answers_are_compressed_and_never_stored(fast, browser):
    page = browser.get("/disposals", headers=BROTLI)
    assert page.headers["Content-Encoding"] == "br" and page.headers["Cache-Control"] == "no-store"
    assert b"<html" in brotli.decompress(page.data)
    key = next(k for k in fast.callback_map if "caption-disposals.children" in k)
    answer = browser.post(CALLBACK_PATH, headers=BROTLI, json=page_request(key, "?view=count"))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Encoding"] == "br" and b'"response"' in brotli.decompress(answer.data)
    boundaries = browser.get("/data/boundaries.geojson", headers=BROTLI)
    assert boundaries.headers["Content-Encoding"] == "br" and brotli.decompress(boundaries.data).startswith(b"{")


def test_plotly_is_the_partial_bundle_of_the_version_the_plotly_package_was_made_for(browser):
    served = browser.get(PLOTLY_URL, headers={"Accept-Encoding": "identity"})
    assert served.status_code == 200 and served.mimetype == "text/javascript"
    assert served.data == PARTIAL_PLOTLY.read_bytes()
    assert served.data.startswith(f"/* plotly.js v{get_plotlyjs_version()} ".encode())
    assert served.headers["Cache-Control"] == REVALIDATE  # its address never changes: revalidated
    full = Path(dash.__file__).parents[1] / "plotly" / "package_data" / "plotly.min.js"
    assert len(served.data) < full.stat().st_size / 3


def test_dash_still_loads_plotly_from_where_the_partial_bundle_is_served(browser):
    """Dash links no plotly.js in the page: its renderer loads it from PLOTLY_URL when a chart is drawn.
    If a Dash upgrade moves that, this fails (rather than the full bundle coming back unnoticed)."""
    renderer = Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.min.js"
    assert PLOTLY_URL.lstrip("/") in renderer.read_text()
    assert not any("plotly" in s for s in _scripts(browser))
