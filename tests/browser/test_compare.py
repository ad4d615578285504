"""Compare areas and the first-time entrants comparison in Chromium (issue 13 item 7, issue 18): the controls
show their words and follow the arrow keys, the trend keeps the national line and the highlighted service,
every ranked service is labelled, the ranking stays short, and axe finds nothing serious."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from dashboard.db import Database
from dashboard.metrics import filter_options

from .conftest import open_page
from .test_pages import serious_violations

COMPARE = "/compare-areas"
PER_1000 = "cautioned_or_sentenced_per_1000"


def control(key: str) -> str:
    """The CSS selector of a page setting's select (its id is a JSON object)."""
    return f"""[id='{{"key":"{key}","type":"page-setting"}}']"""


def shown(page, key: str) -> tuple[str, str]:
    """What a select shows: its value and the words of the option selected ('' when it shows blank)."""
    return tuple(
        page.evaluate(
            """(selector) => { const s = document.querySelector(selector);
        const option = s.options[s.selectedIndex]; return [s.value, option ? option.text : '']; }""",
            control(key),
        )
    )


def wait_for_subtitle(page, card: str, text: str):
    page.wait_for_function(
        """([card, text]) => {
        const subtitle = document.querySelector(`#card-${card} .card-subtitle`);
        return subtitle && subtitle.innerText.includes(text)
            && !document.querySelector('[data-dash-is-loading="true"]'); }""",
        arg=[card, text],
        timeout=30_000,
    )


def trace_names(page, card: str) -> list[str]:
    return page.evaluate(f"""() => document.querySelector('#card-{card} .js-plotly-plot').data.map(t => t.name)""")


def tick_labels(page, card: str) -> list[str]:
    """The y axis's labels as drawn (plotly leaves out those it has no room for)."""
    return page.evaluate(f"""() => [...document.querySelectorAll('#card-{card} .yaxislayer-above .ytick text')]
        .map(t => t.textContent)""")


@pytest.mark.parametrize("arrive", ["link", "navigation"])
def test_region_and_highlight_show_all_regions_and_none(page, app_url, arrive):
    if arrive == "link":
        open_page(page, app_url + COMPARE)
    else:
        open_page(page, app_url + "/first-time-entrants")
        page.click(".site-nav >> text=Compare areas")
        # The page may already have written its settings into the address by the time this looks.
        page.wait_for_url(lambda url: urlparse(url).path == COMPARE)
        open_page(page, page.url)
    assert shown(page, "region") == ("all", "All regions")
    assert shown(page, "highlight") == ("all", "None")
    assert shown(page, "year")[1] == "2024 (calendar year)"
    page.select_option(control("region"), "London")
    page.wait_for_url("**region=London*")
    page.select_option(control("region"), "all")
    page.wait_for_url(lambda url: "region=" not in url)
    wait_for_subtitle(page, "areas-ranked", "ranks 1 to 30")
    assert shown(page, "region") == ("all", "All regions")


def test_the_arrow_keys_move_through_the_regions_and_the_page_follows(page, app_url, demo_db):
    regions = filter_options(Database.open(demo_db))["regions"]
    open_page(page, app_url + COMPARE)
    page.focus(control("region"))
    page.keyboard.press("ArrowDown")
    page.wait_for_url(f"**region={regions[0].replace(' ', '+')}*")
    wait_for_subtitle(page, "areas-ranked", f"services in {regions[0]}")
    assert page.evaluate("() => document.activeElement.id") == '{"key":"region","type":"page-setting"}'
    page.keyboard.press("ArrowDown")
    page.wait_for_url(f"**region={regions[1].replace(' ', '+')}*")
    wait_for_subtitle(page, "areas-ranked", f"services in {regions[1]}")
    assert shown(page, "region") == (regions[1], regions[1])
    assert shown(page, "ranks") == ("all", f"Services in {regions[1]}")


def test_changing_the_measure_gives_the_year_its_years_never_a_blank(page, app_url):
    open_page(page, app_url + COMPARE + "?year=2019")
    page.select_option(control("indicator"), PER_1000)
    page.wait_for_url(f"**indicator={PER_1000}*")
    wait_for_subtitle(page, "areas-ranked", "2021-22 (financial year)")
    assert shown(page, "year") == ("2021-22", "2021-22 (financial year)")
    years = page.evaluate(f"""() => [...document.querySelector(`{control("year")}`).options]
        .filter(o => o.value).map(o => o.text)""")
    assert years[0] == "2021-22 (financial year)" and years[-1] == "2013-14 (financial year)"
    assert "year=" not in page.url
    page.focus(control("year"))
    page.keyboard.press("ArrowDown")
    page.wait_for_url("**year=2020-21*")
    wait_for_subtitle(page, "areas-ranked", "2020-21 (financial year)")


@pytest.mark.parametrize(
    "path, card, words",
    [
        # every setting in the link, as copied from the address bar after choosing them
        (
            f"{COMPARE}?indicator={PER_1000}&year=2019-20&region=North+West&highlight=Trafford&ranks=31",
            "areas-ranked",
            "2019-20 (financial year), ranks 31 to 60",
        ),
        ("/disposals?view=share", "disposals", "to"),
    ],
)
def test_a_link_with_every_setting_fills_its_cards_and_keeps_its_settings(page, app_url, path, card, words):
    open_page(page, app_url + path)
    wait_for_subtitle(page, card, words)
    assert page.url == app_url + path
    if card == "areas-ranked":
        assert [shown(page, key)[0] for key in ("indicator", "year", "region", "highlight", "ranks")] == [
            PER_1000,
            "2019-20",
            "North West",
            "Trafford",
            "31",
        ]


def test_with_a_region_chosen_the_trend_keeps_the_national_line_and_draws_the_highlighted_service(page, app_url):
    open_page(page, app_url + COMPARE + f"?indicator={PER_1000}&region=North+West&highlight=Trafford")
    names = trace_names(page, "areas-trend")
    assert "England and Wales" in names and "North West (region)" in names and "Trafford" in names
    assert "Trafford (lowest quarter)" in trace_names(page, "areas-ranked")
    assert "Trafford" in trace_names(page, "areas-funnel")


def test_every_service_of_the_north_west_is_labelled(page, app_url):
    open_page(page, app_url + COMPARE + f"?indicator={PER_1000}&region=North+West")
    page.locator("#card-areas-ranked button", has_text="Show table").click()
    page.wait_for_selector("#card-areas-ranked .ag-row")
    areas = page.evaluate("""() => [...document.querySelectorAll('#card-areas-ranked .ag-center-cols-container '
        + '.ag-row [col-id="area"]')].map(c => c.innerText)""")
    services = [a for a in areas if a != "England and Wales"]
    labels = tick_labels(page, "areas-ranked")
    assert len(services) == 19 and len(labels) == len(services)
    assert [label.split(". ", 1)[1] for label in labels] == services


def test_all_of_england_is_shown_a_page_of_ranks_at_a_time(page, app_url):
    open_page(page, app_url + COMPARE + f"?indicator={PER_1000}")
    height = page.evaluate("() => document.querySelector('#card-areas-ranked .js-plotly-plot').offsetHeight")
    assert height < 1100
    labels = tick_labels(page, "areas-ranked")
    assert len(labels) == 30 and labels[0].startswith("1. ") and labels[-1].startswith("30. ")
    page.select_option(control("ranks"), "31")
    page.wait_for_url("**ranks=31*")
    wait_for_subtitle(page, "areas-ranked", "ranks 31 to 60")
    labels = tick_labels(page, "areas-ranked")
    assert labels[0].startswith("31. ") and len(labels) == 30


def test_the_first_time_entrants_comparison_draws_for_one_service_with_its_notes(page, app_url, demo_db):
    service = filter_options(Database.open(demo_db))["yjs"][0]
    open_page(page, app_url + "/first-time-entrants")
    assert page.locator("#card-fte-compared .alert").inner_text().startswith("Choose one service")
    open_page(page, app_url + f"/first-time-entrants?yjs={service.replace(' ', '+')}")
    assert f"(calendar year), {service}" in page.locator("#card-fte-compared .card-subtitle").inner_text()
    assert "England" in " ".join(trace_names(page, "fte-compared"))
    assert page.locator("#card-fte-compared .card-notes li").count() >= 2


@pytest.mark.parametrize(
    "path",
    [
        f"{COMPARE}?indicator={PER_1000}&region=North+West&highlight=Trafford",
        f"{COMPARE}?indicator={PER_1000}&ranks=31",
        "/first-time-entrants?yjs=Northvale",
        "/?yjs=Northvale",
    ],
)
def test_no_serious_accessibility_violations_on_the_comparisons(page, app_url, path):
    open_page(page, app_url + path)
    assert serious_violations(page) == []
