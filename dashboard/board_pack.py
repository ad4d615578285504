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
from .pages import _charts as charts
from .pages._common import as_of, measure, part_year

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
    #: Columns holding shares (0.35), printed as percentages (35%).
    percent: tuple[str, ...] = ()


def build(search: str | None, progress=None) -> bytes:
    """The pack as PDF bytes. ``progress(text)`` hears how far it has got (for the page's progress line)."""
    say = progress or (lambda text: None)
    say("Working out the figures")
    kpis, sections = charts.headline_figures(search), sections_for(search)
    images = static_images([s.chart.figure for s in sections], "svg",
                           progress=lambda done, total: say(f"Drawing chart {done} of {total}"))
    say("Printing the PDF")
    return print_pdf(compose(kpis, sections, images))


def sections_for(search) -> list[Section]:
    """Each page's main chart, with its reading and a table of its numbers."""
    fte_rate, fte_count = charts.page_charts("first-time-entrants", search)
    disposals, = charts.page_charts("disposals", search)
    _, referrals = charts.page_charts("referrals", search)
    rri, _ = charts.page_charts("disproportionality", search)
    _, curve = charts.page_charts("reoffending", search)
    _, _, regions, _ = charts.page_charts("compare-areas", search)
    tiers = measure("disposals", search, breakdown="tier")
    shown_rri = rri.result.table["rri"].notna() & (rri.result.table["stage"] != "population")
    return [
        Section("First-time entrants", " ".join([
            year_on_year(_by_period(fte_count.result, "fte"), "First-time entrants", "{:,.0f}"),
            year_on_year(_by_period(fte_count.result, "rate_per_100000"),
                         "The rate per 100,000 children aged 10 to 17", "{:,.0f}")]),
            fte_rate, _recent(shown_table(fte_count.result, ["period", "fte", "fte_knife_or_weapon",
                                                             "population_10_17", "rate_per_100000"])),
            note="All the services chosen together; the chart shows each service."),
        Section("Disposals", "Programmes started by tier: " + by_group(tiers, "tier"), disposals,
                _pivot(disposals.result, "disposal_type", "count")),
        Section("Referrals", "Referrals by area: " + by_group(referrals.result, "locality"), referrals,
                _pivot(referrals.result, "locality", "count")),
        Section("Disproportionality", _gaps(rri.result), rri,
                shown_table(rri.result, ["stage", "group", "count", "base", "rate_per_1000", "rri", "ci_low",
                                         "ci_high", "significant"])[shown_rri],
                note="Groups whose figures are withheld at a stage (fewer than 5 children) are left out; the "
                     "workbook on the Disproportionality page has every row."),
        Section("Reoffending after a programme", _reoffended(curve.result), curve,
                shown_table(curve.result, ["cohort", "day", "at_risk", "reoffended", "ci_low", "ci_high"])
                .loc[charts.within_a_year(curve.result).index].tail(TABLE_YEARS),
                note="Each year's last point within a year of the programme ending.",
                percent=("reoffended", "ci_low", "ci_high")),
        Section("Compare areas (published data)", _regions(regions.result), regions,
                shown_table(regions.result, charts.AREA_COLUMNS)),
    ]


def _by_period(result, column: str) -> pd.Series:
    return result.table.set_index("period")[column]


def _full_years(values: pd.Series) -> pd.Series:
    """Values by period without the part year (quarters are whole, so they are all kept)."""
    return values[[p != part_year() for p in values.index]]


def year_on_year(values: pd.Series, what: str, number: str) -> str:
    """'First-time entrants fell 21% on the year before (120 in 2024-25, 152 in 2023-24).' from values by
    period; the part year is left out, and a withheld figure means 'too few to compare'."""
    full = _full_years(values)
    if full.empty:
        return f"{what}: no full year in the period chosen."
    latest = full.index[-1]
    unit = "quarter" if " Q" in str(latest) else "year"
    if len(full) == 1:
        shown = "c (withheld)" if pd.isna(full.iloc[-1]) else number.format(full.iloc[-1])
        return f"{what}: {shown} in {latest}; there is no earlier {unit} in the period chosen to compare with."
    now, before, earlier = full.iloc[-1], full.iloc[-2], full.index[-2]
    if pd.isna(now) or pd.isna(before):
        return f"{what}: too few to compare {latest} with {earlier} (numbers withheld)."
    both = f"({number.format(now)} in {latest}, {number.format(before)} in {earlier})"
    change = _change(now, before)
    if change == 0:
        return f"{what}: about the same as the {unit} before {both}."
    return f"{what} {'rose' if change > 0 else 'fell'} {abs(change)}% on the {unit} before {both}."


def _change(now: float, before: float) -> int:
    return 0 if before == 0 else round((now - before) / before * 100)


def by_group(result, group: str, most: int = 6) -> str:
    """'2024-25 against 2023-24: Diversion 45, up 12%; ...; too few to compare: Custody.' for the latest two
    full years, naming at most ``most`` groups (the largest; the table has them all)."""
    table = result.table
    periods = list(_full_years(pd.Series(index=list(dict.fromkeys(table["period"])), dtype=float)).index)
    if len(periods) < 2:
        return "there is no earlier full year in the period chosen to compare with."
    latest, earlier = periods[-1], periods[-2]
    counts = table.pivot_table(index=group, columns="period", values="count", aggfunc="first", sort=False)
    both = counts[[latest, earlier]].dropna() if {latest, earlier} <= set(counts.columns) else counts.iloc[:0]
    withheld = [_words(name) for name in counts.index if name not in both.index]
    largest = both.sort_values(latest, ascending=False).head(most) if len(both) > most else both
    compared = []
    for name, row in largest.iterrows():
        change = _change(row[latest], row[earlier])
        compared.append(f"{_words(name)} {row[latest]:,.0f}, " +
                        (f"{'up' if change > 0 else 'down'} {abs(change)}%" if change else "about the same"))
    return (f"{latest} against {earlier}: " + ("; ".join(compared) or "none can be compared") +
            (f" (the {most} largest; the table has every one)" if len(both) > most else "") + "." +
            (f" Too few to compare (withheld): {', '.join(withheld)}." if withheld and len(withheld) <= most else
             f" {len(withheld)} too few to compare (withheld)." if withheld else ""))


def _words(code) -> str:
    """A code as words: COMMUNITY_RESOLUTION -> Community resolution, pre_court -> Pre-court."""
    text = "pre-court" if code == "pre_court" else str(code)
    text = text.replace("_", " ").lower() if text.isupper() or "_" in text else text
    return text[:1].upper() + text[1:]


def _gaps(result) -> str:
    found = charts.significant_gaps(result)
    period = result.description.split(",")[0]
    reference = charts.reference_group(result)
    table = result.table
    if not (table["rri"].notna() & (table["group"] != reference) & (table["stage"] != "population")).any():
        return f"In {period}, too few children in each group to compare them with {reference} children (withheld)."
    if found.empty:
        return f"In {period}, no group was significantly more likely than {reference} children to reach any stage."
    listed = "; ".join(f"{r.group} children at {charts.STAGE_WORDS[r.stage]}: {r.rri:.1f} times as likely"
                       for r in found.itertuples())
    gaps = "1 significant gap" if len(found) == 1 else f"{len(found)} significant gaps"
    return f"In {period}, {gaps} against {reference} children: {listed}. Other differences could be chance."


def _reoffended(result) -> str:
    year = charts.within_a_year(result)
    full = year[year["day"] >= 365]
    if year.empty:
        return "No programme ended in the period with enough children followed up to show."
    words = "; ".join(f"{r.cohort}: {r.reoffended:.0%}" for r in full.tail(TABLE_YEARS).itertuples())
    later = [str(c) for c in year.loc[year["day"] < 365, "cohort"]]
    return ((f"Children who reoffended within a year of their programme ending, by the year it started: {words}."
             if words else "No year has been followed up for a full year yet.") +
            (f" Not yet followed up for a full year: {', '.join(later)}." if later else ""))


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
    """Periods across, ``rows`` down, the latest years only; withheld cells read c; a row of zeros is left out."""
    table = _recent(shown_table(result, ["period", rows, value]))
    wide = table.pivot_table(index=rows, columns="period", values=value, aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(table["period"]))).astype(object)
    return wide[~wide.eq(0).all(axis=1)].where(wide.notna(), "").reset_index()


def compose(kpis: list[charts.Kpi], sections: list[Section], images: list[bytes]) -> str:
    """The pack as one HTML document with print CSS: A4, numbered pages, a chart per page."""
    partial = part_year()
    header = [
        f"<h1>{_e(TITLE)}</h1>",
        f"<p class='filters'><strong>Figures for:</strong> {_e(subtitle(sections[0].chart.result))}</p>",
        f"<p class='filters'><strong>Data as at:</strong> {as_of():%-d %B %Y}. "
        f"<strong>Made:</strong> {date.today():%-d %B %Y} from the dashboard, for the filters above.</p>",
    ]
    if partial:
        header.append(f"<p class='note'>{partial} is a part year (to {as_of():%-d %B %Y}): it is shown in the "
                      "charts and tables but not compared with full years.</p>")
    kpi_rows = "".join(f"<tr><th scope='row'>{_e(k.title)}</th><td class='value'>{_e(k.value)}</td>"
                       f"<td class='{k.verdict}'>{_e(k.change)}</td><td>{_e(k.note)}</td></tr>"
                       for k in kpis)
    parts = header + [
        "<h2>Headline figures</h2>",
        "<p>The latest full financial year against the year before, for the services and children chosen "
        "(the period chosen does not apply here).</p>",
        "<table class='kpis'><thead><tr><th>Measure</th><th>Latest</th><th>Direction of travel</th><th>What it "
        f"covers</th></tr></thead><tbody>{kpi_rows}</tbody></table>",
        "<h2>In this pack</h2><ol>" + "".join(f"<li>{_e(s.title)}</li>" for s in sections) +
        "<li>Definitions, sources and small numbers</li></ol>",
        f"<p class='note'>{_e(SUPPRESSION_RULE)}</p>",
    ]
    for section, image in zip(sections, images):
        shown = (f"<figure>{_svg(image)}</figure>{_table(section)}" if len(section.table) else
                 "<p class='note'>Nothing to chart: every figure is withheld for these filters.</p>")
        parts.append(
            f"<section><h2>{_e(section.title)}</h2><h3>{_e(section.chart.title)}</h3>"
            f"<p class='reading'>{_e(section.reading)}</p>"
            f"<p class='filters'>Figures for: {_e(subtitle(section.chart.result))}</p>{shown}"
            + (f"<p class='note'>{_e(section.note)}</p>" if section.note else "") +
            f"<p class='source'>{_e(section.chart.source)}</p></section>")
    sources = dict.fromkeys(s.chart.source for s in sections)
    parts.append("<section><h2>Definitions, sources and small numbers</h2><dl>" +
                 "".join(f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in charts.DEFINITIONS.values()) +
                 f"<dt>Small numbers</dt><dd>{_e(SUPPRESSION_RULE)}</dd><dt>Sources</dt>" +
                 "".join(f"<dd>{_e(source)}</dd>" for source in sources) + "</dl></section>")
    return f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(TITLE)}</title>" \
           f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"


CSS = """
@page { size: A4; margin: 14mm 14mm 16mm;
  @bottom-left { content: "Youth justice partnership board pack"; font: 8pt Arial, sans-serif; color: #505a5f; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Arial, sans-serif; color: #505a5f; } }
body { font: 10pt/1.35 Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 6pt; } h2 { font-size: 14pt; margin: 12pt 0 4pt; }
h3 { font-size: 11pt; margin: 0 0 4pt; }
section { break-before: page; }
.reading { font-size: 11.5pt; font-weight: bold; margin: 4pt 0; }
.filters, .source, .note { color: #505a5f; margin: 2pt 0; } .source { font-size: 8pt; }
figure { margin: 4pt 0; } figure svg { width: 100%; height: auto; max-height: 125mm; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin-top: 4pt; break-inside: auto; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 1.5pt 4pt; text-align: left; vertical-align: top; }
td.num { text-align: right; } tr { break-inside: avoid; }
.kpis td, .kpis th { font-size: 10pt; padding: 4pt; } .kpis .value { font-weight: bold; white-space: nowrap; }
.better { color: #00703c; } .worse { color: #d4351c; } .same { color: #505a5f; }
dt { font-weight: bold; margin-top: 6pt; } dd { margin: 0; }
"""


def _svg(image: bytes) -> str:
    """kaleido's SVG, sized by the page (it keeps its viewBox, so it scales without losing sharpness)."""
    text = image.decode("utf-8")
    return text[text.index("<svg"):]


#: Column headings in words (others: underscores become spaces).
HEADINGS = {"fte": "First-time entrants", "fte_knife_or_weapon": "Knife or weapon", "rri": "RRI",
            "population_10_17": "Children aged 10-17", "rate_per_100000": "Per 100,000", "rate_per_1000": "Per 1,000",
            "ci_low": "95% interval from", "ci_high": "to", "day": "Days followed", "at_risk": "Still followed up",
            "disposal_type": "Disposal", "count": "Children", "base": "Out of"}


def _table(section: Section) -> str:
    table = section.table
    if table.empty:
        return ""
    partial = part_year()
    label = lambda text: f"{text} (part year)" if text == partial else text  # noqa: E731
    head = "".join(f"<th scope='col'>{_e(label(HEADINGS.get(c, str(c).replace('_', ' ').capitalize())))}</th>"
                   for c in table.columns)
    body = "".join("<tr>" + "".join(_td(label(v) if isinstance(v, str) else v, column in section.percent)
                                    for column, v in zip(table.columns, row)) + "</tr>"
                   for row in table.itertuples(index=False, name=None))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value, percent: bool = False) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        return f"<td class='num'>{f'{value:.0%}' if percent else number(value)}</td>"
    if value == config.SUPPRESSED_MARK:
        return f"<td class='num'>{value}</td>"
    return f"<td>{_e(_words(value))}</td>"


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
