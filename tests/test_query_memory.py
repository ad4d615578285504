"""Queries that share one DuckDB connection's memory: one refused while others hold it runs again alone."""

from __future__ import annotations

import threading

import duckdb
import pytest

from dashboard.db import Database, QueryTooLarge, Turns
from dashboard.ingest import ingest

from .extracts import child, write_extract


def test_a_query_refused_while_another_holds_the_memory_runs_again_once_that_one_has_finished():
    """The KPIs' first view of a new version, with everyone clicking: a query that fits on its own was refused
    because other requests' queries held the memory (an error page, 1 answer in 17 under load)."""
    turns = Turns()
    busy, refused, release = threading.Event(), threading.Event(), threading.Event()
    answers, attempts = [], []

    def long_query():
        busy.set()
        release.wait(10)
        busy.clear()
        return "long"

    def query_needing_the_memory():
        attempts.append(busy.is_set())
        if busy.is_set():
            refused.set()
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block")
        return "refused, then answered"

    first = threading.Thread(target=lambda: answers.append(turns.run(long_query)))
    first.start()
    busy.wait(10)
    second = threading.Thread(target=lambda: answers.append(turns.run(query_needing_the_memory)))
    second.start()
    assert refused.wait(10)
    release.set()  # the long query finishes only now: the second is asked again after it, not before
    first.join(10)
    second.join(10)
    assert sorted(answers) == ["long", "refused, then answered"]
    assert attempts == [True, False]


def test_a_query_refused_on_its_own_too_is_too_large_for_the_caller(tmp_path):
    """Alone it still does not fit: the caller is told (``QueryTooLarge``, so a lattice asks for fewer sets),
    and the connection answers the next query."""
    ingest(write_extract(tmp_path / "extract", children=[child("c1", "2007-01-01")]), tmp_path / "db.duckdb")
    db = Database.open(tmp_path / "db.duckdb", duckdb_memory="2MB")
    with db.snapshot() as snap:
        with pytest.raises(QueryTooLarge):
            snap.query("SELECT count(DISTINCT (i, i * 7)) FROM range(20000000) t(i)")
        assert snap.scalar("SELECT count(*) FROM child") == 1
