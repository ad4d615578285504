"""Reading at a glance (issue 13, item 9): the overview's figures on a projector's first screen, the
filter bar folded on a phone, and phone charts that keep their plot and print no label over another."""

from __future__ import annotations

import pytest

from .conftest import open_page

LAPTOP, TABLET, PHONE = (1280, 720), (1024, 768), (390, 844)


@pytest.fixture
def sized(browser):
    """A tab at a given (width, height)."""
    contexts = []

    def make(size):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _boxes(tab, selector: str) -> list[dict]:
    return tab.evaluate(f"""() => [...document.querySelectorAll({selector!r})].map(e => {{
        const b = e.getBoundingClientRect(); return {{left: b.left, right: b.right, top: b.top, bottom: b.bottom,
        text: e.textContent}}; }})""")


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"] - 1
        and b["left"] < a["right"] - 1
        and a["top"] < b["bottom"] - 1
        and b["top"] < a["bottom"] - 1
    )


@pytest.mark.parametrize("size", [LAPTOP, TABLET])
def test_the_overviews_headline_figures_are_on_the_first_screen(sized, app_url, size):
    """Each figure and its change on last year (what a meeting reads; the notes under them may run on)."""
    tab = open_page(sized(size), app_url + "/")
    figures = _boxes(tab, ".kpi-card .kpi-change")
    assert len(figures) == 5 and len(_boxes(tab, ".kpi-card .kpi-value")) == 5
    if size == LAPTOP:  # all five, the page's links in one row, the filters in one and their note (315 px before)
        assert max(f["bottom"] for f in figures) <= size[1]
        bar, links = _boxes(tab, ".filter-bar")[0], _boxes(tab, ".site-nav .nav-link")
        assert bar["bottom"] - bar["top"] < 130 and len({round(link["top"]) for link in links}) == 1
    else:  # a tablet: the first row of three, the filters folded
        assert sorted(f["bottom"] for f in figures)[2] <= size[1]


def test_on_a_phone_the_filters_fold_behind_one_button_that_counts_them(sized, app_url):
    tab = open_page(sized(PHONE), app_url + "/disposals?period=2023-24&sex=female")
    button = tab.locator("#filter-toggle")
    tab.wait_for_function("() => document.querySelector('#filter-toggle').textContent === 'Filters (2 chosen)'")
    assert button.get_attribute("aria-expanded") == "false"
    assert not tab.locator("#filter-period").is_visible()
    button.click()
    assert tab.locator("#filter-period").is_visible() and button.get_attribute("aria-expanded") == "true"
    tab.select_option("#filter-age-band", "15-17")
    tab.wait_for_url("**age_band=15-17*")
    # One group of children at a time: the age replaces the sex, and the button still counts two.
    tab.wait_for_function("() => document.querySelector('#filter-toggle').textContent === 'Filters (2 chosen)'")
    assert "sex=" not in tab.url
    button.click()
    tab.wait_for_function("() => document.querySelector('#filter-toggle').getAttribute('aria-expanded') === 'false'")
    assert not tab.locator("#filter-period").is_visible()


@pytest.mark.parametrize("path", ["/disposals", "/referrals", "/reoffending", "/first-time-entrants"])
def test_phone_charts_keep_their_plot_and_print_nothing_over_anything(sized, app_url, path):
    tab = open_page(sized(PHONE), app_url + path)
    for card in tab.locator(".chart-card .js-plotly-plot").all():
        plot = card.locator(".nsewdrag").first.bounding_box()
        assert plot["height"] >= 150 and plot["width"] >= 150, (path, plot)  # not a 64 px strip
        whole = card.bounding_box()
        labels = [
            t.bounding_box() for t in card.locator(".xtick text, .ytick text, .g-xtitle text, .g-ytitle text").all()
        ]
        boxes = [
            {"left": b["x"], "right": b["x"] + b["width"], "top": b["y"], "bottom": b["y"] + b["height"]}
            for b in labels
            if b and b["width"]
        ]
        for i, a in enumerate(boxes):
            assert whole["x"] - 1 <= a["left"] and a["right"] <= whole["x"] + whole["width"] + 1, (path, a)
            assert not any(_overlap(a, b) for b in boxes[i + 1 :]), (path, a)


def test_area_names_are_written_out_whole_on_a_phone(sized, app_url):
    tab = open_page(sized(PHONE), app_url + "/referrals")
    chart = tab.locator("#card-referrals-area .js-plotly-plot")
    names = chart.locator(".ytick text").all_text_contents()
    assert "Lower Valley" in names and "Kingsmere South" in names
    left = chart.bounding_box()["x"]
    assert all(b["x"] >= left for b in (t.bounding_box() for t in chart.locator(".ytick text").all()))
