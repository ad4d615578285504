"""Hardening on the demo database: who may open it, headers, malformed and oversized requests,
errors without tracebacks, formulas kept out of spreadsheets (Flask's test client, no browser)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from benchmarks.dash_requests import CALLBACK_PATH, page_request

from ..commands import ROOT

NOT_OURS = {"message": "This request is not one the dashboard makes."}


def fte_body(app, search=""):
    key = next(k for k in app.callback_map if "caption-fte-rate.children" in k)
    return page_request(key, search)


def fte(app, client, search):
    return client.post(CALLBACK_PATH, json=fte_body(app, search))


def test_the_demo_is_open_only_from_this_computer(app):
    assert app.server.test_client().get("/").status_code == 200
    from_outside = app.server.test_client().get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert from_outside.status_code == 302 and from_outside.headers["Location"].startswith("/sign-in")


def from_outside(app, path):
    return app.server.test_client().get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})


@pytest.mark.parametrize("path", ["/sign-in", "/_favicon.ico", "/assets/style.css", "/assets/vendor/bootstrap.min.css"])
def test_the_sign_in_page_and_what_it_uses_are_open(app, path):
    assert from_outside(app, path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/_favicon.icoX",
        "/_favicon.ico/x",
        "/sign-inX",
        "/sign-in/",
        "/sign-in/x",
        "/assets",
        "/assetsX/style.css",
        "/assets.css",
    ],
)
def test_nothing_else_is_open_by_sharing_the_start_of_an_open_path(app, path):
    """'/_favicon.icoX' used to serve the index page (with the versions of everything) without sign-in."""
    response = from_outside(app, path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")
    assert "_dash-component-suites" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/assets/no-such-file.js", "/assets/%2e%2e/app.py", "/assets/..%2fapp.py"])
def test_under_assets_only_files_there_are_served(app, path):
    response = from_outside(app, path)
    assert response.status_code == 404 and "_dash-component-suites" not in response.get_data(as_text=True)


def test_every_response_carries_the_security_headers(app, client):
    for path in ["/", "/sign-in", "/assets/style.css", "/no-such-page-at-all"]:
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert app.server.debug is False


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


#: Forged bodies, each made from a good request for the first-time entrants page (``good``).
FORGED = {
    "an unknown callback": lambda good: {**good, "output": "no-such-output.children"},
    "a callback named by a number": lambda good: {**good, "output": 7},
    "a clientside callback": lambda good: {
        **good,
        "output": "_pages_dummy.children",
        "outputs": {"id": "_pages_dummy", "property": "children"},
    },
    "no inputs": lambda good: {**good, "inputs": []},
    "an input too many": lambda good: {**good, "inputs": good["inputs"] * 2},
    "another component's value as the input": lambda good: {
        **good,
        "inputs": [{"id": "filter-yjs", "property": "value", "value": ""}],
    },
    "the input's other property": lambda good: {**good, "inputs": [{**good["inputs"][0], "property": "pathname"}]},
    "inputs as an object": lambda good: {**good, "inputs": good["inputs"][0]},
    "an input that is not an object": lambda good: {**good, "inputs": ["url.search"]},
    "state the callback does not take": lambda good: {**good, "state": good["inputs"]},
    "state as text": lambda good: {**good, "state": "x"},
    "no outputs": lambda good: {k: v for k, v in good.items() if k != "outputs"},
    "one output for many": lambda good: {**good, "outputs": good["outputs"][0]},
    "an output too few": lambda good: {**good, "outputs": good["outputs"][:-1]},
    "another component's output": lambda good: {
        **good,
        "outputs": good["outputs"][:-1] + [{"id": "link-problem", "property": "children"}],
    },
    "a change to something not an input": lambda good: {**good, "changedPropIds": ["filter-yjs.value"]},
    "changes as text": lambda good: {**good, "changedPropIds": "url.search"},
    "1,000-deep JSON as a value": lambda good: json.dumps(good).replace('"value": ""', '"value": ' + nested(1000)),
    "100,000-deep JSON": lambda good: nested(100_000),
    "21-deep JSON as a value": lambda good: json.dumps(good).replace('"value": ""', '"value": ' + nested(18)),
    "a list, not an object": lambda good: ["not", "an", "object"],
    "not JSON at all": lambda good: "not json at all",
}


@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
def test_a_malformed_callback_request_gets_a_400(app, client, forge):
    body = forge(fte_body(app))
    response = (
        client.post(CALLBACK_PATH, data=body, content_type="application/json")
        if isinstance(body, str)
        else client.post(CALLBACK_PATH, json=body)
    )
    assert response.status_code == 400 and response.get_json() == NOT_OURS


def test_json_just_within_the_depth_bound_is_answered(app, client):
    """20 levels: the body, its inputs, the input, then 17 nested lists as the value (a text is expected)."""
    body = json.dumps(fte_body(app)).replace('"value": ""', '"value": ' + nested(17))
    response = client.post(CALLBACK_PATH, data=body, content_type="application/json")
    assert response.status_code == 400 and "These filters cannot be shown" in response.get_json()["message"]


def card_id(part, card="fte-rate"):
    return {"card": card, "type": f"card-{part}"}


def test_pattern_matching_callbacks_are_answered_as_the_browser_asks(app, client):
    """ALL (the nav links, a list of components) and MATCH (one card's table toggle), as Dash's renderer
    sends them: the checks must not refuse what the dashboard itself asks."""
    nav = next(k for k in app.callback_map if k.endswith('nav-link"}.href'))
    links = [{"path": "/", "type": "nav-link"}, {"path": "/disposals", "type": "nav-link"}]
    answer = client.post(
        CALLBACK_PATH,
        json={
            "output": nav,
            "outputs": [{"id": link, "property": "href"} for link in links],
            "inputs": [{"id": "url", "property": "search", "value": "?period=2023-24"}],
            "state": [[{"id": link, "property": "id", "value": link} for link in links]],
            "changedPropIds": ["url.search"],
        },
    )
    assert answer.status_code == 200
    assert json.loads(answer.get_data(as_text=True))["response"] == {
        '{"path":"/","type":"nav-link"}': {"href": "/?period=2023-24"},
        '{"path":"/disposals","type":"nav-link"}': {"href": "/disposals?period=2023-24"},
    }
    csv = next(k for k in app.callback_map if k.endswith('"card-download"}.data'))
    table = {"rows": [{"period": "2023-24", "fte": "c"}], "columns": [{"field": "period"}, {"field": "fte"}]}
    match = {
        "output": csv,
        "outputs": {"id": card_id("download"), "property": "data"},
        "inputs": [{"id": card_id("csv"), "property": "n_clicks", "value": 1}],
        "state": [
            {"id": card_id("rows"), "property": "data", "value": table},
            {"id": card_id("filename"), "property": "data", "value": "fte"},
        ],
        "changedPropIds": ['{"card":"fte-rate","type":"card-csv"}.n_clicks'],
    }
    answer = client.post(CALLBACK_PATH, json=match)
    assert answer.status_code == 200 and "2023-24,c" in answer.get_data(as_text=True)
    wrong_card_type = {**card_id("csv"), "type": "card-toggle"}
    answer = client.post(
        CALLBACK_PATH,
        json={**match, "inputs": [{"id": wrong_card_type, "property": "n_clicks", "value": 1}], "changedPropIds": []},
    )
    assert answer.status_code == 400 and answer.get_json() == NOT_OURS
    # The table's toggle runs in the browser: the server has nothing to answer.
    toggle = next(k for k in app.callback_map if 'card-toggle"}.children' in k)
    answer = client.post(
        CALLBACK_PATH,
        json={
            "output": toggle,
            "outputs": [{"id": card_id("table"), "property": "hidden"}],
            "inputs": [{"id": card_id("toggle"), "property": "n_clicks", "value": 1}],
            "changedPropIds": [],
        },
    )
    assert answer.status_code == 400


def test_an_absurd_period_is_a_plain_400_naming_the_valid_years(app, client, db):
    """'9999-00' passes for a financial year (9999 + 1 ends in 00) but no date can hold it."""
    from dashboard.filters import period_label
    from dashboard.metrics import filter_options

    response = fte(app, client, "?period=9999-00")
    message = response.get_json()["message"]
    assert response.status_code == 400 and message.startswith("These filters cannot be shown: period '9999-00'")
    assert "valid financial years: " + ", ".join(period_label(y) for y in filter_options(db)["years"]) in message


def test_a_huge_request_gets_a_413(app, client):
    response = fte(app, client, "?yjs=" + "x" * 2_000_000)
    assert response.status_code == 413 and "too large" in response.get_json()["message"]


def test_an_unexpected_error_is_a_plain_message_and_no_traceback(app, client, monkeypatch):
    from dashboard.views import render

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(render, "compute", broken)
    body = fte(app, client, "").get_data(as_text=True)
    assert "Something went wrong" in body and "secret detail" not in body and "Traceback" not in body


def test_free_date_ranges_are_not_taken_from_the_address(app, client):
    """Day-by-day ranges could be differenced to reveal small counts: the web offers years and quarters."""
    body = fte(app, client, "?from=2023-04-01&to=2023-04-02").get_data(as_text=True)
    assert "1 April 2023" not in body and "2023-24" in body and "2015-16 to" in body  # from the first case record


def test_cookies_are_secure_except_over_plain_http_on_this_computer(app):
    def flags(base_url):
        response = app.server.test_client().get("/", base_url=base_url)
        found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("_csrf_token=")]
        assert found
        return found

    assert all("Secure" not in c for c in flags("http://localhost"))  # the demo at http://127.0.0.1
    assert all("Secure" in c for c in flags("https://localhost"))


HOSTILE = [
    '=HYPERLINK("http://evil.example","Click")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "\tTab first",
    "\rReturn first",
    "Area\r=1+1",
    "Northvale",
    "c",
]
NEUTRALISED = [
    '\'=HYPERLINK("http://evil.example","Click")',
    "'+1+1",
    "'-2+3+cmd|' /C calc'!A0",
    "'@SUM(A1)",
    "'\tTab first",
    "'\rReturn first",
    "Area\r=1+1",
    "Northvale",
    "c",
]
COUNTS = [5, -3, 0, 7, 8, 9, 2, 10, 1]


def test_a_formula_in_the_data_reaches_a_workbook_as_text():
    from openpyxl import load_workbook

    from dashboard.exports import workbook

    table = pd.DataFrame({"locality": HOSTILE, "count": COUNTS, "rate": [0.5] * 8 + [-1.25]})
    sheet = load_workbook(io.BytesIO(workbook({"areas": table}, [("Dashboard", "test")])))["areas"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # XML reads a carriage return back as a line feed: the apostrophe in front is what counts.
    assert [row[0] for row in rows] == [text.replace("\r", "\n") for text in NEUTRALISED]
    assert [row[1] for row in rows] == COUNTS and rows[-1][2] == -1.25  # numbers stay numbers
    assert {cell.data_type for cell in sheet["A"][1:]} == {"s"}  # no formula cell


def test_a_formula_in_a_table_reaches_the_csv_download_as_text(app, client):
    key = next(k for k in app.callback_map if k.endswith('"card-download"}.data'))
    rows = [{"locality": text, "count": count} for text, count in zip(HOSTILE, COUNTS)]
    answer = client.post(
        CALLBACK_PATH,
        json={
            "output": key,
            "outputs": {"id": card_id("download"), "property": "data"},
            "inputs": [{"id": card_id("csv"), "property": "n_clicks", "value": 1}],
            "state": [
                {
                    "id": card_id("rows"),
                    "property": "data",
                    "value": {"rows": rows, "columns": [{"field": "locality"}, {"field": "count"}]},
                },
                {"id": card_id("filename"), "property": "data", "value": "fte"},
            ],
            "changedPropIds": ['{"card":"fte-rate","type":"card-csv"}.n_clicks'],
        },
    )
    assert answer.status_code == 200
    content = json.loads(answer.get_data(as_text=True))["response"]['{"card":"fte-rate","type":"card-download"}']
    assert content["data"]["content"] == (
        "locality,count\r\n"
        '"\'=HYPERLINK(""http://evil.example"",""Click"")",5\r\n'
        "'+1+1,-3\r\n"
        "'-2+3+cmd|' /C calc'!A0,0\r\n"
        "'@SUM(A1),7\r\n"
        "'\tTab first,8\r\n"
        '"\'\rReturn first",9\r\n'
        '"Area\r=1+1",2\r\n'  # quoted: the carriage return does not start a row
        "Northvale,10\r\n"
        "c,1\r\n"
    )


def test_gunicorn_run_from_the_repository_keeps_a_browsers_connection_open_75_seconds():
    """The README's command reads gunicorn.conf.py: with gunicorn's own 2 s, a request arriving on a
    connection as a busy worker closed it was reset (6 of 19,288 answers under load)."""
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "app:server"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    settings = dict(line.split("=", 1) for line in printed.stdout.splitlines() if "=" in line)
    assert {k.strip(): v.strip() for k, v in settings.items()}["keepalive"] == "75"
