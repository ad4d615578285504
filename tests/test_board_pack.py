"""The board pack as a scheduled job makes it (the CLI), read back with pdftotext: the figures compute()
gives for the same filters, withheld cells as c, the filters and the as-of date stated. One pack is built
and every test reads it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters, period_label
from dashboard.metrics import compute, filter_options

from .test_cli import run


@pytest.fixture(scope="module")
def pack(demo_path, tmp_path_factory):
    """(text of the pack, database, the service chosen), on the session's demo database (only read)."""
    if not shutil.which("pdftotext") or not shutil.which("chromium"):
        pytest.skip("needs poppler-utils and chromium (scripts/test installs them)")
    folder = tmp_path_factory.mktemp("pack")
    location = demo_path
    db = Database.open(location)
    service = filter_options(db)["yjs"][-1]
    done = run("board-pack", "--db", location, "--yjs", service.upper(), "-o", folder / "pack.pdf")
    assert done.returncode == 0, done.stderr
    assert (folder / "pack.pdf").read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", folder / "pack.pdf"], capture_output=True, text=True).stdout
    assert "(A4)" in info
    text = subprocess.run(["pdftotext", "-layout", folder / "pack.pdf", "-"], capture_output=True, text=True).stdout
    return text, db, service


def _flat(text: str) -> str:
    return " ".join(text.split())


#: How the pack prints each column (counts with thousands commas; rates per 100,000 to one decimal place).
PRINTED = {
    "fte": "{:,.0f}",
    "fte_knife_or_weapon": "{:,.0f}",
    "population_10_17": "{:,.0f}",
    "rate_per_100000": "{:,.1f}",
    "count": "{:,.0f}",
}


def _cell(value, withheld: bool, column: str) -> str:
    return "c" if withheld else PRINTED[column].format(value)


def _has_row(text: str, *cells: str) -> bool:
    """A table row: these cells in order on one line, separated by spaces."""
    pattern = r"^\s*" + r"\s+".join(re.escape(c) for c in cells) + r"\s*$"
    return re.search(pattern, text, flags=re.MULTILINE) is not None


def _label(period: str, db) -> str:
    found = filter_options(db)
    partial = period_label(found["years"][-1]) if found["years"][-1] != found["latest_complete_year"] else None
    return f"{period} (part year)" if period == partial else period


def test_the_pack_states_the_filters_the_date_and_the_suppression_rule(pack):
    text, db, service = pack
    flat = _flat(text)
    assert f"Figures for: {compute(db, 'fte', Filters(yjs=service), scope=EVERYONE.scope).description}" in flat
    assert f"Data as at: {max(filter_options(db)['as_of'].values()):%-d %B %Y}" in flat
    assert "Counts from 1 to 4 are withheld and shown as c" in flat
    assert "Source: the service's case management extract" in flat
    assert "Open Government Licence" in flat
    assert "Page 1 of" in flat


def test_first_time_entrants_match_the_measure_with_withheld_cells_as_c(pack):
    text, db, service = pack
    result = compute(db, "fte", Filters(yjs=service), combine=True, scope=EVERYONE.scope)
    columns = ["fte", "fte_knife_or_weapon", "population_10_17", "rate_per_100000"]
    recent = result.table.tail(5)
    for index, row in recent.iterrows():
        cells = [_cell(row[c], result.withheld.loc[index, c], c) for c in columns]
        assert _has_row(text, _label(row["period"], db), *cells), (row["period"], cells)
    assert result.withheld.loc[recent.index, columns].any().any(), "the demo should withhold some cells here"


def test_the_reading_says_how_first_time_entrants_changed_on_last_year(pack):
    text, db, service = pack
    latest = filter_options(db)["latest_complete_year"]
    by_year = compute(db, "fte", Filters(yjs=service), combine=True, scope=EVERYONE.scope).table.set_index("period")[
        "fte"
    ]
    now, before = by_year[period_label(latest)], by_year[period_label(latest - 1)]
    change = round((now - before) / before * 100)
    numbers = f"({now:,.0f} in {period_label(latest)}, {before:,.0f} in {period_label(latest - 1)})"
    if change == 0:
        assert f"First-time entrants: about the same as the year before {numbers}" in _flat(text)
    else:
        verb = "rose" if change > 0 else "fell"
        assert f"First-time entrants {verb} {abs(change)}% on the year before {numbers}" in _flat(text)


def test_disposals_match_the_measure(pack):
    text, db, service = pack
    result = compute(db, "disposals", Filters(yjs=service), scope=EVERYONE.scope)
    periods = list(dict.fromkeys(result.table["period"]))[-5:]
    shown = result.table.assign(withheld=result.withheld["count"])
    checked = 0
    for kind, rows in shown[shown["period"].isin(periods)].groupby("disposal_type", sort=False):
        cells = [_cell(r.count, r.withheld, "count") for r in rows.itertuples()]
        name = kind.replace("_", " ").capitalize()
        if set(cells) == {"0"}:  # a type with none in any year shown is left out
            assert not _has_row(text, name, *cells)
            continue
        assert _has_row(text, name, *cells), (kind, cells)
        checked += 1
    assert checked >= 5


def test_the_pack_has_the_scorecard_of_every_kpi_as_the_page_says_it(pack):
    from dashboard.views import PAGES, Context, headline_figures

    text, db, service = pack
    flat = _flat(text)
    assert "Key performance indicators Each indicator over time" in flat
    with db.snapshot() as snap:
        tiles = headline_figures(Context(snap, EVERYONE), PAGES["kpis"], Filters(yjs=service))
    latest = tiles[0].detail.rsplit(", ", 1)[1]
    assert f"In {latest}, against the quarter before:" in flat
    for tile in tiles:
        # The row's first line: the title's first word, the figure, and its count ("179 of 257").
        first, value, count = tile.title.split()[0].strip(","), tile.value.split()[0], " ".join(tile.detail.split()[:3])
        pattern = rf"^\s*{re.escape(first)}\b.*\s{re.escape(value)}\s+{re.escape(count)}"
        assert re.search(pattern, text, flags=re.MULTILINE), tile.title


def test_significant_disproportionality_is_named(pack):
    text, db, service = pack
    result = compute(db, "disproportionality", Filters(yjs=service), scope=EVERYONE.scope)
    table = result.table
    significant = table[table["significant"].fillna(False).astype(bool) & (table["rri"] > 1)]
    flat = _flat(text)
    for row in significant.itertuples():
        assert f"{row.group} children at" in flat and f"{row.rri:.1f} times as likely" in flat
    if significant.empty:
        assert "no group was significantly more likely" in flat


def test_a_filter_not_in_the_data_is_refused_before_any_pack_is_made(tmp_path, pack):
    _, db, _ = pack
    done = run("board-pack", "--sex", "boys", "-o", tmp_path / "x.pdf", db=db.location)
    assert done.returncode == 2
    assert "unknown sex 'boys'" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_the_page_asks_for_the_pack_with_the_address_filters_as_options_and_nothing_else():
    from dashboard.filters import InvalidFilter, from_text, parse_query, to_flags

    def pack_arguments(search):
        return to_flags(from_text(parse_query(search)))

    assert pack_arguments("?period=2023-24&yjs=-o+%2Fetc%2Fpasswd&by_quarter=1&base=previous&x=1") == [
        "--period=2023-24",
        "--yjs=-o /etc/passwd",
        "--by-quarter",
    ]
    assert pack_arguments(None) == []
    for forged in ("?yjs=a&yjs=b", ["?yjs=a"], "?yjs=" + "x" * 5000):
        with pytest.raises(InvalidFilter):
            pack_arguments(forged)


def test_a_pack_made_as_an_account_holds_only_what_that_account_may_see(tmp_path, pack):
    """The dashboard's pack job passes the signed-in account; a scheduled pack can name one."""
    from dashboard import accounts

    _, db, _ = pack
    location = tmp_path / "copy.duckdb"
    shutil.copy(db.location, location)
    mine, other = filter_options(db)["yjs"][:2]
    accounts.add_user(str(location), "board1", "a long enough password", "board", (mine,))
    done = run("board-pack", "--as-user", "board1", "-o", tmp_path / "mine.pdf", db=location)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", tmp_path / "mine.pdf", "-"], capture_output=True, text=True).stdout
    assert mine in text and other not in text
    refused = run("board-pack", "--as-user", "board1", "--sex", "female", "-o", tmp_path / "x.pdf", db=location)
    assert refused.returncode == 2 and "whole-service figures" in refused.stderr
    unknown = run("board-pack", "--as-user", "nobody", "-o", tmp_path / "x.pdf", db=location)
    assert unknown.returncode == 2 and "no account 'nobody'" in unknown.stderr
    dates = run("board-pack", "--from", "2023-04-01", "--to", "2023-04-02", "-o", tmp_path / "x.pdf", db=location)
    assert dates.returncode == 2 and "--period" in dates.stderr
    assert not (tmp_path / "x.pdf").exists()
