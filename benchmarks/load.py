"""Load test: simulated users clicking through the pages with varied filters, against gunicorn with
several workers on loopback. Bounded in users, time and requests; nothing leaves this machine.

    python -m benchmarks.load [--users 50] [--seconds 60] [--workers 4] [--db PATH [--user NAME [--password-stdin]]]
    python -m benchmarks.load --ingests 10 [--children 30000] [--users 50] [--seconds 60] [--workers 4]
    python -m benchmarks.load --hammer-images 16 [--hammerers 1] [--pause 1] [--seconds 20] [--workers 4]

Each user opens the dashboard as a browser does (session and CSRF cookies; on a database that asks
for sign-in, signed in as ``--user``, whose password is asked for or read from standard input), then
keeps asking for a random page's main callback with random filters, one request at a time. Every
answer must be 200 and carry data: anything else is an error. Prints requests, errors, throughput and
latency percentiles.
The filters (SEARCHES) name services of the synthetic data and include drill-downs, so sign in with an
admin account: for a board account, or one that does not see those services, they count as errors.

``--ingests N``: while the users click, the live DuckDB file is loaded N times (``python -m dashboard
ingest``, as an operator runs it), alternating two synthetic extracts of ``--children`` children whose
figures differ. Every answer is compared, card by card, with what the app answers on each extract alone:
one with cards of both extracts is a mixed answer, one with a card of neither a wrong one; both count as
errors. It runs on databases of its own in .bench/ (never ``--db``), with sign-in and an admin account
made for the run, and lasts at least ``--seconds`` and until the last ingest has finished. The server
runs at a lower priority than the ingests (``SERVER_NICE``).

``--hammer-images N``: one person clicks through the pages alone for ``--seconds``, then as long again
while each of ``--hammerers`` accounts keeps N PNG exports going (each asked again when answered,
``--pause`` seconds after a refusal); their p50 and p95 both times, and what the exports got.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from dashboard.db import shared_results_folder
from dashboard.edge import FAULT
from dashboard.jobs import BUSY, IMAGE_STILL_BEING_MADE
from dashboard.settings import Settings

from .__main__ import ROOT, SEARCHES, WORK, page_markers, percentile
from .dash_requests import CALLBACK_PATH, CannotSignIn, browser_session, image_request, page_request, serve

#: No run sends more than this many requests, whatever its length.
MAX_REQUESTS = 100_000
#: The chart whose PNG the hammering asks for, and its page.
IMAGE_CARD, IMAGE_PAGE = "fte-rate", "/first-time-entrants"
#: What an image request over a limit is told (anything else without an image is an error).
REFUSALS = (BUSY, IMAGE_STILL_BEING_MADE)


def callback_keys(url: str, session) -> dict[str, str]:
    """Each page's main callback, by page name, as the app at ``url`` names it."""
    dependencies = session.get(url + "/_dash-dependencies", timeout=60).json()
    return {
        page: next(d["output"] for d in dependencies if marker in d["output"])
        for page, marker in page_markers().items()
    }


def simulated_user(
    url: str,
    session,
    keys: dict[str, str],
    stop: threading.Event,
    seed: int,
    out: list,
    errors: list,
    check=None,
    searches: list[str] = SEARCHES,
) -> None:
    """One person clicking (in their own browser ``session``): a random page and filter (of ``searches``)
    each time, until ``stop``. ``check(page, search, answer)`` may find a problem with an answer (then it
    is an error)."""
    pick = random.Random(seed)
    while not stop.is_set() and len(out) + len(errors) < MAX_REQUESTS:
        page, search = pick.choice(list(keys)), pick.choice(searches)
        started = time.perf_counter()
        try:
            # A slow answer is timed, not an error, up to 3 minutes: the KPIs' first view of a new database
            # version, worked out cold while everyone clicks, took over a minute on 2 busy cores.
            response = session.post(url + CALLBACK_PATH, json=page_request(keys[page], search), timeout=180)
            ok = response.status_code == 200 and '"response"' in response.text
            problem = None if ok else response.status_code
            if ok and check is not None:
                problem = check(page, search, response.json()["response"])
        except OSError as exc:
            problem = str(exc)
        elapsed = (time.perf_counter() - started) * 1000
        if problem is None:
            out.append((page, elapsed, 200))
        else:
            errors.append((page, elapsed, problem))


def run_load(
    url: str, users: int, seconds: float, account: tuple[str, str] | None = None, check=None, alongside=None
) -> dict:
    """Run ``users`` simulated users for ``seconds`` (each signed in as ``account`` if the database asks
    for sign-in), and ``alongside()`` meanwhile, if given, for as long as it takes; the answers' count,
    errors and latencies. ``check``: see ``simulated_user``."""
    # Signed in one after another, before the clock starts, as people arriving over a morning would be.
    sessions = [browser_session(url, account) for _ in range(users)]
    keys = callback_keys(url, sessions[0])
    answers: list = []
    errors: list = []
    stop = threading.Event()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=simulated_user, args=(url, session, keys, stop, seed, answers, errors, check))
        for seed, session in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    try:
        if alongside is not None:
            alongside()
        time.sleep(max(0.0, started + seconds - time.perf_counter()))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    took = time.perf_counter() - started
    times = [ms for _, ms, _ in answers] or [float("nan")]
    return {
        "users": users,
        "seconds": took,
        "requests": len(answers) + len(errors),
        "errors": errors,
        "per_second": (len(answers) + len(errors)) / took,
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "max": max(times),
    }


def with_accounts(
    source: Path, target: Path, names: list[str], roles: dict[str, tuple[str, tuple[str, ...]]] | None = None
) -> dict[str, tuple[str, str]]:
    """A copy of ``source`` at ``target`` with an account (random password) for each of ``names``: an
    admin, or the (role, services) ``roles`` gives it. Served with DASHBOARD_OPEN_DEMO=0, each simulated
    person signs in as an account of their own (on the open demo everyone on this computer is one visitor)."""
    from dashboard import accounts

    shutil.copyfile(source, target)
    logins = {}
    for name in names:
        logins[name] = (name, secrets.token_urlsafe(16))
        role, services = (roles or {}).get(name, ("admin", ()))
        accounts.add_user(str(target), name, logins[name][1], role, services)
    return logins


def clicks(
    url: str, account: tuple[str, str] | None, seconds: float, searches: list[str] = SEARCHES
) -> tuple[list[float], list]:
    """One person clicking through the pages for ``seconds`` (with the filters of ``searches``): their
    answers' times (ms) and their errors."""
    session = browser_session(url, account)
    answers, errors, stop = [], [], threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    simulated_user(url, session, callback_keys(url, session), stop, 7, answers, errors, searches=searches)
    return [ms for _, ms, _ in answers], errors


def keep_exporting(url: str, signed_in, stop: threading.Event, seed: int, out: list, pause: float) -> None:
    """Ask for a chart's PNG again as soon as the last one is answered (``pause`` seconds after a refusal),
    until ``stop``, with a browser holding the cookies of ``signed_in``: (ms, outcome) in ``out``, the
    outcome 'drawn', 'refused' (over a limit: no image) or what went wrong (a message, an HTTP status)."""
    import requests

    session = requests.Session()
    session.cookies.update(signed_in.cookies)
    session.headers.update(signed_in.headers)
    key = next(
        d["output"] for d in session.get(url + "/_dash-dependencies", timeout=60).json() if "card-image" in d["output"]
    )
    pick = random.Random(seed)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            response = session.post(
                url + CALLBACK_PATH,
                timeout=120,
                json=image_request(key, IMAGE_CARD, "png", pick.choice(SEARCHES), IMAGE_PAGE),
            )
            sent = response.json().get("response", {}) if response.status_code == 200 else {}
            image = next((v["data"] for k, v in sent.items() if '"card-image"' in k), None)
            status = next((v["children"] for k, v in sent.items() if "card-image-status" in k), None)
            outcome = (
                "drawn" if image else "refused" if status in REFUSALS else status or f"HTTP {response.status_code}"
            )
        except OSError as exc:
            outcome = type(exc).__name__
        out.append(((time.perf_counter() - started) * 1000, outcome))
        if outcome == "refused":
            stop.wait(pause)


def hammer_images(
    url: str,
    bystander: tuple[str, str] | None,
    hammerers: list,
    at_once: int,
    seconds: float,
    pause: float = 1.0,
    searches: list[str] = SEARCHES,
) -> dict:
    """A bystander clicking through the pages for ``seconds`` alone, then for ``seconds`` while each of
    ``hammerers`` (accounts, or None for the open demo's visitor) keeps ``at_once`` PNG exports going,
    each asked again at once when answered with an image, ``pause`` seconds after a refusal."""
    calm, calm_errors = clicks(url, bystander, seconds, searches)
    stop, exports = threading.Event(), []
    signed_in = [browser_session(url, account) for account in hammerers]  # each once, many tabs
    threads = [
        threading.Thread(target=keep_exporting, args=(url, session, stop, seed, exports, pause))
        for seed, session in enumerate(session for session in signed_in for _ in range(at_once))
    ]
    for thread in threads:
        thread.start()
    try:
        busy, busy_errors = clicks(url, bystander, seconds, searches)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    drawn = [ms for ms, outcome in exports if outcome == "drawn"]
    refused = [ms for ms, outcome in exports if outcome == "refused"]
    return {
        "hammerers": len(hammerers),
        "at_once": at_once,
        "seconds": seconds,
        "pause": pause,
        "calm_p50": percentile(calm, 0.5),
        "calm_p95": percentile(calm, 0.95),
        "calm_clicks": len(calm),
        "busy_p50": percentile(busy, 0.5),
        "busy_p95": percentile(busy, 0.95),
        "busy_max": max(busy),
        "busy_clicks": len(busy),
        "errors": calm_errors + busy_errors,
        "drawn": len(drawn),
        "drawn_p50": percentile(drawn or [float("nan")], 0.5),
        "drawn_p95": percentile(drawn or [float("nan")], 0.95),
        "refused": len(refused),
        "refused_p95": percentile(refused or [float("nan")], 0.95),
        "export_errors": [outcome for _, outcome in exports if outcome not in ("drawn", "refused")],
    }


def describe_hammering(result: dict) -> str:
    return (
        f"{result['hammerers']} account(s) x {result['at_once']} PNG exports at once, {result['seconds']:.0f} s: "
        f"bystander p50 {result['busy_p50']:.0f} ms, p95 {result['busy_p95']:.0f} ms, max "
        f"{result['busy_max']:.0f} ms over {result['busy_clicks']} clicks (alone: p50 {result['calm_p50']:.0f} ms, "
        f"p95 {result['calm_p95']:.0f} ms), {len(result['errors'])} errors; images drawn {result['drawn']} "
        f"(p50 {result['drawn_p50']:.0f} ms, p95 {result['drawn_p95']:.0f} ms), refused {result['refused']} "
        f"(p95 {result['refused_p95']:.0f} ms), export errors {len(result['export_errors'])}"
    )


def two_extracts(children: int, work: Path = WORK) -> dict:
    """Two synthetic extracts of the same services whose figures differ (two seeds), and three databases:
    one of each extract, both with an admin account, and the live one (a copy of the first) to load into."""
    from dashboard.ingest import DEMO_SEED, ingest
    from dashboard.synth import generate_extract

    work.mkdir(exist_ok=True)
    extracts, databases = [], [work / "extract-a.duckdb", work / "extract-b.duckdb"]
    for seed in (DEMO_SEED, DEMO_SEED + 1):
        folder = work / f"extract-{children}-{seed}"
        if not (folder / "extract.json").exists():
            generate_extract(folder, children=children, seed=seed)
        extracts.append(folder)
    fresh = work / "extract-a-fresh.duckdb"
    fresh.unlink(missing_ok=True)
    ingest(extracts[0], fresh)
    account = with_accounts(fresh, databases[0], ["load-test"])["load-test"]
    shutil.copyfile(databases[0], databases[1])
    ingest(extracts[1], databases[1], accept_drop=True)
    live = work / "live.duckdb"
    shutil.copyfile(databases[0], live)
    return {"extracts": extracts, "databases": databases, "live": live, "account": account}


def answers_on(location: Path, account: tuple[str, str], workers: int = 1) -> dict:
    """Every page's answer for every filter set (SEARCHES), from the app serving ``location`` alone, by
    (page, search): each asked twice, to be sure an answer depends on nothing but the data."""
    server, url = serve(str(location), workers=workers, env={"DASHBOARD_OPEN_DEMO": "0"})
    try:
        session = browser_session(url, account)
        keys = callback_keys(url, session)
        answers = {}
        for page, key in keys.items():
            for search in SEARCHES:
                twice = [
                    session.post(url + CALLBACK_PATH, json=page_request(key, search), timeout=120) for _ in range(2)
                ]
                for response in twice:
                    response.raise_for_status()
                first, second = (response.json()["response"] for response in twice)
                if first != second:
                    raise RuntimeError(f"{page} {search!r}: two answers on one database differ")
                answers[page, search] = first
        return answers
    finally:
        server.terminate()
        server.wait(timeout=30)


class OneVersion:
    """Checks that an answer's cards all come from one extract: compared, card by card, with the answers
    on each extract alone. Counts which extract each answer came from ('a', 'b', or 'either' where the
    two give the same answer)."""

    def __init__(self, expected: list[dict]):
        self.expected = expected
        self.seen: Counter = Counter()
        self._lock = threading.Lock()

    def __call__(self, page: str, search: str, answer: dict) -> str | None:
        versions = [answers[page, search] for answers in self.expected]
        fits = [name for name, version in zip("ab", versions) if answer == version]
        with self._lock:
            self.seen["either" if len(fits) > 1 else fits[0] if fits else "neither"] += 1
        if fits:
            return None
        if FAULT in json.dumps(answer):
            return f"error shown on {page} {search!r} (the server's log says why)"
        cards = {
            card: [name for name, version in zip("ab", versions) if version.get(card) == shown]
            for card, shown in answer.items()
        }
        if all(cards.values()):
            return "mixed answer: " + ", ".join(f"{card} of {'/'.join(names)}" for card, names in cards.items())
        return "wrong answer: " + ", ".join(card for card, names in cards.items() if not names) + " of neither"


#: How long one ingest may take (its first views are worked out before the swap, under the users' load).
INGEST_SECONDS = 2400
#: The server's priority below the ingests': 50 people clicking without a pause would otherwise leave an
#: ingest a sixth of the 2 cores, and its preparation (every page's and year's first views) 15 minutes
#: instead of 4, as an operator gives a load the machine's attention before the web workers'.
SERVER_NICE = 5


def ingest_in_turn(live: Path, extracts: list[Path], times: int, log: list, gap: float = 1.0) -> None:
    """``python -m dashboard ingest`` into the live file ``times`` times, the second extract first (the live
    file holds the first), ``gap`` seconds apart: each one's seconds, exit code and last words in ``log``."""
    for turn in range(times):
        started = time.perf_counter()
        # --accept-drop: the two extracts differ on purpose, and a small file of one can have a fifth
        # fewer rows than the other's.
        extract = extracts[(turn + 1) % 2]
        command = [sys.executable, "-m", "dashboard", "ingest", str(extract), "--db", str(live), "--accept-drop"]
        try:
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=INGEST_SECONDS)
        except subprocess.TimeoutExpired as late:  # a failed ingest, reported with the others
            said = late.stderr.decode(errors="replace") if isinstance(late.stderr, bytes) else (late.stderr or "")
            log.append((time.perf_counter() - started, "timed out", said.strip()[-300:]))
            continue
        log.append((time.perf_counter() - started, done.returncode, done.stderr.strip()[-300:]))
        time.sleep(gap)


def load_with_ingests(users: int, seconds: float, workers: int, ingests: int, children: int, work: Path = WORK) -> dict:
    """``users`` clicking for at least ``seconds`` while the live file is loaded ``ingests`` times, the two
    extracts in turn; every answer checked to be one extract's (see the module's docstring)."""
    made = two_extracts(children, work)
    check = OneVersion([answers_on(location, made["account"]) for location in made["databases"]])
    differ = sum(a != b for a, b in zip(*(answers.values() for answers in check.expected)))
    # The live file starts as an ingest leaves it, its first views worked out: it is a copy of the first
    # extract's database (the same load id), whose results answers_on has just worked out.
    first, live = (shared_results_folder(Settings(db=str(p))) for p in (made["databases"][0], made["live"]))
    if first is not None and first.is_dir():
        shutil.rmtree(live, ignore_errors=True)
        shutil.copytree(first, live)
    log: list = []
    # The server's log is kept: an answer showing an error says so, the log says why.
    with open(made["live"].with_name("server.log"), "w") as server_log:
        server, url = serve(
            str(made["live"]), workers=workers, env={"DASHBOARD_OPEN_DEMO": "0"}, stderr=server_log, nice=SERVER_NICE
        )
    try:
        result = run_load(
            url,
            users,
            seconds,
            made["account"],
            check=check,
            alongside=lambda: ingest_in_turn(made["live"], made["extracts"], ingests, log),
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    mixed = [e for e in result["errors"] if str(e[2]).startswith("mixed")]
    wrong = [e for e in result["errors"] if str(e[2]).startswith("wrong")]
    return {
        **result,
        "ingests": log,
        "failed_ingests": [entry for entry in log if entry[1] != 0],
        "differ": differ,
        "views": len(check.expected[0]),
        "seen": dict(check.seen),
        "mixed": mixed,
        "wrong": wrong,
        "server_log": made["live"].with_name("server.log"),
    }


def describe_ingests(result: dict) -> str:
    seconds = [entry[0] for entry in result["ingests"]]
    seen = result["seen"]
    return (
        f"{describe(result)}; {len(seconds)} ingests ({min(seconds):.0f}-{max(seconds):.0f} s each, "
        f"{len(result['failed_ingests'])} failed); {result['differ']} of {result['views']} views differ "
        f"between the extracts; answers of the first {seen.get('a', 0):,}, of the second {seen.get('b', 0):,}, "
        f"the same in both {seen.get('either', 0):,}; {len(result['mixed'])} mixed, {len(result['wrong'])} wrong"
    )


def describe(result: dict) -> str:
    return (
        f"{result['users']} users, {result['seconds']:.0f} s: {result['requests']:,} requests "
        f"({result['per_second']:.1f}/s), {len(result['errors'])} errors; "
        f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, max {result['max']:.0f} ms"
    )


def print_errors(result: dict) -> None:
    """The first 20 errors of a run, a line each, under its description."""
    for page, ms, problem in result["errors"][:20]:
        print(f"  error: {page}: {problem} after {ms:.0f} ms")


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
    parser.add_argument(
        "--ingests",
        type=int,
        help="load the live database this many times meanwhile, two extracts in turn, and check no answer mixes them",
    )
    parser.add_argument("--children", type=int, default=30_000, help="children in each extract (--ingests)")
    parser.add_argument(
        "--hammer-images",
        type=int,
        metavar="N",
        help="a bystander's clicks while accounts each keep N PNG exports going",
    )
    parser.add_argument("--hammerers", type=int, default=1, help="accounts hammering (--hammer-images)")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds before asking again after a refusal")
    args = parser.parse_args(argv)
    if (args.ingests or args.hammer_images) and (args.db or args.user):
        parser.error("--ingests and --hammer-images run on databases of their own: no --db or --user")
    if args.ingests:
        result = load_with_ingests(args.users, args.seconds, args.workers, args.ingests, args.children)
        print(describe_ingests(result))
        print_errors(result)
        for seconds, code, said in result["failed_ingests"]:
            print(f"  ingest failed (exit {code}) after {seconds:.0f} s: {said}")
        return 1 if result["errors"] or result["failed_ingests"] else 0
    location = args.db
    if location is None:
        from dashboard.app_shell import ensure_database

        location = WORK / "load-demo.duckdb"
        WORK.mkdir(exist_ok=True)
        ensure_database(str(location))
    if args.hammer_images:
        return hammering(location, args)
    account = (args.user, _password(args.password_stdin)) if args.user else None
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
    print_errors(result)
    return 1 if result["errors"] else 0


def hammering(demo: Path, args) -> int:
    """``--hammer-images``: on a copy of the demo database with an account for each person, served with
    sign-in (on the open demo everyone is one visitor)."""
    names = ["bystander", *(f"hammerer{i}" for i in range(1, args.hammerers + 1))]
    logins = with_accounts(demo, WORK / "hammer.duckdb", names)
    server, url = serve(str(WORK / "hammer.duckdb"), workers=args.workers, env={"DASHBOARD_OPEN_DEMO": "0"})
    try:
        result = hammer_images(
            url, logins["bystander"], [logins[n] for n in names[1:]], args.hammer_images, args.seconds, args.pause
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(describe_hammering(result))
    print_errors(result)
    for outcome, count in Counter(result["export_errors"]).most_common():
        print(f"  export error: {outcome} ({count})")
    return 1 if result["errors"] or result["export_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
