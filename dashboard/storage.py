"""Where the database lives, and how writers change it safely: a DuckDB file swapped in whole, or a
PostgreSQL server. Used by ingest and the accounts command (the writers) and by db.py (the readers)."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def is_server_url(location: str) -> bool:
    """A PostgreSQL URL (``postgresql+psycopg://...``) rather than a DuckDB file path."""
    return "://" in str(location)


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


def process_alive(pid: str) -> bool:
    """Whether the process that named a file after itself (``pid``, its digits) is still running."""
    return pid.isdigit() and Path(f"/proc/{pid}").exists()


def _remove_stale_copies(db_path: Path) -> None:
    """Copies left by a writer that was killed; their process is gone."""
    for stale in db_path.parent.glob(db_path.name + ".tmp-*"):
        pid = re.fullmatch(r"(\d+)(\.wal)?", stale.name.rsplit(".tmp-", 1)[-1])
        if pid and not process_alive(pid.group(1)):
            stale.unlink(missing_ok=True)


def postgres_dsn(url: str) -> str:
    """A libpq connection string from the SQLAlchemy URL the app is configured with."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
