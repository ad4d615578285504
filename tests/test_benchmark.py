"""A smoke run of the benchmark at 10,000 children, so the script itself cannot rot."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main
from dashboard.views import PAGES


@pytest.mark.browser          # it serves the app under gunicorn
def test_the_benchmark_runs_and_writes_its_tables(tmp_path):
    out = tmp_path / "performance.md"
    assert main(["--sizes", "10000", "--requests", "3", "--out", str(out)]) == 0
    text = out.read_text()
    for page in PAGES.values():
        assert f"| 10,000 | {page.name} |" in text
    assert "| 10,000 | fte |" in text and "ingest + validation (rows/s)" in text
    assert "## Targets" in text and "p95 <= 1.5x raw p95" in text
