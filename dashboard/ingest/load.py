"""Load a validated extract into the dashboard database, all or nothing.

Validation and the derived tables are worked out in an in-memory DuckDB (extract.py, derive.py);
only then is the database touched, and in one transaction:

- DuckDB file: the live file is never written. Ingest copies it, replaces the named YJSs' rows in the
  copy, and swaps the copy in with ``os.replace``. A rejected extract, an error or a kill at any point
  leaves the old file exactly as it was, and readers never see half a load.
- PostgreSQL: the rows of the named YJSs are deleted and copied in inside one transaction; readers
  see the old data until it commits.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..config import SCHEMA_VERSION
from ..storage import duckdb_copy, is_server_url, postgres_dsn
from .derive import RECORD_TABLES, TABLES, derive
from .extract import Progress, stage_extract
from .public import PUBLIC_TABLES, load_public_tables

#: Columns the measures filter on, indexed on PostgreSQL (DuckDB needs none: it scans columns).
INDEXES = {"first_time_entry": "outcome_date", "stage_event": "event_date", "programme_fact": "start_date",
           "extract_info": "yjs"}
POSTGRES_TYPES = {"VARCHAR": "text", "DATE": "date", "BIGINT": "bigint", "INTEGER": "integer",
                  "BOOLEAN": "boolean", "TIMESTAMP": "timestamp", "DOUBLE": "double precision",
                  "HUGEINT": "numeric"}


class DatabaseOutOfDate(RuntimeError):
    """The database was built by a version of the dashboard with other tables."""


def _out_of_date(found) -> DatabaseOutOfDate:
    return DatabaseOutOfDate(
        f"the database was built by another version of the dashboard (tables v{found}, this is "
        f"v{SCHEMA_VERSION}); build a new one with `python -m dashboard demo` or ingest into a new database")


@dataclass
class LoadSummary:
    yjs: list[str]
    rows: dict[str, int]            # rows read, per record table
    seconds: float

    @property
    def rows_read(self) -> int:
        return sum(self.rows.values())


def ingest(folder: Path, location: str | Path, progress: Progress | None = None) -> LoadSummary:
    """Validate ``folder`` and replace its YJSs' data in the database at ``location`` (a DuckDB
    file or a PostgreSQL URL); raise ExtractRejected, leaving the database untouched, if invalid."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    con, as_of, description = stage_extract(folder, say)
    say("Working out first-time entries, stages and programme follow-up")
    derive(con, as_of, description)
    rows = {t: con.execute(f"SELECT count(*) FROM new_{t}").fetchone()[0] for t in RECORD_TABLES}
    services = [r[0] for r in con.execute("SELECT yjs FROM new_extract_info ORDER BY yjs").fetchall()]
    say(f"Writing {', '.join(services)}")
    if is_server_url(str(location)):
        _write_postgres(con, str(location))
    else:
        _write_duckdb(con, Path(location))
    return LoadSummary(services, rows, time.perf_counter() - started)


# -- DuckDB file ---------------------------------------------------------------------------------
def _prepare_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    """Make sure the attached ``target`` has the current tables and the published data."""
    has_schema = con.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_catalog = 'target' AND table_name = 'schema_info'").fetchone()[0]
    if has_schema:
        found = con.execute("SELECT version FROM target.schema_info").fetchone()[0]
        if found != SCHEMA_VERSION:
            raise _out_of_date(found)
        return
    con.execute(f"CREATE TABLE target.schema_info AS SELECT {SCHEMA_VERSION} AS version")
    for table in TABLES:
        con.execute(f"CREATE TABLE target.{table} AS SELECT * FROM new_{table} WHERE false")
    con.execute("USE target")
    load_public_tables(con)
    con.execute("USE memory")


def _write_duckdb(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    with duckdb_copy(db_path) as copy:
        con.execute("ATTACH ? AS target", [str(copy)])
        # Rows may be written in any order (every measure sorts its results); this lets DuckDB work
        # out and write the derived tables on every core. Line numbers were fixed at validation.
        con.execute("SET preserve_insertion_order = false")
        _prepare_duckdb(con)
        con.execute("BEGIN TRANSACTION")
        for table in TABLES:
            con.execute(f"DELETE FROM target.{table} WHERE yjs IN (SELECT yjs FROM new_extract_info)")
            con.execute(f"INSERT INTO target.{table} BY NAME SELECT * FROM new_{table}")
        con.execute("COMMIT")
        con.execute("DETACH target")
        con.close()


# -- PostgreSQL ----------------------------------------------------------------------------------
def _create_postgres_table(cur, con: duckdb.DuckDBPyConnection, source: str, table: str) -> None:
    columns = con.execute(f"DESCRIBE {source}").fetchall()
    cur.execute(f"CREATE TABLE {table} ("
                + ", ".join(f"{name} {POSTGRES_TYPES.get(kind, 'text')}" for name, kind, *_ in columns) + ")")


def _copy_to_postgres(cur, con: duckdb.DuckDBPyConnection, source: str, table: str, folder: str) -> None:
    """Stream a DuckDB table into PostgreSQL with COPY, through a CSV file DuckDB writes."""
    path = os.path.join(folder, f"{table}.csv")
    con.execute(f"COPY {source} TO '{path}' (FORMAT csv, HEADER false)")
    columns = [row[0] for row in con.execute(f"DESCRIBE {source}").fetchall()]
    with open(path, "rb") as handle, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    os.unlink(path)


def _write_postgres(con: duckdb.DuckDBPyConnection, url: str) -> None:
    import psycopg
    with tempfile.TemporaryDirectory(prefix="yjs-ingest-") as folder, psycopg.connect(postgres_dsn(url)) as pg:
        with pg.cursor() as cur:
            # One load at a time: a second ingest waits here rather than interleaving with this one.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('yjs-dashboard-ingest'))")
            cur.execute("SELECT to_regclass('schema_info') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute("SELECT version FROM schema_info")
                found = cur.fetchone()[0]
                if found != SCHEMA_VERSION:
                    raise _out_of_date(found)
            else:
                cur.execute(f"CREATE TABLE schema_info AS SELECT {SCHEMA_VERSION} AS version")
                for table in TABLES:
                    _create_postgres_table(cur, con, f"new_{table}", table)
                    cur.execute(f"CREATE INDEX ON {table} (yjs{', ' + INDEXES[table] if table in INDEXES else ''})")
                load_public_tables(con)
                for table in PUBLIC_TABLES:
                    _create_postgres_table(cur, con, table, table)
                    _copy_to_postgres(cur, con, table, table, folder)
            cur.execute("CREATE TEMP TABLE loading (yjs text) ON COMMIT DROP")
            cur.executemany("INSERT INTO loading VALUES (%s)",
                            con.execute("SELECT yjs FROM new_extract_info").fetchall())
            for table in TABLES:
                cur.execute(f"DELETE FROM {table} WHERE yjs IN (SELECT yjs FROM loading)")
                _copy_to_postgres(cur, con, f"new_{table}", table, folder)
            cur.execute("ANALYZE")
