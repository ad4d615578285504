"""A running app (gunicorn on a socket the OS chose, on a small demo database) and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.browser import CHROMIUM, HEADLESS_ARGS
from benchmarks.dash_requests import serve


@pytest.fixture(scope="session")
def demo_db(demo_path):
    """The session's small demo database (tests/conftest.py), which the browser tests only read."""
    return demo_path


@contextmanager
def running_app(location: str, workers: int = 2, env: dict[str, str] | None = None):
    """gunicorn serving the app against ``location`` (benchmarks.dash_requests.serve: a socket the OS
    chose, handed to gunicorn open; ``env``: more DASHBOARD_* settings); yields its URL."""
    with tempfile.NamedTemporaryFile("w+", prefix="yjs-app-", suffix=".log") as log:
        try:
            server, url = serve(location, workers, stderr=log, env=env)
        except RuntimeError:
            pytest.fail("the app did not start: " + Path(log.name).read_text()[-2000:])
        try:
            yield url
        except Exception as exc:
            # Say what the server logged: a browser timeout alone does not say why.
            raise AssertionError(f"{exc}\n--- app log ---\n{Path(log.name).read_text()[-3000:]}") from exc
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a worker still finishing a request
                server.kill()
                server.wait(timeout=10)


@pytest.fixture(scope="session")
def app_url(demo_db):
    with running_app(str(demo_db)) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium must be installed in CI (apt-get install chromium)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def open_page(page, url: str):
    """Open a page and wait until every chart card has been filled (or shows its message)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        """() => {
        const cards = document.querySelectorAll('.chart-card');
        if (!cards.length && !document.querySelector('.kpi-card, .about-text')) return false;
        return [...cards].every(c => c.querySelector('.js-plotly-plot .main-svg') || c.querySelector('.alert'))
            && !document.querySelector('[data-dash-is-loading="true"]');
    }""",
        timeout=60_000,
    )
    return page
