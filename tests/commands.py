"""The command line as a separate process: ``python -m dashboard ...`` from the repository's root."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.dash_requests import ROOT


def run_dashboard(*args, timeout: float = 120, **options) -> subprocess.CompletedProcess:
    """``python -m dashboard ARGS`` run to its end, its output kept as text; ``options`` go to subprocess.run
    (``env``, ``input``)."""
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        **options,
    )
