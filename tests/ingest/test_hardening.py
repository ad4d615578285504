"""Ingest under hostile files and a hostile machine (issue 12, item 7): each used to load silently or
crash, and must now be a plain refusal with the database exactly as it was. The corpus in
test_rejections.py covers FIFOs, devices, folders, NUL bytes, long text and impossible dates; here
are the limits of size and memory and a full disk."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
from pathlib import Path

import pytest

from dashboard.ingest import ExtractRejected, IngestFailed, IngestLimits, ingest
from dashboard.synth import generate_extract

from .corpus import run_cli, sha256, stray_copies, write_base


@contextlib.contextmanager
def tiny_disk(folder: Path, size: int):
    """A tmpfs of ``size`` bytes mounted at ``folder``; the test is skipped where it cannot be mounted."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture(scope="module")
def bigger_extract(tmp_path_factory) -> Path:
    """A synthetic extract of 3,000 children: more than the base database's spare room."""
    folder = tmp_path_factory.mktemp("bigger") / "extract"
    generate_extract(folder, children=3000, seed=5)
    return folder


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.csv")}
    biggest = max(sizes, key=sizes.get)
    limit = sizes[biggest] - 1
    assert sorted(sizes.values())[-2] <= limit  # only the biggest is over it
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db, limits=IngestLimits(max_file_bytes=limit))
    assert [str(p) for p in rejected.value.problems] == [
        f"{biggest}:0: -: is {sizes[biggest]} bytes, more than the {limit} bytes a file may be "
        "(the limit is set by DASHBOARD_INGEST_MAX_FILE_MB)"
    ]


def test_limits_come_from_the_environment(monkeypatch):
    from dashboard.settings import Settings

    assert IngestLimits.from_settings(Settings()) == IngestLimits()
    assert IngestLimits().max_file_bytes == 5 * 1024**3 and IngestLimits().memory_limit == "2GB"
    monkeypatch.setenv("DASHBOARD_INGEST_MEMORY", "512MB")
    monkeypatch.setenv("DASHBOARD_INGEST_TEMP_DIR", "/srv/spill")
    monkeypatch.setenv("DASHBOARD_INGEST_MAX_FILE_MB", "3")
    assert IngestLimits.from_settings(Settings()) == IngestLimits("512MB", "/srv/spill", 3 * 1024 * 1024)


def test_too_little_memory_is_a_plain_message(live_db, tmp_path):
    before = sha256(live_db)
    with pytest.raises(
        IngestFailed,
        match=r"^the extract needs more memory than ingest may use \(1MB\): set "
        "DASHBOARD_INGEST_MEMORY higher",
    ):
        ingest(write_base(tmp_path / "extract"), live_db, limits=IngestLimits(memory_limit="1MB"))
    assert sha256(live_db) == before and stray_copies(live_db) == []
    result = run_cli(write_base(tmp_path / "again"), live_db, env={**os.environ, "DASHBOARD_INGEST_MEMORY": "1MB"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: the extract needs more memory than ingest may use (1MB)" in result.stderr
    assert result.stderr.rstrip().endswith("The database was not changed.")
    assert sha256(live_db) == before


def test_within_a_small_memory_limit_ingest_spills_to_its_temporary_folder_and_removes_it(bigger_extract, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    summary = ingest(
        bigger_extract, tmp_path / "db.duckdb", limits=IngestLimits(memory_limit="96MB", temp_directory=str(spill))
    )
    assert summary.rows["child"] == 3000
    assert list(spill.iterdir()) == []


def test_a_disk_too_full_for_the_copy(base_db, tmp_path):
    """The database fits on the disk, its working copy does not."""
    with tiny_disk(tmp_path / "disk", base_db.stat().st_size + (1 << 20)) as disk:
        db = disk / "dashboard.duckdb"
        db.write_bytes(base_db.read_bytes())
        before = sha256(db)
        with pytest.raises(IngestFailed, match=r"^could not write the database: the disk is full \(No space left"):
            ingest(write_base(tmp_path / "extract"), db)
        assert sha256(db) == before and stray_copies(db) == []


def test_a_disk_that_fills_while_the_load_is_written(base_db, bigger_extract, tmp_path):
    """The copy fits, the new rows do not: DuckDB's write fails, through the command line too."""
    with tiny_disk(tmp_path / "disk", 2 * base_db.stat().st_size + (600 << 10)) as disk:
        db = disk / "dashboard.duckdb"
        db.write_bytes(base_db.read_bytes())
        before = sha256(db)
        with pytest.raises(IngestFailed, match=r"^could not write the database: the disk is full \(Could not write"):
            ingest(bigger_extract, db, accept_drop=True)
        assert sha256(db) == before and stray_copies(db) == []
        result = run_cli(bigger_extract, db, "--accept-drop")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "error: could not write the database: the disk is full (" in result.stderr
        assert sha256(db) == before and stray_copies(db) == []


def test_a_file_size_limit_of_the_system_is_a_plain_message(base_db, bigger_extract, tmp_path):
    """RLIMIT_FSIZE just above the database: writing the load fails with EFBIG (Python ignores SIGXFSZ)."""
    db = tmp_path / "dashboard.duckdb"
    db.write_bytes(base_db.read_bytes())
    before, limit = sha256(db), db.stat().st_size + (256 << 10)

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = run_cli(bigger_extract, db, "--accept-drop", preexec_fn=small_files)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "error: could not write the database: the file would be larger than this system allows (" in result.stderr
    assert sha256(db) == before and stray_copies(db) == []


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("DASHBOARD_INGEST_MEMORY", "lots", "DASHBOARD_INGEST_MEMORY is 'lots': give a size such as 2GB or 512MB"),
        (
            "DASHBOARD_INGEST_TEMP_DIR",
            "/no/such/folder",
            "DASHBOARD_INGEST_TEMP_DIR is /no/such/folder, which is not a folder",
        ),
    ],
)
def test_a_limit_set_wrongly_is_a_plain_message(live_db, tmp_path, setting, value, message):
    before = sha256(live_db)
    result = run_cli(write_base(tmp_path / "extract"), live_db, env={**os.environ, setting: value})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {message}. The database was not changed." in result.stderr
    assert sha256(live_db) == before


def test_a_setting_that_is_not_a_number_is_refused_before_anything_is_read(live_db, tmp_path):
    before = sha256(live_db)
    result = run_cli(
        write_base(tmp_path / "extract"), live_db, env={**os.environ, "DASHBOARD_INGEST_MAX_FILE_MB": "5GB"}
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: DASHBOARD_INGEST_MAX_FILE_MB is '5GB': give a whole number of megabytes" in result.stderr
    assert sha256(live_db) == before
