"""The board pack: a few A4 pages for the current filters, to read before and in the meeting.

Made from the pages' own declarations (dashboard/views: the same measures, figures and suppression):
the overview's headline figures, then each page's pack section (``PageSpec.pack``: a card's chart, a
reading in plain words computed from its numbers, and a table), printed to PDF by Chromium from a
Jinja2 template. Charts are SVG, so they stay sharp when printed or zoomed.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import config, figures
from .exports import static_images
from .filters import Filters
from .views import PAGES, Card, Context, headline_figures, render_page, subtitle
from .views.texts import SMALL_NUMBERS, code_words, heading

CHROMIUM = "/usr/bin/chromium"
TITLE = "Youth justice partnership: board pack"
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())


@dataclass
class Section:
    title: str
    reading: str
    card: Card
    table: pd.DataFrame
    note: str = ""
    #: Columns holding shares (0.35), printed as percentages (35%).
    percent: tuple[str, ...] = ()


def build(context: Context, filters: Filters, progress=None) -> bytes:
    """The pack as PDF bytes. ``progress(text)`` hears how far it has got (for the page's progress line)."""
    say = progress or (lambda text: None)
    say("Working out the figures")
    kpis, sections = headline_figures(context, PAGES["overview"], filters), sections_for(context, filters)
    images = static_images(
        [figures.draw_card(s.card) for s in sections],
        "svg",
        progress=lambda done, total: say(f"Drawing chart {done} of {total}"),
    )
    say("Printing the PDF")
    overview = PAGES["overview"]
    note = overview.headline_note(context, filters) if overview.headline_note else ""
    return print_pdf(compose(context, kpis, sections, images, note))


def sections_for(context: Context, filters: Filters) -> list[Section]:
    """Each page's pack section: its chosen card (by id), reading and table, with the page's default settings."""
    sections = []
    for page in PAGES.values():
        if page.pack is None:
            continue
        settings = page.read_settings({}, context.options)
        cards = {card.spec.id: card for card in render_page(context, page, filters, settings)}
        pack = page.pack
        sections.append(
            Section(
                pack.title or page.name,
                pack.reading(cards, context),
                cards[pack.card],
                pack.table(cards, context),
                pack.note,
                pack.percent,
            )
        )
    return sections


def compose(context: Context, kpis, sections: list[Section], images: list[bytes], headline_note: str = "") -> str:
    """The pack as one HTML document with print CSS: A4, numbered pages, a chart per page."""
    as_of = f"{context.as_of:%-d %B %Y}"
    partial = context.part_year
    shown = [
        {
            "title": s.title,
            "card": s.card,
            "reading": s.reading,
            "note": s.note,
            "figures_for": subtitle(s.card.result),
            "svg": _svg(image) if len(s.table) else "",
            "headings": [_label(heading(c, s.card.result.metric), partial) for c in s.table.columns],
            "rows": [
                [
                    _cell(_label(v, partial) if isinstance(v, str) else v, column in s.percent)
                    for column, v in zip(s.table.columns, row)
                ]
                for row in s.table.itertuples(index=False, name=None)
            ],
        }
        for s, image in zip(sections, images)
    ]
    return TEMPLATES.get_template("board_pack.html").render(
        title=TITLE,
        figures_for=subtitle(sections[0].card.result),
        as_of=as_of,
        made=f"{date.today():%-d %B %Y}",
        part_year=partial,
        kpis=kpis,
        headline_note=headline_note,
        sections=shown,
        small_numbers=SMALL_NUMBERS,
        definitions=[(p.name, p.definition) for p in PAGES.values() if p.definition],
        sources=list(dict.fromkeys(s.card.source for s in sections)),
    )


def _svg(image: bytes) -> str:
    """kaleido's SVG, sized by the page (it keeps its viewBox, so it scales without losing sharpness)."""
    text = image.decode("utf-8")
    return text[text.index("<svg") :]


def _label(text: str, part_year: str | None) -> str:
    return f"{text} (part year)" if part_year and text == part_year else text


def _cell(value, percent: bool = False) -> dict:
    if isinstance(value, bool):
        return {"text": "yes" if value else "no", "number": False}
    if isinstance(value, (int, float)):
        return {"text": f"{value:.0%}" if percent else number(value), "number": True}
    if value == config.SUPPRESSED_MARK:
        return {"text": value, "number": True}
    # Codes (REFERRAL_ORDER, pre_court) become words; text already in words (a sentence) stays as written,
    # so a withheld "c" inside it is not made a capital.
    return {"text": value if " " in value else code_words(value), "number": False}


def number(value: float) -> str:
    """Whole numbers as 1,234; rates to one decimal place, ratios and shares (under 10) to two."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:,.1f}"


def print_pdf(document: str) -> bytes:
    """Print the HTML to PDF with Debian's Chromium, headless, offline, in a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="yjs-pack-") as folder:
        source, target = Path(folder) / "pack.html", Path(folder) / "pack.pdf"
        source.write_text(document, encoding="utf-8")
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--no-pdf-header-footer",
                f"--user-data-dir={folder}/profile",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return target.read_bytes()
