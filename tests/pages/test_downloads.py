"""Chart images and page workbooks: the figures of compute() for the URL's filters, withheld cells as c,
and forged requests refused."""

from __future__ import annotations

import base64
import io
import json

import openpyxl
import pytest

from dashboard.access import EVERYONE
from dashboard.exports import page_workbook
from dashboard.filters import Filters, InvalidFilter
from dashboard.metrics import compute, filter_options
from dashboard.views import PAGES


@pytest.fixture(scope="module")
def service(db):
    return filter_options(db)["yjs"][0]


def _image_request(app, client, kind: str, search: str, path: str, card: str = "fte-rate"):
    """Click a card's PNG or SVG button, as the browser (or an attacker) sends it; the download or None
    (a request no page makes gets a 400 and nothing)."""
    key = next(k for k in app.callback_map if "card-image" in k)
    ids = {k: {"card": card, "type": f"card-{k}"} for k in ("png", "svg")}
    body = {"output": key, "outputs": {"id": {"card": card, "type": "card-image"}, "property": "data"},
            "inputs": [{"id": ids[k], "property": "n_clicks", "value": int(k == kind)} for k in ("png", "svg")],
            "state": [{"id": "url", "property": "search", "value": search},
                      {"id": "url", "property": "pathname", "value": path}],
            "changedPropIds": [json.dumps(ids[kind], sort_keys=True, separators=(",", ":")) + ".n_clicks"]}
    response = client.post("/_dash-update-component", json=body)
    if response.status_code == 400:
        assert set(response.get_json()) == {"message"}
        return None
    assert response.status_code in (200, 204)
    sent = json.loads(response.get_data(as_text=True) or "{}").get("response", {})
    return next(iter(sent.values()), {}).get("data")


@pytest.mark.browser
@pytest.mark.parametrize("kind, magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_a_chart_downloads_as_an_image_drawn_on_the_server(app, client, db, service, kind, magic):
    sent = _image_request(app, client, kind, f"?yjs={service}", "/first-time-entrants")
    assert sent["filename"] == f"first-time-entrants-rate.{kind}"
    content = base64.b64decode(sent["content"])
    assert magic in content[:200]
    if kind == "svg":   # says what it shows: the card's title and the filters
        assert "First-time entrants per 100,000" in content.decode("utf-8")
        assert compute(db, "fte", Filters(yjs=service), scope=EVERYONE.scope).description in content.decode("utf-8")


@pytest.mark.browser
def test_the_map_draws_offline_with_the_boundaries_served_by_the_app(app, client):
    sent = _image_request(app, client, "png", "?year=2021-22", "/compare-areas", card="areas-map")
    assert sent["filename"] == "areas-map-2021-22.png"
    assert base64.b64decode(sent["content"])[:4] == b"\x89PNG"


@pytest.mark.parametrize("search, path, card", [
    ("?yjs=%27%3B+DROP+TABLE+child%3B+--", "/first-time-entrants", "fte-rate"),
    ("", "/../../etc/passwd", "fte-rate"),
    ("?view=everything", "/disposals", "disposals"),
    ("?by=postcode", "/disproportionality", "dp-rri"),
    ("", "/disposals", "fte-rate"),                  # a card from another page
    ("", ["not", "a", "path"], "fte-rate"),
])
def test_a_forged_image_request_gets_nothing(app, client, search, path, card):
    assert _image_request(app, client, "png", search, path, card) is None


def _sheet(book, name) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def workbook(context, page: str, filters: Filters, **settings):
    spec = PAGES[page]
    return openpyxl.load_workbook(io.BytesIO(page_workbook(context, spec, filters,
                                                           spec.read_settings(settings, context.options))))


def test_the_page_workbook_holds_the_measures_with_withheld_cells_as_c(context, db, service):
    book = workbook(context, "first-time-entrants", Filters(yjs=service))
    assert book.sheetnames == ["Notes", "fte-rate", "fte-count"]
    expected = compute(db, "fte", Filters(yjs=service), scope=EVERYONE.scope)
    rows = _sheet(book, "fte-rate")
    assert len(rows) == len(expected.table)
    withheld_seen = False
    for row, want, hidden in zip(rows, expected.table.itertuples(), expected.withheld.itertuples()):
        assert row["Period"] == want.period and row["Youth Justice Service"] == service
        for column, heading in (("fte", "First-time entrants"), ("fte_knife_or_weapon", "Knife or weapon offence"),
                                ("rate_per_100000", "Per 100,000 aged 10 to 17")):
            if getattr(hidden, column):
                assert row[heading] == "c"
                withheld_seen = True
            else:
                assert row[heading] == pytest.approx(round(getattr(want, column), 3))
    assert withheld_seen, "the demo data should withhold some knife or weapon counts for one service"
    notes = dict(r for r in book["Notes"].iter_rows(values_only=True))
    assert notes["Figures for"] == expected.description
    assert notes["Data as at"] == f"{max(filter_options(db)['as_of'].values()):%-d %B %Y}"
    assert "1 to 4 are withheld" in notes["Small numbers"]
    assert "case management extract" in notes["Source"]


def test_the_workbook_follows_the_page_settings_and_refuses_forged_ones(context, db):
    book = workbook(context, "disproportionality", Filters(period="2023-24"), by="sex", base="previous")
    expected = compute(db, "disproportionality", Filters(period="2023-24"), scope=EVERYONE.scope, by="sex",
                       base="previous")
    # Groups in words, headed in words, as on screen.
    in_words = {"male": "Boys", "female": "Girls", "unknown": "Sex not recorded"}
    assert [r["Group"] for r in _sheet(book, "dp-rri")] == [in_words[g] for g in expected.table["group"]]
    assert {r["Significant"] for r in _sheet(book, "dp-rri")} <= {"Yes", "No", "c", None}
    for page, settings in [("disposals", {"view": "raw"}), ("disproportionality", {"by": "postcode"})]:
        with pytest.raises(InvalidFilter):
            workbook(context, page, Filters(), **settings)
    overview = workbook(context, "overview", Filters(sex="female", period="2022-23"))
    assert _sheet(overview, "headline figures")[0]["Measure"] == "First-time entrants"
    assert dict(overview["Notes"].iter_rows(values_only=True))["Figures for"].startswith("girls: the latest full")


def test_a_board_pack_that_fails_shows_a_plain_message_never_the_error(monkeypatch):
    """A fault in the pack's process (a traceback on its stderr) goes to the log; the page says only that
    it could not be made (issue 13: users were shown "TypeError: unsupported operand type(s)...")."""
    from dashboard import downloads

    class Failed:
        stderr = iter(["[12:00:01] Working out the figures\n", "Traceback (most recent call last):\n",
                       "  File \"dashboard/views/overview.py\", line 70, in diversion\n",
                       "TypeError: unsupported operand type(s) for /: 'NoneType' and 'int'\n"])

        def wait(self, timeout):
            return 1

    monkeypatch.setattr(downloads.subprocess, "Popen", lambda *args, **kwargs: Failed())
    shown = []
    assert downloads._run_board_pack([], lambda lines: shown.extend(lines)) is None
    assert shown == ["Board pack: Working out the figures...",
                     "The board pack could not be made. The error has been logged."]
