"""Sign-in, sessions, CSRF, the sign-in limit and redirects, through Flask's test client (no browser),
and against gunicorn with 4 workers for what must hold across workers (the limit, revocation).

A copy of the demo database relabelled as a real extract stands in for live data (``real_db``, in
conftest.py): sign-in is then required, and its accounts see one service (manager, board) or
everything (admin).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask.testing import FlaskClient

from benchmarks.dash_requests import CALLBACK_PATH, CannotSignIn, browser_session, page_request
from dashboard import accounts, create_app, sessions
from dashboard.settings import Settings

from ..browser.conftest import running_app
from ..commands import run_dashboard
from .conftest import PASSWORD, opened

NEW_PASSWORD = "another long enough password"


@pytest.fixture(scope="module")
def app(real_db, tmp_path_factory):
    """In this module, the app serves the real database (an app of its own, as a deployment has)."""
    return create_app(Settings(db=str(real_db["path"]), secret_file=tmp_path_factory.mktemp("secret") / "key"))


def stored(real_db, sql: str, params=()) -> list[tuple]:
    """Rows of the shared store (the SQLite file beside the database), read as an outsider would."""
    with sqlite3.connect(sessions.store_path(str(real_db["path"]))) as con:
        return con.execute(sql, params).fetchall()


@pytest.fixture(autouse=True)
def fresh_limits(app, real_db):
    sessions.store_for(str(real_db["path"]))  # the tables, before the first request makes them
    stored(real_db, "DELETE FROM dashboard_sign_in_attempts")


class Clock:
    """Stands in for the store's clock, so a window or a session can run out without waiting."""

    def __init__(self):
        import time

        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(sessions, "time", fake)
    return fake


class _HttpsClient(FlaskClient):
    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


def browser(app, address="127.0.0.1"):
    """A test client over https, as a deployment serves the app (the cookies are Secure), from ``address``."""
    client = _HttpsClient(app.server, app.server.response_class, use_cookies=True)
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)


def sign_in(client, username, password=PASSWORD, next_path="/"):
    token = _token(client)
    return client.post(
        f"/sign-in?next={next_path}", data={"username": username, "password": password, "csrf_token": token}
    )


def signed_in(app, username, password=PASSWORD):
    client = browser(app)
    assert sign_in(client, username, password).status_code == 302
    return opened(client)


def fte_key(app) -> str:
    return next(k for k in app.callback_map if "caption-fte-rate.children" in k)


def fte(app, client, search):
    return client.post(CALLBACK_PATH, json=page_request(fte_key(app), search))


def session_id(app, client) -> str:
    """The session id the signed cookie carries."""
    server = app.server
    return server.session_interface.get_signing_serializer(server).loads(client.get_cookie("yjs_session").value)["sid"]


# -- Signing in --------------------------------------------------------------------------------------
def test_real_data_needs_sign_in_for_pages_and_data(app, real_db):
    client = browser(app)
    page = client.get("/disposals?period=2023-24")
    assert page.status_code == 302 and page.headers["Location"] == "/sign-in?next=/disposals%3Fperiod%3D2023-24"
    assert client.get("/_dash-layout").status_code == 401
    forged = fte(app, client, "")
    assert forged.status_code == 401 and '"rows"' not in forged.get_data(as_text=True)


def test_signing_in_sets_a_safe_cookie_and_goes_where_the_user_was_going(app, real_db):
    client = browser(app)
    response = sign_in(client, "manager1", next_path="/referrals")
    assert response.status_code == 302 and response.headers["Location"] == "/referrals"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("yjs_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "Signed in as manager1 (manager)" in client.get("/_dash-layout").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "%5C/evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",  # browsers drop the tab: //evil.example
        "/%0d%0a/x",  # a header split (was a 500)
        "/%0a/evil.example",
        "/%0d/evil.example",
        "/%00/evil.example",
        "/%7f/evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "%20//evil.example",
        "%09//evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_sign_in_never_redirects_off_the_site(app, real_db, target):
    response = sign_in(browser(app), "manager1", next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_local_path_with_its_filters_is_kept_after_sign_in(app, real_db):
    response = sign_in(browser(app), "manager1", next_path="/disposals%3Fperiod%3D2023-24%26sex%3Dfemale")
    assert response.headers["Location"] == "/disposals?period=2023-24&sex=female"


def test_a_page_address_with_a_tab_is_not_offered_as_the_way_back(app, real_db):
    response = browser(app).get("/%09/evil.example")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in?next=/"


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


# -- The sign-in limit -------------------------------------------------------------------------------
def test_failed_sign_ins_lock_that_account_from_that_address_only(app, real_db, clock):
    attacker = browser(app, "10.0.0.1")
    codes = [sign_in(attacker, "manager1", "wrong password!").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    refused = sign_in(attacker, "manager1")  # the right password is not even checked
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "too many attempts to sign in. Wait 15 minutes" in refused.get_data(as_text=True)
    assert sign_in(browser(app, "10.0.0.2"), "manager1").status_code == 302  # the person, elsewhere
    assert sign_in(browser(app, "10.0.0.1"), "admin1").status_code == 302  # a colleague behind that address
    clock.now += 15 * 60  # the window has passed
    assert sign_in(attacker, "manager1").status_code == 302


def test_an_unknown_account_is_limited_as_a_real_one_is(app, real_db):
    """The limit does not tell an attacker which usernames exist."""
    client = browser(app, "10.0.0.6")
    assert [sign_in(client, "nobody", "wrong password!").status_code for _ in range(6)] == [401] * 5 + [429]


def test_one_address_trying_many_accounts_meets_a_ceiling(app, real_db, monkeypatch):
    monkeypatch.setattr(sessions, "ADDRESS_ATTEMPTS", 8)
    spraying = browser(app, "10.0.0.3")
    codes = [sign_in(spraying, f"guess{i}", "wrong password!").status_code for i in range(9)]
    assert codes == [401] * 8 + [429]
    assert sign_in(spraying, "admin1").status_code == 429
    assert sign_in(browser(app, "10.0.0.4"), "admin1").status_code == 302


def test_signing_in_is_not_counted_against_anyone(app, real_db):
    client = browser(app, "10.0.0.5")
    assert [sign_in(client, "manager1").status_code for _ in range(8)] == [302] * 8
    assert [sign_in(client, "manager1", "wrong password!").status_code for _ in range(6)] == [401] * 5 + [429]


def test_ipv6_addresses_are_counted_by_their_network():
    """A /64 is one household or server: it cannot step round the limit address by address."""
    assert (
        sessions.address_key("2001:db8:1:2:aaaa::1")
        == sessions.address_key("2001:db8:1:2:bbbb::2")
        == "2001:db8:1:2::/64"
    )
    assert sessions.address_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert sessions.address_key("::ffff:10.1.2.3") == "10.1.2.3"


# -- What each role sees -----------------------------------------------------------------------------
def test_a_manager_sees_their_service_and_is_refused_another(app, real_db):
    client = signed_in(app, "manager1")
    mine = fte(app, client, "?period=2023-24")
    assert mine.status_code == 200
    body = mine.get_data(as_text=True)
    assert real_db["mine"] in body and real_db["other"] not in body
    other = fte(app, client, f"?yjs={real_db['other']}")
    assert other.status_code == 400 and real_db["other"] not in other.get_json()["message"].split(":")[-1]
    page = client.get("/_dash-layout").get_data(as_text=True)
    assert real_db["mine"] in page and real_db["other"] not in page  # not offered either


def test_a_board_member_cannot_drill_down_even_by_a_forged_request(app, real_db):
    client = signed_in(app, "board1")
    assert fte(app, client, "").status_code == 200
    refused = fte(app, client, "?sex=female")
    assert refused.status_code == 403 and "whole-service figures" in refused.get_json()["message"]


def test_a_data_request_without_the_csrf_token_is_refused(app, real_db):
    client = signed_in(app, "admin1")
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    assert fte(app, client, "").status_code == 400


# -- Sessions ----------------------------------------------------------------------------------------
def copy_of(app, client):
    """Another browser holding a copy of ``client``'s cookie and token (a stolen or kept cookie)."""
    thief = browser(app)
    thief.set_cookie("yjs_session", client.get_cookie("yjs_session").value, domain="localhost")
    thief.environ_base["HTTP_X_CSRFTOKEN"] = client.environ_base["HTTP_X_CSRFTOKEN"]
    return thief


def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(app, real_db):
    client = signed_in(app, "admin1")
    thief = copy_of(app, client)
    assert fte(app, thief, "").status_code == 200
    token = client.get_cookie("_csrf_token").value
    assert client.post("/sign-out", data={"csrf_token": token}).headers["Location"] == "/sign-in?signed-out"
    assert client.get("/").status_code == 302
    replayed = fte(app, thief, "")
    assert replayed.status_code == 401 and '"rows"' not in replayed.get_data(as_text=True)
    assert thief.get("/").status_code == 302


def test_the_store_keeps_only_a_digest_of_each_session_id(app, real_db):
    client = signed_in(app, "manager1")
    sid = session_id(app, client)
    rows = stored(real_db, "SELECT id_hash, username FROM dashboard_session WHERE username = 'manager1'")
    assert (hashlib.sha256(sid.encode()).hexdigest(), "manager1") in rows
    assert sid.encode() not in sessions.store_path(str(real_db["path"])).read_bytes()


def test_signing_in_again_ends_the_session_held_before(app, real_db):
    client = signed_in(app, "manager1")
    before = copy_of(app, client)
    assert sign_in(client, "admin1").status_code == 302
    assert fte(app, before, "").status_code == 401


def test_a_new_password_ends_the_sessions_made_with_the_old_one(app, real_db):
    accounts.add_user(str(real_db["path"]), "temp2", PASSWORD, "admin")
    client = signed_in(app, "temp2")
    accounts.add_user(str(real_db["path"]), "temp2", NEW_PASSWORD, "admin")
    assert stored(real_db, "SELECT count(*) FROM dashboard_session WHERE username = 'temp2'") == [(0,)]
    assert fte(app, client, "").status_code == 401
    assert sign_in(browser(app), "temp2", PASSWORD).status_code == 401
    assert fte(app, signed_in(app, "temp2", NEW_PASSWORD), "").status_code == 200


def test_removing_a_user_ends_their_open_sessions(app, real_db):
    accounts.add_user(str(real_db["path"]), "temp1", PASSWORD, "admin")
    client = signed_in(app, "temp1")
    accounts.remove_user(str(real_db["path"]), "temp1")
    assert stored(real_db, "SELECT count(*) FROM dashboard_session WHERE username = 'temp1'") == [(0,)]
    assert client.get("/").status_code == 302
    assert fte(app, client, "").status_code == 401


def test_a_session_ends_eight_hours_after_signing_in(app, real_db, clock):
    client = signed_in(app, "manager1")
    clock.now += 8 * 60 * 60 - 60
    assert fte(app, client, "").status_code == 200
    clock.now += 120
    assert fte(app, client, "").status_code == 401


# -- Against gunicorn with 4 workers -----------------------------------------------------------------
@pytest.fixture(scope="module")
def served(real_db):
    with running_app(str(real_db["path"]), workers=4) as url:
        yield url


def sign_in_form(url) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(url + "/sign-in", timeout=30)
    return session, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def data_codes(app, url, session, times=8) -> list[int]:
    body = page_request(fte_key(app), "")
    return [session.post(url + CALLBACK_PATH, json=body, timeout=60).status_code for _ in range(times)]


def test_the_sign_in_limit_holds_across_workers(app, real_db, served):
    forms = [sign_in_form(served) for _ in range(40)]
    start = threading.Barrier(len(forms))

    def attempt(form):
        session, token = form
        start.wait()
        return session.post(
            served + "/sign-in",
            data={"username": "manager1", "password": "wrong password!", "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )

    with ThreadPoolExecutor(len(forms)) as pool:
        codes = Counter(response.status_code for response in pool.map(attempt, forms))
    assert codes == {401: 5, 429: 35}
    session, token = sign_in_form(served)  # a colleague behind the same address
    assert (
        session.post(
            served + "/sign-in",
            data={"username": "admin1", "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        ).status_code
        == 302
    )


def test_signing_out_ends_the_session_on_every_worker(app, real_db, served):
    session = browser_session(served, ("manager1", PASSWORD))
    kept = requests.Session()
    kept.cookies.update(session.cookies)
    kept.headers["X-CSRFToken"] = session.headers["X-CSRFToken"]
    assert data_codes(app, served, kept) == [200] * 8
    assert session.post(served + "/sign-out", allow_redirects=False, timeout=30).status_code == 302
    assert data_codes(app, served, kept, 12) == [401] * 12


def users(real_db, *arguments, password=None):
    """``python -m dashboard users ...`` as an administrator runs it while the app serves."""
    done = run_dashboard("users", *arguments, "--db", real_db["path"], input=password)
    assert done.returncode == 0, done.stderr


def test_a_new_password_or_removal_ends_sessions_on_every_worker(app, real_db, served):
    users(real_db, "add", "temp3", "--role", "admin", "--password-stdin", password=PASSWORD)
    first = browser_session(served, ("temp3", PASSWORD))
    assert data_codes(app, served, first) == [200] * 8
    users(real_db, "add", "temp3", "--role", "admin", "--password-stdin", password=NEW_PASSWORD)
    assert data_codes(app, served, first) == [401] * 8
    second = browser_session(served, ("temp3", NEW_PASSWORD))
    assert data_codes(app, served, second) == [200] * 8
    users(real_db, "remove", "temp3")
    assert data_codes(app, served, second) == [401] * 8


def test_the_load_test_signs_in_where_the_database_asks_for_it(app, real_db, served):
    from benchmarks.load import run_load

    with pytest.raises(CannotSignIn, match="asks for sign-in"):
        run_load(served, users=1, seconds=1)
    with pytest.raises(CannotSignIn, match="could not sign in as manager1"):
        run_load(served, users=1, seconds=1, account=("manager1", "wrong password!"))
    result = run_load(served, users=3, seconds=3, account=("admin1", PASSWORD))
    assert result["requests"] > 0 and result["errors"] == []


def test_the_load_command_runs_on_a_database_that_asks_for_sign_in(app, real_db, monkeypatch, capsys):
    """`python -m benchmarks.load --db` on such a database used to crash: it could not sign in."""
    import io

    from benchmarks.load import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "--db",
                str(real_db["path"]),
                "--user",
                "admin1",
                "--password-stdin",
                "--users",
                "2",
                "--seconds",
                "2",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert " 0 errors" in capsys.readouterr().out
