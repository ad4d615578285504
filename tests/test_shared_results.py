"""Results shared by every process serving one database version (dashboard/shared_results.py): what one
process worked out, another reads instead of protecting it again; a new load never reads an older one's;
the files are private, bounded, and a damaged or missing one is worked out again. Both backends."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import dashboard.disclosure
from dashboard import views
from dashboard.access import EVERYONE, Scope, Viewer
from dashboard.db import Database, shared_results_folder
from dashboard.filters import Filters
from dashboard.ingest import ingest
from dashboard.metrics import compute
from dashboard.settings import Settings
from dashboard.shared_results import SharedResults, canonical, digest

from .commands import ROOT, run_dashboard
from .extracts import child, population_rows, write_extract

#: Measures on the disclosure lattice, and views of them, that a page would ask for.
ASKED = [
    ("disposals", Filters(period="2021-22")),
    ("disposals", Filters(sex="female")),
    ("referrals", Filters()),
    ("fte", Filters(period="2021-22")),
]


def _extract(folder: Path, children: int, seed: int = 0) -> Path:
    kids = [
        child(f"c{i}", "2006-03-01", sex="female" if (i + seed) % 3 else "male", locality=("North", "South")[i % 2])
        for i in range(children)
    ]
    programmes = [
        dict(
            programme_id=f"p{i}",
            child_id=f"c{i}",
            disposal_type="REFERRAL_ORDER" if i < 3 + seed else ("PREVENTION", "YOUTH_CAUTION")[i % 2],  # 3: withheld
            referral_date="2021-05-01",
            start_date=f"2021-{5 + i % 6:02d}-02",
            referral_source=("SCHOOL", "POLICE")[i % 2],
        )
        for i in range(children)
    ]
    outcomes = [
        dict(outcome_id=f"u{i}", child_id=f"c{i}", outcome_date="2021-06-01", outcome_type="YOUTH_CAUTION")
        for i in range(0, children, 2)
    ]
    return write_extract(
        folder, children=kids, programmes=programmes, outcomes=outcomes, population=population_rows(year=2021)
    )


@pytest.fixture
def location(database_at, tmp_path, request):
    """A database of this test's on the current backend, loaded once."""
    where = database_at(request.node.name[:40].replace("[", "_").replace("]", ""))
    ingest(_extract(tmp_path / "first", 40), where)
    return where


@pytest.fixture
def protects(monkeypatch):
    """How many times this process protects a lattice (disclosure.protect, the seconds of work)."""
    calls = []
    real = dashboard.disclosure.protect
    monkeypatch.setattr(dashboard.disclosure, "protect", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def _tables(db) -> list[str]:
    return [compute(db, metric, f, scope=EVERYONE.scope).table.to_json(orient="split") for metric, f in ASKED]


def _withheld(db) -> list[str]:
    return [compute(db, metric, f, scope=EVERYONE.scope).withheld.to_json(orient="split") for metric, f in ASKED]


SECOND_PROCESS = """
import json, sys
import dashboard.disclosure
from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.metrics import compute
from tests.test_shared_results import ASKED

calls = []
real = dashboard.disclosure.protect
dashboard.disclosure.protect = lambda *a, **k: calls.append(1) or real(*a, **k)
db = Database.open(sys.argv[1], results_dir=sys.argv[2])
results = [compute(db, metric, f, scope=EVERYONE.scope) for metric, f in ASKED]
print(json.dumps({
    "protects": len(calls),
    "tables": [r.table.to_json(orient="split") for r in results],
    "withheld": [r.withheld.to_json(orient="split") for r in results],
}))
"""


def _second_process(location: str, results: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, str(location), str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_second_process_reads_what_the_first_worked_out_and_protects_nothing(location, tmp_path, protects):
    results = tmp_path / "results"
    first = Database.open(location, results_dir=results)
    tables, withheld = _tables(first), _withheld(first)
    assert protects  # the first process did the work
    assert any("True" in w or "true" in w for w in withheld)  # and something is withheld: the mask matters
    first.close()

    second = _second_process(location, results)
    assert second["protects"] == 0
    assert second["tables"] == tables and second["withheld"] == withheld


def test_another_database_object_in_this_process_reads_them_too_and_numbers_are_the_same(location, tmp_path, protects):
    results = tmp_path / "results"
    alone = Database.open(location)  # no sharing: the reference
    expected = (_tables(alone), _withheld(alone))
    worked_out = len(protects)
    first = Database.open(location, results_dir=results)
    assert (_tables(first), _withheld(first)) == expected
    assert len(protects) == 2 * worked_out  # the first with a store works everything out once
    second = Database.open(location, results_dir=results)
    assert (_tables(second), _withheld(second)) == expected
    assert len(protects) == 2 * worked_out  # and the second reads it all


def test_a_new_load_never_reads_the_old_versions_results(location, tmp_path):
    results = tmp_path / "results"
    before = Database.open(location, results_dir=results)
    first = _tables(before)
    with before.snapshot() as snap:
        old = snap.shared.folder
    assert old.is_dir() and list(old.glob("*.result"))
    before.close()

    ingest(_extract(tmp_path / "second", 70, seed=1), location)  # the same service, a new load
    after = Database.open(location, results_dir=results)
    with after.snapshot() as snap:
        new = snap.shared.folder
    assert new != old and not old.exists()  # a new load id; the old version's results are removed
    expected = _tables(Database.open(location))  # worked out afresh, nothing shared
    assert _tables(after) == expected and expected != first


def test_an_ingest_prepares_its_load_before_the_swap_while_viewers_keep_the_live_versions_results(tmp_path, protects):
    """A load's first views are worked out on the staged copy, into a folder beside the live version's:
    meanwhile a new worker opening the live file reads the live version and removes neither folder; after
    the swap the first viewer reads what was prepared (nothing protected again)."""
    where, results = tmp_path / "live.duckdb", tmp_path / "results"
    ingest(_extract(tmp_path / "first", 40), where)
    live = Database.open(where, results_dir=results)
    before = _tables(live)
    with live.snapshot() as snap:
        live_folder = snap.shared.folder
    seen = {}

    def prepare(staged, say):
        staging = Database.open(staged, results_dir=results, preparing=True)
        with staging.snapshot() as snap:
            seen["prepared"], seen["staged"] = _tables(staging), staged
            new_folder = snap.shared.folder
            worker = Database.open(where, results_dir=results)  # a worker starting now: cleans on opening
            seen["live"] = _tables(worker)
            seen["folders"] = live_folder.is_dir(), new_folder.is_dir(), new_folder != live_folder
            worker.close()
            marker = next(new_folder.glob(".preparing-*"))
        staging.close()
        seen["marker removed on closing"] = not marker.exists()

    ingest(_extract(tmp_path / "second", 70, seed=1), where, prepare=prepare)
    assert seen["staged"] != str(where)
    assert seen["live"] == before  # the live version, read while the new one was prepared
    assert seen["folders"] == (True, True, True)  # both versions' results kept meanwhile
    assert seen["marker removed on closing"]  # closing the preparing database ends its mark
    expected = _tables(Database.open(where))  # the new load, nothing shared
    assert seen["prepared"] == expected != before
    protects.clear()
    after = Database.open(where, results_dir=results)
    assert _tables(after) == expected and protects == []  # read, not worked out again
    assert not live_folder.exists()  # the old version's removed once the new one is opened


def test_a_folder_marked_by_a_process_that_has_ended_is_removed(tmp_path):
    root = tmp_path / "results"
    root.mkdir(mode=0o700)
    ended = root / "0123456789abcdef.0123456789abcdef"
    ended.mkdir(mode=0o700)
    (ended / ".preparing-999999999").touch()  # no such process
    living = root / "fedcba9876543210.0123456789abcdef"
    living.mkdir(mode=0o700)
    (living / f".preparing-{os.getpid()}").touch()
    SharedResults.open(root, "00000000-aaaa", 1 << 20)
    assert not ended.exists() and living.exists()


def test_the_files_are_this_users_alone(location, tmp_path):
    results = tmp_path / "results"
    db = Database.open(location, results_dir=results)
    compute(db, "disposals", Filters(period="2021-22"), scope=EVERYONE.scope)
    with db.snapshot() as snap:
        folder = snap.shared.folder
    assert stat.S_IMODE(results.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert any(p.suffix == ".result" for p in files) and any(p.suffix == ".lock" for p in files)
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_a_folder_open_to_others_is_closed_and_a_symbolic_link_is_not_used(tmp_path):
    opened = tmp_path / "open"
    opened.mkdir(mode=0o777)
    opened.chmod(0o777)
    assert SharedResults.open(opened, "0123abcd-0000", 1 << 20) is not None
    assert stat.S_IMODE(opened.stat().st_mode) == 0o700
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    assert SharedResults.open(tmp_path / "link", "0123abcd-0000", 1 << 20) is None
    assert SharedResults.open(tmp_path / "fine", None, 1 << 20) is None  # loaded before load ids: not shared


@pytest.mark.parametrize("damage", ["cut short", "garbage", "another key's", "removed"])
def test_a_damaged_or_missing_result_is_worked_out_again(location, tmp_path, protects, damage):
    results = tmp_path / "results"
    first = Database.open(location, results_dir=results)
    expected = (_tables(first), _withheld(first))
    worked_out = len(protects)
    with first.snapshot() as snap:
        files = sorted(snap.shared.folder.glob("*.result"))
    assert files
    for n, path in enumerate(files):
        if damage == "cut short":
            path.write_bytes(path.read_bytes()[:-20])
        elif damage == "garbage":
            path.write_bytes(b"not a result at all")
        elif damage == "another key's":
            path.write_bytes(files[(n + 1) % len(files)].read_bytes() if len(files) > 1 else b"")
        else:
            path.unlink()
    second = Database.open(location, results_dir=results)
    assert (_tables(second), _withheld(second)) == expected
    assert len(protects) == 2 * worked_out  # every one worked out again
    third = Database.open(location, results_dir=results)
    assert (_tables(third), _withheld(third)) == expected
    assert len(protects) == 2 * worked_out  # and written back whole


def test_the_store_is_bounded_least_recently_used_first(tmp_path):
    store = SharedResults.open(tmp_path / "r", "0123abcd-0000", 55_000)
    for n in range(10):
        store.write(digest(("result", n)), b"x" * 5_000)
        os.utime(store.folder / f"{digest(('result', n))}.result", (n, n))  # written in this order
    assert store.size()[0] == 10
    store.read(digest(("result", 0)))  # the oldest, used again
    store.write(digest(("result", 10)), b"x" * 5_000)  # over the limit: trimmed to 90% of it
    assert store.size()[1] <= 55_000 * 0.9
    kept = {n for n in range(11) if (store.folder / f"{digest(('result', n))}.result").exists()}
    assert kept == {0, *range(3, 11)}  # the least recently used went first


def test_one_process_works_a_key_out_while_the_others_wait_for_it(location, tmp_path, protects):
    results = tmp_path / "results"
    alone = Database.open(location)
    compute(alone, "referrals", Filters(), scope=EVERYONE.scope)
    once = len(protects)
    protects.clear()
    databases = [Database.open(location, results_dir=results) for _ in range(3)]  # as three workers
    answers = []
    threads = [
        threading.Thread(target=lambda db=db: answers.append(compute(db, "referrals", Filters(), scope=EVERYONE.scope)))
        for db in databases
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == 3 and len(protects) == once
    assert all(a.table.equals(answers[0].table) and a.withheld.equals(answers[0].withheld) for a in answers)


def test_keys_have_one_text_in_every_process_and_a_lambda_is_not_shared():
    scope = Scope(("Northvale",), drill_down=False)
    assert canonical(("measure", "fte", Filters(sex="female"), scope)) == canonical(
        ("measure", "fte", Filters(sex="female"), Scope(("Northvale",), drill_down=False))
    )
    assert digest(("measure", Filters(sex="female"))) != digest(("measure", Filters(sex="male")))
    assert digest(("x", dashboard.disclosure.ALL)) == digest(("x", dashboard.disclosure.ALL))
    assert digest(("x", lambda: 1)) is None
    assert digest(("x", object())) is None


def test_the_store_is_beside_a_duckdb_file_or_in_a_folder_of_the_settings():
    assert shared_results_folder(Settings(db="/srv/yjs/live.duckdb")) == Path("/srv/yjs/live.duckdb.results")
    assert shared_results_folder(Settings(db="/srv/yjs/live.duckdb", shared_results=False)) is None
    assert shared_results_folder(Settings(db="/srv/yjs/live.duckdb", results_dir="/var/cache/yjs")).parent == Path(
        "/var/cache/yjs"
    )
    assert "postgresql" not in str(shared_results_folder(Settings(db="postgresql+psycopg://u:secret@h/db")))


def test_after_a_load_the_command_line_prepares_every_accounts_first_views(location, tmp_path, backend):
    """``ingest`` works out every page's first view for each account's scope; the app's first viewer then
    reads them (no lattice protected again)."""
    manager = _user(location, "mia", "manager")
    board = _user(location, "bob", "board")
    env = {**os.environ, "DASHBOARD_WARM": "1", "DASHBOARD_RESULTS_DIR": str(tmp_path / "results")}
    loaded = run_dashboard("ingest", _extract(tmp_path / "again", 44), "--db", location, env=env, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    assert "Working out first views (1 of 2): bob, Testshire" in loaded.stderr
    assert "Working out first views (2 of 2): mia, Testshire" in loaded.stderr
    assert "First views ready" in loaded.stderr

    calls = []
    real = dashboard.disclosure.protect
    dashboard.disclosure.protect = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        settings = Settings(db=str(location), results_dir=tmp_path / "results")
        db = Database.from_settings(settings)
        for viewer in (manager, board):
            with db.snapshot() as snap:
                views.warm(views.Context(snap, viewer))
    finally:
        dashboard.disclosure.protect = real
    assert calls == []


def _user(location, name: str, role: str) -> Viewer:
    added = run_dashboard(
        "users",
        "add",
        name,
        "--role",
        role,
        "--yjs",
        "Testshire",
        "--password-stdin",
        "--db",
        location,
        input="a long enough password 1\n",
    )
    assert added.returncode == 0, added.stderr
    return Viewer(name, role, Scope(("Testshire",), drill_down=role != "board"))


def test_the_library_ingest_prepares_nothing_unless_asked(tmp_path):
    where = tmp_path / "plain.duckdb"
    ingest(_extract(tmp_path / "x", 10), where)
    assert not where.with_name(where.name + ".results").exists()


def test_a_frame_reads_back_exactly_as_it_was_written(tmp_path):
    import numpy as np
    import pandas as pd

    all_ = dashboard.disclosure.ALL
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([1, 1.0, True, None, np.nan, all_, "All", "North"], dtype=object),
            "count": pd.Series([1, 2, None, 4, 5, 6, 7, 8], dtype="Int64"),
            "shown": [True, False] * 4,
            "day": pd.to_datetime(["2021-04-01"] * 8),
            "rate": [0.5, np.nan, 1, 2, 3, 4, 5, 6],
            "words": pd.Series(["a", "b", None, "a", "b", "c", "d", "e"], dtype="str"),
        }
    )
    frame.index = pd.Index([10, 11, 12, 13, 14, 15, 16, 17], name="row")
    frame.insert(1, "mixed", frame["mixed"], allow_duplicates=True)  # a column name twice
    frame.attrs["note"] = "kept"
    store = SharedResults.open(tmp_path / "r", "0123abcd-0000", 1 << 20)
    store.write(digest(("frame",)), {"cells": frame, "empty": frame.iloc[:0]})
    back = store.read(digest(("frame",)))
    for written, read in ((frame, back["cells"]), (frame.iloc[:0], back["empty"])):
        assert read.columns.equals(written.columns) and read.index.equals(written.index)
        assert list(read.dtypes) == list(written.dtypes) and read.attrs == written.attrs
        for n in range(written.shape[1]):
            ours, theirs = written.iloc[:, n].tolist(), read.iloc[:, n].tolist()
            assert [type(v) for v in theirs] == [type(v) for v in ours]
            assert [repr(v) for v in theirs] == [repr(v) for v in ours]
    assert back["cells"].iloc[:, 0].iloc[5] is all_
