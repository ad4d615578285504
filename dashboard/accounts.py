"""Local accounts: who may sign in, with which role, seeing which services.

Accounts live in the dashboard database itself (table ``dashboard_user``), so they move and are
backed up with the data, and ingest (which copies the file) keeps them. Passwords are hashed with
Argon2id (argon2-cffi); the plain text is never stored, printed or logged. Replacing or removing an
account ends its sessions in the store the web workers share (sessions.py).

Roles (see access.py for what each may see):
- ``board``: one service's figures, no drill-down into groups of children;
- ``manager``: one service, every breakdown;
- ``regional``: every service of a published region, and any named services, side by side;
- ``admin``: every service, and the users and ingest commands.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .db import Database
from .sessions import end_sessions_of
from .storage import duckdb_copy, is_server_url, postgres_dsn

ROLES = ("board", "manager", "regional", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
MIN_PASSWORD_LENGTH = 12
TABLE = "dashboard_user"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, "
    "role VARCHAR NOT NULL, services VARCHAR NOT NULL, region VARCHAR, "
    "created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
)
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so a wrong name takes as long as a wrong password
    (made on first use: hashing takes a quarter of a second, which every command would pay at import)."""
    return _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A user cannot be added or removed as asked; the message says why."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    services: tuple[str, ...] = ()
    region: str | None = None
    password_hash: str = field(default="", repr=False)

    @property
    def session_stamp(self) -> str:
        """Changes when the password changes (or the user is re-added), ending old sessions."""
        return self.password_hash[-16:]


def check_new_user(username: str, password: str, role: str, services: tuple[str, ...], region: str | None) -> None:
    """Refuse accounts that could not work or would be unsafe, before anything is written."""
    if not USERNAME.match(username or ""):
        raise AccountError("a username is 2 to 64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise AccountError(f"unknown role '{role}'; valid roles: {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if role in ("board", "manager") and (len(services) != 1 or region):
        raise AccountError(f"a {role} account sees exactly one service: give one --yjs and no --region")
    if role == "regional" and not (services or region):
        raise AccountError("a regional account needs --region and/or one or more --yjs")
    if role == "admin" and (services or region):
        raise AccountError("an admin account sees every service: give no --yjs or --region")


def add_user(
    location: str, username: str, password: str, role: str, services: tuple[str, ...] = (), region: str | None = None
) -> User:
    """Add (or replace, with a new password) one account. Replacing ends the user's open sessions."""
    check_new_user(username, password, role, services, region)
    user = User(username, role, tuple(services), region or None, _hasher.hash(password))
    row = [user.username, user.password_hash, user.role, json.dumps(list(user.services)), user.region]
    _write(
        location,
        [
            f"DELETE FROM {TABLE} WHERE username = ?",
            f"INSERT INTO {TABLE} (username, password_hash, role, services, region) VALUES (?, ?, ?, ?, ?)",
        ],
        [[username], row],
    )
    end_sessions_of(location, username)
    return user


def remove_user(location: str, username: str) -> None:
    if not any(u.username == username for u in list_users(Database.open(location))):
        raise AccountError(f"no user '{username}'")
    _write(location, [f"DELETE FROM {TABLE} WHERE username = ?"], [[username]])
    end_sessions_of(location, username)


def list_users(db: Database) -> list[User]:
    if not has_accounts_table(db):
        return []
    rows = db.query(f"SELECT username, role, services, region FROM {TABLE} ORDER BY username")
    return [User(r.username, r.role, tuple(json.loads(r.services)), r.region or None) for r in rows.itertuples()]


def find_user(db: Database, username: str) -> User | None:
    if not isinstance(username, str) or not USERNAME.match(username) or not has_accounts_table(db):
        return None
    rows = db.query(
        f"SELECT username, role, services, region, password_hash FROM {TABLE} WHERE username = :name",
        {"name": username},
    )
    if rows.empty:
        return None
    r = rows.iloc[0]
    return User(r["username"], r["role"], tuple(json.loads(r["services"])), r["region"] or None, r["password_hash"])


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user if the password is right, else None (in about the same time either way)."""
    user = find_user(db, username) if isinstance(password, str) else None
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password if isinstance(password, str) else "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user


def has_accounts_table(db: Database) -> bool:
    return bool(db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = :t", {"t": TABLE}))


def _write(location: str, statements: list[str], params: list[list]) -> None:
    """Run the statements in one transaction: on PostgreSQL directly, on DuckDB in a swapped-in copy
    (the running app holds the live file open read-only)."""
    if is_server_url(location):
        import psycopg

        with psycopg.connect(postgres_dsn(location)) as pg, pg.cursor() as cur:
            cur.execute(SCHEMA.replace("VARCHAR", "text"))
            for sql, values in zip(statements, params):
                cur.execute(sql.replace("?", "%s"), values)
        return
    path = Path(location)
    if not path.exists():
        raise AccountError(f"no database at {path}: load an extract (or build the demo) first")
    with duckdb_copy(path) as copy:
        con = duckdb.connect(str(copy))
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(SCHEMA)
            for sql, values in zip(statements, params):
                con.execute(sql, values)
            con.execute("COMMIT")
        finally:
            con.close()
