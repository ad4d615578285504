"""Colours and layout every chart shares.

The Okabe-Ito palette stays distinguishable with the common colour-vision deficiencies. Each
category keeps its colour on every page, and meaning is never carried by colour alone (labels,
marker shapes and the table view carry it too).
"""

from __future__ import annotations

import plotly.graph_objects as go

from ..views.texts import WITHHELD_NOTE

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GREY = "#6F777B"
TEXT = "#0B0C0C"
HIGHLIGHT = "#D55E00"

ETHNICITY_COLOURS = {"White": "#0072B2", "Mixed": "#E69F00", "Asian": "#009E73", "Black": "#CC79A7",
                     "Other": "#56B4E9", "Unknown": GREY}
SEX_COLOURS = {"male": "#0072B2", "female": "#E69F00", "unknown": GREY}
AGE_BAND_COLOURS = {"10-14": "#009E73", "15-17": "#CC79A7"}
TIER_COLOURS = {"Prevention": "#56B4E9", "Diversion": "#009E73", "Pre-court": "#E69F00",
                "First-tier": "#0072B2", "Community": "#CC79A7", "Custody": "#D55E00"}
GROUP_COLOURS = {**ETHNICITY_COLOURS, **SEX_COLOURS, **AGE_BAND_COLOURS}



def colour_for(name: str, index: int = 0) -> str:
    return GROUP_COLOURS.get(name) or TIER_COLOURS.get(name) or OKABE_ITO[index % len(OKABE_ITO)]


#: A small template of our own: plotly's named templates add ~8 KB and ~20 ms to every figure.
PLAIN = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": OKABE_ITO,
    "xaxis": {"showline": True, "linecolor": TEXT, "ticks": "outside", "showgrid": False, "zeroline": False},
    "yaxis": {"showline": True, "linecolor": TEXT, "ticks": "outside", "showgrid": True, "gridcolor": "#e5e5e5",
              "zeroline": False},
})


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


def base_layout(*, x_title: str = "", y_title: str = "", withheld: bool = False, **extra) -> dict:
    """Plain, large type for a projector; the withheld note when any value is not shown. ``extra``
    (a chart's own layout) is merged over it, its annotations first."""
    layout = {
        "template": PLAIN, "font": {"family": "Arial, Helvetica, sans-serif", "size": 15, "color": TEXT},
        "margin": {"l": 60, "r": 20, "t": 20, "b": 60 + (30 if withheld else 0)},
        "hoverlabel": {"font": {"size": 15}}, "height": 460,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}}, "separators": ".,",
    }
    if withheld:
        layout["annotations"] = [{"text": WITHHELD_NOTE, "xref": "paper", "yref": "paper", "x": 0, "y": -0.22,
                                  "showarrow": False, "xanchor": "left", "font": {"size": 13, "color": GREY}}]
    return merged(layout, extra)


def empty_figure() -> go.Figure:
    return figure([], {"template": PLAIN, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                       "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 460})
