"""A smoke run of the benchmark on a small demo, so the script itself cannot rot; and the load test's
check that an answer is one extract's on every card."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main
from benchmarks.load import OneVersion
from dashboard.views import PAGES

#: Children in the smoke run: the check is that every step of the script runs and writes its tables (the raw
#: phase works out each filter set's lattices once before it times anything, which hardly depends on size).
SMOKE_CHILDREN = 400


@pytest.mark.browser  # it serves the app under gunicorn
@pytest.mark.slow
def test_the_benchmark_runs_and_writes_its_tables(tmp_path):
    out = tmp_path / "performance.md"
    assert main(["--sizes", str(SMOKE_CHILDREN), "--requests", "1", "--out", str(out)]) == 0
    text = out.read_text()
    for page in PAGES.values():
        assert f"| 400 | {page.name} |" in text
    assert "| 400 | fte |" in text and "ingest + validation (rows/s)" in text
    assert "## Targets" in text and "p95 <= 1.5x raw p95" in text


def test_an_answer_is_one_extracts_on_every_card_or_it_is_mixed_or_wrong():
    first = {("Overview", ""): {"kpis": {"children": "120"}, "chart": {"figure": 1}}}
    second = {("Overview", ""): {"kpis": {"children": "152"}, "chart": {"figure": 2}}}
    same = {("Overview", ""): {"kpis": {"children": "120"}, "chart": {"figure": 1}}}
    check = OneVersion([first, second])
    assert check("Overview", "", {"kpis": {"children": "120"}, "chart": {"figure": 1}}) is None
    assert check("Overview", "", {"kpis": {"children": "152"}, "chart": {"figure": 2}}) is None
    assert (
        check("Overview", "", {"kpis": {"children": "120"}, "chart": {"figure": 2}})
        == "mixed answer: kpis of a, chart of b"
    )
    assert (
        check("Overview", "", {"kpis": {"children": "999"}, "chart": {"figure": 2}}) == "wrong answer: kpis of neither"
    )
    assert check.seen == {"a": 1, "b": 1, "neither": 2}
    assert OneVersion([first, same])("Overview", "", same["Overview", ""]) is None
