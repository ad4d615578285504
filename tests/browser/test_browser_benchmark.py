"""A short run of the browser benchmark against the running app, so the script itself cannot rot."""

from __future__ import annotations

import pytest

from benchmarks.browser import AXE, measure, table


def test_the_browser_benchmark_times_a_chart_page_and_writes_its_table(app_url):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/install-test-tools.sh")
    results = measure(app_url, ["/disposals", "/about"], changes=2, with_lighthouse=False)
    disposals = results["pages"]["/disposals"]
    first = disposals["desktop"]["first"]
    assert 0 < first["drawn_ms"] < 60_000 and first["requests"] > 5
    assert 0 < first["bytes"] <= first["unpacked_bytes"] + 100_000  # headers are counted on the wire only
    assert disposals["desktop"]["repeat"]["bytes"] < first["bytes"]
    assert len(disposals["filter_change_ms"]) == 2 and all(t > 0 for t in disposals["filter_change_ms"])
    assert disposals["axe_serious"] == []
    assert "filter_change_ms" not in results["pages"]["/about"]
    text = table(results, results)
    assert text.splitlines()[0].startswith("| page | Lighthouse desktop")
    assert "| /disposals | - → - |" in text and "| /about |" in text
