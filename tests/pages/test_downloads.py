"""Chart images and page workbooks: the figures of compute() for the URL's filters, withheld cells as c,
and forged requests refused."""

from __future__ import annotations

import base64
import io
import json

import openpyxl
import pytest

from benchmarks.dash_requests import image_request as image_body
from dashboard.access import EVERYONE
from dashboard.components.ids import card as card_part
from dashboard.components.ids import dom_id
from dashboard.exports import page_workbook
from dashboard.filters import Filters, InvalidFilter
from dashboard.metrics import compute, filter_options
from dashboard.views import PAGES


@pytest.fixture(scope="module")
def service(db):
    return filter_options(db)["yjs"][0]


def image_request(app, client, kind: str, search: str, path: str, card: str = "fte-rate"):
    """Click a card's PNG or SVG button, as the browser (or an attacker) sends it: (the download or None,
    the message beside the buttons); (None, None) for a request no page makes (it gets a 400 and nothing)."""
    key = next(k for k in app.callback_map if "card-image" in k)
    response = client.post("/_dash-update-component", json=image_body(key, card, kind, search, path))
    if response.status_code == 400:
        assert set(response.get_json()) == {"message"}
        return None, None
    assert response.status_code in (200, 204)
    sent = json.loads(response.get_data(as_text=True) or "{}").get("response", {})
    image, status = (sent.get(dom_id(card_part(part, card)), {}) for part in ("image", "image-status"))
    return image.get("data"), status.get("children")


@pytest.mark.browser
@pytest.mark.parametrize("kind, magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_a_chart_downloads_as_an_image_drawn_on_the_server(app, client, db, service, kind, magic):
    sent, said = image_request(app, client, kind, f"?yjs={service}", "/first-time-entrants")
    assert said == ""
    assert sent["filename"] == f"first-time-entrants-rate.{kind}"
    content = base64.b64decode(sent["content"])
    assert magic in content[:200]
    if kind == "svg":  # says what it shows: the card's title and the filters
        assert "First-time entrants per 100,000" in content.decode("utf-8")
        assert compute(db, "fte", Filters(yjs=service), scope=EVERYONE.scope).description in content.decode("utf-8")


@pytest.mark.browser
def test_the_map_draws_offline_with_the_boundaries_served_by_the_app(app, client):
    sent, _ = image_request(
        app,
        client,
        "png",
        "?indicator=cautioned_or_sentenced_per_1000&year=2021-22",
        "/compare-areas",
        card="areas-map",
    )
    assert sent["filename"] == "areas-map-cautioned-or-sentenced-per-1000-2021-22.png"
    assert base64.b64decode(sent["content"])[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "search, path, card",
    [
        ("?yjs=%27%3B+DROP+TABLE+child%3B+--", "/first-time-entrants", "fte-rate"),
        ("", "/../../etc/passwd", "fte-rate"),
        ("?view=everything", "/disposals", "disposals"),
        ("?by=postcode", "/disproportionality", "dp-rri"),
        ("", "/disposals", "fte-rate"),  # a card from another page
        ("", ["not", "a", "path"], "fte-rate"),
    ],
)
def test_a_forged_image_request_gets_nothing(app, client, search, path, card):
    assert image_request(app, client, "png", search, path, card)[0] is None


def _sheet(book, name) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def workbook(context, page: str, filters: Filters, **settings):
    spec = PAGES[page]
    return openpyxl.load_workbook(
        io.BytesIO(page_workbook(context, spec, filters, spec.read_settings(settings, context.options)))
    )


def test_the_page_workbook_holds_the_measures_with_withheld_cells_as_c(context, db, service):
    book = workbook(context, "first-time-entrants", Filters(yjs=service))
    assert book.sheetnames == ["Notes", "fte-rate", "fte-count", "fte-compared"]
    expected = compute(db, "fte", Filters(yjs=service), scope=EVERYONE.scope)
    rows = _sheet(book, "fte-rate")
    assert len(rows) == len(expected.table)
    withheld_seen = False
    for row, want, hidden in zip(rows, expected.table.itertuples(), expected.withheld.itertuples()):
        assert row["Period"] == want.period and row["Youth Justice Service"] == service
        for column, heading in (
            ("fte", "First-time entrants"),
            ("fte_knife_or_weapon", "Knife or weapon offence"),
            ("rate_per_100000", "Per 100,000 aged 10 to 17"),
        ):
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
    compared = _sheet(book, "fte-compared")
    assert {r["Kind of area"] for r in compared} >= {"service", "england"}
    assert all(r["Period"] == compared[0]["Period"] for r in compared)  # one calendar year
    said = [text for label, text in book["Notes"].iter_rows(values_only=True) if label == "Note (fte-compared)"]
    assert any(text.startswith("England's first-time entrant rate is worked out") for text in said)


def test_the_workbook_follows_the_page_settings_and_refuses_forged_ones(context, db):
    book = workbook(context, "disproportionality", Filters(period="2023-24"), by="sex", base="previous")
    expected = compute(
        db, "disproportionality", Filters(period="2023-24"), scope=EVERYONE.scope, by="sex", base="previous"
    )
    # Groups in words, headed in words, as on screen.
    in_words = {"male": "Boys", "female": "Girls", "unknown": "Sex not recorded"}
    assert [r["Group"] for r in _sheet(book, "dp-rri")] == [in_words[g] for g in expected.table["group"]]
    assert {r["Significant"] for r in _sheet(book, "dp-rri")} <= {"Yes", "No", "c", None}
    for page, settings in [("disposals", {"view": "raw"}), ("disproportionality", {"by": "postcode"})]:
        with pytest.raises(InvalidFilter):
            workbook(context, page, Filters(), **settings)
    overview = workbook(context, "overview", Filters(sex="female", period="2022-23"))
    headline = _sheet(overview, "headline figures")
    assert headline[0]["Measure"] == "First-time entrants"
    # several services and none chosen: the comparison asks for one
    assert headline[0]["Compared with others"].startswith("Choose one service")
    assert dict(overview["Notes"].iter_rows(values_only=True))["Figures for"].startswith("girls: each headline")
    assert headline[0]["Covers"].startswith("2022-23, ") and "girls" in headline[0]["Covers"]


def test_a_board_pack_that_fails_shows_a_plain_message_never_the_error(tmp_path, monkeypatch):
    """A fault in the pack's process (a traceback on its stderr) goes to the log; the page says only that
    it could not be made (issue 13: users were shown "TypeError: unsupported operand type(s)...")."""
    from dashboard import jobs

    class Failed:
        stderr = iter(
            [
                "[12:00:01] Working out the figures\n",
                "Traceback (most recent call last):\n",
                '  File "dashboard/views/overview.py", line 70, in diversion\n',
                "TypeError: unsupported operand type(s) for /: 'NoneType' and 'int'\n",
            ]
        )

        def wait(self, timeout=None):
            return 1

    slot = tmp_path / "pack-x"
    slot.mkdir()
    seen = []
    real_write = jobs._write_json
    monkeypatch.setattr(jobs, "_write_json", lambda path, value: (seen.append(value), real_write(path, value)))
    jobs.Packs(tmp_path, "demo.duckdb", 1)._watch(slot, Failed())
    assert [v.get("message") for v in seen[:-1]] == ["Working out the figures"]
    assert seen[-1]["failed"] == jobs.PACK_FAILED and "TypeError" not in json.dumps(seen)
