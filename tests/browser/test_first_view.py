"""What a first view costs the browser (issue 13, "Fast"): each chart drawn once, with its data, and no
table's grid built until the reader opens it (most never are)."""

from __future__ import annotations

from .conftest import open_page

#: Counts plotly's drawings of each graph: set before any script runs, so plotly is wrapped when it loads.
COUNT_DRAWINGS = """
window.__drawings = [];
let plotly;
Object.defineProperty(window, "Plotly", {configurable: true, get: () => plotly, set(value) {
    plotly = value;
    for (const name of ["newPlot", "react"]) {
        const original = value[name];
        value[name] = function (gd, data, ...rest) {
            window.__drawings.push({card: gd.closest && gd.closest(".chart-card")?.id,
                                    traces: (Array.isArray(data) ? data : (data && data.data) || []).length});
            return original.call(this, gd, data, ...rest);
        };
    }
}});
"""


def test_each_chart_is_drawn_once_with_its_data_and_no_grid_is_built_until_a_table_is_opened(page, app_url):
    page.add_init_script(COUNT_DRAWINGS)
    open_page(page, app_url + "/referrals")
    cards = page.eval_on_selector_all(".chart-card", "cards => cards.map(c => c.id)")
    drawings = [d for d in page.evaluate("window.__drawings") if d["card"]]
    assert sorted(d["card"] for d in drawings) == sorted(cards)  # once each, none first empty
    assert all(d["traces"] > 0 for d in drawings)
    assert page.locator(".ag-root").count() == 0
    page.locator("#card-referrals-area button", has_text="Show table").click()
    page.wait_for_selector("#card-referrals-area .ag-row")
    assert page.locator(".ag-root").count() == 1
    assert page.locator("#card-referrals-area button", has_text="Hide table").get_attribute("aria-expanded") == "true"
