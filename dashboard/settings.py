"""Every setting the dashboard reads from its environment, read once, in one place.

``Settings()`` reads the ``DASHBOARD_*`` variables (``DASHBOARD_DB``, ``DASHBOARD_SECRET_KEY`` ...);
the app factory, the command line and the tests build one and pass it on, so no other module reads
the environment. Tests give their own: ``Settings(db=str(path))``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from .config import DATA_DIR, DEFAULT_DB_PATH


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", frozen=True, extra="ignore")

    #: The database: a DuckDB file (default data/dashboard.duckdb) or a PostgreSQL URL
    #: (``postgresql+psycopg://user:password@host/db``).
    db: str = str(DEFAULT_DB_PATH)
    #: Sessions are signed with this key; every server of one dashboard needs the same one. Without it
    #: a random key is made once in ``secret_file``.
    secret_key: str = ""
    secret_file: Path = DATA_DIR / ".session-secret"
    #: Session cookies are Secure (HTTPS only), except over plain http from this computer.
    cookie_secure: bool = True
    #: The demonstration database is open without sign-in from this computer. Turn off behind a reverse
    #: proxy on the same machine (every request would then come from loopback).
    open_demo: bool = True
    #: Where downloads made away from the request workers (chart images, board packs) keep their locks and
    #: files: a folder of this user's own, shared by the workers of one app (default: one per database in
    #: the temporary folder). See dashboard/jobs.py.
    jobs_dir: Path | None = None
    #: Chart images drawn at once, across every worker of the app (each keeps a core busy).
    image_renders: int = 1
    #: Board packs made at once, across every worker of the app (each keeps a core busy for seconds).
    pack_jobs: int = 2
    #: Measure results kept per worker (a few KB to a few hundred KB each).
    results_kept: int = 256
    #: Work out first views ahead of time: after a load, the ingest and demo commands work out every page's
    #: first view for each account's scope (and the open demo's) into the shared results; and a viewer's
    #: first request for a database version starts working out the rest in the background (the protected
    #: lattices are the slow part of a first view): see web.py and views.prepare.
    warm: bool = True
    #: Results (the protected lattices, measures) are shared by every process serving one database version:
    #: files beside a DuckDB database (``<db>.results/``) or, for PostgreSQL, in the temporary folder of this
    #: machine; ``results_dir`` puts them elsewhere (a folder per database in it). See dashboard/shared_results.py.
    shared_results: bool = True
    results_dir: Path | None = None
    #: The most the shared results of one database may take on disk, in MB (least recently used go first).
    results_limit_mb: int = 1024
    #: DuckDB's buffer cache per worker (the file's pages also stay in the OS cache, shared by workers).
    duckdb_memory: str = "128MB"
    #: PostgreSQL connections per worker.
    db_pool_size: int = 4
    #: What one ingest may use: DuckDB's memory (beyond it, work spills to ``ingest_temp_dir``, default the
    #: system's temporary folder) and the largest file it reads, in MB.
    ingest_memory: str = "2GB"
    ingest_temp_dir: Path | None = None
    ingest_max_file_mb: int = 5 * 1024

    def with_db(self, location: str | Path | None) -> Settings:
        """These settings with another database (``--db`` on the command line), when one is given."""
        return self.model_copy(update={"db": str(location)}) if location else self
