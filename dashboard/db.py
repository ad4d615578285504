"""Read access to the dashboard database: a DuckDB file (the default) or PostgreSQL.

The app and the export command only ever read. Metric SQL is written once, with ``:name``
placeholders, in SQL that DuckDB and PostgreSQL both read; ``query`` binds every value, never
formatting input into the text.

DuckDB: a process holding the file read-write locks every other process out, so readers open it
read-only, lazily, once per process (after gunicorn forks), with a cursor per thread. Ingest never
writes the live file: it writes a copy and swaps it in (ingest/load.py), and readers reopen when the
file changes.

PostgreSQL (``postgresql+psycopg://...``): one SQLAlchemy pool per process, read-only transactions.
"""

from __future__ import annotations

import decimal
import fcntl
import logging
import os
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from . import config

_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database is missing, unreadable or not a dashboard database."""


def is_server_url(location: str) -> bool:
    return "://" in str(location)


class Database:
    """A read-only handle on the dashboard database, safe to share between threads."""

    location: str
    #: Results kept per process by ``remember``: a measure's result is a few KB to a few hundred KB.
    RESULTS_KEPT = int(os.environ.get("DASHBOARD_RESULTS_KEPT", "256"))

    def __init__(self) -> None:
        self._results_lock = threading.Lock()
        self._results: tuple[object, OrderedDict] = (None, OrderedDict())

    @staticmethod
    def open(location: str | os.PathLike | None = None) -> "Database":
        """The database named by ``location``, ``DASHBOARD_DB`` or the default file."""
        where = config.database_location(str(location) if location else None)
        return PostgresDatabase(where) if is_server_url(where) else DuckDBDatabase(Path(where))

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def scalar(self, sql: str, params: dict | None = None):
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def version(self) -> object:
        """Changes whenever new data is loaded: cached values are kept per version."""
        raise NotImplementedError

    def memo(self, key: str, compute):
        """A value worked out once per loaded database (filter options and the like)."""
        version = self.version()
        cache = getattr(self, "_memo", None)
        if cache is None or cache[0] != version:
            cache = self._memo = (version, {})
        if key not in cache[1]:
            cache[1][key] = compute()
        return cache[1][key]

    def remember(self, key, compute):
        """``compute()`` once per key and loaded database, kept in a bounded least-recently-used cache
        shared by this process's threads: a board member clicking back to a view gets it at once.
        The whole cache is dropped when the database changes (ingest swaps in a new file)."""
        try:
            hash(key)
        except TypeError:
            log.warning("not caching an unhashable key: %r", key)
            return compute()
        version = self.version()
        with self._results_lock:
            kept = self._results
            if kept[0] != version:
                kept = self._results = (version, OrderedDict())
            if key in kept[1]:
                kept[1].move_to_end(key)
                return kept[1][key]
        value = compute()          # outside the lock: other threads' different views run meanwhile
        with self._results_lock:
            kept[1][key] = value
            while len(kept[1]) > self.RESULTS_KEPT:
                kept[1].popitem(last=False)
        return value

    def close(self) -> None:
        pass


class DuckDBDatabase(Database):
    #: DuckDB's buffer cache per worker process (its default is 80% of the machine's memory, and a
    #: worker kept every page it had read). The file's pages stay in the OS cache, shared by workers.
    MEMORY_LIMIT = os.environ.get("DASHBOARD_DUCKDB_MEMORY", "128MB")

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)
        self.location = str(self.path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"DuckDBDatabase({self.location!r})"

    def version(self) -> tuple:
        try:
            st = self.path.stat()
        except FileNotFoundError as exc:
            raise DatabaseUnavailable(f"No database at {self.path}. Build one with "
                                      "`python -m dashboard demo` or `python -m dashboard ingest DIR`.") from exc
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor, reopening the file if ingest has swapped in a new one."""
        stamp = self.version()
        with self._lock:
            if self._con is None or stamp != self._stamp:
                if self._con is not None:
                    self._con.close()
                try:
                    self._con = duckdb.connect(str(self.path), read_only=True)
                    # Set, not passed to connect(): another connection to the file in this process
                    # with other settings would be refused. Bounds the pages DuckDB keeps in memory.
                    self._con.execute("SET memory_limit = $limit", {"limit": self.MEMORY_LIMIT})
                    found = self._con.execute("SELECT max(version) FROM schema_info").fetchone()[0]
                except duckdb.Error as exc:
                    self._con = None
                    raise DatabaseUnavailable(f"The database at {self.path} cannot be read: {exc}") from exc
                if found != config.SCHEMA_VERSION:
                    self._con.close()
                    self._con = None
                    raise DatabaseUnavailable(f"The database at {self.path} was built by another version of the "
                                              "dashboard: build it again with `python -m dashboard demo` or "
                                              "ingest the extract into a new database")
                self._stamp = stamp
                self._local = threading.local()
            con, local = self._con, self._local
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            cursor = local.cursor = con.cursor()
        return cursor

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """Run one SELECT with bound parameters; ``:name`` becomes DuckDB's ``$name``."""
        return self._cursor().execute(_PLACEHOLDER.sub(r"$\1", sql), params or {}).df()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None


class PostgresDatabase(Database):
    #: Connections per process: gunicorn runs one process per worker, each with a few threads.
    POOL_SIZE = int(os.environ.get("DASHBOARD_DB_POOL_SIZE", "4"))

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        super().__init__()
        self.location = url
        self.engine = create_engine(url, pool_size=self.POOL_SIZE, max_overflow=self.POOL_SIZE,
                                    pool_pre_ping=True, pool_recycle=1800,
                                    execution_options={"postgresql_readonly": True})

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.engine.url.render_as_string(hide_password=True)!r})"

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        from sqlalchemy import exc, text
        try:
            with self.engine.connect() as conn:
                result = conn.execute(text(sql), params or {})
                frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except exc.OperationalError as error:
            raise DatabaseUnavailable(f"The PostgreSQL database cannot be reached: {error.orig}") from error
        except exc.ProgrammingError as error:
            raise DatabaseUnavailable("The PostgreSQL database has no dashboard tables: load an extract with "
                                      "`python -m dashboard ingest DIR --db URL`") from error
        return _plain_numbers(frame)

    def version(self) -> object:
        return self.query("SELECT max(loaded_at) AS loaded, count(*) AS services FROM extract_info").iloc[0].tolist()

    def close(self) -> None:
        self.engine.dispose()


def _plain_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """PostgreSQL sums are NUMERIC (Decimal): make them ints or floats as DuckDB returns them."""
    for column in frame.columns:
        values = frame[column].dropna()
        if not values.empty and isinstance(values.iloc[0], decimal.Decimal):
            as_float = frame[column].astype("float64")
            whole = as_float.dropna()
            frame[column] = as_float.astype("int64") if (whole == whole.round()).all() and \
                len(whole) == len(as_float) else as_float
    return frame


# -- Writing (ingest and accounts; never the app) ------------------------------------------------
@contextmanager
def duckdb_copy(db_path: Path) -> Iterator[Path]:
    """A private copy of the database file to change; swapped in with ``os.replace`` when the block
    ends without error, thrown away otherwise. Readers never see a half-written file, and a lock
    file makes writers (ingest, ``users add``) take turns so neither loses the other's change."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(db_path.with_name(db_path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _remove_stale_copies(db_path)
        copy = db_path.with_name(f"{db_path.name}.tmp-{os.getpid()}")
        try:
            if db_path.exists():
                shutil.copyfile(db_path, copy)
            yield copy
            with open(copy, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(copy, db_path)
        finally:
            copy.unlink(missing_ok=True)
            copy.with_name(copy.name + ".wal").unlink(missing_ok=True)


def _remove_stale_copies(db_path: Path) -> None:
    """Copies left by a writer that was killed; their process is gone."""
    for stale in db_path.parent.glob(db_path.name + ".tmp-*"):
        pid = re.fullmatch(r"(\d+)(\.wal)?", stale.name.rsplit(".tmp-", 1)[-1])
        if pid and not Path(f"/proc/{pid.group(1)}").exists():
            stale.unlink(missing_ok=True)


def postgres_dsn(url: str) -> str:
    """A libpq connection string from the SQLAlchemy URL the app is configured with."""
    from sqlalchemy.engine import make_url
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
