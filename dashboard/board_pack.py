"""The board pack: a few A4 pages for the current filters, to read before and in the meeting.

Made from the same charts the pages show (``pages._charts``: the same measures, figures and suppression),
each with a reading in plain words computed from its numbers, then printed to PDF by Chromium.
Charts are SVG, so they stay sharp when printed or zoomed.
"""

from __future__ import annotations

import html
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from . import config
from .components.chart_card import shown_table, subtitle
from .exports import SUPPRESSION_RULE, static_images
from .filters import period_label
from .pages import _charts as charts
from .pages._common import as_of, options

CHROMIUM = "/usr/bin/chromium"
#: Tables in the pack show the latest years only; the chart and the workbook have them all.
TABLE_YEARS = 5
TITLE = "Youth justice partnership: board pack"


@dataclass
class Section:
    title: str
    reading: str
    chart: charts.Chart
    table: pd.DataFrame
    note: str = ""


def build(search: str | None, progress=None) -> bytes:
    """The pack as PDF bytes. ``progress(text)`` hears how far it has got (for the page's progress line)."""
    say = progress or (lambda text: None)
    say("Working out the figures")
    kpis, sections = charts.headline_figures(search), _sections(search)
    images = static_images([s.chart.figure for s in sections], "svg",
                           progress=lambda done, total: say(f"Drawing chart {done} of {total}"))
    say("Printing the PDF")
    return print_pdf(compose(search, kpis, sections, images))


def _sections(search) -> list[Section]:
    fte_rate, fte_count = charts.page_charts("first-time-entrants", search)
    disposals, = charts.page_charts("disposals", search)
    _, referrals = charts.page_charts("referrals", search)
    rri, _ = charts.page_charts("disproportionality", search)
    _, curve = charts.page_charts("reoffending", search)
    _, _, regions, _ = charts.page_charts("compare-areas", search)
    counts = _by_period(fte_count.result, "fte")
    rates = _by_period(fte_count.result, "rate_per_100000")
    return [
        Section("First-time entrants", " ".join([
            year_on_year(counts, "First-time entrants", "{:,.0f}"),
            year_on_year(rates, "The rate per 100,000 children aged 10 to 17", "{:,.0f}")]),
            fte_rate, _recent(shown_table(fte_count.result))),
        Section("Disposals", year_on_year(_total(disposals.result, "count"), "Programmes started", "{:,.0f}"),
                disposals, _pivot(disposals.result, "disposal_type", "count")),
        Section("Referrals", year_on_year(_total(referrals.result, "count"), "Referrals", "{:,.0f}"),
                referrals, _pivot(referrals.result, "locality", "count")),
        Section("Disproportionality", _gaps(rri.result), rri,
                shown_table(rri.result, ["stage", "group", "count", "base", "rate_per_1000", "rri", "ci_low",
                                         "ci_high", "significant"]).loc[lambda t: t["stage"] != "population"]),
        Section("Reoffending after a programme", _reoffended(curve.result), curve,
                shown_table(curve.result, ["cohort", "day", "at_risk", "reoffended", "ci_low", "ci_high"])
                .loc[charts.within_a_year(curve.result).index].tail(TABLE_YEARS)),
        Section("Compare areas (published data)", _regions(regions.result), regions,
                shown_table(regions.result, charts.AREA_COLUMNS)),
    ]


def _by_period(result, column: str) -> pd.Series:
    return result.table.set_index("period")[column]


def _total(result, column: str) -> pd.Series:
    """Each period's total; unknown (null) for a period with any withheld cell, which has no honest total."""
    return result.table.groupby("period", sort=False)[column].sum(min_count=1).where(
        ~result.withheld.groupby(result.table["period"], sort=False)[column].any())


def part_year() -> str | None:
    """The latest period's label when the data stops inside it (it is not compared with a full year)."""
    found = options()
    latest = found["years"][-1] if found["years"] else None
    return period_label(latest) if latest is not None and latest != found["latest_complete_year"] else None


def year_on_year(values: pd.Series, what: str, number: str) -> str:
    """'First-time entrants fell 21% on last year (120 in 2024-25, 152 in 2023-24).' from values by period;
    the part year is left out, and a withheld figure means 'too few to compare'."""
    partial = part_year()
    full = values[[p != partial for p in values.index]]
    if full.empty:
        return f"{what}: no full year in the period chosen."
    latest = full.index[-1]
    if len(full) == 1:
        shown = "c (withheld)" if pd.isna(full.iloc[-1]) else number.format(full.iloc[-1])
        return f"{what}: {shown} in {latest}; there is no earlier year in the period chosen to compare with."
    now, before, earlier = full.iloc[-1], full.iloc[-2], full.index[-2]
    if pd.isna(now) or pd.isna(before):
        return f"{what}: too few to compare {latest} with {earlier} (numbers withheld)."
    both = f"({number.format(now)} in {latest}, {number.format(before)} in {earlier})"
    if before == 0 or round(abs(now - before) / before * 100) == 0:
        return f"{what} were about the same as the year before {both}."
    change = (now - before) / before * 100
    return f"{what} {'rose' if change > 0 else 'fell'} {abs(change):.0f}% on the year before {both}."


def _gaps(result) -> str:
    found = charts.significant_gaps(result)
    period = result.description.split(",")[0]
    if found.empty:
        return f"In {period}, no group was significantly more likely than {charts.reference_group(result)} children " \
               "to reach any stage."
    listed = "; ".join(f"{r.group} children at {charts.STAGE_WORDS[r.stage]}: {r.rri:.1f} times as likely"
                       for r in found.itertuples())
    return (f"In {period}, {len(found)} significant gap(s) against {charts.reference_group(result)} children: "
            f"{listed}. Other differences could be chance.")


def _reoffended(result) -> str:
    year = charts.within_a_year(result)
    if year.empty:
        return "No programme ended in the period with enough children followed up to show."
    words = [f"{r.cohort}: {r.reoffended:.0%} within {r.day} days" for r in year.tail(TABLE_YEARS).itertuples()]
    return ("Share of children who reoffended after their programme ended, by the year it started: "
            + "; ".join(words) + ". Later years have been followed up for less time.")


def _regions(result) -> str:
    shown = result.table.dropna(subset=["rate_per_1000"]).sort_values("rate_per_1000", ascending=False)
    if shown.empty:
        return "No published figures."
    top, bottom = shown.iloc[0], shown.iloc[-1]
    return (f"In {top['period']}, {top['region']} had the highest rate ({top['rate_per_1000']:.1f} per 1,000 "
            f"children aged 10 to 17) and {bottom['region']} the lowest ({bottom['rate_per_1000']:.1f}).")


def _recent(table: pd.DataFrame) -> pd.DataFrame:
    periods = list(dict.fromkeys(table["period"]))[-TABLE_YEARS:]
    return table[table["period"].isin(periods)]


def _pivot(result, rows: str, value: str) -> pd.DataFrame:
    """Periods across, ``rows`` down, the latest years only; withheld cells read c."""
    table = _recent(shown_table(result, ["period", rows, value]))
    wide = table.pivot_table(index=rows, columns="period", values=value, aggfunc="first", sort=False)
    return wide.reindex(columns=list(dict.fromkeys(table["period"]))).reset_index().fillna("")


def compose(search, kpis: list[charts.Kpi], sections: list[Section], images: list[bytes]) -> str:
    """The pack as one HTML document with print CSS: A4, numbered pages, a chart per page."""
    described = subtitle(sections[0].chart.result)
    partial = part_year()
    header = [
        f"<h1>{_e(TITLE)}</h1>",
        f"<p class='filters'><strong>Figures for:</strong> {_e(described)}</p>",
        f"<p class='filters'><strong>Data as at:</strong> {as_of():%-d %B %Y}. "
        f"<strong>Made:</strong> {date.today():%-d %B %Y} from the dashboard, for the filters above.</p>",
    ]
    if partial:
        header.append(f"<p class='note'>{partial} is a part year (to {as_of():%-d %B %Y}): it is shown in the "
                      "charts but not compared with full years.</p>")
    kpi_rows = "".join(f"<tr><th scope='row'>{_e(k.title)}</th><td class='value'>{_e(k.value)}</td>"
                       f"<td class='{k.verdict}'>{_e(k.change)}</td><td>{_e(k.note)}</td></tr>"
                       for k in kpis)
    parts = header + [
        "<h2>Headline figures</h2>",
        "<p>The latest full financial year against the year before, whatever period is chosen.</p>",
        "<table class='kpis'><thead><tr><th>Measure</th><th>Latest</th><th>Direction of travel</th><th>What it "
        f"covers</th></tr></thead><tbody>{kpi_rows}</tbody></table>",
        "<h2>In this pack</h2><ol>" + "".join(f"<li>{_e(s.title)}</li>" for s in sections) +
        "<li>Definitions, sources and small numbers</li></ol>",
    ]
    for section, image in zip(sections, images):
        parts.append(
            f"<section><h2>{_e(section.title)}</h2><h3>{_e(section.chart.title)}</h3>"
            f"<p class='reading'>{_e(section.reading)}</p>"
            f"<p class='filters'>{_e(subtitle(section.chart.result))}</p>"
            f"<figure>{_svg(image)}</figure>{_table(section.table)}"
            f"<p class='source'>{_e(section.chart.source)}</p></section>")
    parts.append("<section><h2>Definitions, sources and small numbers</h2><dl>" +
                 "".join(f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in charts.DEFINITIONS.values()) +
                 f"<dt>Small numbers</dt><dd>{_e(SUPPRESSION_RULE)}</dd>"
                 f"<dt>Sources</dt><dd>{_e(sections[0].chart.source)}</dd><dd>{_e(sections[-1].chart.source)}</dd>"
                 "</dl></section>")
    return f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(TITLE)}</title>" \
           f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"


CSS = """
@page { size: A4; margin: 14mm 14mm 16mm;
  @bottom-left { content: "Youth justice partnership board pack"; font: 8pt Arial, sans-serif; color: #505a5f; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Arial, sans-serif; color: #505a5f; } }
body { font: 10pt/1.35 Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 6pt; } h2 { font-size: 14pt; margin: 12pt 0 4pt; } h3 { font-size: 11pt; margin: 0 0 4pt; }
section { break-before: page; }
.reading { font-size: 11.5pt; font-weight: bold; margin: 4pt 0; }
.filters, .source, .note { color: #505a5f; margin: 2pt 0; } .source { font-size: 8pt; }
figure { margin: 4pt 0; } figure svg { width: 100%; height: auto; max-height: 150mm; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin-top: 4pt; break-inside: auto; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 2pt 4pt; text-align: left; vertical-align: top; }
td.num { text-align: right; } tr { break-inside: avoid; }
.kpis td, .kpis th { font-size: 10pt; padding: 4pt; } .kpis .value { font-weight: bold; white-space: nowrap; }
.better { color: #00703c; } .worse { color: #d4351c; } .same { color: #505a5f; }
dt { font-weight: bold; margin-top: 6pt; } dd { margin: 0; }
"""


def _svg(image: bytes) -> str:
    """kaleido's SVG, sized by the page (it keeps its viewBox, so it scales without losing sharpness)."""
    text = image.decode("utf-8")
    return text[text.index("<svg"):]


def _table(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    head = "".join(f"<th scope='col'>{_e(str(c).replace('_', ' '))}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in table.itertuples(index=False, name=None))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        return f"<td class='num'>{number(value)}</td>"
    return f"<td class='num'>{_e(str(value))}</td>" if value == config.SUPPRESSED_MARK else f"<td>{_e(str(value))}</td>"


def number(value: float) -> str:
    """Whole numbers as 1,234; rates to one decimal place, ratios and shares (under 10) to two."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def print_pdf(document: str) -> bytes:
    """Print the HTML to PDF with Debian's Chromium, headless, offline, in a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="yjs-pack-") as folder:
        source, target = Path(folder) / "pack.html", Path(folder) / "pack.pdf"
        source.write_text(document, encoding="utf-8")
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", "--no-pdf-header-footer",
                        f"--user-data-dir={folder}/profile", f"--print-to-pdf={target}", source.as_uri()],
                       check=True, capture_output=True, timeout=120)
        return target.read_bytes()
