"""Each page's layout, and its callbacks answering real and forged requests, without a browser."""

from __future__ import annotations

import json

import dash
import pytest

from benchmarks.dash_requests import CALLBACK_PATH, page_request
from dashboard.components.ids import headline_figures
from dashboard.views import PAGES


@pytest.mark.parametrize("key", [*PAGES, "about"])
def test_layout_renders_with_no_arguments_and_with_unknown_query_keys(app, context, key):
    page = dash.page_registry[key]
    assert page["layout"]() is not None
    assert page["layout"](period="2023-24", nonsense="x", by=["a", "list"]) is not None


def _post(client, output: str, search, screen=None):
    """POST one page callback request, as the browser (or an attacker) would."""
    return client.post(CALLBACK_PATH, json=page_request(output, search, screen))


def _fte_output(app) -> str:
    return next(k for k in app.callback_map if "caption-fte-rate.children" in k)


def _fte_request(app, client, search):
    return _post(client, _fte_output(app), search)


def test_the_page_callback_answers_with_data(app, client):
    response = _fte_request(app, client, "?period=2023-24")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '"rows"' in body and "2023-24" in body


@pytest.mark.parametrize(
    "search",
    [
        "?yjs=%27%3B+DROP+TABLE+child%3B+--",
        "?period=1066-67",
        "?sex=boys",
        "?period=2023-24&period=2022-23",
        "?period=2023-24+Q5",
        "?yjs=" + "x" * 5000,
        ["not", "a", "string"],
        {"yjs": "Northvale"},
    ],
)
def test_a_forged_request_gets_a_400_with_a_plain_message_and_no_data(app, client, search):
    response = _fte_request(app, client, search)
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"message"} and body["message"].startswith("These filters cannot be shown")
    assert "Traceback" not in body["message"] and '"rows"' not in response.get_data(as_text=True)


def test_the_csv_download_returns_only_what_the_browser_sent(app):
    from dashboard.components.chart_card import download_csv

    sent = {
        "rows": [{"period": "2023-24", "count": "c"}],
        "columns": [{"field": "period", "headerName": "Period"}, {"field": "count", "headerName": "Children"}],
    }
    result = download_csv(1, sent, "../../etc/passwd")
    assert result["filename"] == "etc-passwd.csv"
    assert result["content"].splitlines() == ["Period,Children", "2023-24,c"]
    assert download_csv(1, {"rows": "rows", "columns": None}, "x") is None and download_csv(1, "rows", "x") is None


def test_a_narrow_screen_gets_charts_laid_out_for_a_phone(app, client):
    """The screen's width class comes with the address: a phone's charts have smaller type and one-line
    axis labels; anything but "narrow" is a wide screen."""

    def fonts(screen):
        body = json.loads(_fte_request_on(app, client, "", screen).get_data(as_text=True))["response"]
        graph = body['{"card":"fte-rate","type":"card-graph"}']["children"]
        return graph["props"]["figure"]["layout"]["font"]["size"]

    assert fonts("narrow") == 13 and fonts("wide") == 15 and fonts(None) == 15 and fonts("<script>") == 15


def _fte_request_on(app, client, search, screen):
    return _post(client, _fte_output(app), search, screen)


def test_the_overview_shows_the_year_chosen(app, client):
    key = next(k for k in app.callback_map if k.startswith(headline_figures("overview")))
    body = _post(client, key, "?period=2021-22").get_data(as_text=True)
    assert "2021-22, per 100,000 children" in body and "First-time entrants" in body
    assert "2024-25, per 100,000" not in body


def test_every_callback_names_components_the_pages_have(app, client, context):
    """What Dash's own layout check would catch (it is off: see app_shell.create_app)."""
    from dashboard.app_shell import shell

    components = [
        c
        for root in [shell(), *[p["layout"]() for p in dash.page_registry.values()]]
        for c in [root, *root._traverse()]
        if hasattr(c, "to_plotly_json")
    ]
    plain = {c.id for c in components if isinstance(getattr(c, "id", None), str)}
    patterns = {c.id["type"] for c in components if isinstance(getattr(c, "id", None), dict)}
    for callback in app.callback_map.values():
        for dependency in [*callback["inputs"], *callback["state"], *_outputs(callback)]:
            found = dependency["id"]
            if found.startswith("{"):
                assert json.loads(found)["type"] in patterns, found
            else:
                assert found in plain, found


def _outputs(callback):
    outputs = callback["output"] if isinstance(callback["output"], list) else [callback["output"]]
    return [{"id": o.component_id_str()} for o in outputs]


def test_an_address_no_page_has_is_a_404_with_the_site_around_it(app, client):
    missing = client.get("/no-such-page?period=2023-24")
    assert missing.status_code == 404
    assert '<html lang="en">' in missing.get_data(as_text=True)  # the dashboard's own shell and nav
    assert client.get("/disposals").status_code == 200 and client.get("/about").status_code == 200
    page = dash.page_registry["not_found_404"]["layout"]()
    assert "There is no page at this address." in str(page) and "href='/'" in str(page)


def test_two_groups_of_children_in_one_request_are_refused(app, client):
    """The web shows one group filter at a time (every cell it shows is protected in one lattice)."""
    response = _fte_request(app, client, "?period=2023-24&sex=female&ethnicity_group=Black")
    assert response.status_code == 400
    assert "choose one group of children at a time" in response.get_json()["message"]
    assert "rowData" not in response.get_data(as_text=True)


def test_choosing_a_second_group_of_children_replaces_the_first(app):
    from dashboard.app_shell import _one_group_kept
    from dashboard.components import ids

    chosen = {"period": "2023-24", "sex": "female", "ethnicity_group": "Black"}
    assert _one_group_kept(chosen, ids.filter_control("ethnicity_group")) == {"sex"}
    assert chosen == {"period": "2023-24", "sex": None, "ethnicity_group": "Black"}
    unchanged = {"period": "2023-24", "sex": "female"}
    assert _one_group_kept(unchanged, ids.filter_control("period")) == set() and unchanged["sex"] == "female"


def test_the_filter_bar_says_one_group_at_a_time(app, context):
    from dashboard.components.filter_bar import filter_bar

    assert "one group of children at a time" in json.dumps(filter_bar(context.options).to_plotly_json(), default=str)
    assert "one group of children at a time" not in json.dumps(
        filter_bar(context.options, drill_down=False).to_plotly_json(), default=str
    )
