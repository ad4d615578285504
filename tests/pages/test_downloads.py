"""Chart images and page workbooks: the figures of compute() for the URL's filters, withheld cells as c,
and forged requests refused."""

from __future__ import annotations

import base64
import io
import json

import openpyxl
import pytest

from dashboard.access import EVERYONE
from dashboard.filters import Filters, InvalidFilter
from dashboard.metrics import compute, filter_options
from dashboard.state import database


@pytest.fixture(scope="module")
def service(app):
    return filter_options(database())["yjs"][0]


def _image_request(app, client, kind: str, search: str, made_by, card: str = "fte-rate"):
    """Click a card's PNG or SVG button, as the browser (or an attacker) sends it; the download or None
    (a request no page makes gets a 400 and nothing)."""
    key = next(k for k in app.callback_map if "card-image" in k)
    ids = {k: {"card": card, "type": f"card-{k}"} for k in ("png", "svg")}
    body = {"output": key, "outputs": {"id": {"card": card, "type": "card-image"}, "property": "data"},
            "inputs": [{"id": ids[k], "property": "n_clicks", "value": int(k == kind)} for k in ("png", "svg")],
            "state": [{"id": "url", "property": "search", "value": search},
                      {"id": {"card": card, "type": "card-made-by"}, "property": "data", "value": made_by}],
            "changedPropIds": [json.dumps(ids[kind], sort_keys=True, separators=(",", ":")) + ".n_clicks"]}
    response = client.post("/_dash-update-component", json=body)
    if response.status_code == 400:
        assert set(response.get_json()) == {"message"}
        return None
    assert response.status_code in (200, 204)
    sent = json.loads(response.get_data(as_text=True) or "{}").get("response", {})
    return next(iter(sent.values()), {}).get("data")


@pytest.mark.parametrize("kind, magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_a_chart_downloads_as_an_image_drawn_on_the_server(app, client, service, kind, magic):
    sent = _image_request(app, client, kind, f"?yjs={service}", {"page": "first-time-entrants", "settings": {}})
    assert sent["filename"] == f"first-time-entrants-rate.{kind}"
    content = base64.b64decode(sent["content"])
    assert magic in content[:200]
    if kind == "svg":   # says what it shows: the card's title and the filters
        assert "First-time entrants per 100,000" in content.decode("utf-8")
        assert compute(database(), "fte", Filters(yjs=service), viewer=EVERYONE).description in content.decode("utf-8")


def test_the_map_draws_offline_with_the_boundaries_served_by_the_app(app, client):
    settings = {"year": "2021-22", "region": "", "highlight": ""}
    sent = _image_request(app, client, "png", "", {"page": "compare-areas", "settings": settings}, card="areas-map")
    assert sent["filename"] == "areas-map-2021-22.png"
    assert base64.b64decode(sent["content"])[:4] == b"\x89PNG"


@pytest.mark.parametrize("search, made_by", [
    ("?yjs=%27%3B+DROP+TABLE+child%3B+--", {"page": "first-time-entrants", "settings": {}}),
    ("", {"page": "../../etc/passwd", "settings": {}}),
    ("", {"page": "disposals", "settings": {"view": "everything"}}),
    ("", {"page": "disproportionality", "settings": {"by": "postcode"}}),
    ("", {"page": "disposals", "settings": {"__class__": "x"}}),
    ("", "not a dict"),
])
def test_a_forged_image_request_gets_nothing(app, client, search, made_by):
    assert _image_request(app, client, "png", search, made_by) is None


def _sheet(book, name) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_the_page_workbook_holds_the_measures_with_withheld_cells_as_c(app, in_request, service):
    from dashboard.pages._downloads import page_workbook
    book = openpyxl.load_workbook(io.BytesIO(page_workbook("first-time-entrants", f"?yjs={service}")))
    assert book.sheetnames == ["Notes", "fte-rate", "fte-count"]
    expected = compute(database(), "fte", Filters(yjs=service), viewer=EVERYONE)
    rows = _sheet(book, "fte-rate")
    assert len(rows) == len(expected.table)
    withheld_seen = False
    for row, want, hidden in zip(rows, expected.table.itertuples(), expected.withheld.itertuples()):
        assert row["period"] == want.period and row["yjs"] == service
        for column in ("fte", "fte_knife_or_weapon", "rate_per_100000"):
            if getattr(hidden, column):
                assert row[column.replace("_", " ")] == "c"
                withheld_seen = True
            else:
                assert row[column.replace("_", " ")] == pytest.approx(round(getattr(want, column), 3))
    assert withheld_seen, "the demo data should withhold some knife or weapon counts for one service"
    notes = dict(r for r in book["Notes"].iter_rows(values_only=True))
    assert notes["Figures for"] == expected.description
    assert notes["Data as at"] == f"{max(filter_options(database())['as_of'].values()):%-d %B %Y}"
    assert "1 to 4 are withheld" in notes["Small numbers"]
    assert "case management extract" in notes["Source"]


def test_the_workbook_follows_the_page_settings_and_refuses_forged_ones(app, in_request):
    from dashboard.pages._downloads import page_workbook
    book = openpyxl.load_workbook(io.BytesIO(page_workbook("disproportionality", "?period=2023-24",
                                                           {"by": "sex", "base": "previous"})))
    expected = compute(database(), "disproportionality", Filters(period="2023-24", by="sex", base="previous"),
                       viewer=EVERYONE)
    assert [r["group"] for r in _sheet(book, "dp-rri")] == expected.table["group"].tolist()
    for page, settings in [("nowhere", None), ("disposals", {"view": "raw"}), ("referrals", {"breakdown": "age"})]:
        with pytest.raises(InvalidFilter):
            page_workbook(page, "", settings)
    overview = openpyxl.load_workbook(io.BytesIO(page_workbook("overview", "?sex=female&period=2022-23")))
    assert [r["measure"] for r in _sheet(overview, "headline figures")][0] == "First-time entrants"
    assert dict(overview["Notes"].iter_rows(values_only=True))["Figures for"].startswith("girls: the latest full")
