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
import secrets
import shutil
import sys
import threading
import time
from pathlib import Path

from .__main__ import SEARCHES, WORK, page_markers, percentile, serve
from .dash_requests import CALLBACK_PATH, CannotSignIn, browser_session, callback_request, image_request

#: No run sends more than this many requests, whatever its length.
MAX_REQUESTS = 100_000
#: The chart whose PNG the hammering asks for, and its page.
IMAGE_CARD, IMAGE_PAGE = "fte-rate", "/first-time-entrants"


def simulated_user(url: str, session, keys: dict[str, str], deadline: float, seed: int, out: list,
                   errors: list) -> None:
    """One person clicking (in their own browser ``session``): a random page and filter each time, until
    the deadline."""
    pick = random.Random(seed)
    while time.perf_counter() < deadline and len(out) + len(errors) < MAX_REQUESTS:
        page = pick.choice(list(keys))
        inputs = [{"id": "url", "property": "search", "value": pick.choice(SEARCHES)}]
        started = time.perf_counter()
        try:
            response = session.post(url + CALLBACK_PATH, json=callback_request(keys[page], inputs), timeout=60)
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


def with_accounts(source: Path, target: Path, names: list[str]) -> dict[str, tuple[str, str]]:
    """A copy of ``source`` at ``target`` with an admin account (random password) for each of ``names``:
    served with DASHBOARD_OPEN_DEMO=0, each simulated person signs in as an account of their own (on the
    open demo everyone on this computer is one visitor)."""
    from dashboard import accounts
    shutil.copyfile(source, target)
    logins = {}
    for name in names:
        logins[name] = (name, secrets.token_urlsafe(16))
        accounts.add_user(str(target), name, logins[name][1], "admin")
    return logins


def clicks(url: str, account: tuple[str, str] | None, seconds: float) -> tuple[list[float], list]:
    """One person clicking through the pages for ``seconds``: their answers' times (ms) and their errors."""
    session = browser_session(url, account)
    dependencies = session.get(url + "/_dash-dependencies", timeout=60).json()
    keys = {page: next(d["output"] for d in dependencies if marker in d["output"])
            for page, marker in page_markers().items()}
    answers, errors = [], []
    simulated_user(url, session, keys, time.perf_counter() + seconds, 7, answers, errors)
    return [ms for _, ms, _ in answers], errors


def keep_exporting(url: str, signed_in, stop: threading.Event, seed: int, out: list, pause: float) -> None:
    """Ask for a chart's PNG again as soon as the last one is answered (``pause`` seconds after a refusal),
    until ``stop``, with a browser holding the cookies of ``signed_in``: (ms, outcome) in ``out``, the
    outcome 'drawn', 'refused' (a plain message, no image) or the error."""
    import requests
    session = requests.Session()
    session.cookies.update(signed_in.cookies)
    session.headers.update(signed_in.headers)
    key = next(d["output"] for d in session.get(url + "/_dash-dependencies", timeout=60).json()
               if "card-image" in d["output"])
    pick = random.Random(seed)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            response = session.post(url + CALLBACK_PATH, timeout=120, json=image_request(
                key, IMAGE_CARD, "png", pick.choice(SEARCHES), IMAGE_PAGE))
            sent = response.json().get("response", {}) if response.status_code == 200 else {}
            image = next((v["data"] for k, v in sent.items() if '"card-image"' in k), None)
            status = next((v["children"] for k, v in sent.items() if "card-image-status" in k), None)
            outcome = "drawn" if image else "refused" if status else f"HTTP {response.status_code}"
        except OSError as exc:
            outcome = type(exc).__name__
        out.append(((time.perf_counter() - started) * 1000, outcome))
        if outcome == "refused":
            stop.wait(pause)


def hammer_images(url: str, bystander: tuple[str, str] | None, hammerers: list, at_once: int,
                  seconds: float, pause: float = 1.0) -> dict:
    """A bystander clicking through the pages for ``seconds`` alone, then for ``seconds`` while each of
    ``hammerers`` (accounts, or None for the open demo's visitor) keeps ``at_once`` PNG exports going,
    each asked again at once when answered with an image, ``pause`` seconds after a refusal."""
    calm, calm_errors = clicks(url, bystander, seconds)
    stop, exports = threading.Event(), []
    signed_in = [browser_session(url, account) for account in hammerers]      # each once, many tabs
    threads = [threading.Thread(target=keep_exporting, args=(url, session, stop, seed, exports, pause))
               for seed, session in enumerate(session for session in signed_in for _ in range(at_once))]
    for thread in threads:
        thread.start()
    try:
        busy, busy_errors = clicks(url, bystander, seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    drawn = [ms for ms, outcome in exports if outcome == "drawn"]
    refused = [ms for ms, outcome in exports if outcome == "refused"]
    return {"hammerers": len(hammerers), "at_once": at_once, "seconds": seconds, "pause": pause,
            "calm_p50": percentile(calm, 0.5), "calm_p95": percentile(calm, 0.95), "calm_clicks": len(calm),
            "busy_p50": percentile(busy, 0.5), "busy_p95": percentile(busy, 0.95), "busy_max": max(busy),
            "busy_clicks": len(busy), "errors": calm_errors + busy_errors,
            "drawn": len(drawn), "drawn_p50": percentile(drawn or [float("nan")], 0.5),
            "drawn_p95": percentile(drawn or [float("nan")], 0.95), "refused": len(refused),
            "refused_p95": percentile(refused or [float("nan")], 0.95),
            "export_errors": [outcome for _, outcome in exports if outcome not in ("drawn", "refused")]}


def describe_hammering(result: dict) -> str:
    return (f"{result['hammerers']} account(s) x {result['at_once']} PNG exports at once, {result['seconds']:.0f} s: "
            f"bystander p50 {result['busy_p50']:.0f} ms, p95 {result['busy_p95']:.0f} ms, max "
            f"{result['busy_max']:.0f} ms over {result['busy_clicks']} clicks (alone: p50 {result['calm_p50']:.0f} ms, "
            f"p95 {result['calm_p95']:.0f} ms), {len(result['errors'])} errors; images drawn {result['drawn']} "
            f"(p50 {result['drawn_p50']:.0f} ms, p95 {result['drawn_p95']:.0f} ms), refused {result['refused']} "
            f"(p95 {result['refused_p95']:.0f} ms), export errors {len(result['export_errors'])}")


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
    server, url, _ = serve(str(location), workers=args.workers)
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
