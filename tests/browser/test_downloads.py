"""Downloads in a real Chromium against the running app: the workbook, a chart image and the board pack."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

from dashboard.db import Database
from dashboard.metrics import filter_options

from .conftest import open_page


def test_the_workbook_and_a_chart_image_download_as_valid_files(page, app_url, demo_db):
    service = filter_options(Database.open(demo_db))["yjs"][0]
    open_page(page, f"{app_url}/first-time-entrants?yjs={service}")
    with page.expect_download(timeout=90_000) as download:  # generous: CI machines are often busy
        page.get_by_role("button", name="Download workbook (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["Notes", "fte-rate", "fte-count", "fte-compared"]
    assert service in dict(book["Notes"].iter_rows(values_only=True))["Figures for"]
    with page.expect_download(timeout=90_000) as download:
        page.locator("#card-fte-count button", has_text="Download SVG").click()
    assert download.value.suggested_filename == "first-time-entrants-count.svg"
    assert b"<svg" in Path(download.value.path()).read_bytes()[:300]


def test_the_board_pack_is_made_in_the_background_with_progress(page, app_url):
    open_page(page, app_url + "/")
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download board pack (PDF)").click()
        page.wait_for_function(
            "() => document.querySelector('#board-pack-progress').innerText.startsWith('Board pack')"
        )
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    assert download.value.suggested_filename.startswith("board-pack-")
    page.wait_for_function("() => document.querySelector('#board-pack-progress').innerText === 'Board pack ready.'")
    assert page.get_by_role("button", name="Download board pack (PDF)").is_enabled()


@pytest.mark.parametrize("path", ["/", "/first-time-entrants", "/disproportionality", "/reoffending"])
def test_printing_a_page_gives_clean_pages(page, app_url, path, tmp_path):
    """No navigation or buttons printed, and no page left blank: at most a page for every two charts."""
    open_page(page, app_url + path + "?sex=female")
    page.emulate_media(media="print")
    for hidden in (".site-nav", ".page-downloads", ".card-footer .btn"):
        assert all(not e.is_visible() for e in page.locator(hidden).all()), hidden
    assert page.locator("#filter-sex").is_visible()  # the filters printed say what the figures are for
    charts = page.locator(".chart-card").count()
    page.pdf(path=tmp_path / "printed.pdf", format="A4")
    info = subprocess.run(["pdfinfo", tmp_path / "printed.pdf"], capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, flags=re.MULTILINE).group(1))
    assert 1 <= pages <= max(1, (charts + 1) // 2), (pages, charts)
    for number in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), tmp_path / "printed.pdf", "-"],
            capture_output=True,
            text=True,
        ).stdout
        assert text.strip(), f"page {number} of {pages} is blank"
