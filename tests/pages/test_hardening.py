"""Hardening on the demo database: who may open it, headers, malformed and oversized requests,
errors without tracebacks, formulas kept out of spreadsheets (Flask's test client, no browser)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from benchmarks.dash_requests import CALLBACK_PATH, callback_request


def fte(app, client, search):
    key = next(k for k in app.callback_map if "caption-fte-rate.children" in k)
    return client.post(CALLBACK_PATH, json=callback_request(key, [{"id": "url", "property": "search",
                                                                   "value": search}]))


def test_the_demo_is_open_only_from_this_computer(app):
    assert app.server.test_client().get("/").status_code == 200
    from_outside = app.server.test_client().get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert from_outside.status_code == 302 and from_outside.headers["Location"].startswith("/sign-in")


def test_every_response_carries_the_security_headers(app, client):
    for path in ["/", "/sign-in", "/assets/style.css", "/no-such-page-at-all"]:
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert app.server.debug is False


@pytest.mark.parametrize("body", [
    {"output": "no-such-output.children", "inputs": []},
    {"output": 7, "inputs": []},
    ["not", "an", "object"],
    "not json at all",
])
def test_a_malformed_callback_request_gets_a_400(app, client, body):
    response = client.post(CALLBACK_PATH, json=body) if not isinstance(body, str) else \
        client.post(CALLBACK_PATH, data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json() == {
        "message": "This request is not one the dashboard makes."}


def test_an_absurd_period_is_a_plain_400_naming_the_valid_years(app, client):
    """'9999-00' passes for a financial year (9999 + 1 ends in 00) but no date can hold it."""
    from dashboard.filters import period_label
    from dashboard.metrics import filter_options
    from dashboard.state import database
    response = fte(app, client, "?period=9999-00")
    message = response.get_json()["message"]
    assert response.status_code == 400 and message.startswith("These filters cannot be shown: period '9999-00'")
    assert "valid financial years: " + ", ".join(period_label(y) for y in filter_options(database())["years"]) \
        in message


def test_a_huge_request_gets_a_413(app, client):
    response = fte(app, client, "?yjs=" + "x" * 2_000_000)
    assert response.status_code == 413 and "too large" in response.get_json()["message"]


def test_an_unexpected_error_is_a_plain_message_and_no_traceback(app, client, monkeypatch):
    from dashboard.pages import _common

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")
    monkeypatch.setattr(_common, "compute", broken)
    body = fte(app, client, "").get_data(as_text=True)
    assert "Something went wrong" in body and "secret detail" not in body and "Traceback" not in body


def test_free_date_ranges_are_not_taken_from_the_address(app, client):
    """Day-by-day ranges could be differenced to reveal small counts: the web offers years and quarters."""
    body = fte(app, client, "?from=2023-04-01&to=2023-04-02").get_data(as_text=True)
    assert "1 April 2023" not in body and "2023-24" in body and "2014-15 to" in body


def test_cookies_are_secure_except_over_plain_http_on_this_computer(app):
    def flags(base_url):
        response = app.server.test_client().get("/", base_url=base_url)
        found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("_csrf_token=")]
        assert found
        return found
    assert all("Secure" not in c for c in flags("http://localhost"))        # the demo at http://127.0.0.1
    assert all("Secure" in c for c in flags("https://localhost"))


def card_id(part, card="fte-rate"):
    return {"card": card, "type": f"card-{part}"}


HOSTILE = ['=HYPERLINK("http://evil.example","Click")', "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
           "\tTab first", "\rReturn first", "Area\r=1+1", "Northvale", "c"]
NEUTRALISED = ['\'=HYPERLINK("http://evil.example","Click")', "'+1+1", "'-2+3+cmd|' /C calc'!A0", "'@SUM(A1)",
               "'\tTab first", "'\rReturn first", "Area\r=1+1", "Northvale", "c"]
COUNTS = [5, -3, 0, 7, 8, 9, 2, 10, 1]


def test_a_formula_in_the_data_reaches_a_workbook_as_text():
    from openpyxl import load_workbook

    from dashboard.exports import workbook
    table = pd.DataFrame({"locality": HOSTILE, "count": COUNTS, "rate": [0.5] * 8 + [-1.25]})
    sheet = load_workbook(io.BytesIO(workbook({"areas": table}, [("Dashboard", "test")])))["areas"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # XML reads a carriage return back as a line feed: the apostrophe in front is what counts.
    assert [row[0] for row in rows] == [text.replace("\r", "\n") for text in NEUTRALISED]
    assert [row[1] for row in rows] == COUNTS and rows[-1][2] == -1.25          # numbers stay numbers
    assert {cell.data_type for cell in sheet["A"][1:]} == {"s"}                              # no formula cell


def test_a_formula_in_a_table_reaches_the_csv_download_as_text(app, client):
    key = next(k for k in app.callback_map if k.endswith('"card-download"}.data'))
    rows = [{"locality": text, "count": count} for text, count in zip(HOSTILE, COUNTS)]
    answer = client.post(CALLBACK_PATH, json={
        "output": key, "outputs": {"id": card_id("download"), "property": "data"},
        "inputs": [{"id": card_id("csv"), "property": "n_clicks", "value": 1}],
        "state": [{"id": card_id("grid"), "property": "rowData", "value": rows},
                  {"id": card_id("grid"), "property": "columnDefs", "value": [{"field": "locality"}, {"field": "count"}]},
                  {"id": card_id("filename"), "property": "data", "value": "fte"}],
        "changedPropIds": ['{"card":"fte-rate","type":"card-csv"}.n_clicks']})
    assert answer.status_code == 200
    content = json.loads(answer.get_data(as_text=True))["response"]['{"card":"fte-rate","type":"card-download"}']
    assert content["data"]["content"] == (
        'locality,count\r\n'
        '"\'=HYPERLINK(""http://evil.example"",""Click"")",5\r\n'
        "'+1+1,-3\r\n"
        "'-2+3+cmd|' /C calc'!A0,0\r\n"
        "'@SUM(A1),7\r\n"
        "'\tTab first,8\r\n"
        "\"'\rReturn first\",9\r\n"
        "\"Area\r=1+1\",2\r\n"             # quoted: the carriage return does not start a row
        "Northvale,10\r\n"
        "c,1\r\n")
