"""The key performance indicators' charts: small multiples across quarters, pathways (need found, help
offered, taken up), what was not recorded, and the board's attendance grid.

Pure builders like the rest of dashboard/figures: a measure's table in (withheld cells null, never
drawn), a Figure out. Shares are drawn on 0 to 100%, never on an axis that starts at the lowest value: a
board reading a quarter's wobble of two children as a cliff is the misreading these charts must not invite.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..views.charts import MOST_CURVES
from ..views.texts import WITHHELD_NOTE
from .theme import GREY, MAP_COLOURS, OKABE_ITO, PLAIN, TEXT, figure

#: The board's grid shows this many periods at most (the table has them all).
GRID_PERIODS = 2 * MOST_CURVES
FONT = {"family": "Arial, Helvetica, sans-serif", "size": 15, "color": TEXT}
DASHES = ["solid", "dash", "dot", "longdash"]


def _values(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _periods(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["period"]))


def _grid(count: int, columns: int, *, gap_x: float = 0.08, gap_y: float = 0.16) -> list[tuple[list, list]]:
    """(x domain, y domain) of each of ``count`` panels, ``columns`` a row, filled from the top left."""
    rows = math.ceil(count / columns)
    width = (1 - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * (rows - 1)) / rows
    cells = []
    for i in range(count):
        row, column = divmod(i, columns)
        left, top = column * (width + gap_x), 1 - row * (height + gap_y)
        cells.append(([left, left + width], [top - height, top]))
    return cells


def _notes(lines: list[str], height: int) -> dict:
    """Grey notes under the panels (the withheld mark, what is left out)."""
    text = "<br>".join(f'<span style="font-size:13px;color:{GREY}">{line}</span>' for line in lines)
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": -70 / height,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "align": "left",
    }


def _figure(traces: list[dict], height: int, margin: dict, **layout) -> go.Figure:
    """A KPI chart's figure: the layout every one of them shares (plain, no dragging), its height and margins,
    and its own ``layout`` (axes, annotations)."""
    return figure(
        traces, {"template": PLAIN, "font": FONT, "height": height, "dragmode": False, "margin": margin, **layout}
    )


def _shown(value: float, unit: str) -> str:
    if value != value:
        return "c (withheld)"
    return f"{value:.0f}%" if unit == "%" else f"{value:,.1f} {unit}"


def panels(table: pd.DataFrame, specs, *, withheld: bool = False) -> go.Figure:
    """A small chart per KPI across periods (``specs``: views.charts.Panels.panels), its latest figure in its
    title; shares on 0 to 100%. A period whose figure is withheld is a gap in its line."""
    periods = _periods(table)
    keyed = {(k, m, y): rows for (k, m, y), rows in table.groupby(["kpi", "measure", "yjs"], sort=False)}
    services = list(dict.fromkeys(table["yjs"]))
    columns = min(3, len(specs))
    rows = math.ceil(len(specs) / columns) if specs else 1
    height = max(460, 150 + 260 * rows)
    traces, layout, titles, seen = [], {}, [], set()
    for i, ((title, unit, lines), (x_domain, y_domain)) in enumerate(zip(specs, _grid(len(specs), columns))):
        axis = "" if i == 0 else str(i + 1)
        latest = None
        for j, (kpi, measure, label) in enumerate(lines):
            for s, service in enumerate(services):
                found = keyed.get((kpi, measure, service))
                if found is None:
                    continue
                values = pd.Series(_values(found["rate"]), index=found["period"]).reindex(periods)
                if latest is None and values.notna().any():
                    latest = (values.dropna().index[-1], values.dropna().iloc[-1])
                name = label if len(services) == 1 else f"{label}, {service}"
                colour = OKABE_ITO[(j + s * len(lines)) % len(OKABE_ITO)]
                traces.append(
                    {
                        "type": "scatter",
                        "x": periods,
                        "y": values.to_numpy(),
                        "xaxis": f"x{axis}",
                        "yaxis": f"y{axis}",
                        "mode": "lines+markers",
                        "name": name,
                        "legendgroup": name,
                        "showlegend": len(lines) > 1 and name not in seen,
                        "connectgaps": False,
                        "line": {"color": colour, "width": 3, "dash": DASHES[j % len(DASHES)]},
                        "marker": {"size": 7, "symbol": j % 8, "color": colour},
                        "hovertemplate": f"{name}<br>%{{x}}: %{{y:.1f}}"
                        f"{'%' if unit == '%' else ' ' + unit}<extra></extra>",
                    }
                )
                seen.add(name)
        said = (
            f"<b>{title}</b><br>{_shown(latest[1], unit)} in {latest[0]}"
            if latest and len(lines) == 1
            else f"<b>{title}</b>" + ("" if latest else "<br>no figure shown")
        )
        titles.append(
            {
                "text": said,
                "xref": f"x{axis} domain",
                "yref": f"y{axis} domain",
                "x": 0,
                "y": 1.03,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "left",
                "font": {"size": 14},
            }
        )
        ticks = [periods[0], periods[-1]] if len(periods) > 1 else periods
        layout[f"xaxis{axis}"] = {
            "domain": x_domain,
            "anchor": f"y{axis}",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": periods,
            "tickmode": "array",
            "tickvals": ticks,
            "tickangle": 0,
            "showline": True,
            "linecolor": TEXT,
            "ticks": "outside",
            "fixedrange": True,
            "tickfont": {"size": 12},
        }
        layout[f"yaxis{axis}"] = {
            "domain": y_domain,
            "anchor": f"x{axis}",
            "showline": True,
            "linecolor": TEXT,
            "gridcolor": "#e5e5e5",
            "fixedrange": True,
            "tickfont": {"size": 12},
            **(
                {"range": [0, 100], "ticksuffix": "%", "dtick": 25}
                if unit == "%"
                else {"rangemode": "tozero", "title": {"text": unit, "font": {"size": 12}}}
            ),
        }
    notes = [WITHHELD_NOTE] if withheld else []
    return _figure(
        traces,
        height,
        {"l": 60, "r": 20, "t": 60, "b": 60 + 20 * len(notes)},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 40 / height, "x": 0},
        hoverlabel={"font": {"size": 15}},
        showlegend=True,
        annotations=[*titles, *([_notes(notes, height)] if notes else [])],
        **layout,
    )


def _latest(table: pd.DataFrame) -> str | None:
    return _periods(table)[-1] if len(table) else None


def pathway_steps(table: pd.DataFrame, groups, *, withheld: bool = False) -> go.Figure:
    """Each group's pathway for the latest period, a bar per step (``groups``: views.charts.PathwaySteps.groups),
    the count and its share written on it. A withheld step has no bar and says c."""
    latest = _latest(table)
    rows = table[table["period"] == latest].set_index(["kpi", "measure"]) if latest else table
    # One scale for every group, so two pathways side by side compare by the length of their bars.
    known = [
        v
        for _, steps in groups
        for kpi, measure, column, *_ in steps
        if (kpi, measure) in rows.index
        for v in [_values(pd.Series([rows.loc[(kpi, measure), column]]))[0]]
        if v == v
    ]
    most = max(known, default=1) or 1
    traces, layout, titles = [], {}, []
    for i, ((title, steps), (x_domain, y_domain)) in enumerate(
        zip(groups, _grid(len(groups), len(groups), gap_x=0.22))
    ):
        axis = "" if i == 0 else str(i + 1)
        labels, values, texts = [], [], []
        for kpi, measure, column, label, of in steps:
            found = rows.loc[(kpi, measure)] if (kpi, measure) in rows.index else None
            value = np.nan if found is None else _values(pd.Series([found[column]]))[0]
            share = np.nan if found is None or column == "base" else _values(pd.Series([found["rate"]]))[0]
            labels.append(label)
            values.append(value)
            texts.append(
                "c (withheld)"
                if value != value
                else f"{value:,.0f}" + (f" ({share:.0f}% of {of})" if share == share and of else "")
            )
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": labels,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "marker": {"color": OKABE_ITO[i % len(OKABE_ITO)]},
                "text": texts,
                "textposition": "outside",
                "cliponaxis": False,
                "name": title,
                "showlegend": False,
                "hovertemplate": "%{y}: %{text}<extra></extra>",
            }
        )
        titles += _withheld_marks(labels, values, f"x{axis}", f"y{axis}")
        titles.append(
            {
                "text": f"<b>{title}, {latest}</b>",
                "xref": f"x{axis} domain",
                "yref": f"y{axis} domain",
                "x": 0,
                "y": 1.02,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
        layout[f"xaxis{axis}"] = {
            "domain": x_domain,
            "anchor": f"y{axis}",
            "range": [0, most * 1.9],
            "showline": True,
            "linecolor": TEXT,
            "fixedrange": True,
            "rangemode": "tozero",
        }
        layout[f"yaxis{axis}"] = {
            "domain": y_domain,
            "anchor": f"x{axis}",
            "autorange": "reversed",
            "fixedrange": True,
            "automargin": True,
        }
    height = max(460, 160 + 70 * max((len(steps) for _, steps in groups), default=1))
    notes = [WITHHELD_NOTE] if withheld else []
    return _figure(
        traces,
        height,
        {"l": 20, "r": 20, "t": 50, "b": 70 + 20 * len(notes)},
        annotations=[*titles, *([_notes(notes, height)] if notes else [])],
        hoverlabel={"font": {"size": 15}},
        **layout,
    )


def not_recorded(table: pd.DataFrame, labels, *, withheld: bool = False) -> go.Figure:
    """For the latest period, the share of each figure's base whose answer was not recorded, a bar each
    (``labels``: (kpi, measure, words)), with the numbers written on it."""
    latest = _latest(table)
    rows = table[table["period"] == latest].set_index(["kpi", "measure"]) if latest else table
    shown = [(words, rows.loc[(k, m)]) for k, m, words in labels if (k, m) in rows.index]
    percent = [_values(pd.Series([r["percent_not_recorded"]]))[0] for _, r in shown]
    text = [
        "c (withheld)" if p != p else f"{int(r['not_recorded']):,} of {int(r['base']):,}"
        for p, (_, r) in zip(percent, shown)
    ]
    names = [w for w, _ in shown]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": percent,
        "y": names,
        "text": text,
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": GREY},
        "showlegend": False,
        "hovertemplate": "%{y}: %{x:.0f}% not recorded (%{text})<extra></extra>",
    }
    height = 140 + 30 * len(shown)
    notes = [f"{latest}."] + ([WITHHELD_NOTE] if withheld else []) if latest else []
    return _figure(
        [trace],
        height,
        {"l": 20, "r": 40, "t": 20, "b": 80 + 18 * len(notes)},
        xaxis={
            "range": [0, 100],
            "ticksuffix": "%",
            "showline": True,
            "linecolor": TEXT,
            "fixedrange": True,
            "title": {"text": "Not recorded"},
        },
        yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        annotations=[*_withheld_marks(names, percent, "x", "y"), *([_notes(notes, height)] if notes else [])],
    )


def _withheld_marks(labels: list[str], values: list[float], x: str, y: str) -> list[dict]:
    """'c (withheld)' written where a withheld bar would start: a bar that is not drawn must still say why."""
    return [
        {
            "text": "c (withheld)",
            "x": 0,
            "y": label,
            "xref": x,
            "yref": y,
            "xanchor": "left",
            "showarrow": False,
            "xshift": 4,
        }
        for label, value in zip(labels, values)
        if value != value
    ]


def attendance_grid(table: pd.DataFrame, partners, *, withheld: bool = False) -> go.Figure:
    """Partners down, the latest GRID_PERIODS periods across: each square says how many of the meetings
    the partner came to, darker the more (words carry it too); an empty cell had no meeting."""
    periods = _periods(table)
    kept, notes = periods[-GRID_PERIODS:], []
    if len(periods) > GRID_PERIODS:
        notes.append(f"The latest {GRID_PERIODS} periods; the table has every one.")
    data = table[table["period"].isin(kept)]
    words = dict(partners)
    services = list(dict.fromkeys(data["yjs"]))
    rows = [
        f"{words.get(p, p)}" if len(services) == 1 else f"{s}: {words.get(p, p)}"
        for s, p in zip(data["yjs"], data["partner"])
    ]
    share = _values(data["attended_percent"])
    text = [
        "no meeting" if m == 0 else ("came" if a else "absent") if m == 1 else f"{a} of {m}"
        for a, m in zip(data["attended"], data["meetings"])
    ]
    scale = MAP_COLOURS
    dark = share >= 60
    trace = {
        "type": "scatter",
        "mode": "markers+text",
        "x": data["period"].tolist(),
        "y": rows,
        "text": text,
        "textfont": {"size": 13, "color": ["white" if d else TEXT for d in dark]},
        "marker": {
            "symbol": "square",
            "size": 46,
            "color": np.nan_to_num(share, nan=0.0),
            "colorscale": scale,
            "cmin": 0,
            "cmax": 100,
            "line": {"color": GREY, "width": 1},
            "showscale": False,
        },
        "customdata": [[int(s)] for s in data["senior"]],
        "hovertemplate": "%{y}, %{x}: attended %{text} (%{customdata[0]} at the agreed seniority)<extra></extra>",
        "showlegend": False,
    }
    labels = list(dict.fromkeys(rows))
    height = 120 + 56 * len(labels)
    return _figure(
        [trace],
        height,
        {"l": 20, "r": 20, "t": 20, "b": 70 + 18 * len(notes)},
        xaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": kept,
            "side": "top",
            "fixedrange": True,
            "showgrid": False,
            "tickangle": 0,
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "fixedrange": True,
            "automargin": True,
            "showgrid": False,
            "range": [-0.6, len(labels) - 0.4],
        },
        annotations=[_notes(notes, height)] if notes else [],
    )
