"""Colours and layout every chart shares.

The Okabe-Ito palette stays distinguishable with the common colour-vision deficiencies. Each
category keeps its colour on every page, and meaning is never carried by colour alone (labels,
marker shapes and the table view carry it too).
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go

from ..views.texts import GROUP_WORDS, WITHHELD_NOTE

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GREY = "#6F777B"
TEXT = "#0B0C0C"
HIGHLIGHT = "#D55E00"

ETHNICITY_COLOURS = {
    "White": "#0072B2",
    "Mixed": "#E69F00",
    "Asian": "#009E73",
    "Black": "#CC79A7",
    "Other": "#56B4E9",
    "Unknown": GREY,
}
SEX_COLOURS = {"male": "#0072B2", "female": "#E69F00", "unknown": GREY}
AGE_BAND_COLOURS = {"10-14": "#009E73", "15-17": "#CC79A7"}
TIER_COLOURS = {
    "Prevention": "#56B4E9",
    "Diversion": "#009E73",
    "Pre-court": "#E69F00",
    "First-tier": "#0072B2",
    "Community": "#CC79A7",
    "Custody": "#D55E00",
}
#: A reference group as the end of "compared with ...".
REFERENCE_WORDS = {
    "male": "boys",
    "female": "girls",
    "10-14": "children aged 10 to 14",
    "15-17": "children aged 15 to 17",
}
GROUP_COLOURS = {**ETHNICITY_COLOURS, **SEX_COLOURS, **AGE_BAND_COLOURS}
GROUP_COLOURS.update({GROUP_WORDS[g]: c for g, c in list(GROUP_COLOURS.items()) if g in GROUP_WORDS})

#: Sequential, light (low) to dark (high): ColorBrewer's Blues, which varies in lightness alone and so
#: reads the same with every colour-vision deficiency; its palest step is kept off white.
MAP_COLOURS = [[0.0, "#deebf7"], [0.25, "#9ecae1"], [0.5, "#4292c6"], [0.75, "#2171b5"], [1.0, "#08306b"]]
#: Bars of a part year are hatched (a pattern carries it without colour) and labelled "part year".
PART_YEAR_PATTERN = "/"


#: The dcc.Graph config of every chart card. No plotly toolbar on cartesian charts (their axes are
#: fixed, and the card's own buttons download the chart and its data): no tab stops that duplicate
#: them, and no button that sends anything off this machine. The map keeps zoom in, zoom out and reset
#: for small authorities. No wheel zoom, so scrolling the page never gets caught by a chart.
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "topojsonURL": "/assets/topojson/",
    "scrollZoom": False,
    "showTips": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "modeBarButtonsToRemove": [
        "toImage",
        "downloadJson",
        "sendChartToCloud",
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
        "toggleSpikelines",
        "hoverClosestGeo",
    ],
}


def colour_for(name: str, index: int = 0) -> str:
    return GROUP_COLOURS.get(name) or TIER_COLOURS.get(name) or OKABE_ITO[index % len(OKABE_ITO)]


def group_words(group: str) -> str:
    return GROUP_WORDS.get(group, group)


#: A small template of our own: plotly's named templates add ~8 KB and ~20 ms to every figure.
PLAIN = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": OKABE_ITO,
        # Fixed axes: no drag-to-zoom to undo (a finger scrolling the page on a phone never zooms a chart);
        # automargin keeps long labels and axis titles clear of the tick numbers.
        "xaxis": {
            "showline": True,
            "linecolor": TEXT,
            "ticks": "outside",
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
            "title": {"standoff": 12},
        },
        "yaxis": {
            "showline": True,
            "linecolor": TEXT,
            "ticks": "outside",
            "showgrid": True,
            "gridcolor": "#e5e5e5",
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
            "title": {"standoff": 12},
        },
    }
)


def figure(traces: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain dicts, skipping plotly's per-property validation: that took 10-15 ms a
    chart, most of a click. tests/figures validates every builder's output instead."""
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def merged(base: dict, extra: dict) -> dict:
    """``base`` with ``extra`` laid over it: nested dicts merged, lists joined, other values replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*value, *out[key]]
        else:
            out[key] = value
    return out


#: Characters in a line of the notes under a chart: short enough for a phone; under bars lying down on a
#: phone (their names take half the width) shorter still.
NOTE_WIDTH, NARROW_NOTE_WIDTH = 44, 28


def base_layout(
    *,
    x_title: str = "",
    y_title: str = "",
    withheld: bool = False,
    notes: list[str] = (),
    note_width: int = NOTE_WIDTH,
    **extra,
) -> dict:
    """Plain, large type for a projector. The withheld note (when any value is not shown) and ``notes``
    are written in small grey lines under the x axis's title, where the axis keeps room for them
    whatever its labels take, short enough for a phone. ``extra`` (a chart's own layout) is merged over it."""
    lines = [
        part for line in [*([WITHHELD_NOTE] if withheld else []), *notes] for part in textwrap.wrap(line, note_width)
    ]
    small = "<br>".join(f'<span style="font-size:13px;color:{GREY}">{line}</span>' for line in lines)
    # Margins that usually fit the labels, title, notes and a legend row already: automargin then only
    # steps in for long labels, and each extra step is a second drawing of the chart (20-40 ms).
    labels = 2 if extra.get("xaxis", {}).get("labelalias") else 1
    bottom = 48 + 20 * labels + (22 if x_title else 0) + 17 * len(lines)
    layout = {
        "template": PLAIN,
        "font": {"family": "Arial, Helvetica, sans-serif", "size": 15, "color": TEXT},
        "margin": {"l": 80, "r": 20, "t": 60, "b": bottom},
        "dragmode": False,
        "hoverlabel": {"font": {"size": 15}},
        "height": 460,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "xaxis": {"title": {"text": "<br>".join(t for t in (x_title, small) if t)}},
        "yaxis": {"title": {"text": y_title}},
        "separators": ".,",
    }
    return merged(layout, extra)


def empty_figure() -> go.Figure:
    """A chart with nothing in it (a pack's or an image's card with nothing to show)."""
    return figure(
        [],
        {
            "template": PLAIN,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "height": 460,
        },
    )


#: Type on a phone: the plot needs the width more than the labels need size; the least height its plot
#: keeps, in pixels, below the legend and above the axis labels and notes.
NARROW_FONT, NARROW_PLOT = 13, 260


def for_narrow_screen(drawn: go.Figure) -> go.Figure:
    """The figure laid out for a phone held upright (about 350 pixels for the whole chart): smaller type
    and a narrower left margin (the axis makes room for its labels), so the plot keeps the width; the
    part year's label on one line, since a phone's axis labels are turned on their side and a second
    line would print over the next label; and the plot made taller by what the legend's extra rows
    take (a legend wraps to several rows there)."""
    layout = drawn.layout
    if layout.geo.fitbounds:  # the map: only shorter, the country fits the width
        return drawn.update_layout(height=420)
    entries = sum(1 for trace in drawn.data if trace.showlegend is not False and trace.name)
    margin = layout.margin
    legend_rows = 22 * max(0, (entries + 1) // 2 - 1)
    # Room for the plot itself whatever the notes under it take (they wrap to more lines on a phone).
    height = max((layout.height or 460) + legend_rows, (margin.t or 0) + (margin.b or 0) + legend_rows + NARROW_PLOT)
    drawn.update_layout(
        font={"size": NARROW_FONT},
        legend={"font": {"size": NARROW_FONT}},
        hoverlabel={"font": {"size": NARROW_FONT}},
        margin={"l": min(margin.l or 80, 44)},
        height=height,
    )
    for axis in ("xaxis", "yaxis"):
        alias = layout[axis].labelalias
        if alias:
            drawn.update_layout({axis: {"labelalias": {k: _one_line(v) for k, v in alias.items()}}})
    title = layout.xaxis.title.text
    first, _, rest = (title or "").partition("<br>")
    if first and "<" not in first:  # the axis title itself wrapped to the phone's width (the notes already are)
        drawn.update_layout(
            xaxis={
                "title": {"text": "<br>".join([*textwrap.wrap(first, NARROW_TITLE_WIDTH), *([rest] if rest else [])])}
            }
        )
    return drawn


#: Characters in a line of an axis title on a phone, and in an axis label turned on its side there.
NARROW_TITLE_WIDTH, NARROW_LABEL_WIDTH = 28, 18


def _one_line(label: str) -> str:
    """An axis label of two lines on one, when short enough ("2025-26 part year"); else its first line
    only (a cohort "proving to Sep 2025": on its side it would take most of the plot's height; the chart's
    notes and its hover say so)."""
    joined = label.replace("<br>", " ")
    return joined if len(joined) <= NARROW_LABEL_WIDTH else label.split("<br>")[0]
