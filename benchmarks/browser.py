"""Page speed as a person gets it, in Debian's Chromium: Lighthouse scores, bytes moved by a first view,
time from navigation to every chart drawn, time from a filter change to every chart redrawn, and
axe-core, for every page of the dashboard on the demo database.

    python -m benchmarks.browser [--url URL] [--pages /,/disposals] [--changes 10] [--no-lighthouse]
                                 [--out .bench/browser.json] [--compare BEFORE.json]

Without ``--url`` it serves this checkout with gunicorn (2 workers x 4 threads, as the browser tests
do) on a free loopback port against ``$DASHBOARD_DB`` or the demo database; with ``--url`` it
measures a server already running (another checkout, for a "before" column). Nothing leaves the
machine. Lighthouse (12.x) and axe-core come from the npm registry into .test-tools/:

    npm install --prefix .test-tools -E lighthouse@12.2.3 axe-core@4.14.1

and Lighthouse drives /usr/bin/chromium (CHROME_PATH), never a browser of its own.

What is timed:
- **first view**: a fresh browser profile (empty cache) opens the page; from navigation start to the
  moment every chart on it has data drawn (cards with nothing to show are hidden and not waited for);
  bytes are what went over the wire (compressed), and what they unpack to;
- **repeat view**: the same page opened again in that profile (what a second visit costs);
- **filter change**: a control changed (the service, or the year on Compare areas) cycling through its
  values; from the change to the last chart redrawn by plotly; the median of ``--changes``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dashboard.views import PAGES as VIEW_PAGES

from .__main__ import ROOT, WORK
from .dash_requests import serve

TOOLS = ROOT / ".test-tools" / "node_modules"
LIGHTHOUSE = TOOLS / "lighthouse" / "cli" / "index.js"
AXE = TOOLS / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
#: Debian's Chromium as this machine runs it unattended, here and in the browser tests (tests/browser/conftest.py).
HEADLESS_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: The benchmark's Chromium (Playwright's and Lighthouse's) also keeps its shared memory out of /dev/shm.
CHROMIUM_ARGS = [*HEADLESS_ARGS, "--disable-dev-shm-usage"]
#: Every page of the registry, and the About page.
PAGES = [page.path for page in VIEW_PAGES.values()] + ["/about"]
#: The control a filter change sets on each page, and the values it cycles through ("all" is "All services").
CHANGES = {
    "/compare-areas": ("""[id='{"key":"year","type":"page-setting"}']""", ["2020-21", "2019-20", "2018-19", "2021-22"])
}
SERVICE = "#filter-yjs"
MOBILE = (390, 844)

#: True once every chart on the page has its data drawn (a card with nothing to show is hidden), and
#: Dash is waiting for nothing; the About page has no charts and is done when its heading is there.
ALL_DRAWN = """() => {
    if (document.querySelector('[data-dash-is-loading="true"]') || !document.querySelector('main h1')) return false;
    if (!document.querySelector('.chart-card, .kpi-card')) return !document.querySelector('[id^="headline-figures-"]');
    const graphs = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.offsetParent !== null);
    return graphs.length > 0
        && graphs.every(g => g._fullData && g._fullData.length > 0 && g.querySelector('.main-svg'));
}"""

#: Records when plotly finishes each (re)draw, so a filter change can be timed to the last chart drawn.
WATCH_DRAWS = """() => {
    if (window.__draws) return;
    window.__draws = new WeakMap();
    for (const name of ['react', 'newPlot']) {
        const original = Plotly[name];
        Plotly[name] = function (gd, ...rest) {
            const done = original.call(this, gd, ...rest);
            Promise.resolve(done).then(() => window.__draws.set(
                typeof gd === 'string' ? document.getElementById(gd) : gd, performance.now()));
            return done;
        };
    }
}"""

#: Milliseconds from the change (``window.__changedAt``) to the last visible chart redrawn after it.
REDRAWN = """() => {
    const since = window.__changedAt;
    if (since === undefined || document.querySelector('[data-dash-is-loading="true"]')) return false;
    const graphs = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.offsetParent !== null);
    const times = graphs.map(g => window.__draws.get(g)).filter(t => t !== undefined && t > since);
    return graphs.length > 0 && times.length === graphs.length ? Math.max(...times) - since : false;
}"""


def first_and_repeat_view(browser, url: str, viewport: tuple[int, int]) -> dict:
    """A fresh profile opens the page twice: time to every chart drawn, and bytes over the wire."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        page = context.new_page()
        network = context.new_cdp_session(page)
        network.send("Network.enable")
        sent, unpacked, requests = {}, {}, set()
        network.on("Network.requestWillBeSent", lambda e: requests.add(e["requestId"]))
        network.on(
            "Network.dataReceived",
            lambda e: unpacked.__setitem__(e["requestId"], unpacked.get(e["requestId"], 0) + e["dataLength"]),
        )
        network.on("Network.loadingFinished", lambda e: sent.__setitem__(e["requestId"], e["encodedDataLength"]))
        views = []
        for _ in range(2):
            sent.clear(), unpacked.clear(), requests.clear()
            page.goto(url, wait_until="commit")
            drawn = page.wait_for_function(
                f"() => ({ALL_DRAWN})() && performance.now()", timeout=60_000, polling="raf"
            ).json_value()
            page.wait_for_load_state("networkidle")
            views.append(
                {
                    "drawn_ms": round(drawn),
                    "requests": len(requests),
                    "bytes": sum(sent.values()),
                    "unpacked_bytes": sum(unpacked.values()),
                }
            )
        return {"first": views[0], "repeat": views[1]}
    finally:
        context.close()


def filter_changes(browser, url: str, path: str, services: list[str], changes: int) -> list[float]:
    """Milliseconds from each change of the page's control to every chart redrawn."""
    control, values = CHANGES.get(path, (SERVICE, services))
    context = browser.new_context(viewport={"width": 1350, "height": 940})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(ALL_DRAWN, timeout=60_000)
        page.evaluate(WATCH_DRAWS)
        page.evaluate(f"""() => document.addEventListener('change', e => {{
            if (e.target.matches({json.dumps(control)})) window.__changedAt = performance.now(); }}, true)""")
        times = []
        for i in range(changes):
            page.evaluate("() => { window.__changedAt = undefined; }")
            page.select_option(control, values[i % len(values)])
            times.append(page.wait_for_function(REDRAWN, timeout=60_000, polling="raf").json_value())
        return times
    finally:
        context.close()


def accessibility(browser, url: str) -> list[str]:
    """axe-core's serious and critical violations on the page once drawn (``id: first targets``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(ALL_DRAWN, timeout=60_000)
        page.evaluate(AXE.read_text())  # evaluated by the tool, so the app's CSP need not allow it
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    finally:
        context.close()


def lighthouse(url: str, form_factor: str) -> dict:
    """One Lighthouse run (performance and accessibility) in Debian's Chromium."""
    with tempfile.TemporaryDirectory(prefix="yjs-lighthouse-") as folder:
        out = Path(folder) / "report.json"
        command = [
            "node",
            str(LIGHTHOUSE),
            url,
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            "--only-categories=performance,accessibility",
            f"--chrome-flags=--headless=new {' '.join(CHROMIUM_ARGS)}",
        ]
        if form_factor == "desktop":
            command.append("--preset=desktop")
        subprocess.run(
            command,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        report = json.loads(out.read_text())
    audits = report["audits"]

    def value(audit: str) -> float:
        return round(audits[audit].get("numericValue") or 0, 3)

    return {
        "performance": round(100 * (report["categories"]["performance"]["score"] or 0)),
        "accessibility": round(100 * (report["categories"]["accessibility"]["score"] or 0)),
        "fcp_ms": value("first-contentful-paint"),
        "lcp_ms": value("largest-contentful-paint"),
        "tbt_ms": value("total-blocking-time"),
        "cls": value("cumulative-layout-shift"),
        "speed_index_ms": value("speed-index"),
        "bytes": value("total-byte-weight"),
    }


def measure(url: str, pages: list[str], changes: int, with_lighthouse: bool) -> dict:
    from playwright.sync_api import sync_playwright

    results = {"url": url, "measured": time.strftime("%Y-%m-%d %H:%M"), "pages": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            probe = browser.new_page()
            probe.goto(url + "/first-time-entrants")
            # The filter bar is laid out by Dash's renderer, after the page's load event.
            probe.wait_for_function(f"() => document.querySelectorAll('{SERVICE} option').length > 1")
            services = [v for v in probe.eval_on_selector_all(f"{SERVICE} option", "os => os.map(o => o.value)") if v]
            probe.close()
            services = services[1:] + services[:1]  # each service in turn, then all of them
            for path in pages:
                print(f"  {path}", flush=True)
                row = {
                    "desktop": first_and_repeat_view(browser, url + path, (1350, 940)),
                    "phone": first_and_repeat_view(browser, url + path, MOBILE)["first"],
                    "axe_serious": accessibility(browser, url + path),
                }
                if path != "/about":
                    row["filter_change_ms"] = filter_changes(browser, url + path, path, services, changes)
                results["pages"][path] = row
        finally:
            browser.close()
    if with_lighthouse:
        for path in pages:
            print(f"  Lighthouse {path}", flush=True)
            for form_factor in ("desktop", "mobile"):
                results["pages"][path][f"lighthouse_{form_factor}"] = lighthouse(url + path, form_factor)
    return results


def table(after: dict, before: dict | None = None) -> str:
    """Markdown: one row per page; with ``before``, each cell reads 'before -> after'."""

    def cell(path: str, get) -> str:
        now = get(after["pages"][path])
        if before is None or path not in before["pages"]:
            return now
        return f"{get(before['pages'][path])} → {now}"

    def score(key: str, field: str):
        return lambda row: str(row[key][field]) if key in row else "-"

    columns = [
        ("Lighthouse desktop", score("lighthouse_desktop", "performance")),
        ("Lighthouse mobile", score("lighthouse_mobile", "performance")),
        (
            "accessibility (desktop / mobile)",
            lambda r: (
                "/".join(str(r[k]["accessibility"]) for k in ("lighthouse_desktop", "lighthouse_mobile") if k in r)
                or "-"
            ),
        ),
        (
            "first view MB over the wire (unpacked)",
            lambda r: (
                f"{r['desktop']['first']['bytes'] / 1e6:.2f} ({r['desktop']['first']['unpacked_bytes'] / 1e6:.1f})"
            ),
        ),
        ("repeat view MB", lambda r: f"{r['desktop']['repeat']['bytes'] / 1e6:.2f}"),
        (
            "navigation to every chart drawn, s (phone size)",
            lambda r: f"{r['desktop']['first']['drawn_ms'] / 1000:.2f} ({r['phone']['drawn_ms'] / 1000:.2f})",
        ),
        (
            "filter change to redrawn, median ms",
            lambda r: f"{statistics.median(r['filter_change_ms']):.0f}" if r.get("filter_change_ms") else "-",
        ),
        ("axe serious", lambda r: str(len(r["axe_serious"]))),
    ]
    lines = ["| page | " + " | ".join(name for name, _ in columns) + " |", "|---" + "|---:" * len(columns) + "|"]
    for path in after["pages"]:
        lines.append(f"| {path} | " + " | ".join(cell(path, get) for _, get in columns) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser")
    parser.add_argument("--url", help="measure this running server instead of serving this checkout")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--changes", type=int, default=10, help="filter changes timed per page")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--out", type=Path, default=WORK / "browser.json")
    parser.add_argument("--compare", type=Path, help="an earlier --out file: print 'before -> after'")
    args = parser.parse_args(argv)
    missing = [str(p) for p in (AXE, *([] if args.no_lighthouse else [LIGHTHOUSE])) if not p.exists()]
    if missing or not shutil.which(CHROMIUM):
        print(
            "Missing: " + ", ".join(missing or [CHROMIUM]) + ". Install the tools with: npm install --prefix "
            ".test-tools -E lighthouse@12.2.3 axe-core@4.14.1 (and Chromium with apt-get install chromium).",
            file=sys.stderr,
        )
        return 2
    server = None
    url = args.url
    if url is None:
        location = os.environ.get("DASHBOARD_DB") or str(ROOT / "data" / "dashboard.duckdb")
        server, url = serve(location)
    try:
        results = measure(url.rstrip("/"), args.pages.split(","), args.changes, not args.no_lighthouse)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    before = json.loads(args.compare.read_text()) if args.compare else None
    print(table(results, before))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
