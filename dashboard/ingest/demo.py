"""The demo database: a seeded synthetic extract of fictional services plus the published tables."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..synth import generate_extract
from .load import LoadSummary, ingest

DEMO_CHILDREN = 30_000
DEMO_SEED = 2022


def build_demo(location: Path | str, children: int = DEMO_CHILDREN, progress=None, prepare=None) -> LoadSummary:
    """Build the demo at ``location``, marked as the demo (open without sign-in on this computer). Only
    this marks a database so; it refuses a database holding any other service, and may shrink the demo's
    own. ``prepare``: as ``ingest``'s (the demo command works out the open demo's first views). Returns
    the load's LoadSummary."""
    say = progress or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="yjs-demo-") as folder:
        say(f"Generating a synthetic extract of {children:,} children")
        generate_extract(Path(folder), children=children, seed=DEMO_SEED, progress=say)
        return ingest(Path(folder), location, say, demo=True, accept_drop=True, prepare=prepare)
