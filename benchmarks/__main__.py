"""Performance at national scale, measured three ways on the same data in one run.

    python -m benchmarks [--sizes 10000,100000,1000000] [--requests 30] [--postgres]
                         [--out docs/performance.md]

For each size: the demo database of that many children (in .bench/), ingest throughput, cold start, then for each
page's main measures with varied filters:
  1. raw: the time DuckDB spends running the SQL of each page's callback, run in-process with no
     measure's result cached, only the protected lattices a load prepares (the floor: what a click on a
     new view cannot avoid);
  2. end to end: POST /_dash-update-component to the app under gunicorn on loopback, p50 and p95;
  3. pandas: the same measures on tables loaded into DataFrames, filtered and grouped per request.
Plus resident memory per worker after a warm-up across every page. With --postgres the largest size
is also loaded into a throwaway PostgreSQL server and measured end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from dashboard import views
from dashboard.access import EVERYONE
from dashboard.components import ids
from dashboard.db import Database, DuckDBDatabase, Results, Snapshot
from dashboard.filters import Filters, MeasureSettings, from_text, parse_query, resolve
from dashboard.ingest import build_demo
from dashboard.metrics import MEASURES, compute, filter_options
from dashboard.settings import Settings
from dashboard.views import PAGES, Context, headline_figures, render_page

from .dash_requests import CALLBACK_PATH, ROOT, browser_session, page_request, serve
from .pandas_baseline import PandasMeasures

WORK = ROOT / ".bench"
#: Filters a board member might click through (each page's callback gets a different one each request).
SEARCHES = [
    "",
    "?period=2023-24",
    "?sex=female",
    "?period=2022-23&ethnicity_group=Black",
    "?age_band=15-17",
    "?yjs=Northvale",
    "?period=2021-22&yjs=Kingsmere&sex=male",
]
PANDAS_MEASURES = ("fte", "disposals", "programme-reoffending")


def page_markers() -> dict[str, str]:
    """Every page of the registry (views.PAGES), by name, and a component its one callback writes."""
    return {
        spec.name: (
            f"caption-{spec.cards[0].id}.children" if spec.cards else f"{ids.headline_figures(spec.key)}.children"
        )
        for spec in PAGES.values()
    }


class ProtectedLatticesOnly(Results):
    """Remembers the protected lattices (a load prepares them: docs/performance.md) and nothing else: each
    measure's own SQL and look-ups run on every request."""

    def remember(self, key, compute):
        if isinstance(key, tuple) and key[:1] == ("measure",):
            return compute()
        return super().remember(key, compute)


class TimedDuckDB(DuckDBDatabase):
    """Records the time DuckDB spends on each query, and remembers no measure's result: every measure runs
    its SQL each time, so this is the floor under a click on a view not seen before (the lattices behind
    it worked out once, as a load prepares them)."""

    spent = 0.0

    def __init__(self, path: Path):
        super().__init__(path)
        self._lattices = ProtectedLatticesOnly(100_000)

    @contextmanager
    def snapshot(self):
        with super().snapshot() as snap:

            def timed(sql, params):
                started = time.perf_counter()
                try:
                    return snap.query(sql, params)
                finally:
                    self.spent += time.perf_counter() - started

            yield Snapshot(timed, self._lattices, snap.version)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def filters_for(search: str) -> Filters:
    return from_text(parse_query(search))


def build(size: int) -> tuple[Path, float, int, float]:
    """The demo database for ``size`` children (open without sign-in, as the pages are measured), built
    as ``python -m dashboard demo`` builds it: loaded, then the open demo's first views worked out into
    the shared results (views.prepare; not when DASHBOARD_WARM=0). Ingest rows per second (the load
    alone) and the seconds the preparation took."""
    db = WORK / f"db-{size}.duckdb"
    db.unlink(missing_ok=True)

    summary = build_demo(
        db,
        children=size,
        progress=lambda message: None,
        prepare=(lambda staged, say: views.prepare(Settings(db=str(db)), say, staged)) if Settings().warm else None,
    )
    return db, summary.rows_read / summary.seconds, summary.rows_read, summary.preparing


def callback_posts(get) -> dict[str, list[bytes]]:
    """Per page, the request bodies of its main callback, one per filter set; ``get(path)`` reads
    the app's dependencies, over HTTP or in-process."""
    keys = [d["output"] for d in json.loads(get("/_dash-dependencies"))]
    bodies = {}
    for page, marker in page_markers().items():
        key = next(k for k in keys if marker in k)
        bodies[page] = [json.dumps(page_request(key, search)).encode() for search in SEARCHES]
    return bodies


def raw_sql(db_path: Path, requests: int) -> dict[str, tuple[float, float]]:
    """Per page: median and p95 of the time DuckDB spends in the SQL of one run of its main
    callback, the app in-process with no measure's result remembered (the SQL the app actually runs,
    nothing else), over the same filter sets as the requests, once each filter set's lattices are in."""
    from dashboard import create_app

    db = TimedDuckDB(db_path)
    filter_options(db)
    client = create_app(Settings(db=str(db_path)), db=db).server.test_client()
    client.get("/")  # the session and CSRF cookies, as a browser has
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    posts = callback_posts(lambda path: client.get(path).data)
    results = {}
    for page, bodies in posts.items():
        for body in bodies:  # the lattices of every filter set, as a load prepares them: not timed
            client.post(CALLBACK_PATH, data=body, content_type="application/json")
        times = []
        for i in range(requests):
            db.spent = 0.0
            response = client.post(CALLBACK_PATH, data=bodies[i % len(bodies)], content_type="application/json")
            assert response.status_code == 200, (page, response.status_code)
            times.append(db.spent * 1000)
        results[page] = (statistics.median(times), percentile(times, 0.95))
    return results


def versus_pandas(db_path: Path, requests: int) -> dict:
    """DuckDB (SQL and suppression, no result cache) against pandas in memory, per measure."""
    db = TimedDuckDB(db_path)
    options = filter_options(db)
    started = time.perf_counter()
    baseline = PandasMeasures(db)
    load = time.perf_counter() - started
    comparison = {}
    for metric in PANDAS_MEASURES:
        ours, theirs = [], []
        for i in range(requests):
            f = filters_for(SEARCHES[i % len(SEARCHES)])
            started = time.perf_counter()
            compute(db, metric, f, scope=EVERYONE.scope)
            ours.append((time.perf_counter() - started) * 1000)
            resolved = resolve(f, MEASURES[metric].filters, options, settings=MeasureSettings(), default_period="all")
            started = time.perf_counter()
            baseline.run(metric, resolved)
            theirs.append((time.perf_counter() - started) * 1000)
        comparison[metric] = (statistics.median(ours), statistics.median(theirs))
    return {"pandas": comparison, "pandas_load_s": load}


def serve_timed(location: str, workers: int = 2):
    """The app under gunicorn, and how long it took to answer its first request (the cold start)."""
    started = time.perf_counter()
    server, url = serve(location, workers)
    return server, url, time.perf_counter() - started


#: What a page's answer says when it could not be made (edge.guarded): timed, such an answer is no speed.
ERROR_ANSWERS = (b"Something went wrong showing this page", b"The data cannot be read at the moment")


def end_to_end(url: str, requests: int) -> tuple[dict, dict]:
    """p50 and p95 of each page's main callback over HTTP, filters varied; and how many answers were the
    page's error message (HTTP 200 all the same: a measure that failed, say for want of memory)."""
    session = browser_session(url)
    posts = callback_posts(lambda path: session.get(url + path, timeout=60).content)
    results, errors = {}, {}
    for page, bodies in posts.items():
        times, errors[page] = [], 0
        for i in range(requests):
            started = time.perf_counter()
            answer = session.post(
                url + CALLBACK_PATH,
                data=bodies[i % len(bodies)],
                timeout=60,
                headers={"Content-Type": "application/json"},
            )
            answer.raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
            errors[page] += any(marker in answer.content for marker in ERROR_ANSWERS)
        # The first pass over the filter sets is new to every worker: no cached result can help it.
        results[page] = (percentile(times, 0.5), percentile(times, 0.95), max(times[: len(bodies)]))
    return results, errors


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
    server, url, cold = serve_timed(location)
    try:
        times, errors = end_to_end(url, requests)
        return {"cold_start_s": cold, "end_to_end": times, "errors": errors, "memory_mb": worker_memory(server)}
    finally:
        server.terminate()
        server.wait()


def measure_size(size: int, requests: int) -> dict:
    print(f"== {size:,} children", flush=True)
    db, rows_per_second, rows, prepare_seconds = build(size)
    return {
        "size": size,
        "rows": rows,
        "ingest_rows_per_s": rows_per_second,
        "prepare_s": prepare_seconds,
        **served(str(db), requests),
        "raw": raw_sql(db, requests),
        **versus_pandas(db, requests),
    }


def measure_postgres(size: int, requests: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.postgres import postgres_server

    with postgres_server() as new_database:
        url = new_database()
        summary = build_demo(url, children=size, progress=lambda message: None)
        ingest_rate = summary.rows_read / summary.seconds
        app = served(url, requests)
        db = Database.open(url)
        raw = {}
        for spec in PAGES.values():
            times = []
            for i in range(requests):
                started = time.perf_counter()
                with db.snapshot() as snap:
                    context, filters = Context(snap, EVERYONE), filters_for(SEARCHES[i % len(SEARCHES)])
                    render_page(context, spec, filters, spec.read_settings({}, context.options))
                    headline_figures(context, spec, filters)
                times.append((time.perf_counter() - started) * 1000)
            raw[spec.name] = statistics.median(times)
        db.close()
    return {"size": size, "ingest_rows_per_s": ingest_rate, **app, "compute": raw}


def growth(small: dict, large: dict) -> float:
    """The largest factor by which a page's p95 grew from one size to the next."""
    return max(large["end_to_end"][p][1] / small["end_to_end"][p][1] for p in page_markers())


def targets(runs: list[dict]) -> list[tuple[str, str, bool]]:
    """Issue #5's targets, checked at the largest size: (target, what was measured, met)."""
    large = runs[-1]
    checks = []
    for page, (_, p95, _) in large["end_to_end"].items():
        raw = large["raw"][page][1]
        checks.append(
            (
                f"{page}: p95 <= 1.5x raw p95 and <= 150 ms",
                f"{p95:.0f} ms, {p95 / raw:.1f}x raw",
                p95 <= 1.5 * raw and p95 <= 150,
            )
        )
    failed = sum(large["errors"].values())
    checks.append(("every answer a page, none its error message", f"{failed} error answers", failed == 0))
    for metric, (ours, theirs) in large["pandas"].items():
        checks.append((f"{metric}: >= 10x faster than pandas", f"{theirs / ours:.1f}x", theirs >= 10 * ours))
    if len(runs) > 1:
        worst = growth(runs[-2], large)
        checks.append(
            (f"{large['size'] / runs[-2]['size']:.0f}x the data: p95 grows at most 3x", f"{worst:.1f}x", worst <= 3)
        )
        checks.append(
            (
                "memory per worker < 400 MB, not growing with data",
                f"{runs[-2]['memory_mb']:.0f} -> {large['memory_mb']:.0f} MB",
                large["memory_mb"] < 400,
            )
        )
    checks.append(
        (
            "ingest + validation >= 500,000 rows/s",
            f"{large['ingest_rows_per_s']:,.0f} rows/s",
            large["ingest_rows_per_s"] >= 500_000,
        )
    )
    checks.append(("cold start < 3 s", f"{large['cold_start_s']:.1f} s", large["cold_start_s"] < 3))
    return [(f"{t} ({large['size']:,} children)", m, ok) for t, m, ok in checks]


def report(runs: list[dict], postgres: dict | None) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"# Performance\n\nMeasured by `python -m benchmarks` on {date.today()} ({machine}). Synthetic "
        "extracts (five fictional services); gunicorn with 2 workers x 4 threads on loopback. "
        "The ratios are the claim; absolute times are context.\n",
        "## End to end against the floor (ms)\n",
        f'{len(SEARCHES)} filter sets, cycled over the requests; "first view" is the slowest of the first '
        f"pass, which no worker has seen before (no cached result can help it).\n",
        "| children | page | raw SQL median | raw SQL p95 | HTTP p50 | HTTP p95 | p95 / raw median | "
        "p95 / raw p95 | first view (max) | error answers |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for page, (p50, p95, first) in run["end_to_end"].items():
            median, raw = run["raw"][page]
            lines.append(
                f"| {run['size']:,} | {page} | {median:.0f} | {raw:.0f} | {p50:.0f} | {p95:.0f} | "
                f"{p95 / median:.1f}x | {p95 / raw:.1f}x | {first:.0f} | {run['errors'][page]} |"
            )
    lines += [
        "\n## DuckDB measures against pandas in memory (ms per request, median)\n",
        "| children | measure | ours (SQL + suppression) | pandas | pandas / ours | pandas load (s) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        for metric, (ours, theirs) in run["pandas"].items():
            lines.append(
                f"| {run['size']:,} | {metric} | {ours:.0f} | {theirs:.0f} | {theirs / ours:.1f}x | "
                f"{run['pandas_load_s']:.1f} |"
            )
    lines += [
        "\n## Load, start and memory\n",
        "| children | rows in extract | ingest + validation (rows/s) | first views prepared after loading (s) | "
        "cold start to first page (s) | resident memory per worker (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['size']:,} | {run['rows']:,} | {run['ingest_rows_per_s']:,.0f} | {run['prepare_s']:.0f} | "
            f"{run['cold_start_s']:.1f} | {run['memory_mb']:.0f} |"
        )
    if len(runs) > 1:
        small, large = runs[-2], runs[-1]
        factor = large["size"] / small["size"]
        lines.append(
            f"\nFrom {small['size']:,} to {large['size']:,} children ({factor:.0f}x the data) the "
            f"page whose p95 grew most grew {growth(small, large):.1f}x; memory per worker went from "
            f"{small['memory_mb']:.0f} to {large['memory_mb']:.0f} MB."
        )
    lines += ["\n## Targets\n", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {'yes' if met else '**no**'} |" for target, measured, met in targets(runs)]
    if postgres:
        lines += [
            f"\n## PostgreSQL ({postgres['size']:,} children)\n",
            "| page | measures in-process (median) | HTTP p50 | HTTP p95 |",
            "|---|---:|---:|---:|",
        ]
        for page, (p50, p95, _) in postgres["end_to_end"].items():
            lines.append(f"| {page} | {postgres['compute'][page]:.0f} | {p50:.0f} | {p95:.0f} |")
        lines.append(
            f"\nIngest {postgres['ingest_rows_per_s']:,.0f} rows/s; cold start "
            f"{postgres['cold_start_s']:.1f} s; resident memory per worker {postgres['memory_mb']:.0f} MB."
        )
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
