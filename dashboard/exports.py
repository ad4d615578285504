"""What people take away from the dashboard: chart images (kaleido) and workbooks (openpyxl).

Both are made from what the pages show (figures and shown tables, withheld cells as c, through the
views registry), never from queries of their own, so an export cannot hold a number the screen does not.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import select
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from . import config
from .ingest.public import BOUNDARIES
from .views import PAGES, Context, PageSpec, headline_figures, render_page, subtitle
from .views.texts import SERVICE_NAME, SMALL_NUMBERS, heading, spreadsheet_safe

#: Chart images: A4 text width at print resolution, or a slide.
IMAGE_WIDTH = 1000
#: The map's base layer, served with the app (kaleido would otherwise fetch it from plotly's CDN).
TOPOJSON = (config.PROJECT_ROOT / "assets" / "topojson").as_uri() + "/"
#: An image process nobody has asked for a figure for this long ends (its Chromium holds ~150 MB).
IMAGE_IDLE_SECONDS = 600


def static_images(
    figures: list[go.Figure], fmt: str = "svg", *, width: int = IMAGE_WIDTH, scale: float = 1, progress=None
) -> list[bytes]:
    """Each figure as SVG or PNG, drawn by kaleido in one warm Chromium in this process (the first image
    costs ~3 s, the rest ~0.2 s): for the command line. ``progress(done, total)`` is called after each."""
    import kaleido

    async def draw() -> list[bytes]:
        images = []
        async with kaleido.Kaleido(n=1, mathjax=False) as session:
            for figure in figures:
                images.append(await _draw(session, figure.to_dict(), fmt, width, scale))
                if progress:
                    progress(len(images), len(figures))
        return images

    # A thread of its own, so this works whether or not the caller already runs an event loop.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, draw()).result()


async def _draw(session, figure: dict, fmt: str, width: int, scale: float) -> bytes:
    ready = _self_contained(figure)
    height = ready.get("layout", {}).get("height") or 460
    return await session.calc_fig(
        ready, opts={"format": fmt, "width": width, "height": height, "scale": scale}, topojson=TOPOJSON
    )


def serve_images(requests: int = 0, answers: int = 1, idle: float = IMAGE_IDLE_SECONDS) -> None:
    """The image process a web worker starts (dashboard/jobs.py): a figure in (its options, a newline,
    plotly's JSON), ``ok``/``no``, a newline and the image (or the error) out, one at a time, in one warm
    Chromium at low priority, so the clicks of everyone else come first. It ends when the worker closes
    the pipe, or after ``idle`` seconds without a figure."""
    import kaleido

    os.nice(10)
    out = os.fdopen(os.dup(answers), "wb")
    os.dup2(2, answers)  # whatever else writes to standard output must not end up in an answer

    async def run() -> None:
        async with kaleido.Kaleido(n=1, mathjax=False) as session:
            while True:
                try:
                    request = await asyncio.to_thread(read_message, requests, time.monotonic() + idle)
                except (EOFError, TimeoutError):
                    return
                asked, _, figure = request.partition(b"\n")
                options = json.loads(asked)
                try:
                    image = await _draw(
                        session, json.loads(figure), options["format"], options["width"], options["scale"]
                    )
                    write_message(out, b"ok\n" + image)
                except Exception as exc:  # said to the worker, which logs it
                    write_message(out, b"no\n" + f"{type(exc).__name__}: {exc}".encode())

    asyncio.run(run())


def write_message(stream, payload: bytes) -> None:
    """One message: its length (8 bytes), then the bytes."""
    data = memoryview(struct.pack(">Q", len(payload)) + payload)
    while data:
        data = data[stream.write(data) :]
    stream.flush()


def read_message(handle: int, deadline: float) -> bytes:
    """One message from the file descriptor ``handle``: EOFError at its end, TimeoutError past ``deadline``
    (a ``time.monotonic()``)."""
    (size,) = struct.unpack(">Q", _read_exactly(handle, 8, deadline))
    return _read_exactly(handle, size, deadline)


def _read_exactly(handle: int, size: int, deadline: float) -> bytes:
    chunks, left = [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([handle], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(handle, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def titled(figure: go.Figure, title: str, subtitle: str) -> go.Figure:
    """A copy with the card's title and filters written on it: a pasted image must say what it shows."""
    top = (figure.layout.margin.t or 20) + 80
    return go.Figure(figure).update_layout(
        title={
            "text": f"<b>{title}</b>",
            "subtitle": {"text": subtitle, "font": {"size": 13}},
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 12},
            "font": {"size": 17},
        },
        margin={"t": top},
        height=(figure.layout.height or 460) + 80,
    )


def _self_contained(figure: dict) -> dict:
    """The figure with the map's boundaries inlined: on screen the browser fetches them from the app."""
    if not any(trace.get("geojson") == config.BOUNDARIES_URL for trace in figure.get("data", [])):
        return figure
    boundaries = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    return {
        **figure,
        "data": [
            {**trace, "geojson": boundaries} if trace.get("type") == "choropleth" else trace for trace in figure["data"]
        ],
    }


def page_workbook(context: Context, spec: PageSpec, filters, settings) -> bytes:
    """One sheet per table of the page as shown (withheld cells c): its headline figures and each card's
    table, and a Notes sheet first."""
    sheets: dict[str, pd.DataFrame] = {}
    if spec.kpis:
        sheets["headline figures"] = pd.DataFrame(
            [
                (
                    k.title,
                    k.value,
                    k.detail,
                    k.change,
                    "; ".join(words for words, _ in k.also),
                    "; ".join(k.facts),
                    k.quality,
                    k.standing,
                    k.note,
                )
                for k in headline_figures(context, spec, filters)
            ],
            columns=[
                "Measure",
                "Latest",
                "Out of",
                "Change",
                "Also",
                "Read with it",
                "Not recorded",
                "Compared with others",
                "Covers",
            ],
        )
    if spec.cards:
        cards = render_page(context, spec, filters, settings)
        sheets.update(
            {
                card.spec.id: card.table().rename(columns=lambda c, card=card: heading(c, card.result.metric))
                for card in cards
            }
        )
        about = [("Figures for", subtitle(cards[0].result))] + [
            (f"Sheet {card.spec.id}", f"{card.title}. {subtitle(card.result)}.") for card in cards
        ]
        about += [("Source", source) for source in dict.fromkeys(card.source for card in cards)]
        about += [(f"Note ({card.spec.id})", note) for card in cards for note in card.notes]
        definitions = [(spec.name, spec.definition)]
    else:
        whole = context.measure("fte", replace(filters, period=None, by_quarter=False), combine=True)
        cohort = whole.chosen or "every service and child"
        note = spec.headline_note(context, filters) if spec.headline_note else ""
        about = [
            (
                "Figures for",
                f"{cohort}: each headline figure's year or cohort is in its 'covers' column. {note}".strip(),
            )
        ]
        definitions = [(p.name, p.definition) for p in PAGES.values() if p.definition]
    as_of = f"{context.as_of:%-d %B %Y}"
    partial = [("Part year", f"{context.part_year} runs only to {as_of}.")] if context.part_year else []
    notes = [
        ("Dashboard", SERVICE_NAME),
        *about,
        ("Data as at", as_of),
        *partial,
        ("Made", f"{date.today():%-d %B %Y}"),
        *definitions,
        ("Small numbers", SMALL_NUMBERS),
    ]
    return workbook(sheets, notes)


def workbook(sheets: dict[str, pd.DataFrame], notes: list[tuple[str, str]]) -> bytes:
    """An XLSX: a Notes sheet first (what, for which filters, source, suppression), then one sheet per
    table as shown on screen. Numbers stay numbers; a withheld cell is the text c."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Notes"
    for label, text in notes:
        sheet.append([label, text])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 28, 110
    used = {"notes"}
    for name, table in sheets.items():
        title = _sheet_name(name, used)
        sheet = book.create_sheet(title)
        sheet.append([spreadsheet_safe(str(c)) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(column) + 4)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique regardless of case."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:28] or "Sheet"
    title, number = base, 2
    while title.lower() in used:
        title, number = f"{base} {number}", number + 1
    used.add(title.lower())
    return title


def _cell(value):
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return None
    return spreadsheet_safe(value.item() if hasattr(value, "item") else value)


if __name__ == "__main__":
    serve_images()
    sys.exit(0)
