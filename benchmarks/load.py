"""Load test: simulated users clicking through the pages with varied filters, against gunicorn with
several workers on loopback. Bounded in users, time and requests; nothing leaves this machine.

    python -m benchmarks.load [--users 50] [--seconds 60] [--workers 4] [--db PATH [--user NAME [--password-stdin]]]

Each user opens the dashboard as a browser does (session and CSRF cookies; on a database that asks
for sign-in, signed in as ``--user``, whose password is asked for or read from standard input), then
keeps asking for a random page's main callback with random filters, one request at a time. Every
answer must be 200 and carry data: anything else is an error. Prints requests, errors, throughput and
latency percentiles.
The filters (SEARCHES) name services of the synthetic data and include drill-downs, so sign in with an
admin account: for a board account, or one that does not see those services, they count as errors.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from pathlib import Path

from .__main__ import SEARCHES, WORK, page_markers, percentile
from .dash_requests import CALLBACK_PATH, CannotSignIn, browser_session, page_request, serve

#: No run sends more than this many requests, whatever its length.
MAX_REQUESTS = 100_000


def simulated_user(url: str, session, keys: dict[str, str], deadline: float, seed: int, out: list,
                   errors: list) -> None:
    """One person clicking (in their own browser ``session``): a random page and filter each time, until
    the deadline."""
    pick = random.Random(seed)
    while time.perf_counter() < deadline and len(out) + len(errors) < MAX_REQUESTS:
        page = pick.choice(list(keys))
        started = time.perf_counter()
        try:
            response = session.post(url + CALLBACK_PATH, json=page_request(keys[page], pick.choice(SEARCHES)),
                                    timeout=60)
            ok = response.status_code == 200 and '"response"' in response.text
        except OSError as exc:
            ok, response = False, exc
        elapsed = (time.perf_counter() - started) * 1000
        (out if ok else errors).append((page, elapsed, getattr(response, "status_code", str(response))))


def run_load(url: str, users: int, seconds: float, account: tuple[str, str] | None = None) -> dict:
    """Run ``users`` simulated users for ``seconds`` (each signed in as ``account`` if the database asks
    for sign-in); the answers' count, errors and latencies."""
    # Signed in one after another, before the clock starts, as people arriving over a morning would be.
    sessions = [browser_session(url, account) for _ in range(users)]
    dependencies = sessions[0].get(url + "/_dash-dependencies", timeout=60).json()
    keys = {page: next(d["output"] for d in dependencies if marker in d["output"])
            for page, marker in page_markers().items()}
    answers: list = []
    errors: list = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    threads = [threading.Thread(target=simulated_user, args=(url, session, keys, deadline, seed, answers, errors))
               for seed, session in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    times = [ms for _, ms, _ in answers] or [float("nan")]
    return {"users": users, "seconds": took, "requests": len(answers) + len(errors), "errors": errors,
            "per_second": (len(answers) + len(errors)) / took, "p50": percentile(times, 0.5),
            "p95": percentile(times, 0.95), "max": max(times)}


def describe(result: dict) -> str:
    return (f"{result['users']} users, {result['seconds']:.0f} s: {result['requests']:,} requests "
            f"({result['per_second']:.1f}/s), {len(result['errors'])} errors; "
            f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, max {result['max']:.0f} ms")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass
    return getpass.getpass("Password: ")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", type=Path, help="a dashboard database (default: build a demo one in .bench/)")
    parser.add_argument("--user", help="the account to sign in as, where the database asks for sign-in")
    parser.add_argument("--password-stdin", action="store_true", help="read its password from standard input")
    args = parser.parse_args(argv)
    account = (args.user, _password(args.password_stdin)) if args.user else None
    location = args.db
    if location is None:
        from dashboard.app_shell import ensure_database
        location = WORK / "load-demo.duckdb"
        WORK.mkdir(exist_ok=True)
        ensure_database(str(location))
    server, url = serve(str(location), workers=args.workers)
    try:
        result = run_load(url, args.users, args.seconds, account)
    except CannotSignIn as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(describe(result))
    for page, ms, status in result["errors"][:20]:
        print(f"  error: {page}: {status} after {ms:.0f} ms")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
