"""Measure results remembered per process: a repeated view is instant, any other view, a new load or
a full cache is computed afresh."""

from __future__ import annotations

import pytest

from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters
from dashboard.ingest import ingest
from dashboard.metrics import compute

from .extracts import child, programme, write_extract


def _programmes(n: int) -> list[dict]:
    return [
        programme(f"p{i}", f"c{i}", "PREVENTION", "2021-05-01", "2021-05-02", referral_source="SCHOOL")
        for i in range(n)
    ]


def _load(tmp_path, name: str, children: int) -> None:
    folder = write_extract(
        tmp_path / name,
        children=[child(f"c{i}", "2007-01-01") for i in range(children)],
        programmes=_programmes(children),
    )
    ingest(folder, tmp_path / "live.duckdb")


@pytest.fixture
def db(tmp_path):
    _load(tmp_path, "first", 12)
    database = Database.open(tmp_path / "live.duckdb")
    yield database
    database.close()


def test_a_repeated_view_comes_from_the_cache_and_any_other_view_does_not(db):
    shown = compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope)
    assert compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope) is shown
    assert compute(db, "disposals", Filters(period="2021-22", sex="male"), scope=EVERYONE.scope) is not shown
    assert compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope, suppressed=False) is not shown
    assert compute(db, "referrals", Filters(period="2021-22"), scope=EVERYONE.scope) is not shown


def test_the_cache_keeps_only_the_latest_results(tmp_path):
    _load(tmp_path, "first", 12)
    db = Database.open(tmp_path / "live.duckdb", results_kept=2)
    first = compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope)
    compute(db, "disposals", Filters(sex="male"), scope=EVERYONE.scope)
    compute(db, "disposals", Filters(sex="female"), scope=EVERYONE.scope)
    assert compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope) is not first


def test_a_new_load_is_never_answered_from_the_old_cache(db, tmp_path):
    def started() -> int:
        table = compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope).table
        return int(table.loc[table["disposal_type"] == "PREVENTION", "count"].sum())

    assert started() == 12
    _load(tmp_path, "second", 30)  # ingest swaps a new file in under the open database
    assert started() == 30


def test_a_key_that_cannot_be_hashed_is_computed_every_time_rather_than_failing(db):
    calls = []
    for _ in range(2):
        with db.snapshot() as snap:
            assert snap.remember(("measure", {"set of services"}), lambda: calls.append(1) or len(calls)) == len(calls)
    assert len(calls) == 2


def test_a_result_being_worked_out_is_waited_for_not_worked_out_again():
    """The background first views and a click asking for the same lattice at once: one works it out."""
    import threading
    import time

    from dashboard.db import Results

    results, calls, started, release = Results(8), [], threading.Event(), threading.Event()

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return "lattice"

    answers = []
    first = threading.Thread(target=lambda: answers.append(results.remember("key", slow)))
    first.start()
    started.wait(10)
    second = threading.Thread(target=lambda: answers.append(results.remember("key", slow)))
    second.start()
    time.sleep(0.2)  # the second is now waiting on the first (no signal to wait for)
    release.set()
    first.join(10)
    second.join(10)
    assert answers == ["lattice", "lattice"] and calls == [1]


def test_a_failed_result_is_worked_out_again_by_the_next_asker():
    from dashboard.db import Results

    results = Results(8)
    with pytest.raises(ZeroDivisionError):
        results.remember("key", lambda: 1 / 0)
    assert results.remember("key", lambda: "second try") == "second try"
