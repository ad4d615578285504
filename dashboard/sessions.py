"""Server-side state every web worker shares: who is signed in, and how many sign-ins have failed.

The app reads its own database read-only, so this state lives beside it: a small SQLite file next to a
DuckDB database (``dashboard.duckdb`` -> ``dashboard.duckdb.sessions.sqlite``), or two tables in the
same PostgreSQL database. Every gunicorn worker, and every app server on PostgreSQL, sees the same rows,
so signing out, a new password or a removed account ends a session everywhere at once, and the sign-in
limit counts every attempt whichever worker takes it.

- A session is a random id (in the signed session cookie); only its SHA-256 is stored, with the
  account, the account's password stamp and when the session ends (8 hours after signing in).
- Sign-in attempts are counted per account and address, so one attacker cannot lock anyone else out,
  with a generous ceiling per address on top. An attempt is counted before the password is checked
  (one atomic statement, so concurrent attempts on several workers cannot slip past the limit) and
  forgotten again when it succeeds: what is left are the failures.

Every statement is the same SQL on SQLite and PostgreSQL, with values bound.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .db import DatabaseUnavailable
from .storage import is_server_url

#: How long a session lasts after signing in (a working day), whatever is done meanwhile.
SESSION_SECONDS = 8 * 60 * 60
#: Failed sign-ins allowed in a window: for one account from one address, and from one address in all.
ACCOUNT_ATTEMPTS, ADDRESS_ATTEMPTS = 5, 100
ATTEMPT_WINDOW_SECONDS = 15 * 60
#: IPv6 addresses are counted by their /64 network: one household or server holds a whole /64.
IPV6_PREFIX = 64

SESSIONS, ATTEMPTS = "dashboard_session", "dashboard_sign_in_attempts"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {SESSIONS} (id_hash VARCHAR(64) PRIMARY KEY, username VARCHAR(64) NOT NULL, "
    "stamp VARCHAR(64) NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {SESSIONS}_username ON {SESSIONS} (username)",
    f"CREATE TABLE IF NOT EXISTS {ATTEMPTS} (subject VARCHAR(200) PRIMARY KEY, attempts INTEGER NOT NULL, "
    "window_ends BIGINT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {ATTEMPTS}_window_ends ON {ATTEMPTS} (window_ends)",
)
#: One attempt more on ``subject``: a new window when there is none (or it has passed). Atomic.
COUNT_ATTEMPT = (
    f"INSERT INTO {ATTEMPTS} (subject, attempts, window_ends) VALUES (:subject, 1, :ends) "
    f"ON CONFLICT (subject) DO UPDATE SET "
    f"attempts = CASE WHEN {ATTEMPTS}.window_ends <= :now THEN 1 ELSE {ATTEMPTS}.attempts + 1 END, "
    f"window_ends = CASE WHEN {ATTEMPTS}.window_ends <= :now THEN :ends ELSE {ATTEMPTS}.window_ends END "
    "RETURNING attempts, window_ends"
)


@dataclass(frozen=True)
class SignedIn:
    """What the store holds about one live session."""

    username: str
    stamp: str


class Store:
    """The shared state at one place (a SQLAlchemy URL); safe to share between a process's threads."""

    def __init__(self, url: str, **engine_options):
        from sqlalchemy import create_engine

        self.engine = create_engine(url, **engine_options)

    # -- sessions -----------------------------------------------------------------------------
    def start(self, username: str, stamp: str) -> str:
        """A new session for ``username``; returns its id (to go in the cookie, never stored)."""
        session_id, now = secrets.token_urlsafe(32), int(time.time())
        self._run(f"DELETE FROM {SESSIONS} WHERE expires_at <= :now", {"now": now})
        self._run(
            f"INSERT INTO {SESSIONS} (id_hash, username, stamp, created_at, expires_at) "
            "VALUES (:id, :username, :stamp, :now, :ends)",
            {
                "id": _digest(session_id),
                "username": username,
                "stamp": stamp,
                "now": now,
                "ends": now + SESSION_SECONDS,
            },
        )
        return session_id

    def find(self, session_id: str) -> SignedIn | None:
        """The session's account, or None once it has been ended or has run out."""
        if not isinstance(session_id, str) or not session_id:
            return None
        rows = self._run(
            f"SELECT username, stamp FROM {SESSIONS} WHERE id_hash = :id AND expires_at > :now",
            {"id": _digest(session_id), "now": int(time.time())},
        )
        return SignedIn(*rows[0]) if rows else None

    def end(self, session_id: str) -> None:
        if isinstance(session_id, str) and session_id:
            self._run(f"DELETE FROM {SESSIONS} WHERE id_hash = :id", {"id": _digest(session_id)})

    def end_all(self, username: str) -> None:
        """End every session of ``username`` (signed out everywhere: removed, or a new password)."""
        self._run(f"DELETE FROM {SESSIONS} WHERE username = :username", {"username": username})

    # -- sign-in attempts ---------------------------------------------------------------------
    def try_sign_in(self, username: str, address: str | None) -> int:
        """Count an attempt to sign in as ``username`` from ``address``. Returns 0 if it may go ahead,
        else the seconds until it may (and the attempt is not counted)."""
        now = int(time.time())
        self._run(f"DELETE FROM {ATTEMPTS} WHERE window_ends <= :now", {"now": now})
        counted = []
        for subject, allowed in _subjects(username, address):
            ((attempts, ends),) = self._run(
                COUNT_ATTEMPT, {"subject": subject, "now": now, "ends": now + ATTEMPT_WINDOW_SECONDS}
            )
            counted.append(subject)
            if attempts > allowed:
                self._forget(counted)
                return max(1, ends - now)
        return 0

    def forget_attempt(self, username: str, address: str | None) -> None:
        """The attempt succeeded (or could not be judged): it does not count against anyone."""
        self._forget([subject for subject, _ in _subjects(username, address)])

    def _forget(self, subjects: list[str]) -> None:
        for subject in subjects:
            self._run(
                f"UPDATE {ATTEMPTS} SET attempts = attempts - 1 WHERE subject = :subject AND attempts > 0",
                {"subject": subject},
            )

    # -- plumbing -------------------------------------------------------------------------------
    def create_tables(self) -> None:
        """Make the tables if they are missing. Several workers may race to do so, and on PostgreSQL the
        app's account may not be allowed to create tables an administrator already made: both are fine
        as long as the tables are there afterwards."""
        try:
            for sql in SCHEMA:
                self._run(sql)
        except DatabaseUnavailable:
            if not self.has_tables():
                raise

    def has_tables(self) -> bool:
        from sqlalchemy import exc, inspect

        try:
            return {SESSIONS, ATTEMPTS} <= set(inspect(self.engine).get_table_names())
        except exc.SQLAlchemyError as error:
            raise DatabaseUnavailable(f"The sign-in store cannot be read: {error}") from error

    def _run(self, sql: str, params: dict | None = None) -> list[tuple]:
        """One statement in a transaction of its own (none needs more: the count is one atomic upsert);
        the rows it returns, if any."""
        from sqlalchemy import exc, text

        try:
            with self.engine.begin() as conn:
                result = conn.execute(text(sql), params or {})
                return [tuple(row) for row in result] if result.returns_rows else []
        except exc.SQLAlchemyError as error:
            raise DatabaseUnavailable(f"The sign-in store cannot be used: {error}") from error


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _subjects(username: str, address: str | None) -> list[tuple[str, int]]:
    """What one attempt counts against, with the attempts each allows."""
    where = address_key(address)
    return [(f"account {str(username)[:64]} from {where}", ACCOUNT_ATTEMPTS), (f"address {where}", ADDRESS_ATTEMPTS)]


def address_key(address: str | None) -> str:
    """The address as counted: IPv4 as it is, IPv6 by its /64 network (IPv4-mapped ones as IPv4)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return str(address)[:64]
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


# -- Where the store is -----------------------------------------------------------------------------
_stores: dict[str, Store] = {}
_lock = threading.Lock()


def _after_fork() -> None:
    """A forked process (a gunicorn worker, a background job) makes its own connections: one inherited
    from the parent must not be used, and the lock may have been held by a thread that was not copied."""
    global _lock
    for store in _stores.values():
        store.engine.dispose(close=False)
    _stores.clear()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def store_path(database_location: str) -> Path:
    """The SQLite file beside a DuckDB database."""
    path = Path(database_location)
    return path.with_name(path.name + ".sessions.sqlite")


def store_for(database_location: str) -> Store:
    """This process's store for the database at ``database_location``, made (with its tables) on first use."""
    with _lock:
        if database_location not in _stores:
            store = _open(database_location, create=True)
            store.create_tables()
            _stores[database_location] = store
        return _stores[database_location]


def end_sessions_of(database_location: str, username: str) -> None:
    """End every session of ``username`` (for ``users add`` and ``users remove``, run by an administrator).
    Beside a DuckDB file no store means no one has signed in, and none is made: a file this command
    created could be one the app may not write. On PostgreSQL the tables are made here if missing."""
    store = _open(database_location, create=is_server_url(database_location))
    if store is None:
        return
    try:
        store.create_tables()
        store.end_all(username)
    finally:
        store.engine.dispose()


def _open(database_location: str, create: bool) -> Store | None:
    if is_server_url(database_location):
        return Store(database_location, pool_size=2, max_overflow=4, pool_pre_ping=True, pool_recycle=1800)
    path = store_path(database_location)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)  # session digests and usernames: the app's alone
    from sqlalchemy import event

    store = Store(f"sqlite:///{path.resolve()}", connect_args={"timeout": 10})
    event.listen(store.engine, "connect", _sqlite_settings)
    return store


def _sqlite_settings(connection, _record) -> None:
    """WAL: readers (every request) never wait for a writer (a sign-in)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
