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

Results are remembered per version in each process (``Results``, least recently used first out) and, when
the database is opened with a ``results_dir``, shared with every other process serving the same version
(shared_results.py): the version is then the load id ingest writes into ``schema_info``, and a result
worked out by one worker, or by the command line right after loading, is read by all the others. Keys
naming what makes a result (a tuple: the measure or lattice, its filters, settings and scope) are shared;
a name alone ("filter_options", the demo mark) is a quick read of the version itself and stays per process.
"""

from __future__ import annotations

import atexit
import decimal
import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import config
from .shared_results import SharedResults
from .storage import is_server_url

_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
log = logging.getLogger(__name__)


class QueryTooLarge(MemoryError):
    """A query needed more memory than the database may use (a worker's DuckDB ``memory_limit``): the caller
    can ask for less at a time."""


def in_parts(query: Callable[[list], pd.DataFrame], sets: list, per_query: int) -> list[pd.DataFrame]:
    """``query(part)`` for each ``per_query`` of ``sets`` (the grouping sets of a lattice: one query for
    all would need far more memory than a worker may use), a part halved again while the database refuses
    it for memory (``QueryTooLarge``: every service at national scale, or other requests of the worker
    holding most of its memory at once)."""

    def run(part: list) -> list[pd.DataFrame]:
        try:
            return [query(part)]
        except QueryTooLarge:
            if len(part) == 1:
                raise
            half = len(part) // 2
            return run(part[:half]) + run(part[half:])

    return [frame for i in range(0, len(sets), per_query) for frame in run(sets[i : i + per_query])]


class DatabaseUnavailable(RuntimeError):
    """The database is missing, unreadable or not a dashboard database."""


def shared_results_folder(settings) -> Path | None:
    """Where the processes serving ``settings.db`` share their results (None when
    ``DASHBOARD_SHARED_RESULTS=0``): ``DASHBOARD_RESULTS_DIR`` (a folder per database in it), else beside a
    DuckDB file (``dashboard.duckdb`` -> ``dashboard.duckdb.results/``), else, for PostgreSQL, a folder in
    the temporary folder named by the database (the processes of this machine share it)."""
    if not settings.shared_results:
        return None
    named = "yjs-dashboard-results-" + hashlib.sha1(settings.db.encode()).hexdigest()[:12]
    if settings.results_dir:
        return Path(settings.results_dir) / named
    if is_server_url(settings.db):
        return Path(tempfile.gettempdir()) / named
    path = Path(settings.db)
    return path.with_name(path.name + ".results")


@dataclass
class _Sharing:
    """Where a database's processes share results, and how much they may keep; and, for a preparing
    database, the stores it marked (not frozen: it keeps that list until it is closed)."""

    root: Path | None
    limit_bytes: int
    preparing: bool = False
    #: The stores a preparing database opened: marked as being prepared until it is closed.
    marked: list[SharedResults] = field(default_factory=list, compare=False, repr=False)

    def store(self, load_id: str | None) -> SharedResults | None:
        store = SharedResults.open(self.root, load_id, self.limit_bytes, preparing=self.preparing)
        if store is not None and self.preparing:
            self.marked.append(store)
        return store

    def close(self) -> None:
        """The versions a preparing database worked out are ordinary ones again once it is closed."""
        while self.marked:
            self.marked.pop().prepared()


_NO_SHARING = _Sharing(None, 0)


class Results:
    """A bounded least-recently-used cache of one database version's results, shared by threads.

    A measure's result is a few KB to a few hundred KB; ``kept`` of them are held. A key being worked
    out by one thread is waited for by the others asking for it (the background first views and a
    viewer's click need the same lattices), never worked out twice at once."""

    def __init__(self, kept: int, shared: SharedResults | None = None):
        self.kept = kept
        self.shared = shared
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
            # Outside the lock: other threads' different views run meanwhile.
            if self.shared is not None and isinstance(key, tuple):
                value = self.shared.remember(key, compute)  # another process's, or written for them
            else:
                value = compute()
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

    @property
    def shared(self) -> SharedResults | None:
        """Where this version's results are shared with other processes (None: this process alone)."""
        return self._results.shared

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Itself: code given a snapshot or a database reads both the same way."""
        yield self


class Database:
    """A read-only handle on the dashboard database, safe to share between threads."""

    location: str

    @staticmethod
    def open(
        location: str | os.PathLike,
        *,
        results_kept: int = 256,
        duckdb_memory: str = "128MB",
        pool_size: int = 4,
        results_dir: str | os.PathLike | None = None,
        results_limit_mb: int = 1024,
        preparing: bool = False,
    ) -> Database:
        """The database at ``location``: a DuckDB file path or a PostgreSQL URL. ``results_dir``: the
        folder where results are shared with every other process serving the same version (none:
        each process keeps its own); ``results_limit_mb`` bounds it. ``preparing``: ``location`` is a
        load not yet live (ingest's staged copy), whose results go beside the live version's
        (SharedResults.open)."""
        where = str(location)
        shared = _Sharing(Path(results_dir) if results_dir else None, results_limit_mb * 1024 * 1024, preparing)
        if is_server_url(where):
            return PostgresDatabase(where, results_kept=results_kept, pool_size=pool_size, shared=shared)
        return DuckDBDatabase(Path(where), results_kept=results_kept, memory_limit=duckdb_memory, shared=shared)

    @staticmethod
    def from_settings(settings, staged: str | None = None) -> Database:
        """The database the settings name; ``staged``: a load of it not yet live, read instead (its results
        shared where the live one's are: ``preparing``)."""
        return Database.open(
            staged or settings.db,
            results_kept=settings.results_kept,
            duckdb_memory=settings.duckdb_memory,
            pool_size=settings.db_pool_size,
            results_dir=shared_results_folder(settings),
            results_limit_mb=settings.results_limit_mb,
            preparing=staged is not None,
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


class Turns:
    """The queries of one DuckDB connection run side by side, sharing its ``memory_limit``; one it refuses
    for memory runs again alone, once those running have finished (new ones wait meanwhile), so a lattice
    query that fits on its own is not refused because other requests hold the memory at that moment (the
    KPIs' first view of a new version, with everyone clicking, 1 answer in 17). Refused alone too, the
    error is the caller's (``QueryTooLarge``: ask for less)."""

    def __init__(self):
        self._changed = threading.Condition()
        self._running = 0
        self._waiting_alone = 0
        self._alone = threading.Lock()

    def run(self, execute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        with self._side_by_side():
            try:
                return execute()
            except duckdb.OutOfMemoryException:
                log.warning("a query was refused for memory with others running: running it again alone")
        with self._alone:
            with self._changed:
                self._waiting_alone += 1
                self._changed.wait_for(lambda: self._running == 0)
            try:
                return execute()
            finally:
                with self._changed:
                    self._waiting_alone -= 1
                    self._changed.notify_all()

    @contextmanager
    def _side_by_side(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._waiting_alone == 0)
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()


@functools.cache
def _spill_folder() -> str:
    """This process's folder for DuckDB's spilled pages: made private (0700), removed at exit."""
    folder = tempfile.mkdtemp(prefix="yjs-duckdb-spill-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class _OpenFile:
    """One version of the DuckDB file, open read-only, with its snapshots counted and its results."""

    def __init__(self, path: Path, stamp: tuple, memory_limit: str, results_kept: int, shared: _Sharing):
        self.stamp = stamp
        self.readers = 0
        self.replaced = False
        try:
            self.con = duckdb.connect(":memory:")
            # Bounds the pages DuckDB keeps in memory.
            self.con.execute("SET memory_limit = $limit", {"limit": memory_limit})
            # What DuckDB spills goes to a private folder, not `.tmp` in whatever folder the app runs from.
            self.con.execute("SET temp_directory = $folder", {"folder": _spill_folder()})
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
        self.load_id = _load_id(lambda sql: self.con.execute(sql).fetchone()[0], "dashboard")
        self.results = Results(results_kept, shared.store(self.load_id))
        self.turns = Turns()


class DuckDBDatabase(Database):
    def __init__(
        self, path: Path, *, results_kept: int = 256, memory_limit: str = "128MB", shared: _Sharing = _NO_SHARING
    ):
        self.path = Path(path)
        self.location = str(self.path)
        self._memory_limit, self._results_kept, self._shared = memory_limit, results_kept, shared
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
            opened = _OpenFile(self.path, stamp, self._memory_limit, self._results_kept, self._shared)
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

            def run(sql, params):
                try:
                    return opened.turns.run(lambda: cursor.execute(_PLACEHOLDER.sub(r"$\1", sql), params).df())
                except duckdb.OutOfMemoryException as exc:
                    raise QueryTooLarge(str(exc).splitlines()[0]) from exc

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
        self._shared.close()


class PostgresDatabase(Database):
    def __init__(self, url: str, *, results_kept: int = 256, pool_size: int = 4, shared: _Sharing = _NO_SHARING):
        from sqlalchemy import create_engine

        self.location = url
        self._results_kept, self._shared = results_kept, shared
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
                self._versions[version] = Results(self._results_kept, self._shared.store(version[-1]))
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
                        run(
                            f"SELECT max(loaded_at) AS loaded, count(*) AS services, ({POSTGRES_LOAD_ID}) AS load_id "
                            "FROM extract_info",
                            {},
                        )
                        .iloc[0]
                        .tolist()
                    )
                    yield Snapshot(run, self._results(version), version)
        except exc.OperationalError as error:
            raise DatabaseUnavailable(f"The PostgreSQL database cannot be reached: {error.orig}") from error

    def close(self) -> None:
        self.engine.dispose()
        self._shared.close()


#: The load id, or null for a database loaded before ingest wrote one (read as JSON, so a table without
#: the column is no error: an error would end the snapshot's transaction).
POSTGRES_LOAD_ID = "SELECT max(to_jsonb(s) ->> 'load_id') FROM schema_info s"


def _load_id(scalar, catalog: str) -> str | None:
    """The id ingest wrote for this load of the DuckDB file (None if it was loaded before there were ids)."""
    has = scalar(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = '"
        + catalog
        + "' AND table_name = 'schema_info' AND column_name = 'load_id'"
    )
    return scalar("SELECT max(load_id) FROM schema_info") if has else None


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
