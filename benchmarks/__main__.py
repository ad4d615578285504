"""Performance at national scale, measured three ways on the same data in one run.

    python -m benchmarks [--sizes 10000,100000,1000000] [--requests 30] [--postgres]
                         [--out docs/performance.md]

For each size: a synthetic extract (cached in .bench/), ingest throughput, cold start, then for each
page's main measures with varied filters:
  1. raw: the time DuckDB spends running the measures' own SQL (the floor);
  2. end to end: POST /_dash-update-component to the app under gunicorn on loopback, p50 and p95;
  3. pandas: the same measures on tables loaded into DataFrames, filtered and grouped per request.
Plus resident memory per worker after a warm-up across every page. With --postgres the largest size
is also loaded into a throwaway PostgreSQL server and measured end to end.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from dashboard.access import EVERYONE
from dashboard.cli import DEMO_SEED
from dashboard.db import Database, DuckDBDatabase
from dashboard.filters import Filters, resolve
from dashboard.ingest import ingest
from dashboard.metrics import MEASURES, compute, filter_options
from dashboard.synth import generate_extract

from .dash_requests import CALLBACK_PATH, browser_session, callback_request
from .pandas_baseline import PandasMeasures

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
#: Filters a board member might click through (each page's callback gets a different one each request).
SEARCHES = ["", "?period=2023-24", "?sex=female", "?period=2022-23&ethnicity_group=Black", "?age_band=15-17",
            "?yjs=Northvale", "?period=2021-22&yjs=Kingsmere&sex=male"]
#: page -> (a component its main callback writes, extra inputs, the measures it computes)
PAGES = {
    "Overview": ("overview-kpis.children", [], ["fte", "disposals", "reoffending-curve", "disproportionality"]),
    "First-time entrants": ("caption-fte-rate.children", [], ["fte"]),
    "Disposals": ("caption-disposals.children", [{"id": "disposals-view", "property": "value", "value": "count"}],
                  ["disposals"]),
    "Referrals": ("caption-referrals-age.children", [], ["referrals"]),
    "Disproportionality": ("caption-dp-rri.children", [
        {"id": "dp-by", "property": "value", "value": "ethnicity_group"},
        {"id": "dp-base", "property": "value", "value": "population"}], ["disproportionality"]),
    "Reoffending": ("caption-reoffending-windows.children", [], ["programme-reoffending", "reoffending-curve"]),
}
PANDAS_MEASURES = ("fte", "disposals", "programme-reoffending")


class TimedDuckDB(DuckDBDatabase):
    """Records the time DuckDB spends on each query: the floor under everything else."""

    spent = 0.0

    def query(self, sql, params=None):
        started = time.perf_counter()
        try:
            return super().query(sql, params)
        finally:
            self.spent += time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def filters_for(search: str) -> Filters:
    from dashboard.state import filters_from_query
    return filters_from_query(search)


def build(size: int) -> tuple[Path, float, int]:
    """The extract and database for ``size`` children; ingest rows per second."""
    folder, db = WORK / f"extract-{size}", WORK / f"db-{size}.duckdb"
    if not (folder / "extract.json").exists():
        generate_extract(folder, children=size, seed=DEMO_SEED)
    db.unlink(missing_ok=True)
    summary = ingest(folder, db)
    return db, summary.rows_read / summary.seconds, summary.rows_read


def raw_and_pandas(db_path: Path, requests: int) -> dict:
    """Per page: median time of the measures' SQL; and DuckDB vs pandas per measure."""
    db = TimedDuckDB(db_path)
    options = filter_options(db)
    results = {}
    for page, (_, _, metrics) in PAGES.items():
        times = []
        for i in range(requests):
            db.spent = 0.0
            for metric in metrics:
                try:
                    compute(db, metric, filters_for(SEARCHES[i % len(SEARCHES)]), viewer=EVERYONE)
                except Exception:
                    pass
            times.append(db.spent * 1000)
        results[page] = statistics.median(times)
    started = time.perf_counter()
    baseline = PandasMeasures(db)
    load = time.perf_counter() - started
    comparison = {}
    for metric in PANDAS_MEASURES:
        ours, theirs = [], []
        for i in range(requests):
            f = filters_for(SEARCHES[i % len(SEARCHES)])
            started = time.perf_counter()
            compute(db, metric, f, viewer=EVERYONE)
            ours.append((time.perf_counter() - started) * 1000)
            resolved = resolve(f, metric, options, default_period="all")
            started = time.perf_counter()
            baseline.run(metric, resolved)
            theirs.append((time.perf_counter() - started) * 1000)
        comparison[metric] = (statistics.median(ours), statistics.median(theirs))
    return {"raw": results, "pandas": comparison, "pandas_load_s": load}


def serve(location: str, workers: int = 2):
    port = free_port()
    env = {**os.environ, "DASHBOARD_DB": location}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4",
                               "-b", f"127.0.0.1:{port}", "app:server"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=5).read()
            break
        except OSError:
            if server.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
    return server, url, time.perf_counter() - started


def end_to_end(url: str, requests: int) -> dict:
    """p50 and p95 of each page's main callback over HTTP, filters varied."""
    session = browser_session(url)
    keys = [d["output"] for d in session.get(url + "/_dash-dependencies", timeout=60).json()]
    results = {}
    for page, (marker, extra, _) in PAGES.items():
        key = next(k for k in keys if marker in k)
        times = []
        for i in range(requests):
            inputs = [{"id": "url", "property": "search", "value": SEARCHES[i % len(SEARCHES)]}, *extra]
            started = time.perf_counter()
            session.post(url + CALLBACK_PATH, json=callback_request(key, inputs), timeout=60).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
        results[page] = (percentile(times, 0.5), percentile(times, 0.95))
    return results


def worker_memory(server: subprocess.Popen) -> float:
    """Largest resident memory of the gunicorn workers, in MB."""
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes) if sizes else float("nan")


def served(location: str, requests: int) -> dict:
    """Cold start, end-to-end times and worker memory of the app serving ``location``."""
    server, url, cold = serve(location)
    try:
        return {"cold_start_s": cold, "end_to_end": end_to_end(url, requests), "memory_mb": worker_memory(server)}
    finally:
        server.terminate()
        server.wait()


def measure_size(size: int, requests: int) -> dict:
    print(f"== {size:,} children", flush=True)
    db, rows_per_second, rows = build(size)
    return {"size": size, "rows": rows, "ingest_rows_per_s": rows_per_second, **served(str(db), requests),
            **raw_and_pandas(db, requests)}


def measure_postgres(size: int, requests: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.postgres import postgres_server
    with postgres_server() as new_database:
        url = new_database()
        started = time.perf_counter()
        summary = ingest(WORK / f"extract-{size}", url)
        ingest_rate = summary.rows_read / (time.perf_counter() - started)
        app = served(url, requests)
        db = Database.open(url)
        raw = {}
        for page, (_, _, metrics) in PAGES.items():
            times = []
            for i in range(requests):
                started = time.perf_counter()
                for metric in metrics:
                    compute(db, metric, filters_for(SEARCHES[i % len(SEARCHES)]), viewer=EVERYONE)
                times.append((time.perf_counter() - started) * 1000)
            raw[page] = statistics.median(times)
        db.close()
    return {"size": size, "ingest_rows_per_s": ingest_rate, **app, "compute": raw}


def report(runs: list[dict], postgres: dict | None) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [f"# Performance\n\nMeasured by `python -m benchmarks` on {date.today()} ({machine}). Synthetic "
             "extracts (five fictional services); gunicorn with 2 workers x 4 threads on loopback. "
             "The ratios are the claim; absolute times are context.\n",
             "## End to end against the floor (ms)\n",
             "| children | page | raw DuckDB SQL (median) | HTTP p50 | HTTP p95 | p95 / raw |",
             "|---:|---|---:|---:|---:|---:|"]
    for run in runs:
        for page, (p50, p95) in run["end_to_end"].items():
            raw = run["raw"][page]
            lines.append(f"| {run['size']:,} | {page} | {raw:.0f} | {p50:.0f} | {p95:.0f} | {p95 / raw:.1f}x |")
    lines += ["\n## DuckDB measures against pandas in memory (ms per request, median)\n",
              "| children | measure | ours (SQL + suppression) | pandas | pandas / ours | pandas load (s) |",
              "|---:|---|---:|---:|---:|---:|"]
    for run in runs:
        for metric, (ours, theirs) in run["pandas"].items():
            lines.append(f"| {run['size']:,} | {metric} | {ours:.0f} | {theirs:.0f} | {theirs / ours:.1f}x | "
                         f"{run['pandas_load_s']:.1f} |")
    lines += ["\n## Load, start and memory\n",
              "| children | rows in extract | ingest + validation (rows/s) | cold start to first page (s) | "
              "resident memory per worker (MB) |", "|---:|---:|---:|---:|---:|"]
    for run in runs:
        lines.append(f"| {run['size']:,} | {run['rows']:,} | {run['ingest_rows_per_s']:,.0f} | "
                     f"{run['cold_start_s']:.1f} | {run['memory_mb']:.0f} |")
    if len(runs) > 1:
        small, large = runs[-2], runs[-1]
        factor = large["size"] / small["size"]
        worst = max(large["end_to_end"][p][1] / small["end_to_end"][p][1] for p in PAGES)
        lines.append(f"\nFrom {small['size']:,} to {large['size']:,} children ({factor:.0f}x the data) the "
                     f"slowest-growing page's p95 grew {worst:.1f}x; memory per worker went from "
                     f"{small['memory_mb']:.0f} to {large['memory_mb']:.0f} MB.")
    if postgres:
        lines += [f"\n## PostgreSQL ({postgres['size']:,} children)\n",
                  "| page | measures in-process (median) | HTTP p50 | HTTP p95 |", "|---|---:|---:|---:|"]
        for page, (p50, p95) in postgres["end_to_end"].items():
            lines.append(f"| {page} | {postgres['compute'][page]:.0f} | {p50:.0f} | {p95:.0f} |")
        lines.append(f"\nIngest {postgres['ingest_rows_per_s']:,.0f} rows/s; cold start "
                     f"{postgres['cold_start_s']:.1f} s; resident memory per worker {postgres['memory_mb']:.0f} MB.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="also measure the largest size on PostgreSQL")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    runs = [measure_size(int(size), args.requests) for size in args.sizes.split(",")]
    postgres = measure_postgres(runs[-1]["size"], args.requests) if args.postgres else None
    text = report(runs, postgres)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


assert set(MEASURES) >= set(PANDAS_MEASURES)

if __name__ == "__main__":
    raise SystemExit(main())
