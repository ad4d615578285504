"""Downloads: each chart as PNG or SVG, each page as an XLSX workbook, and the board pack as PDF.

Everything is rebuilt on the server from the URL's filters and the page's settings through
``_charts.page_charts``, which checks them, so a forged request gets at most what the screen would
show for valid filters. The board pack takes seconds, so it runs as a background job with progress.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import dash_bootstrap_components as dbc
import diskcache
import pandas as pd
from dash import ALL, MATCH, DiskcacheManager, Input, Output, State, callback, callback_context, ctx, dcc, html

from dashboard.app_shell import SERVICE_NAME
from dashboard.cli import board_pack_arguments
from dashboard.components.chart_card import safe_filename, shown_table, subtitle
from dashboard.components.ids import URL, card
from dashboard.config import PROJECT_ROOT, database_location
from dashboard.exports import SUPPRESSION_RULE, static_images, titled, workbook
from dashboard.filters import InvalidFilter
from dashboard.pages._charts import DEFINITIONS, headline_figures, page_charts
from dashboard.pages._common import as_of, guarded, measure, part_year
from dashboard.web import session_user

log = logging.getLogger(__name__)
XLSX, XLSX_DOWNLOAD = "page-xlsx", "page-xlsx-download"
PACK, PACK_PROGRESS, PACK_DOWNLOAD = "board-pack", "board-pack-progress", "board-pack-download"
#: Seconds a board pack may take before the job gives up.
PACK_TIMEOUT = 300
#: Where background jobs (the board pack) keep their state: shared by the workers of one app, and kept apart
#: from other apps on the machine (a job's key hashes the callback and its inputs, not the database).
JOBS = DiskcacheManager(diskcache.Cache(os.environ.get("DASHBOARD_JOBS_DIR") or os.path.join(
    tempfile.gettempdir(), "yjs-dashboard-jobs-" + hashlib.sha1(database_location().encode()).hexdigest()[:12])))


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


def page_workbook(page, search, settings=None) -> bytes:
    """One sheet per table of the page as shown (withheld cells c), and a Notes sheet first."""
    if page == "overview":
        kpis = headline_figures(search)
        sheets = {"headline figures": pd.DataFrame(
            [(k.title, k.value, k.change, k.note) for k in kpis], columns=["measure", "latest", "change", "covers"])}
        cohort = measure("fte", search, combine=True).description.partition(", ")[2] or "every service and child"
        about = [("Figures for", f"{cohort}: the latest full financial year against the year before (the period "
                                 "chosen does not apply to headline figures).")]
        definitions = list(DEFINITIONS.values())
    else:
        charts = page_charts(page, search, settings)
        sheets = {chart.card_id: shown_table(chart.result, chart.columns) for chart in charts}
        about = [("Figures for", subtitle(charts[0].result))] + [
            (f"Sheet {chart.card_id}", f"{chart.title}. {subtitle(chart.result)}.") for chart in charts]
        about += [("Source", source) for source in dict.fromkeys(chart.source for chart in charts)]
        definitions = [DEFINITIONS[page]]
    partial = [("Part year", f"{part_year()} runs only to {as_of():%-d %B %Y}.")] if part_year() else []
    notes = [("Dashboard", SERVICE_NAME), *about, ("Data as at", f"{as_of():%-d %B %Y}"), *partial,
             ("Made", f"{date.today():%-d %B %Y}"), *definitions, ("Small numbers", SUPPRESSION_RULE)]
    return workbook(sheets, notes)


@callback(Output(XLSX_DOWNLOAD, "data"), Input({"type": XLSX, "page": ALL}, "n_clicks"), State(URL, "search"),
          State(card("made-by", ALL), "data"), prevent_initial_call=True)
@guarded(lambda message: None)
def download_workbook(clicks, search, made_by):
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        return None
    page = ctx.triggered_id.get("page")
    settings = next((m.get("settings") for m in made_by or [] if isinstance(m, dict) and m.get("page") == page), None)
    content = page_workbook(page, search, settings)
    return dcc.send_bytes(content, safe_filename(f"{page}-{date.today()}", "xlsx"))


@callback(Output(card("image", MATCH), "data"), Input(card("png", MATCH), "n_clicks"),
          Input(card("svg", MATCH), "n_clicks"), State(URL, "search"), State(card("made-by", MATCH), "data"),
          prevent_initial_call=True)
@guarded(lambda message: None)
def download_image(png, svg, search, made_by):
    """The card's chart drawn again on the server for the same filters and settings, as PNG or SVG."""
    if not isinstance(ctx.triggered_id, dict) or not isinstance(made_by, dict):
        return None
    fmt = ctx.triggered_id["type"].removeprefix("card-")
    chart = next((c for c in page_charts(made_by.get("page"), search, made_by.get("settings"))
                  if c.card_id == ctx.triggered_id["card"]), None)
    if chart is None or chart.result.table.empty:
        return None
    figure = titled(chart.figure, chart.title, subtitle(chart.result))
    image, = static_images([figure], fmt, scale=2 if fmt == "png" else 1)
    return dcc.send_bytes(image, safe_filename(chart.filename, fmt))


@callback(Output(PACK_DOWNLOAD, "data"), Input(PACK, "n_clicks"), State(URL, "search"), background=True,
          manager=JOBS, progress=[Output(PACK_PROGRESS, "children")],
          running=[(Output(PACK, "disabled"), True, False)], prevent_initial_call=True)
def download_board_pack(set_progress, clicks, search):
    """The board pack for the filters in the URL, made in a background job that reports its progress.

    The job runs ``python -m dashboard board-pack`` (what a scheduled pack runs) in a new process: a process
    forked from a web worker must not reuse the worker's database connection or Chromium."""
    if not clicks:
        return None
    try:
        # The job runs after its request: the pack shows what the signed-in account may see.
        user = session_user(callback_context.cookies)
        arguments = board_pack_arguments(search) + ([f"--as-user={user}"] if user else [])
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
        said = []
        for line in job.stderr:       # the CLI's progress lines: "[12:00:01] Drawing chart 2 of 6"
            said.append(line.split("] ", 1)[-1].strip())
            set_progress([f"Board pack: {said[-1]}..."])
        if job.wait(timeout=PACK_TIMEOUT) == 0 and target.exists():
            return target.read_bytes()
    log.error("board pack failed: %s", " | ".join(said[-5:]))
    message = said[-1].removeprefix("error: ") if said and said[-1].startswith("error: ") else None
    set_progress([f"No board pack: these filters cannot be shown: {message}." if message else
                  "The board pack could not be made. The error has been logged."])
    return None
