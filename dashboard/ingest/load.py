"""Load a validated extract into the dashboard database, all or nothing.

The live file is never written: ingest copies it, replaces the named YJSs' rows in the copy inside
one transaction, and swaps the copy in with ``os.replace``. A rejected extract, an error or a kill
at any point leaves the old file exactly as it was, and readers (the app) never see half a load.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .derive import SCHEMA_VERSION, TABLES, derive
from .extract import Progress, stage_extract
from .public import load_public_tables


class DatabaseOutOfDate(RuntimeError):
    """The database was built by a version of the dashboard with other tables."""


@dataclass
class LoadSummary:
    yjs: list[str]
    rows: dict[str, int]
    seconds: float

    @property
    def rows_read(self) -> int:
        return sum(self.rows[t] for t in ("child", "offence", "outcome", "programme", "population"))


def _remove_stale_copies(db_path: Path) -> None:
    """Copies left by an ingest that was killed; their process is gone."""
    for stale in db_path.parent.glob(db_path.name + ".tmp-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            stale.unlink(missing_ok=True)


def prepare_database(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Make sure ``catalog`` has the current tables and the published data."""
    version = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? AND table_name = 'schema_info'",
        [catalog]).fetchone()[0]
    if version:
        found = con.execute(f"SELECT version FROM {catalog}.schema_info").fetchone()[0]
        if found != SCHEMA_VERSION:
            raise DatabaseOutOfDate(
                f"the database was built by another version of the dashboard (tables v{found}, this is "
                f"v{SCHEMA_VERSION}); build a new one with `python -m dashboard demo` or ingest into a new --db")
        return
    con.execute(f"CREATE TABLE {catalog}.schema_info AS SELECT {SCHEMA_VERSION} AS version")
    for table in TABLES:
        con.execute(f"CREATE TABLE {catalog}.{table} AS SELECT * FROM new_{table} WHERE false")
    con.execute(f"USE {catalog}")
    load_public_tables(con)
    con.execute("USE memory")


def ingest(folder: Path, db_path: Path, progress: Progress | None = None) -> LoadSummary:
    """Validate ``folder`` and replace its YJSs' data in ``db_path``; raise ExtractRejected if invalid."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    con, as_of, description = stage_extract(folder, say)
    say("Working out first-time entries, stages and programme follow-up")
    derive(con, as_of, description)
    rows = {t: con.execute(f"SELECT count(*) FROM new_{t}").fetchone()[0] for t in TABLES}
    services = [r[0] for r in con.execute("SELECT yjs FROM new_extract_info ORDER BY yjs").fetchall()]

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_copies(db_path)
    copy = db_path.with_name(f"{db_path.name}.tmp-{os.getpid()}")
    try:
        if db_path.exists():
            say(f"Copying {db_path.name}")
            shutil.copyfile(db_path, copy)
        con.execute("ATTACH ? AS target", [str(copy)])
        prepare_database(con, "target")
        say(f"Writing {', '.join(services)}")
        con.execute("BEGIN TRANSACTION")
        for table in TABLES:
            con.execute(f"DELETE FROM target.{table} WHERE yjs IN (SELECT yjs FROM new_extract_info)")
            con.execute(f"INSERT INTO target.{table} BY NAME SELECT * FROM new_{table}")
        con.execute("COMMIT")
        con.execute("CHECKPOINT target")
        con.execute("DETACH target")
        con.close()
        with open(copy, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(copy, db_path)
    finally:
        copy.unlink(missing_ok=True)
    return LoadSummary(services, rows, time.perf_counter() - started)
