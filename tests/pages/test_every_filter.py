"""Every value a page offers, in its filter bar or its own settings, shows every card, downloads as a
workbook and makes the board pack's sections: none of them may break (issue 13, item 6).

Each page callback is asked through Dash's callback endpoint, as the browser asks it, one choice at
a time; the workbook and the pack's sections (everything but Chromium's printing) are built in-process
for the same choice. The choices are read from the components the page lays out, so a value added to
a filter is tested without a change here.
"""

from __future__ import annotations

import io
import json

import dash
import openpyxl
import pytest

from benchmarks.dash_requests import CALLBACK_PATH, page_request
from dashboard import board_pack, figures
from dashboard.access import DEMO_VISITOR
from dashboard.components import ids
from dashboard.components.filter_bar import ANY
from dashboard.exports import page_workbook
from dashboard.filters import FIELDS, from_text, query_string
from dashboard.views import PAGES, Context, render_page

#: Words a page shows only when something went wrong.
BROKEN = ("Something went wrong", "cannot be shown", "The data cannot be read")
CONTROLS = {ids.filter_control(field): field for field in FIELDS}


def _choices(component) -> dict[str, list[str]]:
    """Each control's values (filter bar and page settings), by the address key it writes."""
    found: dict[str, list[str]] = {}
    for part in [component, *component._traverse()]:
        part_id = getattr(part, "id", None)
        if isinstance(part_id, dict) and part_id.get("type") == ids.PAGE_SETTING:
            key = part_id["key"]
        elif isinstance(part_id, str) and part_id in CONTROLS:
            key = CONTROLS[part_id]
        else:
            continue
        if key == "by_quarter":
            found[key] = ["1"]
        else:
            found[key] = [o["value"] for o in part.options if o["value"] != ANY]
    return found


@pytest.fixture(scope="module")
def offered(app):
    """Every (page, address key, value) the dashboard offers the demo visitor."""
    from flask import g

    from dashboard.app_shell import shell

    with app.server.test_request_context("/"), app.server.extensions["dashboard"].db.snapshot() as snap:
        g.viewer, g.db = DEMO_VISITOR, snap
        bar = _choices(shell())
        pages = {}
        for spec in PAGES.values():
            own = _choices(dash.page_registry[spec.key]["layout"]())
            pages[spec.key] = {**(bar if spec.uses_filters else {}), **own}
    return pages


def _cases():
    """(page, key) pairs, one test each: a page's every value of one control."""
    return [
        (page, key)
        for page, spec in PAGES.items()
        for key in (FIELDS if spec.uses_filters else ()) + tuple(s.key for s in spec.settings)
    ]


def _page_key(app, page: str) -> str:
    name = f"update_{page.replace('-', '_')}"
    return next(k for k, v in app.callback_map.items() if getattr(v.get("callback"), "__name__", "") == name)


@pytest.fixture(scope="module")
def database(app):
    """The app's own database: what its callbacks computed is remembered for the workbook and the pack."""
    return app.server.extensions["dashboard"].db


# "page_key" (not "page": a test using a fixture named page is taken for a browser test and left out of the
# fast suite).
@pytest.mark.parametrize("page_key, key", _cases())
def test_every_value_offered_shows_every_card_and_the_workbook(app, client, offered, database, page_key, key):
    spec = PAGES[page_key]
    values = offered[page_key].get(key)
    assert values, f"{page_key} offers no {key}"
    output = _page_key(app, page_key)
    made = []  # the filters and results of each workbook made: a setting changing only a chart adds none
    for value in values:
        search = query_string({key: value}, (key,))
        response = client.post(CALLBACK_PATH, json=page_request(output, search))
        body = response.get_data(as_text=True)
        assert response.status_code == 200, (search, body[:300])
        shown = json.dumps(json.loads(body)["response"])
        assert not any(words in shown for words in BROKEN), (search, shown[:500])
        with database.snapshot() as snap:
            context = Context(snap, DEMO_VISITOR)
            filters = from_text({key: value}) if spec.uses_filters else from_text({})
            settings = spec.read_settings({} if key in FIELDS else {key: value}, context.options)
            results = [card.result for card in render_page(context, spec, filters, settings)]
            if any(filters == same and all(a is b for a, b in zip(results, before)) for same, before in made):
                continue
            made.append((filters, results))
            book = openpyxl.load_workbook(io.BytesIO(page_workbook(context, spec, filters, settings)))
            assert book.sheetnames[0] == "Notes" and len(book.sheetnames) > 1, search


@pytest.mark.parametrize("key", FIELDS)
def test_every_filter_value_offered_makes_the_board_pack(offered, database, key):
    """The pack for each value, up to its HTML (drawing and printing are Chromium's, tested elsewhere)."""
    overview = next(p for p in PAGES.values() if p.kpis)
    for value in offered[overview.key][key]:
        with database.snapshot() as snap:
            context = Context(snap, DEMO_VISITOR)
            filters = from_text({key: value})
            kpis = board_pack.headline_figures(context, overview, filters)
            sections = board_pack.sections_for(context, filters)
            for section in sections:
                figures.draw_card(section.card)
            assert "<html" in board_pack.compose(context, kpis, sections, [b"<svg></svg>"] * len(sections))
