"""Downloads: each chart as PNG or SVG, each page as an XLSX workbook, and the board pack as PDF.

Everything is rebuilt on the server from the address (filters and the page's settings, checked as the
page checks them) through the views registry, so a forged request gets at most what the screen would
show for valid values. The board pack takes seconds, so it runs as a background job with progress.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import dash_bootstrap_components as dbc
import diskcache
from dash import ALL, MATCH, Dash, DiskcacheManager, Input, Output, State, callback_context, ctx, dcc, html

from . import figures
from .components.chart_card import safe_filename
from .components.ids import URL, card
from .config import PROJECT_ROOT
from .edge import guarded, page_at, read_address, request_context
from .exports import page_workbook, static_images, titled
from .filters import InvalidFilter, from_text, parse_query, to_flags
from .settings import Settings
from .views import page as page_called
from .views import render_card, subtitle
from .web import session_user

log = logging.getLogger(__name__)
XLSX, XLSX_DOWNLOAD = "page-xlsx", "page-xlsx-download"
PACK, PACK_PROGRESS, PACK_DOWNLOAD = "board-pack", "board-pack-progress", "board-pack-download"
#: A progress line of ``python -m dashboard board-pack`` on stderr.
PROGRESS_LINE = re.compile(r"^\[\d\d:\d\d:\d\d\] (.*)")
#: Seconds a board pack may take before the job gives up.
PACK_TIMEOUT = 300


def page_downloads(page: str) -> html.Div:
    """The page's own downloads: its workbook, and the board pack for the current filters."""
    return html.Div([
        dbc.Button("Download workbook (XLSX)", id={"type": XLSX, "page": page}, color="secondary", outline=True,
                   size="sm", className="me-2", n_clicks=0, title="Every table on this page, with notes"),
        dbc.Button("Download board pack (PDF)", id=PACK, color="secondary", outline=True, size="sm", className="me-2",
                   n_clicks=0, title="A4 pack of every page's main chart for the current filters"),
        html.Span(id=PACK_PROGRESS, role="status", className="small"),
        dcc.Download(id=XLSX_DOWNLOAD), dcc.Download(id=PACK_DOWNLOAD),
    ], className="page-downloads mb-3")


def download_workbook(clicks, search):
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        return None
    spec = page_called(ctx.triggered_id.get("page"))
    context = request_context()
    filters, settings = read_address(spec, search, context)
    content = page_workbook(context, spec, filters, settings)
    return dcc.send_bytes(content, safe_filename(f"{spec.key}-{date.today()}", "xlsx"))


def download_image(png, svg, search, path):
    """The card's chart drawn again on the server for the same address, as PNG or SVG."""
    spec = page_at(path)
    if not isinstance(ctx.triggered_id, dict) or spec is None:
        return None
    fmt = ctx.triggered_id["type"].removeprefix("card-")
    context = request_context()
    filters, settings = read_address(spec, search, context)
    rendered = render_card(context, spec, spec.card(ctx.triggered_id.get("card")), filters, settings)
    if rendered.empty:
        return None
    image, = static_images([titled(figures.draw_card(rendered), rendered.title, subtitle(rendered.result))], fmt,
                           scale=2 if fmt == "png" else 1)
    return dcc.send_bytes(image, safe_filename(rendered.filename, fmt))


def download_board_pack(set_progress, clicks, search):
    """The board pack for the filters in the URL, made in a background job that reports its progress.

    The job runs ``python -m dashboard board-pack`` (what a scheduled pack runs) in a new process: a process
    forked from a web worker must not reuse the worker's database connection or Chromium."""
    if not clicks:
        return None
    try:
        # The job runs after its request: the pack shows what the signed-in account may see.
        user = session_user(callback_context.cookies)
        arguments = to_flags(from_text(parse_query(search))) + ([f"--as-user={user}"] if user else [])
    except InvalidFilter as exc:
        set_progress([f"No board pack: these filters cannot be shown: {exc}."])
        return None
    set_progress(["Board pack: starting (it takes about ten seconds)..."])
    try:
        pdf = _run_board_pack(arguments, set_progress)
    except (OSError, subprocess.SubprocessError):
        log.exception("board pack failed for %r", search)
        set_progress(["The board pack could not be made. The error has been logged."])
        return None
    if pdf is None:
        return None
    set_progress(["Board pack ready."])
    return dcc.send_bytes(pdf, safe_filename(f"board-pack-{date.today()}", "pdf"))


def _run_board_pack(arguments: list[str], set_progress) -> bytes | None:
    """``python -m dashboard board-pack`` in a new process, its progress lines passed on; None if it failed."""
    with tempfile.TemporaryDirectory(prefix="yjs-pack-") as folder:
        target = Path(folder) / "board-pack.pdf"
        job = subprocess.Popen([sys.executable, "-m", "dashboard", "board-pack", *arguments, "-o", str(target)],
                               cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        said, other = [], []
        for line in job.stderr:
            progress = PROGRESS_LINE.match(line)
            if progress:              # the CLI's progress lines: "[12:00:01] Drawing chart 2 of 6"
                said.append(progress.group(1).strip())
                set_progress([f"Board pack: {said[-1]}..."])
            elif line.startswith("error: "):
                said.append(line.strip())
            else:                     # anything else (a traceback) is for the log, never the page
                other.append(line.rstrip())
        if job.wait(timeout=PACK_TIMEOUT) == 0 and target.exists():
            return target.read_bytes()
    log.error("board pack failed: %s", " | ".join([*said[-5:], *other[-20:]]))
    message = said[-1].removeprefix("error: ") if said and said[-1].startswith("error: ") else None
    set_progress([f"No board pack: these filters cannot be shown: {message}." if message else
                  "The board pack could not be made. The error has been logged."])
    return None


def jobs_folder(settings: Settings) -> str:
    """Where background jobs keep their state: shared by the workers of one app, and kept apart from other
    apps on the machine (a job's key hashes the callback and its inputs, not the database)."""
    return str(settings.jobs_dir or os.path.join(
        tempfile.gettempdir(), "yjs-dashboard-jobs-" + hashlib.sha1(settings.db.encode()).hexdigest()[:12]))


def register(app: Dash, settings: Settings) -> None:
    """The download callbacks, for every page and card."""
    app.callback(Output(XLSX_DOWNLOAD, "data"), Input({"type": XLSX, "page": ALL}, "n_clicks"), State(URL, "search"),
                 prevent_initial_call=True)(guarded(lambda message: None)(download_workbook))
    app.callback(Output(card("image", MATCH), "data"), Input(card("png", MATCH), "n_clicks"),
                 Input(card("svg", MATCH), "n_clicks"), State(URL, "search"), State(URL, "pathname"),
                 prevent_initial_call=True)(guarded(lambda message: None)(download_image))
    jobs = DiskcacheManager(diskcache.Cache(jobs_folder(settings)))
    app.callback(Output(PACK_DOWNLOAD, "data"), Input(PACK, "n_clicks"), State(URL, "search"), background=True,
                 manager=jobs, progress=[Output(PACK_PROGRESS, "children")],
                 running=[(Output(PACK, "disabled"), True, False)], prevent_initial_call=True)(download_board_pack)
