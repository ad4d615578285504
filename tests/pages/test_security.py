"""Sign-in, sessions, CSRF, headers and forged requests, through Flask's test client (no browser).

A copy of the demo database relabelled as a real extract stands in for live data: sign-in is then
required, and the accounts below see one service (manager, board) or everything (admin).
"""

from __future__ import annotations

import os
import re

import duckdb
import pytest
from flask.testing import FlaskClient

from benchmarks.dash_requests import CALLBACK_PATH, callback_request
from dashboard import accounts, state
from dashboard.metrics import filter_options
from dashboard.web import limiter

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def real_db(app, tmp_path_factory):
    """The app pointed at a 'real' (non-demo) database with three accounts."""
    demo = os.environ["DASHBOARD_DB"]
    assert app.server.test_client().get("/").status_code == 200     # Dash sets up its callbacks
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    path.write_bytes(open(demo, "rb").read())
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE schema_info SET demo = false")     # only the demo build marks a database open
    services = filter_options(state.Database.open(path))["yjs"]
    accounts.add_user(str(path), "manager1", PASSWORD, "manager", (services[0],))
    accounts.add_user(str(path), "board1", PASSWORD, "board", (services[0],))
    accounts.add_user(str(path), "admin1", PASSWORD, "admin")
    os.environ["DASHBOARD_DB"], state._database = str(path), None
    yield {"path": path, "mine": services[0], "other": services[1]}
    os.environ["DASHBOARD_DB"], state._database = demo, None


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()


class _HttpsClient(FlaskClient):
    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


def browser(app):
    """A test client over https, as a deployment serves the app (the cookies are Secure)."""
    client = _HttpsClient(app.server, app.server.response_class, use_cookies=True)
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)


def sign_in(client, username, password=PASSWORD, next_path="/"):
    token = _token(client)
    return client.post(f"/sign-in?next={next_path}", data={"username": username, "password": password,
                                                            "csrf_token": token})


def signed_in(app, username):
    client = browser(app)
    assert sign_in(client, username).status_code == 302
    assert client.get("/").status_code == 200
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    return client


def fte(app, client, search):
    key = next(k for k in app.callback_map if "caption-fte-rate.children" in k)
    return client.post(CALLBACK_PATH, json=callback_request(key, [{"id": "url", "property": "search",
                                                                   "value": search}]))


def test_real_data_needs_sign_in_for_pages_and_data(app, real_db):
    client = browser(app)
    page = client.get("/disposals?period=2023-24")
    assert page.status_code == 302 and page.headers["Location"] == "/sign-in?next=/disposals?period%3D2023-24" \
        or page.headers["Location"].startswith("/sign-in?next=/disposals")
    assert client.get("/_dash-layout").status_code == 401
    forged = fte(app, client, "")
    assert forged.status_code == 401 and "rowData" not in forged.get_data(as_text=True)


def test_signing_in_sets_a_safe_cookie_and_goes_where_the_user_was_going(app, real_db):
    client = browser(app)
    response = sign_in(client, "manager1", next_path="/referrals")
    assert response.status_code == 302 and response.headers["Location"] == "/referrals"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("yjs_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "Signed in as manager1 (manager)" in client.get("/_dash-layout").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_off_the_site(app, real_db, target):
    assert sign_in(browser(app), "manager1", next_path=target).headers["Location"] == "/"


def test_a_wrong_password_or_user_gets_the_same_plain_message(app, real_db):
    for user, password in [("manager1", "not the password"), ("nobody", PASSWORD)]:
        response = sign_in(browser(app), user, password)
        assert response.status_code == 401
        assert "The username or password is not right." in response.get_data(as_text=True)


def test_sign_in_without_the_csrf_token_is_refused(app, real_db):
    client = browser(app)
    response = client.post("/sign-in", data={"username": "manager1", "password": PASSWORD})
    assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_attempts_are_rate_limited(app, real_db):
    client = browser(app)
    codes = [sign_in(client, "manager1", "wrong password!").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert sign_in(client, "manager1").status_code == 429          # even the right password, for now


def test_a_manager_sees_their_service_and_is_refused_another(app, real_db):
    client = signed_in(app, "manager1")
    mine = fte(app, client, "?period=2023-24")
    assert mine.status_code == 200
    body = mine.get_data(as_text=True)
    assert real_db["mine"] in body and real_db["other"] not in body
    other = fte(app, client, f"?yjs={real_db['other']}")
    assert other.status_code == 400 and real_db["other"] not in other.get_json()["message"].split(":")[-1]
    page = client.get("/_dash-layout").get_data(as_text=True)
    assert real_db["mine"] in page and real_db["other"] not in page      # not offered either


def test_a_board_member_cannot_drill_down_even_by_a_forged_request(app, real_db):
    client = signed_in(app, "board1")
    assert fte(app, client, "").status_code == 200
    refused = fte(app, client, "?sex=female")
    assert refused.status_code == 403 and "whole-service figures" in refused.get_json()["message"]


def test_a_data_request_without_the_csrf_token_is_refused(app, real_db):
    client = signed_in(app, "admin1")
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    assert fte(app, client, "").status_code == 400


def test_sign_out_ends_the_session(app, real_db):
    client = signed_in(app, "admin1")
    token = client.get_cookie("_csrf_token").value
    assert client.post("/sign-out", data={"csrf_token": token}).headers["Location"] == "/sign-in?signed-out"
    assert client.get("/").status_code == 302
    assert fte(app, client, "").status_code in (400, 401)


def test_removing_a_user_ends_their_open_sessions(app, real_db):
    accounts.add_user(str(real_db["path"]), "temp1", PASSWORD, "admin")
    client = signed_in(app, "temp1")
    accounts.remove_user(str(real_db["path"]), "temp1")
    assert client.get("/").status_code == 302
    assert fte(app, client, "").status_code == 401


def test_the_board_pack_job_knows_the_account_from_the_signed_session_cookie(app, real_db):
    from dashboard.web import session_user
    cookie = signed_in(app, "manager1").get_cookie("yjs_session").value
    assert session_user({"yjs_session": cookie}) == "manager1"
    assert session_user({"yjs_session": cookie[:-4] + "AAAA"}) is None       # tampered
    assert session_user({}) is None
