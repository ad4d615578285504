"""Read access to the dashboard database: a DuckDB file (the default) or PostgreSQL.

The app and the export command only ever read. Metric SQL is written once, with ``:name``
placeholders, in SQL that DuckDB and PostgreSQL both read; ``query`` binds every value, never
formatting input into the text.

Everything is read through a **snapshot**: one version of the database from start to end. A request
takes one (``with db.snapshot() as snap``) and every card of its answer comes from it, even while
ingest swaps in a new file or commits a new load; results are cached per version, so a cached value
never mixes with another version's.

DuckDB: a process holding the file read-write locks every other process out, so readers open it
read-only, lazily (after gunicorn forks), once per version of the file, with a cursor per snapshot.
Ingest never writes the live file: it writes a copy and swaps it in (ingest/load.py). The next
snapshot opens the new file; the old connection is closed when its last snapshot ends. Each version
is ATTACHed to an in-memory database of its own: ``duckdb.connect(path)`` would hand back the
process's instance already open on the old file, whatever the path now names.

PostgreSQL (``postgresql+psycopg://...``): one SQLAlchemy pool per process; a snapshot is one
read-only REPEATABLE READ transaction.
"""

from __future__ import annotations

import decimal
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from . import config
from .storage import is_server_url

_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database is missing, unreadable or not a dashboard database."""


class Results:
    """A bounded least-recently-used cache of one database version's results, shared by threads.

    A measure's result is a few KB to a few hundred KB; ``kept`` of them are held. A key being worked
    out by one thread is waited for by the others asking for it (the background first views and a
    viewer's click need the same lattices), never worked out twice at once."""

    def __init__(self, kept: int):
        self.kept = kept
        self._lock = threading.Lock()
        self._values: OrderedDict = OrderedDict()
        self._pending: dict = {}

    def remember(self, key, compute):
        try:
            hash(key)
        except TypeError:
            log.warning("not caching an unhashable key: %r", key)
            return compute()
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                pending = self._pending.get(key)
                if pending is None:
                    self._pending[key] = threading.Event()
                    break
            pending.wait()  # another thread's result, or its failure: then try again
        try:
            value = compute()  # outside the lock: other threads' different views run meanwhile
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.kept:
                    self._values.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._pending.pop(key).set()


class Snapshot:
    """One version of the database: every query and cached result of a request or command."""

    def __init__(self, run, results: Results, version: object):
        self._run = run
        self._results = results
        self.version = version

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        return self._run(sql, params or {})

    def scalar(self, sql: str, params: dict | None = None):
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def remember(self, key, compute):
        """``compute()`` once per key and database version (filter options, measure results)."""
        return self._results.remember(key, compute)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Itself: code given a snapshot or a database reads both the same way."""
        yield self


class Database:
    """A read-only handle on the dashboard database, safe to share between threads."""

    location: str

    @staticmethod
    def open(
        location: str | os.PathLike, *, results_kept: int = 256, duckdb_memory: str = "128MB", pool_size: int = 4
    ) -> Database:
        """The database at ``location``: a DuckDB file path or a PostgreSQL URL."""
        where = str(location)
        if is_server_url(where):
            return PostgresDatabase(where, results_kept=results_kept, pool_size=pool_size)
        return DuckDBDatabase(Path(where), results_kept=results_kept, memory_limit=duckdb_memory)

    @staticmethod
    def from_settings(settings) -> Database:
        return Database.open(
            settings.db,
            results_kept=settings.results_kept,
            duckdb_memory=settings.duckdb_memory,
            pool_size=settings.db_pool_size,
        )

    def snapshot(self):
        """A context manager giving one ``Snapshot`` of the current version."""
        raise NotImplementedError

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """One query in a snapshot of its own (for one-off reads; requests share one snapshot)."""
        with self.snapshot() as snap:
            return snap.query(sql, params)

    def scalar(self, sql: str, params: dict | None = None):
        with self.snapshot() as snap:
            return snap.scalar(sql, params)

    def close(self) -> None:
        pass


class _OpenFile:
    """One version of the DuckDB file, open read-only, with its snapshots counted and its results."""

    def __init__(self, path: Path, stamp: tuple, memory_limit: str, results_kept: int):
        self.stamp = stamp
        self.readers = 0
        self.replaced = False
        self.results = Results(results_kept)
        try:
            self.con = duckdb.connect(":memory:")
            # Bounds the pages DuckDB keeps in memory.
            self.con.execute("SET memory_limit = $limit", {"limit": memory_limit})
            self.con.execute("ATTACH $path AS dashboard (READ_ONLY)", {"path": str(path)})
            self.con.execute("USE dashboard")
            found = self.con.execute("SELECT max(version) FROM schema_info").fetchone()[0]
        except duckdb.Error as exc:
            raise DatabaseUnavailable(f"The database at {path} cannot be read: {exc}") from exc
        if found != config.SCHEMA_VERSION:
            self.con.close()
            raise DatabaseUnavailable(
                f"The database at {path} was built by another version of the dashboard: "
                "build it again with `python -m dashboard demo` or ingest the extract "
                "into a new database"
            )


class DuckDBDatabase(Database):
    def __init__(self, path: Path, *, results_kept: int = 256, memory_limit: str = "128MB"):
        self.path = Path(path)
        self.location = str(self.path)
        self._memory_limit, self._results_kept = memory_limit, results_kept
        self._current: _OpenFile | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DuckDBDatabase({self.location!r})"

    def _stamp(self) -> tuple:
        try:
            st = self.path.stat()
        except FileNotFoundError as exc:
            raise DatabaseUnavailable(
                f"No database at {self.path}. Build one with "
                "`python -m dashboard demo` or `python -m dashboard ingest DIR`."
            ) from exc
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _open_current(self) -> _OpenFile:
        """The open version for a new snapshot, opening the file again if ingest has swapped it.
        The stamp is read before and after opening, so a swap in between is never mislabelled."""
        while True:
            stamp = self._stamp()
            current = self._current
            if current is not None and current.stamp == stamp:
                return current
            opened = _OpenFile(self.path, stamp, self._memory_limit, self._results_kept)
            if self._stamp() != stamp:
                opened.con.close()
                continue
            if current is not None:
                current.replaced = True
                if current.readers == 0:
                    current.con.close()
            self._current = opened
            return opened

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        with self._lock:
            opened = self._open_current()
            opened.readers += 1
        cursor = opened.con.cursor()
        try:
            cursor.execute("USE dashboard")
            run = lambda sql, params: cursor.execute(_PLACEHOLDER.sub(r"$\1", sql), params).df()
            yield Snapshot(run, opened.results, (id(opened), opened.stamp))
        finally:
            cursor.close()
            with self._lock:
                opened.readers -= 1
                if opened.replaced and opened.readers == 0:
                    opened.con.close()

    def close(self) -> None:
        with self._lock:
            if self._current is not None and self._current.readers == 0:
                self._current.con.close()
            self._current = None


class PostgresDatabase(Database):
    def __init__(self, url: str, *, results_kept: int = 256, pool_size: int = 4):
        from sqlalchemy import create_engine

        self.location = url
        self._results_kept = results_kept
        self._versions: OrderedDict[object, Results] = OrderedDict()
        self._lock = threading.Lock()
        self.engine = create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
        )

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.engine.url.render_as_string(hide_password=True)!r})"

    def _results(self, version) -> Results:
        with self._lock:
            if version not in self._versions:
                self._versions[version] = Results(self._results_kept)
                while len(self._versions) > 2:  # the version being replaced, and the new one
                    self._versions.popitem(last=False)
            return self._versions[version]

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        from sqlalchemy import exc, text

        def run(sql, params):
            try:
                result = conn.execute(text(sql), params)
                return _plain_numbers(pd.DataFrame(result.fetchall(), columns=list(result.keys())))
            except exc.ProgrammingError as error:
                raise DatabaseUnavailable(
                    "The PostgreSQL database has no dashboard tables: load an extract "
                    "with `python -m dashboard ingest DIR --db URL`"
                ) from error

        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
                with conn.begin():
                    version = tuple(
                        run("SELECT max(loaded_at) AS loaded, count(*) AS services FROM extract_info", {})
                        .iloc[0]
                        .tolist()
                    )
                    yield Snapshot(run, self._results(version), version)
        except exc.OperationalError as error:
            raise DatabaseUnavailable(f"The PostgreSQL database cannot be reached: {error.orig}") from error

    def close(self) -> None:
        self.engine.dispose()


def _plain_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """PostgreSQL sums are NUMERIC (Decimal): make them ints or floats as DuckDB returns them."""
    for column in frame.columns:
        values = frame[column].dropna()
        if not values.empty and isinstance(values.iloc[0], decimal.Decimal):
            as_float = frame[column].astype("float64")
            whole = as_float.dropna()
            frame[column] = (
                as_float.astype("int64") if (whole == whole.round()).all() and len(whole) == len(as_float) else as_float
            )
    return frame
