"""Builders for comparisons with other areas: ranked dots with intervals, a funnel plot, a map of any
published indicator and a trend against England.

Pure, like every builder: a tidy table in, a new Figure out. Each area's kind (the service, its
region, a neighbour, a quartile band, a funnel reading) is told by the marker's shape and the legend as
well as its colour, and every label a chart writes is in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .theme import GREY, HIGHLIGHT, MAP_COLOURS, OKABE_ITO, PLAIN, TEXT, base_layout, figure

#: Pixels per area in a ranked chart: enough for every name at the chart's type size, so none is skipped.
ROW_HEIGHT = 26
#: The room a card keeps for its chart before it is drawn (assets/style.css): a shorter chart would leave a gap.
MIN_HEIGHT = 460
#: Four steps of the maps' Blues (theme.MAP_COLOURS), light (lowest rates) to dark: lightness alone tells
#: them apart, so they read the same with every colour-vision deficiency; each dot has a dark outline.
QUARTILE_COLOURS = tuple(colour for _, colour in MAP_COLOURS[1:])
QUARTILE_WORDS = ("Lowest quarter", "Second quarter", "Third quarter", "Highest quarter")
#: A funnel reading's marker: (colour, symbol). Above is a triangle up, below down; beyond 99.8% darker.
FUNNEL_MARKERS = {
    "above the 99.8% limit": (OKABE_ITO[5], "triangle-up"),
    "above the 95% limit": (OKABE_ITO[1], "triangle-up"),
    "within the limits": ("#b1b4b6", "circle"),
    "below the 95% limit": (OKABE_ITO[4], "triangle-down"),
    "below the 99.8% limit": (OKABE_ITO[0], "triangle-down"),
}


@dataclass(frozen=True)
class DotStyle:
    """How one kind of area is drawn in a ranked chart, and its legend entry."""

    name: str
    colour: str
    symbol: str
    size: int = 12


def _numbers(column) -> np.ndarray:
    return pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def ranked_dots(
    rows: pd.DataFrame,
    *,
    styles: dict[str, DotStyle],
    x_title: str,
    reference: tuple[str, float] | None = None,
    withheld: bool = False,
) -> go.Figure:
    """Areas as dots, top to bottom in the order given, each with its 95% interval where it has one, and the
    reference (England) as a dashed vertical line named in the legend. ``rows``: ``label`` (the y axis's
    words), ``value``, ``ci_low``, ``ci_high``, ``kind`` (a key of ``styles``) and ``hover``. Every area's
    name is written (the axis lists them all, none dropped when close), and the chart grows with the rows."""
    rows = rows.reset_index(drop=True)
    traces = []
    if reference is not None and not pd.isna(reference[1]):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": reference[0],
                "x": [reference[1]] * 2,
                "y": [-0.5, max(len(rows), 1) - 0.5],
                "hoverinfo": "skip",
                "line": {"color": TEXT, "dash": "dash", "width": 2},
            }
        )
    for kind, style in styles.items():
        mine = rows[rows["kind"] == kind]
        if mine.empty:
            continue
        value, low, high = _numbers(mine["value"]), _numbers(mine["ci_low"]), _numbers(mine["ci_high"])
        trace = {
            "type": "scatter",
            "mode": "markers",
            "name": style.name,
            "x": value,
            "y": mine.index.to_numpy(dtype="int64"),
            "customdata": mine["hover"].tolist(),
            "hovertemplate": "%{customdata}<extra></extra>",
            "marker": {
                "color": style.colour,
                "symbol": style.symbol,
                "size": style.size,
                "line": {"color": TEXT, "width": 1},
            },
        }
        if not np.isnan(low).all():
            trace["error_x"] = {
                "type": "data",
                "symmetric": False,
                "array": high - value,
                "arrayminus": value - low,
                "color": TEXT,
                "thickness": 1.5,
                "width": 4,
            }
        traces.append(trace)
    # From zero to a little past the highest dot, interval or line, so the national line is never on the edge.
    reach = [
        v
        for v in (
            *_numbers(rows["value"]),
            *_numbers(rows["ci_high"]),
            reference[1] if reference is not None else np.nan,
        )
        if not pd.isna(v)
    ]
    return figure(
        traces,
        base_layout(
            x_title=x_title,
            withheld=withheld,
            height=max(MIN_HEIGHT, ROW_HEIGHT * max(len(rows), 1) + 190),
            margin={"t": 90},
            legend={"font": {"size": 14}},
            xaxis={"range": [0, max(reach) * 1.06] if reach else None, "showgrid": True, "gridcolor": "#e5e5e5"},
            yaxis={
                "tickmode": "array",
                "tickvals": list(range(len(rows))),
                "ticktext": rows["label"].tolist(),
                "range": [max(len(rows), 1) - 0.5, -0.5],
                "showgrid": True,
                "gridcolor": "#f0f0f0",
                "automargin": True,
                "tickfont": {"size": 14},
                "ticks": "",
            },
        ),
    )


def _national_line(national: pd.DataFrame, number: str) -> tuple[str, float] | None:
    """The national row as a ranked chart's line: its name with its value, and the value."""
    if national.empty:
        return None
    name, value = national.iloc[0]["area"], national.iloc[0]["value"]
    return f"{name} {number.format(value)}", value


def _interval_words(low, high, number: str) -> str:
    return "" if pd.isna(low) or pd.isna(high) else f"; 95% interval {number.format(low)} to {number.format(high)}"


def benchmark_dots(
    table: pd.DataFrame, *, x_title: str, number: str, neighbours_of: str | None = None, withheld: bool = False
) -> go.Figure:
    """One service against England (the line), its region and its statistical neighbours, ranked lowest
    first (the benchmarks measure's rows for one indicator and period). ``neighbours_of`` names the
    published service whose neighbours are shown when the service is compared as another."""
    national = table[table["area_type"].isin(("england", "england_and_wales"))]
    shown = table[~table.index.isin(national.index) & table["value"].notna()].sort_values("value", kind="stable")
    suffix = {"service": " (your extract)", "published_service": " (published)", "region": " (region)"}
    labels = [f"{area}{suffix.get(kind, '')}" for kind, area in zip(shown["area_type"], shown["area"])]
    rows = pd.DataFrame(
        {
            "label": labels,
            "value": shown["value"].to_numpy(),
            "ci_low": shown["ci_low"].to_numpy(),
            "ci_high": shown["ci_high"].to_numpy(),
            "kind": shown["area_type"].to_numpy(),
        }
    )
    rows["hover"] = [
        f"{label}: {number.format(v)}{_interval_words(lo, hi, number)}"
        for label, v, lo, hi in zip(rows["label"], rows["value"], rows["ci_low"], rows["ci_high"])
    ]
    neighbours = f"{neighbours_of}'s statistical neighbours (DfE)" if neighbours_of else "Statistical neighbours (DfE)"
    published = f"{neighbours_of}'s published figure" if neighbours_of else "Published figure"
    styles = {
        "service": DotStyle("The service (its extract)", HIGHLIGHT, "diamond", 16),
        "published_service": DotStyle(published, HIGHLIGHT, "diamond-open", 15),
        "region": DotStyle("Region", OKABE_ITO[2], "square", 13),
        "neighbour": DotStyle(neighbours, OKABE_ITO[0], "circle", 12),
        "neighbour_average": DotStyle("Neighbours' average", GREY, "cross", 13),
    }
    return ranked_dots(
        rows, styles=styles, x_title=x_title, reference=_national_line(national, number), withheld=withheld
    )


def ranked_areas(
    table: pd.DataFrame,
    *,
    x_title: str,
    number: str,
    highlight: str | None = None,
    region: str | None = None,
    withheld: bool = False,
) -> go.Figure:
    """Services ranked lowest first in their quartile bands (the compare-areas measure's rows for one period:
    its services and national figure), with intervals where the source gives counts. The highlighted
    service is a star; services of ``region`` are in bold."""
    national = table[table["area_type"].isin(("england", "england_and_wales"))]
    shown = table[(table["area_type"] == "service") & table["value"].notna()].sort_values(["rank", "area"])
    kinds = ["highlight" if area == highlight else f"q{int(q)}" for area, q in zip(shown["area"], shown["quartile"])]
    labels = [
        f"<b>{rank}. {area}</b>" if (region and in_region == region) or area == highlight else f"{rank}. {area}"
        for rank, area, in_region in zip(shown["rank"], shown["area"], shown["region"])
    ]
    hover = [
        f"{area}: {number.format(v)}{_interval_words(lo, hi, number)}<br>ranked {rank} of {of}, "
        f"{QUARTILE_WORDS[int(q) - 1].lower()}" + (f"<br>{funnel} around the national rate" if funnel else "")
        for area, v, lo, hi, rank, of, q, funnel in zip(
            shown["area"],
            shown["value"],
            shown["ci_low"],
            shown["ci_high"],
            shown["rank"],
            shown["out_of"],
            shown["quartile"],
            shown["funnel"].where(shown["funnel"].notna(), ""),
        )
    ]
    rows = pd.DataFrame(
        {
            "label": labels,
            "value": shown["value"].to_numpy(),
            "ci_low": shown["ci_low"].to_numpy(),
            "ci_high": shown["ci_high"].to_numpy(),
            "kind": kinds,
            "hover": hover,
        }
    )
    symbols = ("circle", "square", "diamond", "triangle-up")
    styles = {f"q{q + 1}": DotStyle(QUARTILE_WORDS[q], QUARTILE_COLOURS[q], symbols[q]) for q in range(4)}
    if highlight in set(shown["area"]):
        quarter = shown.loc[shown["area"] == highlight, "quartile"].iloc[0]
        styles["highlight"] = DotStyle(
            f"{highlight} ({QUARTILE_WORDS[int(quarter) - 1].lower()})", HIGHLIGHT, "star", 17
        )
    return ranked_dots(
        rows, styles=styles, x_title=x_title, reference=_national_line(national, number), withheld=withheld
    )


def region_dots(
    table: pd.DataFrame, *, x_title: str, number: str, region: str | None = None, withheld: bool = False
) -> go.Figure:
    """The regions ranked lowest first, with intervals where the source gives counts, the chosen ``region`` a
    diamond, and the national figure as a line (the compare-areas measure's region and national rows)."""
    national = table[table["area_type"].isin(("england", "england_and_wales"))]
    shown = table[(table["area_type"] == "region") & table["value"].notna()].sort_values(["value", "area"])
    rows = pd.DataFrame(
        {
            "label": shown["area"].to_numpy(),
            "value": shown["value"].to_numpy(),
            "ci_low": shown["ci_low"].to_numpy(),
            "ci_high": shown["ci_high"].to_numpy(),
            "kind": ["chosen" if area == region else "region" for area in shown["area"]],
        }
    )
    rows["hover"] = [
        f"{label}: {number.format(v)}{_interval_words(lo, hi, number)}"
        for label, v, lo, hi in zip(rows["label"], rows["value"], rows["ci_low"], rows["ci_high"])
    ]
    styles = {"region": DotStyle("Regions", OKABE_ITO[0], "circle", 12)}
    if region:
        styles["chosen"] = DotStyle(region, HIGHLIGHT, "diamond", 16)
    return ranked_dots(
        rows, styles=styles, x_title=x_title, reference=_national_line(national, number), withheld=withheld
    )


def funnel_plot(
    table: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    per: float,
    reference: tuple[str, float],
    y_title: str,
    number: str,
    highlight: str | None = None,
    region: str | None = None,
) -> go.Figure:
    """Each service's rate (its count over its population, ``per`` children) against its population aged 10
    to 17, inside the 95% and 99.8% ``limits`` around the national rate (``reference``: its name and rate);
    points are shaped by where they fall. Services of ``region`` have a thick outline; the highlighted one
    is a labelled star."""
    services = table[(table["area_type"] == "service") & table["count"].notna() & table["population"].notna()]
    rate = services["count"].astype("float64") / services["population"].astype("float64") * per
    population = _numbers(limits["population"])
    traces = []
    for column, level, dash in (
        ("high_998", "99.8% limits", "dot"),
        ("low_998", None, "dot"),
        ("high_95", "95% limits", "dash"),
        ("low_95", None, "dash"),
    ):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": population,
                "y": _numbers(limits[column]),
                "name": level or "",
                "showlegend": level is not None,
                "legendgroup": column[-3:],
                "hoverinfo": "skip",
                "line": {"color": TEXT if dash == "dash" else GREY, "dash": dash, "width": 1.5},
            }
        )
    name, value = reference
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [population[0], population[-1]],
            "y": [value, value],
            "name": f"{name} {number.format(value)}",
            "hoverinfo": "skip",
            "line": {"color": TEXT, "width": 2},
        }
    )
    for reading, (colour, symbol) in FUNNEL_MARKERS.items():
        mine = services[services["funnel"] == reading]
        if mine.empty:
            continue
        outline = [3 if region and r == region else 1 for r in mine["region"]]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": reading[:1].upper() + reading[1:],
                "x": _numbers(mine["population"]),
                "y": _numbers(rate.loc[mine.index]),
                "marker": {"color": colour, "symbol": symbol, "size": 11, "line": {"color": TEXT, "width": outline}},
                "customdata": [
                    f"{a}: {number.format(r)} ({int(c):,} of {int(p):,} children)<br>{reading}"
                    for a, r, c, p in zip(mine["area"], rate.loc[mine.index], mine["count"], mine["population"])
                ],
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )
    mine = services[services["area"] == highlight] if highlight else services.iloc[:0]
    if not mine.empty:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": highlight,
                "text": [highlight],
                "textposition": "top center",
                "x": _numbers(mine["population"]),
                "y": _numbers(rate.loc[mine.index]),
                "hoverinfo": "skip",
                "marker": {"color": HIGHLIGHT, "symbol": "star", "size": 18, "line": {"color": TEXT, "width": 1}},
            }
        )
    return figure(
        traces,
        base_layout(
            x_title="Children aged 10 to 17 in the area",
            y_title=y_title,
            height=520,
            margin={"t": 90},
            xaxis={"rangemode": "tozero", "tickformat": ",d"},
            yaxis={"rangemode": "tozero"},
        ),
    )


def indicator_map(
    table: pd.DataFrame,
    areas: pd.DataFrame,
    geojson: dict | str,
    *,
    unit: str,
    number: str,
    highlight: str | None = None,
) -> go.Figure:
    """A service's published figure drawn on every authority it covers (``areas``: yjs -> April 2019 county
    or unitary codes), darker for higher; the colour bar names the unit."""
    data = areas.merge(table[["area", "value"]].rename(columns={"area": "yjs"}), on="yjs", how="inner")
    data = data[data["value"].notna()]
    covers = data.groupby("yjs")["ctyua_name"].transform(lambda names: ", ".join(names))
    traces = [
        {
            "type": "choropleth",
            "geojson": geojson,
            "locations": data["ctyua_code"].tolist(),
            "featureidkey": "properties.CTYUA19CD",
            "z": _numbers(data["value"]),
            "colorscale": MAP_COLOURS,
            "marker": {"line": {"color": GREY, "width": 0.4}},
            "colorbar": {"title": {"text": unit}},
            "customdata": [
                f"{yjs}: {number.format(v)}<br>covers {names}"
                for yjs, v, names in zip(data["yjs"], data["value"], covers)
            ],
            "hovertemplate": "%{customdata}<extra></extra>",
        }
    ]
    mine = data[data["yjs"] == highlight] if highlight else data.iloc[:0]
    if not mine.empty:
        traces.append(
            {
                "type": "choropleth",
                "geojson": geojson,
                "locations": mine["ctyua_code"].tolist(),
                "z": [1] * len(mine),
                "featureidkey": "properties.CTYUA19CD",
                "showscale": False,
                "hoverinfo": "skip",
                "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                "marker": {"line": {"color": HIGHLIGHT, "width": 3}},
            }
        )
    # Zoom in and out by the map's own buttons (theme.GRAPH_CONFIG), not by dragging.
    return figure(
        traces,
        {
            "template": PLAIN,
            "geo": {"fitbounds": "locations", "visible": False},
            "dragmode": False,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "height": 560,
            "font": {"family": "Arial, Helvetica, sans-serif", "size": 15, "color": TEXT},
        },
    )


def area_trend(
    table: pd.DataFrame, *, y_title: str, number: str, highlight: str | None = None, region: str | None = None
) -> go.Figure:
    """The national figure, the region, the highlighted service and the region's other services across periods
    (the compare-areas measure's rows): the national line dashed and black with squares, the region blue with
    circles, the highlighted service orange with diamonds, the others thin and grey (named on hover)."""
    periods = list(dict.fromkeys(table["period"]))
    traces = []

    def line(rows, name, colour, width, *, legend=None, dash="solid", symbol=None, **extra):
        traces.append(
            {
                "type": "scatter",
                "x": rows["period"].tolist(),
                "y": _numbers(rows["value"]),
                "name": legend or name,
                "mode": "lines+markers" if symbol else "lines",
                "line": {"color": colour, "width": width, "dash": dash},
                **({"marker": {"symbol": symbol, "size": 9}} if symbol else {}),
                "customdata": [
                    f"{name}<br>{period}: {'no figure' if pd.isna(v) else number.format(v)}"
                    for period, v in zip(rows["period"], rows["value"])
                ],
                "hovertemplate": "%{customdata}<extra></extra>",
                **extra,
            }
        )

    others = table[(table["area_type"] == "service") & (table["area"] != highlight)]
    for index, (area, rows) in enumerate(others.groupby("area", sort=True)):
        line(
            rows,
            area,
            "#b1b4b6",
            1.5,
            legend=f"Other services in {region}" if region else "Other services",
            legendgroup="others",
            showlegend=index == 0,
        )
    for area, rows in table[table["area_type"] == "region"].groupby("area", sort=False):
        line(rows, f"{area} (region)", OKABE_ITO[0], 3, symbol="circle")
    for area, rows in table[table["area_type"].isin(("england", "england_and_wales"))].groupby("area", sort=False):
        line(rows, area, TEXT, 3, dash="dash", symbol="square")
    mine = table[(table["area_type"] == "service") & (table["area"] == highlight)] if highlight else table.iloc[:0]
    if not mine.empty:
        line(mine, highlight, HIGHLIGHT, 4, symbol="diamond")
    return figure(
        traces,
        base_layout(
            y_title=y_title,
            yaxis={"rangemode": "tozero"},
            xaxis={"type": "category", "categoryorder": "array", "categoryarray": periods},
        ),
    )
