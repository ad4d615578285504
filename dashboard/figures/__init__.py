"""Pure figure builders: a measure's table in (withheld cells already null), a plotly Figure out.

``draw(chart, result)`` draws a card's chart spec (dashboard/views/charts.py) with the builder for its
kind. No I/O and no shared state: every builder makes a new Figure, so they are tested as functions.
Withheld values are null and so are never drawn or shown on hover; ``withheld=True`` adds the note.
A period with no data is a gap, never a zero. ``part_year`` (the latest financial year's label when
the extract stops inside it) is drawn apart from the full years, and labelled, so a quarter's figures
are not read as a fall over a whole year. Every word a chart shows is plain English, never a code.
Figures are built from plain dicts (theme.figure), numbers as float arrays, which plotly sends as
compact typed arrays: building and sending a chart takes about a millisecond.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import fields

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..config import BOUNDARIES_URL
from ..disclosure import AT_RISK_DAYS
from ..metrics.intervals import percent_interval
from ..metrics.proven_reoffending import ALL_TIERS
from ..views import charts
from ..views.charts import MOST_CURVES
from ..views.render import withheld as any_withheld
from ..views.texts import STAGE_NAMES, WINDOW_WORDS, words
from . import compare, kpis
from .theme import (
    GREY,
    HIGHLIGHT,
    NARROW_NOTE_WIDTH,
    NOTE_WIDTH,
    OKABE_ITO,
    PART_YEAR_PATTERN,
    PLAIN,
    REFERENCE_WORDS,
    TIER_COLOURS,
    base_layout,
    colour_for,
    empty_figure,
    figure,
    for_narrow_screen,
    group_words,
)

PERCENT = ".0%"
PART_YEAR = "part year"
#: Line styles after the eight colours: every line stays distinct by colour and style together.
DASHES = ["solid", "dot", "dash", "longdash"]


def _label(text) -> str:
    """A code as words: 'YOUTH_CAUTION' -> 'Youth caution'."""
    return str(text).replace("_", " ").capitalize()


def _array(column: pd.Series | pd.Index) -> np.ndarray | list:
    """A column as a chart takes it: whole numbers as integers (sent in as few bytes as they
    need), other numbers as float64 with NaN for gaps, anything else as a list with None for gaps
    (withheld cells are null, and so are never drawn)."""
    column = pd.Series(column, copy=False)
    if pd.api.types.is_integer_dtype(column) and not column.hasnans:
        return column.to_numpy(dtype="int64")
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    return column.astype(object).where(column.notna(), None).tolist()


def _part_year_ticks(periods, part_year: str | None) -> dict:
    """An axis writing 'part year' under the part year's label, when that year is on it."""
    if part_year is None or part_year not in set(periods):
        return {}
    return {"labelalias": {part_year: f"{part_year}<br>{PART_YEAR}"}}


def _hatched(periods, part_year: str | None) -> dict:
    """A bar trace's pattern: the part year's bars hatched (shown without relying on colour), the rest plain."""
    return {
        "shape": [PART_YEAR_PATTERN if p == part_year else "" for p in periods],
        "fillmode": "overlay",
        "fgcolor": "white",
        "solidity": 0.4,
    }


def _latest(series: list, what: str) -> tuple[list, list[str]]:
    """At most MOST_CURVES series of years, the latest; and the note saying so when any is left out."""
    if len(series) <= MOST_CURVES:
        return series, []
    kept = series[-MOST_CURVES:]
    return kept, [f"The chart shows the latest {MOST_CURVES} {what}; the table has every one."]


def _dotted_link(label: str, colour: str, x: tuple, y: tuple) -> dict:
    """The dotted line from a series' last complete point to its first point still counting (no hover:
    the points say what they are)."""
    return {
        "type": "scatter",
        "x": list(x),
        "y": [float(v) for v in y],
        "mode": "lines",
        "line": {"color": colour, "width": 2, "dash": "dot"},
        "legendgroup": label,
        "showlegend": False,
        "hoverinfo": "skip",
    }


def trend_lines(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    y_title: str,
    withheld: bool = False,
    hover: str = "%{y:,.1f}",
    part_year: str | None = None,
) -> go.Figure:
    """One line per series (a YJS, a region) across periods. A period a series has no figure for is a gap
    in its line; the part year is a hollow marker joined to the last full year by a dotted line."""
    periods = list(dict.fromkeys(table[x]))
    full = [p for p in periods if p != part_year]
    traces = []
    for index, (name, rows) in enumerate(table.groupby(series, sort=False)):
        values = rows.drop_duplicates(x).set_index(x)[y].reindex(periods)
        colour, style = OKABE_ITO[index % len(OKABE_ITO)], DASHES[index // len(OKABE_ITO) % len(DASHES)]
        label = str(name)
        traces.append(
            {
                "type": "scatter",
                "x": full,
                "y": _array(values.reindex(full)),
                "name": label,
                "legendgroup": label,
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": colour, "width": 3, "dash": style},
                "marker": {"size": 9, "symbol": index % 8, "color": colour},
                "hovertemplate": f"{label}<br>%{{x}}: {hover}<extra></extra>",
            }
        )
        if part_year in values.index and pd.notna(values[part_year]):
            last = values.reindex(full).dropna()
            if len(last) and last.index[-1] == full[-1]:
                traces.append(_dotted_link(label, colour, (full[-1], part_year), (last.iloc[-1], values[part_year])))
            traces.append(
                {
                    "type": "scatter",
                    "x": [part_year],
                    "y": [float(values[part_year])],
                    "mode": "markers",
                    "name": f"{label} ({PART_YEAR})",
                    "legendgroup": label,
                    "showlegend": False,
                    "marker": {"size": 11, "symbol": "circle-open", "color": colour, "line": {"width": 2.5}},
                    "hovertemplate": f"{label}<br>%{{x}} ({PART_YEAR}, to date): {hover}<extra></extra>",
                }
            )
    layout = base_layout(
        y_title=y_title,
        withheld=withheld,
        yaxis={"rangemode": "tozero"},
        xaxis={"categoryorder": "array", "categoryarray": periods, **_part_year_ticks(periods, part_year)},
    )
    return figure(traces, layout)


def grouped_bars(
    table: pd.DataFrame,
    *,
    x: str,
    bars: dict[str, str],
    y_title: str,
    withheld: bool = False,
    part_year: str | None = None,
) -> go.Figure:
    """Side-by-side bars, one trace per column in ``bars`` (column -> legend label); the part year hatched."""
    periods = table[x].tolist()
    traces = [
        {
            "type": "bar",
            "x": _array(table[x]),
            "y": _array(table[column]),
            "name": label,
            "marker": {"color": OKABE_ITO[index], "pattern": _hatched(periods, part_year)},
            "hovertemplate": f"{label}<br>%{{x}}: %{{y:,}}<extra></extra>",
        }
        for index, (column, label) in enumerate(bars.items())
    ]
    return figure(
        traces,
        base_layout(y_title=y_title, withheld=withheld, barmode="group", xaxis=_part_year_ticks(periods, part_year)),
    )


def stacked_disposals(
    table: pd.DataFrame, *, share: bool = False, withheld: bool = False, part_year: str | None = None
) -> go.Figure:
    """Programmes started each year stacked by tier: six colours that can be told apart (sixteen types
    cannot; every type is in the table). ``share`` as % of the year.

    Give it the measure's tier breakdown (``breakdown='tier'``), whose totals are suppressed as totals.
    A table by type is summed per tier, the sum shown only where none of the tier's types is withheld
    (it would be no honest total). A year with any withheld count has no honest total either, so the
    share view leaves it out."""
    periods = list(dict.fromkeys(table["period"]))
    keyed = table.assign(known=table["count"].notna())
    sums = keyed.groupby(["tier", "period"], sort=False).agg(count=("count", "sum"), known=("known", "all"))
    totals = sums["count"].astype("float64").where(sums["known"]).unstack("tier").reindex(periods)
    tiers = list(dict.fromkeys(table["tier"]))
    y_title, value = "Programmes started", "%{y:,}"
    if share:
        complete = totals.notna().all(axis=1)
        totals = totals.div(totals.sum(axis=1), axis=0).where(complete, axis=0)
        y_title, value = "Share of programmes started", "%{y:.1%}"
    traces = [
        {
            "type": "bar",
            "x": periods,
            "y": _array(totals[tier]),
            "name": tier,
            "marker": {
                "color": TIER_COLOURS[tier],
                "line": {"color": "white", "width": 1},
                "pattern": _hatched(periods, part_year),
            },
            "hovertemplate": f"{tier}, %{{x}}: {value}<extra></extra>",
        }
        for tier in tiers
    ]
    return figure(
        traces,
        base_layout(
            y_title=y_title,
            withheld=withheld,
            barmode="stack",
            yaxis={"tickformat": PERCENT} if share else {},
            legend={"traceorder": "normal"},
            xaxis=_part_year_ticks(periods, part_year),
        ),
    )


def bars(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    colour: str | None = None,
    y_title: str,
    x_title: str = "",
    withheld: bool = False,
    horizontal: bool = False,
    highlight: str | None = None,
    barmode: str = "stack",
    part_year: str | None = None,
    note_width: int = NOTE_WIDTH,
) -> go.Figure:
    """Simple bars, optionally split by ``colour`` (stacked, or side by side with barmode='group');
    ``highlight`` picks out one bar (a selected YJS). Split by period, the latest MOST_CURVES periods
    are drawn (the table has them all) and the part year is hatched."""
    groups = list(table.groupby(colour, sort=False)) if colour else [(y_title, table)]
    notes = []
    if colour == "period":
        kept, notes = _latest([name for name, _ in groups], "years")
        groups = [(name, rows) for name, rows in groups if name in kept]
    traces = []
    for index, (name, rows) in enumerate(groups):
        label = _words(name)
        own = colour_for(str(name), index) if colour else OKABE_ITO[0]
        fill = [HIGHLIGHT if highlight and v == highlight else own for v in rows[x]]
        xs, ys = (rows[y], rows[x]) if horizontal else (rows[x], rows[y])
        value = "x" if horizontal else "y"
        marker = {"color": fill}
        if colour == "period" and name == part_year:
            label = f"{name} ({PART_YEAR})"
            marker["pattern"] = _hatched([name] * len(rows), part_year)
        traces.append(
            {
                "type": "bar",
                "x": _array(xs),
                "y": _array(ys),
                "name": label,
                "orientation": "h" if horizontal else "v",
                "marker": marker,
                "hovertemplate": f"%{{{'y' if horizontal else 'x'}}}: "
                f"%{{{value}:,.1f}}<extra>{label if colour else ''}</extra>",
            }
        )
    if horizontal:
        longest = max((len(str(v)) for v in table[x]), default=10)
        layout = base_layout(
            x_title=y_title,
            withheld=withheld,
            notes=notes,
            note_width=note_width,
            margin={"l": 20 + 7 * longest, "t": 20},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    else:
        layout = base_layout(x_title=x_title, y_title=y_title, withheld=withheld, notes=notes)
    return figure(traces, {**layout, "barmode": barmode, "showlegend": bool(colour)})


def relative_rates(table: pd.DataFrame, *, reference: str, withheld: bool = False) -> go.Figure:
    """RRI by stage and group with 95% intervals against ``reference``, the group the measure compared
    with (never guessed from the numbers: another group's RRI can be exactly 1, or the reference's own
    row withheld). The reference is not drawn (it is the line at 1); every other group with an RRI is,
    with its legend entry. Significant results are filled markers, the rest hollow (a note says so, and
    the hover: a label on every point overprints on a phone). The log axis is labelled with its real
    values: 0.25, 0.5, 1, 2, 4..."""
    if len(table) and reference not in set(table["group"]):
        raise ValueError(f"the reference group {reference!r} is not one of the table's groups")
    data = table[(table["stage"] != "population") & (table["group"] != reference) & table["rri"].notna()]
    against = REFERENCE_WORDS.get(reference, f"{reference} children")
    traces = []
    for index, (group, rows) in enumerate(data.groupby("group", sort=False)):
        significant = rows["significant"].fillna(False).astype(bool).tolist()
        colour, label = colour_for(str(group), index), group_words(str(group))
        interval = [
            [
                f"95% interval {lo:.2f} to {hi:.2f}" if pd.notna(lo) else "no interval",
                SIGNIFICANT if s else NOT_SIGNIFICANT,
            ]
            for lo, hi, s in zip(rows["ci_low"], rows["ci_high"], significant)
        ]
        traces.append(
            {
                "type": "scatter",
                "x": _array(rows["stage"].map(_stage_label)),
                "y": _array(rows["rri"]),
                "name": label,
                "showlegend": True,
                "mode": "markers",
                "marker": {
                    "size": 14,
                    "color": [colour if s else "white" for s in significant],
                    "symbol": index % 8,
                    "line": {"width": 2.5, "color": colour},
                },
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": _array(rows["ci_high"] - rows["rri"]),
                    "arrayminus": _array(rows["rri"] - rows["ci_low"]),
                    "thickness": 2,
                    "color": colour,
                },
                "customdata": interval,
                "hovertemplate": f"{label}<br>%{{x}}: %{{y:.2f}} times the rate for {against}<br>%{{customdata[0]}}: "
                "%{customdata[1]}<extra></extra>",
            }
        )
    line_at_one = {
        "type": "line",
        "x0": 0,
        "x1": 1,
        "xref": "x domain",
        "y0": 1,
        "y1": 1,
        "yref": "y",
        "line": {"color": GREY, "dash": "dash"},
    }
    label = {
        "text": f"1 = same rate as {against}",
        "showarrow": False,
        "x": 0,
        "xanchor": "left",
        "xref": "x domain",
        "y": 1,
        "yanchor": "bottom",
        "yref": "y",
    }
    values = pd.concat([data["rri"], data["ci_low"], data["ci_high"]]).to_numpy(dtype="float64", na_value=np.nan)
    return figure(
        traces,
        base_layout(
            y_title=f"Times the rate for {against}",
            withheld=withheld,
            notes=[SIGNIFICANCE_NOTE],
            yaxis=log_axis(values),
            scattermode="group",
            scattergap=0.4,
            showlegend=True,
            shapes=[line_at_one],
            annotations=[label],
        ),
    )


SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "could be chance"
SIGNIFICANCE_NOTE = "Filled marker: significant (the whole 95% interval is above or below 1). Hollow: could be chance."


def log_axis(values: np.ndarray) -> dict:
    """A log axis for ratios, ticked at powers of two labelled with their real values (0.25, 0.5, 1, 2,
    4...): from the power at or below the smallest value (or 1) to the power at or above the largest
    (or 1), so the ticks span the data and no more; every second power when there would be over eight."""
    positive = values[np.isfinite(values) & (values > 0)]
    low, high = min([*positive, 1.0]), max([*positive, 1.0])
    first, last = math.floor(math.log2(low) + 1e-9), math.ceil(math.log2(high) - 1e-9)
    if first == last:
        first, last = first - 1, last + 1
    step = 1 if last - first + 1 <= 8 else 2
    ticks = [2.0**p for p in range(first, last + 1) if p % step == 0]
    pad = 0.04 * (last - first) * math.log10(2)
    return {
        "type": "log",
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [f"{t:g}" for t in ticks],
        "range": [first * math.log10(2) - pad, last * math.log10(2) + pad],
        "minor": {"showgrid": False},
    }


def _words(name) -> str:
    """A series name as a chart writes it: codes ('OUT_OF_COURT_PANEL', 'police') as words, names as they are."""
    text = str(name)
    return _label(text) if "_" in text or text.isupper() or text.islower() else text


def _stage_label(stage: str) -> str:
    return STAGE_NAMES.get(stage, _label(stage))


def stage_rates(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Rate per 1,000 at each stage, a bar per group."""
    data = table[table["stage"] != "population"].assign(
        stage=lambda t: t["stage"].map(_stage_label), group=lambda t: t["group"].map(group_words)
    )
    return bars(
        data,
        x="stage",
        y="rate_per_1000",
        colour="group",
        y_title="Children per 1,000",
        withheld=withheld,
        barmode="group",
    )


def reoffending_windows(
    table: pd.DataFrame, *, withheld: bool = False, part_year: str | None = None, narrow: bool = False
) -> go.Figure:
    """Share offending in each window, a bar per cohort (the latest MOST_CURVES: more cannot be told
    apart), children at risk under each label when there is one cohort; the part year's cohort hatched.
    ``narrow`` (a phone): the bars lie down, so each window's name is written out on one line."""
    cohorts, notes = _latest(list(dict.fromkeys(table["cohort"])), "years")
    one_cohort = len(cohorts) == 1
    by_cohort = dict(tuple(table.groupby("cohort", sort=False)))
    traces = []
    for index, cohort in enumerate(cohorts):
        rows = by_cohort[cohort]
        at_risk = ["c" if pd.isna(n) else f"{int(n):,}" for n in rows["children_at_risk"]]
        windows = [WINDOW_WORDS.get(w, _label(w)) for w in rows["window"]]
        name = f"{cohort} ({PART_YEAR})" if cohort == part_year else str(cohort)
        labels, rates = [f"{w}<br>({n} at risk)" if one_cohort else w for w, n in zip(windows, at_risk)], rows["rate"]
        along, value = ("y", "x") if narrow else ("x", "y")
        traces.append(
            {
                "type": "bar",
                along: labels,
                value: _array(rates),
                "name": name,
                "orientation": "h" if narrow else "v",
                "marker": {"color": OKABE_ITO[index], "pattern": _hatched([cohort] * len(rows), part_year)},
                "customdata": at_risk,
                "hovertemplate": f"{name}, %{{{along}}}: %{{{value}:.0%}} offended (%{{customdata}} at risk)"
                "<extra></extra>",
            }
        )
    share = {"tickformat": PERCENT, "rangemode": "tozero"}
    # The share's axis: across when the bars lie down (a phone), else up.
    orientation = (
        {
            "x_title": "Children who offended",
            "note_width": NARROW_NOTE_WIDTH,
            "xaxis": share,
            "yaxis": {"autorange": "reversed"},
            "height": 160 + len(WINDOW_WORDS) * (8 + 11 * len(cohorts)),
        }
        if narrow
        else {"y_title": "Children who offended", "yaxis": share}
    )
    return figure(traces, base_layout(withheld=withheld, barmode="group", notes=notes, showlegend=True, **orientation))


def survival_curve(table: pd.DataFrame, *, withheld: bool = False, narrow: bool = False) -> go.Figure:
    """Kaplan-Meier: share reoffended by days since the programme ended, with its 95% band and the
    numbers still followed up at 0, 3, 6, 9 and 12 months underneath. Years followed for less than
    three months are drawn only when nothing else is chosen. Only what the table shows is drawn: the
    steps of 5 or more children (disclosure.protect_curve), carried across the days between, and the
    rounded numbers still followed up, "c" where withheld. ``narrow`` (a phone): the words under it in
    lines of 44 characters at most, as under every chart, so a phone shows them whole."""
    traces, lines = [], []
    notes = ["Steps of at least 5 children; c = withheld so no small number can be worked out"] if withheld else []
    followed = table[table["day"] >= 91]["cohort"].unique()  # a row that late: someone was followed up
    cohorts = [c for c in dict.fromkeys(table["cohort"]) if c in followed] or list(dict.fromkeys(table["cohort"]))
    if len(cohorts) > MOST_CURVES or len(cohorts) < table["cohort"].nunique():
        cohorts = cohorts[-MOST_CURVES:]
        notes.append(f"The chart shows {', '.join(cohorts)}; the table has every year.")
    by_cohort = dict(tuple(table.groupby("cohort", sort=False)))
    for index, cohort in enumerate(cohorts):
        rows = by_cohort[cohort]
        drawn = rows[rows["reoffended"].notna()]
        if drawn.empty or drawn["day"].iat[0] != 0:  # the curve starts from none reoffended
            drawn = pd.concat([rows.iloc[:1].assign(day=0, reoffended=0.0, ci_low=0.0, ci_high=0.0), drawn])
        colour = OKABE_ITO[index % len(OKABE_ITO)]
        band = "rgba({}, {}, {}, 0.18)".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))
        day = _array(drawn["day"])
        traces += [
            {
                "type": "scatter",
                "x": day,
                "y": _array(drawn["ci_high"]),
                "mode": "lines",
                "line": {"width": 0, "shape": "hv"},
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "x": day,
                "y": _array(drawn["ci_low"]),
                "mode": "lines",
                "line": {"width": 0, "shape": "hv"},
                "fill": "tonexty",
                "fillcolor": band,
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "x": day,
                "y": _array(drawn["reoffended"]),
                "name": str(cohort),
                "mode": "lines",
                "showlegend": True,
                "line": {"color": colour, "width": 3, "dash": DASHES[index % len(DASHES)], "shape": "hv"},
                "hovertemplate": f"{cohort}, day %{{x}}: %{{y:.1%}} reoffended<extra></extra>",
            },
        ]
        lines.append(f"{cohort}: " + " | ".join(_at_risk(rows, d) for d in AT_RISK_DAYS))
    heading = ["Children still followed up at 0, 3, 6, 9 and 12 months"]
    if narrow:
        heading, notes = (
            [short for line in part for short in textwrap.wrap(line, NOTE_WIDTH)] for part in (heading, notes)
        )
    text = "<br>".join([*heading, *lines, *notes])
    plot_height, below = 380, 92 + 18 * (len(heading) + len(lines) + len(notes))
    note = {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": -70 / plot_height,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "top",
        "align": "left",
        "font": {"size": 13},
    }
    return figure(
        traces,
        base_layout(
            x_title="Months since the programme ended",
            y_title="Reoffended",
            annotations=[note],
            yaxis={"tickformat": PERCENT, "rangemode": "tozero"},
            xaxis={
                "tickvals": list(AT_RISK_DAYS),
                "ticktext": ["0", "3", "6", "9", "12"],
                "range": [0, 370],
                "automargin": False,
            },
            height=plot_height + below + 40,
            margin={"b": below, "t": 40, "r": 40},
        ),
    )


def _at_risk(rows: pd.DataFrame, day: int) -> str:
    """Children still followed up at ``day``: at risk on the first row on or after it."""
    later = rows["at_risk"].to_numpy()[rows["day"].to_numpy() >= day]
    if not len(later):
        return "0"
    return "c" if pd.isna(later[0]) else f"{int(later[0]):,}"


#: The remand results in words, with their colours: custody in the custody tier's colour.
REMAND_RESULTS = {
    "custodial_sentence": ("Custodial sentence", TIER_COLOURS["Custody"]),
    "non_custodial_sentence": ("Non-custodial sentence", OKABE_ITO[0]),
    "no_conviction": ("No conviction", OKABE_ITO[2]),
}


#: The share not followed by custody whose split is withheld: the rest of a bar whose custodial share is shown.
REST_WITHHELD = "Not custody, split withheld"


def remand_outcomes(
    table: pd.DataFrame, *, row: str = "period", withheld: bool = False, part_year: str | None = None
) -> go.Figure:
    """A bar per ``row`` (periods, or groups) of the remand-outcomes measure: the ended remands split into
    the share of each result, so the share not followed by custody reads off the bar; the cases still
    open are named beside each label. Where the custodial share is shown but the rest's split is withheld,
    the rest is drawn whole, grey and crossed (it is 100% less the shares shown); a row with no case
    ended has no bar and says so."""
    rows = list(dict.fromkeys(table[row]))
    by_row = table.set_index([row, "result"])

    def value(name, result, column):
        found = by_row[column].get((name, result))
        return None if found is None or pd.isna(found) else float(found)

    def label(name) -> str:
        shown = group_words(str(name)) if row == "group" else str(name)
        still_open = value(name, "open", "remands")
        ended = [value(name, result, "remands") for result in REMAND_RESULTS]
        none_ended = "no case ended, " if all(count == 0 for count in ended) else ""
        return (
            f"{shown}{' (' + PART_YEAR + ')' if name == part_year else ''}<br><span style='font-size:13px'>"
            f"{none_ended}{'c' if still_open is None else f'{still_open:,.0f}'} still open</span>"
        )

    labels = [label(name) for name in rows]
    shares = {result: [value(name, result, "percent") for name in rows] for result in REMAND_RESULTS}
    rest = [
        1 - sum(shares[r][i] for r in REMAND_RESULTS if shares[r][i] is not None) / 100
        if shares["custodial_sentence"][i] is not None and None in (shares[r][i] for r in REMAND_RESULTS)
        else None
        for i in range(len(rows))
    ]
    pattern = _hatched(rows, part_year) if row == "period" else {}
    # Each segment starts where the shown ones before it end (bases of our own: plotly's stacking starts a
    # segment at 0 after a withheld, null one), so a withheld share is a gap, never drawn as 0.
    start = [0.0] * len(rows)
    traces = []
    for result, (name, colour) in REMAND_RESULTS.items():
        counts = [value(r, result, "remands") for r in rows]
        width = [np.nan if v is None else v / 100 for v in shares[result]]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "name": name,
                "base": list(start),
                "x": _array(pd.Series(width, dtype="float64")),
                "marker": {"color": colour, "line": {"color": "white", "width": 1}, "pattern": pattern},
                "customdata": ["c" if c is None else f"{c:,.0f}" for c in counts],
                "hovertemplate": f"{name}: %{{x:.0%}} of those ended (%{{customdata}})<extra></extra>",
            }
        )
        start = [s if np.isnan(w) else s + w for s, w in zip(start, width)]
    if any(r is not None for r in rest):
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "name": REST_WITHHELD,
                "base": list(start),
                "x": _array(pd.Series([np.nan if r is None else r for r in rest], dtype="float64")),
                "marker": {
                    "color": GREY,
                    "line": {"color": "white", "width": 1},
                    "pattern": {"shape": "x", "fillmode": "overlay", "fgcolor": "white", "solidity": 0.3},
                },
                "hovertemplate": f"{REST_WITHHELD}: %{{x:.0%}} of those ended<extra></extra>",
            }
        )
    layout = base_layout(
        x_title="Share of the remands to youth detention that ended",
        withheld=withheld,
        barmode="overlay",
        showlegend=True,
        legend={"traceorder": "normal"},
        xaxis={"tickformat": PERCENT, "range": [0, 1]},
        yaxis={"autorange": "reversed", "automargin": True, "categoryorder": "array", "categoryarray": labels},
        height=max(300, 150 + 44 * len(rows)),
        margin={"l": 150},
    )
    return figure(traces, layout)


def sparkline(values: pd.Series, labels: pd.Series | pd.Index, scale: tuple[float, float] | None = None) -> go.Figure:
    """A small trend for a KPI card; ``scale`` fixes its axis (0 to 100 for a share, so a wobble of a point or
    two stays a wobble: with no axis shown, a range fitted to the values would draw it as a cliff)."""
    return figure(
        [
            {
                "type": "scatter",
                "x": _array(labels),
                "y": _array(values),
                "mode": "lines+markers",
                "line": {"color": OKABE_ITO[0], "width": 2},
                "hovertemplate": "%{x}: %{y:,.1f}<extra></extra>",
            }
        ],
        {
            "template": PLAIN,
            "height": 40,
            "margin": {"l": 0, "r": 0, "t": 4, "b": 0},
            "xaxis": {"visible": False},
            "showlegend": False,
            "yaxis": {"visible": False, **({"range": list(scale)} if scale else {})},
        },
    )


PROVISIONAL_NOTE = "Hollow markers on a dotted line: cohorts still being followed, figures so far."
INTERVAL_NOTE = "Bars: the range the true rate probably lies in (95% interval)."


def cohort_lines(
    series: list[tuple[str, pd.Series, pd.Series | None, pd.Series | None]],
    *,
    complete: pd.Series,
    progress: dict[str, str],
    y_title: str,
    hover: str = "%{y:.1f}",
    withheld: bool = False,
    labels: dict[str, str] | None = None,
    notes: list[str] = (),
) -> go.Figure:
    """Lines across cohorts, one per ``series`` (label, values by cohort, interval low and high by cohort
    or None). Complete cohorts (``complete``: cohort -> bool, in order) are solid with filled markers; open
    ones are hollow markers on a dotted line joined to the last complete cohort, saying on hover how far
    each has been followed (``progress``) and under their axis label in short (``labels``, else the same
    words). A withheld value is a gap."""
    cohorts = list(complete.index)
    done = [c for c in cohorts if complete[c]]
    open_ = [c for c in cohorts if not complete[c]]
    traces = []
    for index, (label, values, low, high) in enumerate(series):
        colour, symbol = OKABE_ITO[index % len(OKABE_ITO)], index % 8
        values = values.reindex(cohorts).astype("float64")
        errors = lambda part: _error_bars(values, low, high, part, colour)  # noqa: B023 (used in this loop only)
        traces.append(
            {
                "type": "scatter",
                "x": done,
                "y": _array(values.reindex(done)),
                "name": label,
                "legendgroup": label,
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": colour, "width": 3},
                "marker": {"size": 9, "symbol": symbol, "color": colour},
                "hovertemplate": f"{label}<br>%{{x}}: {hover}<extra></extra>",
                **errors(done),
            }
        )
        if not open_:
            continue
        shown = values.reindex(done).dropna()
        if len(shown) and shown.index[-1] == done[-1] and pd.notna(values[open_[0]]):
            traces.append(_dotted_link(label, colour, (done[-1], open_[0]), (shown.iloc[-1], values[open_[0]])))
        traces.append(
            {
                "type": "scatter",
                "x": open_,
                "y": _array(values.reindex(open_)),
                "name": f"{label}, so far",
                "legendgroup": label,
                "showlegend": False,
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": colour, "width": 2, "dash": "dot"},
                "marker": {"size": 11, "symbol": "circle-open", "color": colour, "line": {"width": 2.5}},
                "customdata": [progress.get(c, "") for c in open_],
                "hovertemplate": f"{label}<br>%{{x}} (%{{customdata}}): {hover}<extra></extra>",
                **errors(open_),
            }
        )
    notes = (
        ([PROVISIONAL_NOTE] if open_ else [])
        + ([INTERVAL_NOTE] if any(s[2] is not None for s in series) else [])
        + list(notes)
    )
    short = {**progress, **(labels or {})}
    aliases = {c: f"{c}<br>{short[c]}" for c in open_ if short.get(c)}
    return figure(
        traces,
        base_layout(
            y_title=y_title,
            withheld=withheld,
            notes=notes,
            showlegend=len(series) > 1,
            yaxis={"rangemode": "tozero"},
            xaxis={"categoryorder": "array", "categoryarray": cohorts, **({"labelalias": aliases} if aliases else {})},
        ),
    )


def _error_bars(values: pd.Series, low: pd.Series | None, high: pd.Series | None, part: list, colour: str) -> dict:
    """A trace's error bars from interval limits, for the cohorts in ``part``; none without limits."""
    if low is None or high is None:
        return {}
    return {
        "error_y": {
            "type": "data",
            "symmetric": False,
            "thickness": 1.5,
            "width": 4,
            "color": colour,
            "array": _array(high.reindex(part) - values.reindex(part)),
            "arrayminus": _array(values.reindex(part) - low.reindex(part)),
        }
    }


#: The number of proven reoffences a reoffender had, in words.
REOFFENCE_WORDS = {"1": "1", "2": "2", "3": "3", "4": "4", "5+": "5 or more"}


def reoffence_counts(
    table: pd.DataFrame, *, cohort: str | None, share: str | None = None, withheld: bool = False
) -> go.Figure:
    """One cohort's reoffenders by how many proven reoffences each had; ``share`` (words on the 5 or more
    group's share of all reoffences) under the chart."""
    rows = table[table["cohort"] == cohort]
    labels = [REOFFENCE_WORDS.get(str(r), str(r)) for r in rows["reoffences"]]
    colours = [HIGHLIGHT if r == "5+" else OKABE_ITO[0] for r in rows["reoffences"]]
    traces = [
        {
            "type": "bar",
            "x": labels,
            "y": _array(rows["reoffenders"]),
            "name": str(cohort),
            "marker": {"color": colours},
            "hovertemplate": f"{cohort}: %{{y:,}} reoffenders had %{{x}} proven reoffences<extra></extra>",
        }
    ]
    return figure(
        traces,
        base_layout(
            x_title=f"Proven reoffences each reoffender had, {cohort}",
            y_title="Reoffenders",
            withheld=withheld,
            notes=[share] if share else [],
            showlegend=False,
            xaxis={"type": "category"},
        ),
    )


def tracker_bars(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Each open cohort followed for at least a month: its binary rate so far and the last complete
    cohort's at the same point, side by side, with the reading (higher, lower, similar) on hover."""
    rows = table[table["months_followed"].fillna(0) > 0]
    verdicts = {
        "higher": "higher: worse so far",
        "lower": "lower: better so far",
        "similar": "similar: could be chance",
    }
    at = [
        f"{c}<br>first {int(m)} of 12 months" + (f"<br>{verdicts[r]}" if r in verdicts else "")
        for c, m, r in zip(rows["cohort"], rows["months_followed"], rows["reading"])
    ]
    readings = [
        {"higher": "higher than", "lower": "lower than", "similar": "similar to"}.get(r, "not compared with")
        if isinstance(r, str)
        else "not compared with"
        for r in rows["reading"]
    ]
    previous = ["the last complete cohort" if not isinstance(p, str) else p for p in rows["previous_cohort"]]
    traces = [
        {
            "type": "bar",
            "x": at,
            "y": _array(rows[column]),
            "name": name,
            "marker": {"color": OKABE_ITO[index]},
            "texttemplate": "%{y:.1f}%",
            "textposition": "outside",
            "customdata": customdata,
            "hovertemplate": hover,
        }
        for index, (column, name, customdata, hover) in enumerate(
            (
                (
                    "binary_rate_so_far",
                    "This cohort so far",
                    [[r, p] for r, p in zip(readings, previous)],
                    "%{x}: %{y:.1f}% reoffended, %{customdata[0]} %{customdata[1]}<extra></extra>",
                ),
                (
                    "previous_binary_rate_same_point",
                    "Last complete cohort at the same point",
                    previous,
                    "%{customdata}, same point: %{y:.1f}%<extra></extra>",
                ),
            )
        )
    ]
    return figure(
        traces,
        base_layout(
            y_title="Reoffended so far (%)",
            withheld=withheld,
            barmode="group",
            showlegend=True,
            yaxis={"rangemode": "tozero"},
            margin={"b": 150},
        ),
    )


def _bars(
    chart: charts.Bars, table: pd.DataFrame, withheld: bool, part_year: str | None, narrow: bool = False
) -> go.Figure:
    data = table.assign(**{c: table[c].map(words).str.lower() for c in chart.as_words})
    if chart.ranked:
        data = data.sort_values(chart.y, ascending=False)
    sideways = chart.sideways_when_narrow and narrow and not chart.horizontal
    drawn = bars(
        data,
        x=chart.x,
        y=chart.y,
        colour=chart.colour,
        y_title=chart.y_title,
        x_title=chart.x_title,
        withheld=withheld,
        horizontal=chart.horizontal or sideways,
        highlight=chart.highlight,
        barmode=chart.barmode,
        part_year=part_year,
        note_width=NARROW_NOTE_WIDTH if sideways else NOTE_WIDTH,
    )
    if sideways:  # room for each name's bars: one per series side by side, or one stacked
        bars_each = len(drawn.data) if chart.barmode == "group" else 1
        drawn.update_layout(height=max(400, 160 + data[chart.x].nunique() * (8 + 11 * bars_each)))
    return drawn


def _cohort_lines(chart: charts.CohortLines, result) -> go.Figure:
    """proven-reoffending's rows drawn: the cohort's whole (index tier All) per column, or one line per tier."""
    table = result.table
    # Cohorts before the records start (no children) and those still forming are not drawn.
    children = table[table["index_tier"] == ALL_TIERS].set_index("cohort")["children"]
    empty = set(children.index[children.eq(0).fillna(False).astype(bool)]) | set(chart.forming)
    table = table[~table["cohort"].isin(empty)]
    whole = table[table["index_tier"] == ALL_TIERS].set_index("cohort")
    if chart.by_tier:
        tiers = table[table["index_tier"] != ALL_TIERS]
        series = [
            (tier, rows.set_index("cohort")[chart.by_tier], None, None)
            for tier, rows in tiers.groupby("index_tier", sort=False)
        ]
        columns = [chart.by_tier]
    else:
        series, columns = [], [c for c, _ in chart.columns]
        for column, label in chart.columns:
            low = high = None
            if chart.interval:
                limits = [
                    percent_interval(*(None if pd.isna(v) else float(v) for v in pair))
                    for pair in zip(whole["reoffenders"], whole["children"])
                ]
                low = pd.Series([lim[0] if lim else np.nan for lim in limits], index=whole.index)
                high = pd.Series([lim[1] if lim else np.nan for lim in limits], index=whole.index)
            series.append((label, whole[column], low, high))
    hover = "%{y:.1f}%" if columns == ["binary_rate"] else "%{y:.2f}"
    forming = [c for c in chart.forming if c in children.index]
    return cohort_lines(
        series,
        complete=whole["complete"].astype(bool),
        progress={c: words for c, words, _ in chart.progress},
        labels={c: short for c, _, short in chart.progress},
        y_title=chart.y_title,
        hover=hover,
        withheld=any_withheld(result, *columns),
        notes=[f"Not drawn, still forming: {', '.join(forming)} (in the table)."] if forming else [],
    )


def draw(chart, result, *, part_year: str | None = None, narrow: bool = False) -> go.Figure:
    """The figure for a card's chart spec and measure result; ``part_year`` is drawn apart on charts
    across periods; ``narrow``: a chart whose bars lie down on a phone (the reoffending windows, and
    Bars.sideways_when_narrow) does."""
    table = result.table
    if isinstance(chart, charts.Lines):
        named = table.assign(**{chart.series: table[chart.series].replace(dict(chart.names))}) if chart.names else table
        return trend_lines(
            named,
            x=chart.x,
            y=chart.y,
            series=chart.series,
            y_title=chart.y_title,
            withheld=any_withheld(result, chart.y),
            hover=chart.hover,
            part_year=part_year,
        )
    if isinstance(chart, charts.GroupedBars):
        columns = [c for c, _ in chart.bars]
        return grouped_bars(
            table,
            x=chart.x,
            bars=dict(chart.bars),
            y_title=chart.y_title,
            withheld=any_withheld(result, *columns),
            part_year=part_year,
        )
    if isinstance(chart, charts.StackedDisposals):
        return stacked_disposals(
            chart.tiers.table, share=chart.share, withheld=any_withheld(chart.tiers, "count"), part_year=part_year
        )
    if isinstance(chart, charts.Bars):
        return _bars(chart, table, any_withheld(result, chart.y), part_year, narrow)
    if isinstance(chart, charts.RelativeRates):
        return relative_rates(table, reference=result.settings.reference, withheld=any_withheld(result, "rri"))
    if isinstance(chart, charts.StageRates):
        return stage_rates(table, withheld=any_withheld(result, "rate_per_1000"))
    if isinstance(chart, charts.ReoffendingWindows):
        return reoffending_windows(table, withheld=any_withheld(result, "rate"), part_year=part_year, narrow=narrow)
    if isinstance(chart, charts.SurvivalCurve):
        return survival_curve(table, withheld=any_withheld(result, "reoffended"), narrow=narrow)
    if isinstance(chart, charts.RemandOutcomes):
        return remand_outcomes(table, row=chart.row, withheld=any_withheld(result, "percent"), part_year=part_year)
    if isinstance(chart, charts.ComparisonChart):
        return _comparison(chart, result)
    if isinstance(chart, charts.CohortLines):
        return _cohort_lines(chart, result)
    if isinstance(chart, charts.ReoffenceCounts):
        shown = (table["cohort"] == chart.cohort).to_numpy()
        return reoffence_counts(
            table,
            cohort=chart.cohort,
            share=chart.share,
            withheld=bool(result.withheld.loc[shown, "reoffenders"].any()),
        )
    if isinstance(chart, charts.Tracker):
        return tracker_bars(
            table, withheld=any_withheld(result, "binary_rate_so_far", "previous_binary_rate_same_point")
        )
    if isinstance(chart, charts.Panels):
        return kpis.panels(table, chart.panels, withheld=any_withheld(result, "rate"))
    if isinstance(chart, charts.PathwaySteps):
        return kpis.pathway_steps(table, chart.groups, withheld=any_withheld(result, "count", "base"))
    if isinstance(chart, charts.NotRecorded):
        return kpis.not_recorded(table, chart.labels, withheld=any_withheld(result, "percent_not_recorded"))
    if isinstance(chart, charts.AttendanceGrid):
        return kpis.attendance_grid(table, chart.partners)
    raise TypeError(f"no figure for {chart!r}")


def _comparison(chart, result) -> go.Figure:
    """The figures comparing areas (figures/compare.py): a chart's fields are its builder's keywords."""
    table, withheld = result.table, any_withheld(result, "value")
    given = {f.name: getattr(chart, f.name) for f in fields(chart)}
    if isinstance(chart, charts.Benchmarks):
        return compare.benchmark_dots(table, **given, withheld=withheld)
    if isinstance(chart, charts.RankedAreas):
        return compare.ranked_areas(table, **given, withheld=withheld)
    if isinstance(chart, charts.RankedRegions):
        return compare.region_dots(table, **given, withheld=withheld)
    if isinstance(chart, charts.Funnel):
        return compare.funnel_plot(table, **given)
    if isinstance(chart, charts.IndicatorMap):
        return compare.indicator_map(table, geojson=BOUNDARIES_URL, **given)
    return compare.area_trend(table, **given)


def draw_card(card, *, narrow: bool = False) -> go.Figure:
    """A rendered card's figure (views.Card): the part year is drawn apart on the extract's charts; laid
    out for a phone when ``narrow``; a card with nothing to show (or that could not be asked) has an empty one."""
    if card.empty:
        return empty_figure()
    drawn = draw(
        card.chart,
        card.result,
        part_year=card.context.part_year if card.spec.source == "extract" else None,
        narrow=narrow,
    )
    return for_narrow_screen(drawn) if narrow else drawn
