"""Extract in, database out: validation (extract.py), derived tables (derive.py), atomic load (load.py)."""

from .extract import ExtractRejected, Problem
from .load import DatabaseOutOfDate, LoadSummary, ingest

__all__ = ["DatabaseOutOfDate", "ExtractRejected", "LoadSummary", "Problem", "ingest"]
