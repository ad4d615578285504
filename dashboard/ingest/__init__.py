"""Extract in, database out: validation (extract.py), derived tables (derive.py), atomic load (load.py)."""

from .demo import DEMO_CHILDREN, DEMO_SEED, build_demo
from .extract import ExtractRejected, IngestFailed, IngestLimits, Problem
from .load import DatabaseOutOfDate, LoadRefused, LoadSummary, ingest

#: Every way ingest declines to load, each with a plain message; the database is unchanged after any.
REFUSALS = (ExtractRejected, LoadRefused, DatabaseOutOfDate, IngestFailed)

__all__ = [
    "DEMO_CHILDREN",
    "DEMO_SEED",
    "REFUSALS",
    "DatabaseOutOfDate",
    "ExtractRejected",
    "IngestFailed",
    "IngestLimits",
    "LoadRefused",
    "LoadSummary",
    "Problem",
    "build_demo",
    "ingest",
]
