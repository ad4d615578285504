"""Read access to the dashboard database.

The app and the export command only ever read. DuckDB lets one process hold a file read-write and
locks every other process out, so readers open the file read-only, lazily, once per process (after
gunicorn forks), and each thread gets its own cursor. Ingest never writes the live file: it writes a
copy and swaps it in (see ingest/load.py), so a reader reopens when the file changes.

Metric SQL is written once, with ``:name`` placeholders, in SQL that DuckDB and PostgreSQL both
read; ``query`` binds every value, never formatting input into the text.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import config

_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class DatabaseUnavailable(RuntimeError):
    """The database file is missing, unreadable or not a dashboard database."""


def _duckdb_sql(sql: str) -> str:
    """Turn our ``:name`` placeholders into DuckDB's ``$name`` (our own SQL text, never input)."""
    return _PLACEHOLDER.sub(r"$\1", sql)


@dataclass
class Database:
    """A read-only handle on a DuckDB dashboard database, safe to share between threads."""

    path: Path
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _stamp: tuple | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _memo: dict = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, location: str | os.PathLike | None = None) -> "Database":
        return cls(Path(config.database_location(str(location) if location else None)))

    def _file_stamp(self) -> tuple:
        try:
            st = self.path.stat()
        except FileNotFoundError as exc:
            raise DatabaseUnavailable(f"No database at {self.path}. Build one with "
                                      "`python -m dashboard demo` or `python -m dashboard ingest DIR`.") from exc
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor, reopening the file if ingest has swapped in a new one."""
        stamp = self._file_stamp()
        with self._lock:
            if self._con is None or stamp != self._stamp:
                if self._con is not None:
                    self._con.close()
                try:
                    self._con = duckdb.connect(str(self.path), read_only=True)
                except duckdb.Error as exc:
                    self._con = None
                    raise DatabaseUnavailable(f"The database at {self.path} cannot be read: {exc}") from exc
                self._stamp = stamp
                self._local = threading.local()
                self._memo = {}
            con = self._con
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = con.cursor()
            self._local.cursor = cursor
        return cursor

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """Run one SELECT with bound parameters and return its rows."""
        return self._cursor().execute(_duckdb_sql(sql), params or {}).df()

    def scalar(self, sql: str, params: dict | None = None):
        row = self._cursor().execute(_duckdb_sql(sql), params or {}).fetchone()
        return row[0] if row else None

    def memo(self, key: str, compute):
        """A value worked out once per database file (filter options and the like)."""
        self._cursor()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
