"""Load a validated extract into the dashboard database, all or nothing.

Validation and the derived tables are worked out in an in-memory DuckDB (extract.py, derive.py);
only then is the database touched, and in one transaction:

- DuckDB file: the live file is never written. Ingest copies it, replaces the named YJSs' rows in the
  copy, and swaps the copy in with ``os.replace``. A rejected extract, an error or a kill at any point
  leaves the old file exactly as it was, and readers never see half a load.
- PostgreSQL: the rows of the named YJSs are deleted and copied in inside one transaction; readers
  see the old data until it commits.

Inside that transaction, before it commits, the new row counts are compared with the old ones for
the same services: a record file that falls by more than DROP_ALLOWED is refused unless the caller
accepts it (a cut-short export should not silently replace a whole one). A full disk or too little
memory is a plain ``IngestFailed``, the database again left as it was. Only ``demo=True`` (the demo
build) marks the database as the open demonstration; every other load clears the mark.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..config import SCHEMA_VERSION
from ..storage import duckdb_copy, is_server_url, postgres_dsn
from .derive import RECORD_TABLES, TABLES, derive
from .extract import IngestFailed, IngestLimits, Progress, StagedExtract, stage_extract
from .public import PUBLIC_TABLES, load_public_tables

#: Columns the measures filter on, indexed on PostgreSQL (DuckDB needs none: it scans columns).
INDEXES = {
    "first_time_entry": "outcome_date",
    "stage_event": "event_date",
    "programme_fact": "start_date",
    "proven_cohort": "index_date",
    "extract_info": "yjs",
    "outcome": "outcome_date",
    "programme": "end_date",
    "assessment": "programme_id",
    "remand": "remand_date",
    "victim": "contact_date",
    "board_meeting": "meeting_date",
    "remand_fact": "remand_date",
}
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "DATE": "date",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "DOUBLE": "double precision",
    "HUGEINT": "numeric",
}
#: The largest fall in a record file's rows, for a service already loaded, that loads without --accept-drop.
DROP_ALLOWED = 0.20


class DatabaseOutOfDate(RuntimeError):
    """The database was built by a version of the dashboard with other tables."""


class LoadRefused(RuntimeError):
    """The extract is valid but loading it is refused (rows would fall, a demo over real data);
    ``lines`` says why, one point a line. The database is unchanged."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("; ".join(lines))


def _out_of_date(found) -> DatabaseOutOfDate:
    return DatabaseOutOfDate(
        f"the database was built by another version of the dashboard (tables v{found}, this is "
        f"v{SCHEMA_VERSION}): load into a new one (another --db), or move the old file away first"
    )


@dataclass(frozen=True)
class Drop:
    yjs: str
    table: str
    before: int
    after: int

    def __str__(self) -> str:
        return (
            f"{self.yjs}: {RECORD_TABLES[self.table]} falls from {self.before:,} to {self.after:,} rows "
            f"({(self.after - self.before) / self.before:+.0%})"
        )


@dataclass
class LoadSummary:
    yjs: list[str]
    rows: dict[str, int]  # rows read, per record table (0 for a file the extract does not have)
    seconds: float
    #: rows the extract's services had before, per record table; None when none of them was loaded
    before: dict[str, int | None] = field(default_factory=dict)
    #: the record files the extract had
    files: set[str] = field(default_factory=set)
    #: falls beyond DROP_ALLOWED that were accepted
    drops: list[Drop] = field(default_factory=list)
    #: the seconds ``prepare`` took (not in ``seconds``, the load's own)
    preparing: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class _Plan:
    """What a load may do beyond replacing rows."""

    accept_drop: bool
    demo: bool
    prepare: Callable[[str | None, Progress], None] | None = None


def ingest(
    folder: Path,
    location: str | Path,
    progress: Progress | None = None,
    *,
    accept_drop: bool = False,
    demo: bool = False,
    limits: IngestLimits | None = None,
    prepare: Callable[[str | None, Progress], None] | None = None,
) -> LoadSummary:
    """Validate ``folder`` and replace its YJSs' data in the database at ``location`` (a DuckDB
    file or a PostgreSQL URL). Raises ExtractRejected (invalid), LoadRefused (rows would fall by
    more than DROP_ALLOWED without ``accept_drop``; a demo build over other services),
    DatabaseOutOfDate or IngestFailed; in every case the database is left exactly as it was.
    ``demo``: mark the database as the open demonstration (only the demo build does).
    ``prepare(staged, progress)``: works out the load's first views before viewers see it (the command
    line's: views.prepare), with ``staged`` the DuckDB copy not yet swapped in, so viewers keep reading
    the live file meanwhile; for PostgreSQL, whose load goes live at its commit, run after it with
    ``staged`` None. None by default: the load alone. If it raises, a DuckDB load is thrown away."""
    limits = limits or IngestLimits()
    say = progress or (lambda message: None)
    try:
        summary = _ingest(Path(folder), str(location), say, _Plan(accept_drop, demo, prepare), limits)
    except Exception as exc:
        plain = _plain_failure(exc, limits)
        if plain is None:
            raise
        raise IngestFailed(plain) from exc
    if prepare is not None and is_server_url(str(location)):
        _timed_prepare(prepare, None, say, summary)
    return summary


def _timed_prepare(prepare, staged: str | None, say: Progress, summary: LoadSummary) -> None:
    started = time.perf_counter()
    prepare(staged, say)
    summary.preparing = time.perf_counter() - started


def _ingest(folder: Path, location: str, say: Progress, plan: _Plan, limits: IngestLimits) -> LoadSummary:
    started = time.perf_counter()
    staged = stage_extract(folder, say, limits)
    try:
        say("Working out first-time entries, stages and programme follow-up")
        derive(staged.con, staged.as_of, staged.description, set(staged.rows), staged.services)
        summary = LoadSummary(
            sorted(staged.services),
            {t: staged.rows.get(f, 0) for t, f in RECORD_TABLES.items()},
            0.0,
            files={f for f in RECORD_TABLES.values() if f in staged.rows},
        )
        say(f"Writing {', '.join(summary.yjs)}")
        if is_server_url(location):
            _write_postgres(staged, location, plan, summary)
        else:
            _write_duckdb(staged, Path(location), plan, summary, say)
    finally:
        staged.close()
    summary.seconds = time.perf_counter() - started - summary.preparing
    return summary


# -- what every load checks before it commits -------------------------------------------------------
Fetch = Callable[[str], list[tuple]]


def _rows_by_service(fetch: Fetch, table: Callable[[str], str], loading: str) -> dict[tuple[str, str], int]:
    """(record table, service) -> rows, for the services being loaded."""
    counts = {}
    for name in RECORD_TABLES:
        for yjs, rows in fetch(
            f"SELECT yjs, count(*) FROM {table(name)} WHERE yjs IN (SELECT yjs FROM {loading}) GROUP BY yjs"
        ):
            counts[name, yjs] = rows
    return counts


def _before(fetch: Fetch, table: Callable[[str], str], loading: str, plan: _Plan) -> tuple[list[str], dict]:
    """The extract's services already in the database and their rows, before anything is deleted.
    A demo build refuses a database that holds other services: the demo mark would open them to all."""
    loaded = [
        r[0]
        for r in fetch(f"SELECT yjs FROM {table('extract_info')} WHERE yjs IN (SELECT yjs FROM {loading}) ORDER BY yjs")
    ]
    if plan.demo:
        others = [
            r[0]
            for r in fetch(
                f"SELECT yjs FROM {table('extract_info')} WHERE yjs NOT IN (SELECT yjs FROM {loading}) ORDER BY yjs"
            )
        ]
        if others:
            raise LoadRefused(
                [
                    f"the database holds services that are not the demo's ({', '.join(others)}): "
                    "build the demo in a database of its own (--db)"
                ]
            )
    return loaded, _rows_by_service(fetch, table, loading)


def _settle(summary: LoadSummary, loaded: list[str], before: dict, after: dict, plan: _Plan) -> None:
    """Fill in the counts before, and refuse (before the commit) any record file of an already
    loaded service that falls by more than DROP_ALLOWED, unless the drop was accepted."""
    summary.before = {t: sum(before.get((t, yjs), 0) for yjs in loaded) if loaded else None for t in RECORD_TABLES}
    summary.drops = [
        Drop(yjs, t, before[t, yjs], after.get((t, yjs), 0))
        for yjs in loaded
        for t in RECORD_TABLES
        if before.get((t, yjs), 0) and after.get((t, yjs), 0) < before[t, yjs] * (1 - DROP_ALLOWED)
    ]
    if summary.drops and not plan.accept_drop:
        raise LoadRefused(
            [str(d) for d in summary.drops]
            + [
                f"a fall of more than {DROP_ALLOWED:.0%} is refused: if the extract is right, "
                "ingest it again with --accept-drop"
            ]
        )


#: What DuckDB, the OS and PostgreSQL say when the disk is full, when a file would be too large, and
#: when memory ran out (DuckDB wraps some of these in other errors, e.g. a failed commit).
DISK_FULL = ("No space left on device", "Disk quota exceeded", "DiskFull", "could not extend file")
TOO_LARGE = ("File too large",)
NO_MEMORY = ("Out of Memory", "could not allocate", "failed to allocate", "out of memory")


def _plain_failure(exc: Exception, limits: IngestLimits) -> str | None:
    """A plain message for a load that failed for want of disk or memory; None for anything else."""
    if not isinstance(exc, (OSError, duckdb.Error)) and not type(exc).__module__.startswith("psycopg"):
        return None
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.filename:
        detail = f"{exc.strerror}: {exc.filename}"
    else:
        # DuckDB's own words, without its prefixes (the copy it names as invalidated is thrown away).
        detail = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        detail = re.sub(r"^(?:[A-Za-z ]+ Error: |Failed to commit: )+", "", detail.rpartition("Original error: ")[2])
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or any(w in text for w in DISK_FULL):
        return f"could not write the database: the disk is full ({detail})"
    if (isinstance(exc, OSError) and exc.errno == errno.EFBIG) or any(w in text for w in TOO_LARGE):
        return f"could not write the database: the file would be larger than this system allows ({detail})"
    if isinstance(exc, duckdb.Error) and any(w in text for w in NO_MEMORY):
        return (
            f"the extract needs more memory than ingest may use ({limits.memory_limit}): set "
            "DASHBOARD_INGEST_MEMORY higher, or DASHBOARD_INGEST_TEMP_DIR to a folder with more free space"
        )
    if isinstance(exc, duckdb.IOException):
        return f"could not write the database: {detail}"
    if type(exc).__name__ == "OperationalError" and type(exc).__module__.startswith("psycopg"):
        return f"could not reach the PostgreSQL database: {detail}"
    return None


def _load_id() -> str:
    """A new id for this load, written into ``schema_info``: results worked out for one load (shared by
    every process serving it, db.py) are never read for another."""
    return str(uuid.uuid4())


# -- DuckDB file ---------------------------------------------------------------------------------
def _prepare_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    """Make sure the attached ``target`` has the current tables and the published data."""
    has_schema = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'target' AND table_name = 'schema_info'"
    ).fetchone()[0]
    if has_schema:
        found = con.execute("SELECT max(version) FROM target.schema_info").fetchone()[0]
        if found != SCHEMA_VERSION:
            raise _out_of_date(found)
        return
    con.execute(f"CREATE TABLE target.schema_info AS SELECT {SCHEMA_VERSION} AS version, false AS demo")
    for table in TABLES:
        con.execute(f"CREATE TABLE target.{table} AS SELECT * FROM new_{table} WHERE false")
    con.execute("USE target")
    load_public_tables(con)
    con.execute("USE memory")


def _write_duckdb(staged: StagedExtract, db_path: Path, plan: _Plan, summary: LoadSummary, say: Progress) -> None:
    con = staged.con
    with duckdb_copy(db_path) as copy:
        con.execute("ATTACH ? AS target", [str(copy)])
        # Rows may be written in any order (every measure sorts its results); this lets DuckDB work
        # out and write the derived tables on every core. Line numbers were fixed at validation.
        con.execute("SET preserve_insertion_order = false")
        _prepare_duckdb(con)

        def fetch(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        def target(table: str) -> str:
            return f"target.{table}"

        loaded, before = _before(fetch, target, "new_extract_info", plan)
        con.execute("BEGIN TRANSACTION")
        for table in TABLES:
            con.execute(f"DELETE FROM target.{table} WHERE yjs IN (SELECT yjs FROM new_extract_info)")
            con.execute(f"INSERT INTO target.{table} BY NAME SELECT * FROM new_{table}")
        _settle(summary, loaded, before, _rows_by_service(fetch, target, "new_extract_info"), plan)
        con.execute("ALTER TABLE target.schema_info ADD COLUMN IF NOT EXISTS load_id VARCHAR")
        con.execute("UPDATE target.schema_info SET demo = $demo, load_id = $id", {"demo": plan.demo, "id": _load_id()})
        con.execute("COMMIT")
        con.execute("DETACH target")
        if plan.prepare is not None:
            _timed_prepare(plan.prepare, str(copy), say, summary)


# -- PostgreSQL ----------------------------------------------------------------------------------
def _create_postgres_table(cur, con: duckdb.DuckDBPyConnection, source: str, table: str) -> None:
    columns = con.execute(f"DESCRIBE {source}").fetchall()
    cur.execute(
        f"CREATE TABLE {table} ("
        + ", ".join(f"{name} {POSTGRES_TYPES.get(kind, 'text')}" for name, kind, *_ in columns)
        + ")"
    )


def _copy_to_postgres(cur, con: duckdb.DuckDBPyConnection, source: str, table: str, folder: str) -> None:
    """Stream a DuckDB table into PostgreSQL with COPY, through a CSV file DuckDB writes."""
    path = os.path.join(folder, f"{table}.csv")
    con.execute(f"COPY {source} TO '{path}' (FORMAT csv, HEADER false)")
    columns = [row[0] for row in con.execute(f"DESCRIBE {source}").fetchall()]
    with (
        open(path, "rb") as handle,
        cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    os.unlink(path)


def _write_postgres(staged: StagedExtract, url: str, plan: _Plan, summary: LoadSummary) -> None:
    import psycopg

    con = staged.con
    with (
        tempfile.TemporaryDirectory(prefix="yjs-ingest-", dir=staged.temp_folder) as folder,
        psycopg.connect(postgres_dsn(url)) as pg,
        pg.cursor() as cur,
    ):
        # One load at a time: a second ingest waits here rather than interleaving with this one.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('yjs-dashboard-ingest'))")
        cur.execute("SELECT to_regclass('schema_info') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT max(version) FROM schema_info")
            found = cur.fetchone()[0]
            if found != SCHEMA_VERSION:
                raise _out_of_date(found)
        else:
            cur.execute(f"CREATE TABLE schema_info AS SELECT {SCHEMA_VERSION} AS version, false AS demo")
            for table in TABLES:
                _create_postgres_table(cur, con, f"new_{table}", table)
                cur.execute(f"CREATE INDEX ON {table} (yjs{', ' + INDEXES[table] if table in INDEXES else ''})")
            load_public_tables(con)
            for table in PUBLIC_TABLES:
                _create_postgres_table(cur, con, table, table)
                _copy_to_postgres(cur, con, table, table, folder)
        cur.execute("CREATE TEMP TABLE loading (yjs text) ON COMMIT DROP")
        cur.executemany("INSERT INTO loading VALUES (%s)", con.execute("SELECT yjs FROM new_extract_info").fetchall())

        def fetch(sql: str) -> list[tuple]:
            cur.execute(sql)
            return cur.fetchall()

        def same(table: str) -> str:
            return table

        loaded, before = _before(fetch, same, "loading", plan)
        for table in TABLES:
            cur.execute(f"DELETE FROM {table} WHERE yjs IN (SELECT yjs FROM loading)")
            _copy_to_postgres(cur, con, f"new_{table}", table, folder)
        _settle(summary, loaded, before, _rows_by_service(fetch, same, "loading"), plan)
        cur.execute("ALTER TABLE schema_info ADD COLUMN IF NOT EXISTS load_id text")
        cur.execute("UPDATE schema_info SET demo = %s, load_id = %s", (plan.demo, _load_id()))
        cur.execute("ANALYZE")
