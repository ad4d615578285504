"""Downloads: each chart as PNG or SVG, each page as an XLSX workbook, and the board pack as PDF.

Everything is rebuilt on the server from the address (filters and the page's settings, checked as the
page checks them) through the views registry, so a forged request gets at most what the screen would
show for valid values. Chart images and board packs are made away from the request workers, within
limits per account and in all (dashboard/jobs.py): an image by this worker's image process, the board
pack as a job the page polls each second, which only the account that started it can collect.
"""

from __future__ import annotations

import re
from datetime import date

import flask
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from . import figures
from .components.chart_card import download_button, safe_filename
from .components.ids import URL, card
from .edge import guarded, page_at, read_address, request_context, request_owner
from .exports import IMAGE_WIDTH, page_workbook, titled
from .filters import InvalidFilter, from_text, one_group, parse_query, to_flags
from .jobs import Busy, Work
from .settings import Settings
from .views import page as page_called
from .views import render_card, subtitle

XLSX, XLSX_DOWNLOAD = "page-xlsx", "page-xlsx-download"
PACK, PACK_PROGRESS, PACK_DOWNLOAD = "board-pack", "board-pack-progress", "board-pack-download"
#: The board pack job the page started (its key), and the timer that asks how it is going.
PACK_JOB, PACK_POLL = "board-pack-job", "board-pack-poll"
POLL_MILLISECONDS = 1000
WORK = "dashboard-work"


def page_downloads(page: str) -> html.Div:
    """The page's own downloads: its workbook, and the board pack for the current filters."""
    return html.Div(
        [
            download_button(
                "Download workbook (XLSX)", {"type": XLSX, "page": page}, "Every table on this page, with notes"
            ),
            download_button(
                "Download board pack (PDF)", PACK, "A4 pack of every page's main chart for the current filters"
            ),
            html.Span(id=PACK_PROGRESS, role="status", className="small"),
            dcc.Download(id=XLSX_DOWNLOAD),
            dcc.Download(id=PACK_DOWNLOAD),
            dcc.Store(id=PACK_JOB),
            dcc.Interval(id=PACK_POLL, interval=POLL_MILLISECONDS, disabled=True),
        ],
        className="page-downloads mb-3",
    )


def download_workbook(clicks, search):
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        return None
    spec = page_called(ctx.triggered_id.get("page"))
    context = request_context()
    filters, settings = read_address(spec, search, context)
    content = page_workbook(context, spec, filters, settings)
    return dcc.send_bytes(content, safe_filename(f"{spec.key}-{date.today()}", "xlsx"))


def download_image(png, svg, search, path):
    """The card's chart drawn again on the server for the same address, as PNG or SVG, by the image
    process; a plain message beside the buttons when a limit says no (before any work is done)."""
    spec = page_at(path)
    if not isinstance(ctx.triggered_id, dict) or spec is None:
        return None, None
    fmt = ctx.triggered_id["type"].removeprefix("card-")
    images = _work().images
    try:
        with images.turn(request_owner()):
            context = request_context()
            filters, settings = read_address(spec, search, context)
            rendered = render_card(context, spec, spec.card(ctx.triggered_id.get("card")), filters, settings)
            if rendered.empty:
                return None, None
            figure = titled(figures.draw_card(rendered), rendered.title, subtitle(rendered.result))
            image = images.draw(figure.to_json(), fmt, width=IMAGE_WIDTH, scale=2 if fmt == "png" else 1)
    except Busy as exc:
        return None, str(exc)
    return dcc.send_bytes(image, safe_filename(rendered.filename, fmt)), ""


def board_pack(clicks, polls, search, key):
    """A click starts the board pack for the address's filters; then, each second, the page asks how it
    is going, and gets the PDF once it is made. Outputs: the download, the job's key, the timer off,
    the progress line, the button off while a pack is being made."""
    packs, owner = _work().packs, request_owner()
    if ctx.triggered_id == PACK:
        try:
            started = packs.start(owner, to_flags(one_group(from_text(parse_query(search)))))
        except InvalidFilter as exc:
            return None, None, True, f"No board pack: these filters cannot be shown: {exc}.", False
        except Busy as exc:
            return None, None, True, str(exc), False
        return None, started.key, False, started.message, True
    state = packs.poll(owner, key) if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{64}", key) else None
    if state is None:
        return None, None, True, "This board pack is no longer available. Please ask for it again.", False
    if state.running:
        return no_update, no_update, no_update, state.message, no_update
    if state.pdf is None:
        return None, None, True, state.message, False
    return (
        dcc.send_bytes(state.pdf, safe_filename(f"board-pack-{date.today()}", "pdf")),
        None,
        True,
        state.message,
        False,
    )


def _work() -> Work:
    """The image process and the pack jobs of the app handling this request."""
    return flask.current_app.extensions[WORK]


def register(app: Dash, settings: Settings) -> None:
    """The download callbacks, for every page and card."""
    app.server.extensions[WORK] = Work.for_settings(settings)
    app.callback(
        Output(XLSX_DOWNLOAD, "data"),
        Input({"type": XLSX, "page": ALL}, "n_clicks"),
        State(URL, "search"),
        prevent_initial_call=True,
    )(guarded(lambda message: None)(download_workbook))
    app.callback(
        Output(card("image", MATCH), "data"),
        Output(card("image-status", MATCH), "children"),
        Input(card("png", MATCH), "n_clicks"),
        Input(card("svg", MATCH), "n_clicks"),
        State(URL, "search"),
        State(URL, "pathname"),
        prevent_initial_call=True,
    )(guarded(lambda message: (None, message))(download_image))
    app.callback(
        Output(PACK_DOWNLOAD, "data"),
        Output(PACK_JOB, "data"),
        Output(PACK_POLL, "disabled"),
        Output(PACK_PROGRESS, "children"),
        Output(PACK, "disabled"),
        Input(PACK, "n_clicks"),
        Input(PACK_POLL, "n_intervals"),
        State(URL, "search"),
        State(PACK_JOB, "data"),
        prevent_initial_call=True,
    )(guarded(lambda message: (None, None, True, message, False))(board_pack))
