"""Signing in and out in a real browser, on a database holding a real (non-demo) extract."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from dashboard import accounts

from .conftest import open_page, running_app
from .test_pages import serious_violations

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def real_app(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    shutil.copy(demo_db, path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE schema_info SET demo = false")  # only the demo build marks a database open
        service = con.execute("SELECT min(yjs) FROM extract_info").fetchone()[0]
    accounts.add_user(str(path), "manager1", PASSWORD, "manager", (service,))
    with running_app(str(path)) as url:
        yield url, service


def test_sign_in_see_only_your_service_and_sign_out(page, real_app):
    url, service = real_app
    page.goto(url + "/disposals?period=2023-24")
    page.wait_for_url("**/sign-in?next=**")
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("#username", "manager1")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "The username or password is not right." in page.locator(".alert-danger").inner_text()
    page.fill("#username", "manager1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/disposals?period=2023-24")
    open_page(page, page.url)
    assert page.locator(".alert-warning, .alert-danger").count() == 0
    assert [o for o in page.locator("#filter-yjs option").all_inner_texts() if o] == ["All services", service]
    assert "Signed in as manager1 (manager)" in page.locator(".account").inner_text()
    assert page.locator(".demo-banner").count() == 0
    page.click("text=Sign out")
    page.wait_for_url("**/sign-in?signed-out")
    assert "You have signed out." in page.inner_text("main")
    page.goto(url + "/")
    page.wait_for_url("**/sign-in?next=**")


def test_the_sign_in_page_is_accessible(page, real_app):
    page.goto(real_app[0] + "/sign-in")
    assert serious_violations(page) == []
