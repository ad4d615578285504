"""Pure figure builders: a measure's table in (withheld cells already null), a plotly Figure out.

``draw(chart, result)`` draws a card's chart spec (dashboard/views/charts.py) with the builder for its
kind. No I/O and no shared state: every builder makes a new Figure, so they are tested as functions.
Withheld values are null and so are never drawn or shown on hover; ``withheld=True`` adds the note.
Figures are built from plain dicts (theme.figure), numbers as float arrays, which plotly sends as
compact typed arrays: building and sending a chart takes about a millisecond.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..config import BOUNDARIES_URL
from ..views import charts
from ..views.render import withheld as any_withheld
from ..views.texts import words
from . import compare
from .theme import GREY, HIGHLIGHT, OKABE_ITO, PLAIN, TIER_COLOURS, base_layout, colour_for, empty_figure, figure

PERCENT = ".0%"


def _label(text: str) -> str:
    return text.replace("_", " ").capitalize()


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


def trend_lines(table: pd.DataFrame, *, x: str, y: str, series: str, y_title: str, withheld: bool = False,
                hover: str = "%{y:,.1f}") -> go.Figure:
    """One line per series (a YJS, a group) across periods."""
    traces = [{"type": "scatter", "x": _array(rows[x]), "y": _array(rows[y]), "name": str(name),
               "mode": "lines+markers", "line": {"color": colour_for(str(name), index), "width": 3},
               "marker": {"size": 9, "symbol": index % 8},
               "hovertemplate": f"{name}<br>%{{x}}: {hover}<extra></extra>"}
              for index, (name, rows) in enumerate(table.groupby(series, sort=False))]
    return figure(traces, base_layout(y_title=y_title, withheld=withheld, yaxis={"rangemode": "tozero"}))


def grouped_bars(table: pd.DataFrame, *, x: str, bars: dict[str, str], y_title: str,
                 withheld: bool = False) -> go.Figure:
    """Side-by-side bars, one trace per column in ``bars`` (column -> legend label)."""
    traces = [{"type": "bar", "x": _array(table[x]), "y": _array(table[column]), "name": label,
               "marker": {"color": OKABE_ITO[index]}, "hovertemplate": f"{label}<br>%{{x}}: %{{y:,}}<extra></extra>"}
              for index, (column, label) in enumerate(bars.items())]
    return figure(traces, base_layout(y_title=y_title, withheld=withheld, barmode="group"))


def stacked_disposals(table: pd.DataFrame, *, share: bool = False, withheld: bool = False) -> go.Figure:
    """Programmes started by disposal type, stacked and coloured by tier; ``share`` as % of the year.

    A year with any withheld count has no honest total, so the share view leaves it out."""
    data = table
    y_title = "Programmes started"
    if share:
        complete = data.groupby("period")["count"].transform(lambda c: c.notna().all())
        data = data[complete].copy()
        data["count"] = data["count"] / data.groupby("period")["count"].transform("sum")
        y_title = "Share of programmes started"
    traces = []
    for tier, rows in data.groupby("tier", sort=False):
        for shade, (kind, cells) in enumerate(rows.groupby("disposal_type", sort=False)):
            traces.append({
                "type": "bar", "x": _array(cells["period"]), "y": _array(cells["count"]), "name": _label(kind),
                "legendgroup": tier, "legendgrouptitle": {"text": tier},
                "marker": {"color": TIER_COLOURS[tier], "opacity": 1 - 0.18 * (shade % 4),
                           "line": {"color": "white", "width": 1}},
                "hovertemplate": f"{_label(kind)} ({tier})<br>%{{x}}: " + ("%{y:.1%}" if share else "%{y:,}")
                                 + "<extra></extra>"})
    # The legend at the side, not across the top where these many types would take half the plot; tall
    # enough for a line per type and per tier.
    return figure(traces, base_layout(y_title=y_title, withheld=withheld, barmode="stack",
                                      yaxis={"tickformat": PERCENT} if share else {},
                                      legend={"orientation": "v", "y": 1, "x": 1.02, "yanchor": "top"},
                                      height=max(460, 24 * len(traces) + 34 * data["tier"].nunique() + 110)))


def bars(table: pd.DataFrame, *, x: str, y: str, colour: str | None = None, y_title: str, x_title: str = "",
         withheld: bool = False, horizontal: bool = False, highlight: str | None = None,
         barmode: str = "stack") -> go.Figure:
    """Simple bars, optionally split by ``colour`` (stacked, or side by side with barmode='group');
    ``highlight`` picks out one bar (a selected YJS)."""
    groups = table.groupby(colour, sort=False) if colour else [(y_title, table)]
    traces = []
    for index, (name, rows) in enumerate(groups):
        own = colour_for(str(name), index) if colour else OKABE_ITO[0]
        fill = [HIGHLIGHT if highlight and v == highlight else own for v in rows[x]]
        xs, ys = (rows[y], rows[x]) if horizontal else (rows[x], rows[y])
        value = "x" if horizontal else "y"
        traces.append({"type": "bar", "x": _array(xs), "y": _array(ys), "name": str(name),
                       "orientation": "h" if horizontal else "v", "marker": {"color": fill},
                       "hovertemplate": f"%{{{'y' if horizontal else 'x'}}}: "
                                        f"%{{{value}:,.1f}}<extra>{name if colour else ''}</extra>"})
    if horizontal:
        layout = base_layout(x_title=y_title, withheld=withheld, yaxis={"autorange": "reversed", "automargin": True})
    else:
        layout = base_layout(x_title=x_title, y_title=y_title, withheld=withheld)
    return figure(traces, {**layout, "barmode": barmode, "showlegend": bool(colour)})


def relative_rates(table: pd.DataFrame, *, reference: str, withheld: bool = False) -> go.Figure:
    """RRI by stage and group with 95% intervals; a line at 1 (no difference); significant results
    are filled markers labelled 'significant', the rest hollow."""
    data = table[(table["stage"] != "population") & (table["group"] != reference) & table["rri"].notna()]
    traces = []
    for index, (group, rows) in enumerate(data.groupby("group", sort=False)):
        significant = rows["significant"].fillna(False).astype(bool)
        colour = colour_for(str(group), index)
        traces.append({
            "type": "scatter", "x": _array(rows["stage"].map(_stage_label)), "y": _array(rows["rri"]),
            "name": str(group), "mode": "markers+text",
            "text": ["significant" if s else "" for s in significant], "textposition": "middle right",
            "marker": {"size": 14, "color": colour, "symbol": index % 8, "line": {"width": 2, "color": colour},
                       "opacity": [1 if s else 0.45 for s in significant]},
            "error_y": {"type": "data", "symmetric": False, "array": _array(rows["ci_high"] - rows["rri"]),
                        "arrayminus": _array(rows["rri"] - rows["ci_low"]), "thickness": 2},
            "hovertemplate": f"{group}<br>%{{x}}: %{{y:.2f}} times the {reference} rate<extra></extra>"})
    line_at_one = {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": 1, "y1": 1, "yref": "y",
                   "line": {"color": GREY, "dash": "dash"}}
    label = {"text": f"1 = same rate as {reference}", "showarrow": False, "x": 0, "xanchor": "left",
             "xref": "x domain", "y": 1, "yanchor": "bottom", "yref": "y"}
    return figure(traces, base_layout(y_title=f"Rate compared with {reference} children (log scale)",
                                      withheld=withheld, yaxis={"type": "log"}, scattermode="group",
                                      scattergap=0.4, shapes=[line_at_one], annotations=[label]))


def _stage_label(stage: str) -> str:
    return {"pre_court": "Pre-court", "population": "Population"}.get(stage, stage.capitalize())


def stage_rates(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Rate per 1,000 at each stage, a bar per group."""
    data = table[table["stage"] != "population"].assign(stage=lambda t: t["stage"].map(_stage_label))
    return bars(data, x="stage", y="rate_per_1000", colour="group", y_title="Children per 1,000",
                withheld=withheld, barmode="group")


def reoffending_windows(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Share offending in each window, a bar per cohort, children at risk under each label."""
    one_cohort = table["cohort"].nunique() == 1
    traces = []
    for index, (cohort, rows) in enumerate(table.groupby("cohort", sort=False)):
        at_risk = ["c" if pd.isna(n) else f"{int(n):,}" for n in rows["children_at_risk"]]
        traces.append({
            "type": "bar", "x": [f"{w}<br>({n} at risk)" if one_cohort else w for w, n in zip(rows["window"], at_risk)],
            "y": _array(rows["rate"]), "name": str(cohort), "marker": {"color": OKABE_ITO[index % len(OKABE_ITO)]},
            "customdata": at_risk,
            "hovertemplate": f"{cohort} %{{x}}: %{{y:.0%}} offended (%{{customdata}} at risk)<extra></extra>"})
    return figure(traces, base_layout(y_title="Children who offended", withheld=withheld, barmode="group",
                                      yaxis={"tickformat": PERCENT, "rangemode": "tozero"}))


RISK_DAYS = (0, 91, 182, 273, 365)


def survival_curve(table: pd.DataFrame, *, withheld: bool = False, most: int = 4) -> go.Figure:
    """Kaplan-Meier: share reoffended by days since the programme ended, with its 95% band and the
    numbers still followed up at 0, 3, 6, 9 and 12 months underneath. Years followed for less than
    three months are drawn only when nothing else is chosen."""
    traces, lines, notes = [], [], ["c = fewer than 5 children: withheld and not plotted"] if withheld else []
    followed = table[(table["day"] >= 91) & (table["at_risk"] > 0)]["cohort"].unique()
    cohorts = [c for c in dict.fromkeys(table["cohort"]) if c in followed] or list(dict.fromkeys(table["cohort"]))
    if len(cohorts) > most or len(cohorts) < table["cohort"].nunique():
        cohorts = cohorts[-most:]
        notes.append(f"The chart shows {', '.join(cohorts)}; the table has every year.")
    by_cohort = dict(tuple(table.groupby("cohort", sort=False)))
    for index, cohort in enumerate(cohorts):
        rows = by_cohort[cohort]
        drawn = rows[rows["reoffended"].notna()]
        colour = OKABE_ITO[index % len(OKABE_ITO)]
        band = "rgba({}, {}, {}, 0.18)".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))
        day = _array(drawn["day"])
        traces += [
            {"type": "scatter", "x": day, "y": _array(drawn["ci_high"]), "mode": "lines",
             "line": {"width": 0, "shape": "hv"}, "showlegend": False, "hoverinfo": "skip"},
            {"type": "scatter", "x": day, "y": _array(drawn["ci_low"]), "mode": "lines",
             "line": {"width": 0, "shape": "hv"}, "fill": "tonexty", "fillcolor": band, "showlegend": False,
             "hoverinfo": "skip"},
            {"type": "scatter", "x": day, "y": _array(drawn["reoffended"]), "name": str(cohort), "mode": "lines",
             "line": {"color": colour, "width": 3, "dash": ["solid", "dash", "dot", "dashdot"][index % 4],
                      "shape": "hv"},
             "hovertemplate": f"{cohort}, day %{{x}}: %{{y:.1%}} reoffended<extra></extra>"}]
        lines.append(f"{cohort}: " + " | ".join(_at_risk(rows, d) for d in RISK_DAYS))
    text = "<br>".join(["Children still followed up at 0, 3, 6, 9 and 12 months", *lines, *notes])
    plot_height, below = 380, 110 + 18 * (len(lines) + len(notes))
    note = {"text": text, "xref": "paper", "yref": "paper", "x": 0, "y": -70 / plot_height, "showarrow": False,
            "xanchor": "left", "yanchor": "top", "align": "left", "font": {"size": 13}}
    return figure(traces, base_layout(
        x_title="Time since the programme ended", y_title="Reoffended", annotations=[note],
        yaxis={"tickformat": PERCENT, "rangemode": "tozero"},
        xaxis={"tickvals": list(RISK_DAYS), "ticktext": ["0", "3 months", "6 months", "9 months", "12 months"],
               "range": [0, 370]},
        height=plot_height + below + 40, margin={"b": below, "t": 40}))


def _at_risk(rows: pd.DataFrame, day: int) -> str:
    """Children still followed up at ``day``: at risk on the first row on or after it."""
    later = rows["at_risk"].to_numpy()[rows["day"].to_numpy() >= day]
    if not len(later):
        return "0"
    return "c" if pd.isna(later[0]) else f"{int(later[0]):,}"


def area_map(table: pd.DataFrame, areas: pd.DataFrame, geojson: dict | str, *,
             highlight: str | None = None) -> go.Figure:
    """Rate per 1,000 drawn on every authority a service covers (services spanning several
    authorities colour all of them with the service's one rate, and say so on hover).
    ``geojson`` may be the boundaries themselves or the URL the browser fetches them from."""
    data = areas.merge(table[["yjs", "rate_per_1000", "children"]], on="yjs", how="inner")
    covers = data.groupby("yjs")["ctyua_name"].transform(lambda names: ", ".join(names))
    traces = [{"type": "choropleth", "geojson": geojson, "locations": _array(data["ctyua_code"]),
               "featureidkey": "properties.CTYUA19CD", "z": _array(data["rate_per_1000"]), "colorscale": "Blues",
               "marker": {"line": {"color": "white", "width": 0.5}}, "colorbar": {"title": {"text": "per 1,000"}},
               "customdata": [[yjs, names] for yjs, names in zip(data["yjs"], covers)],
               "hovertemplate": "%{customdata[0]}: %{z:.1f} per 1,000<br>covers %{customdata[1]}<extra></extra>"}]
    if highlight is not None and (data["yjs"] == highlight).any():
        mine = data[data["yjs"] == highlight]
        traces.append({"type": "choropleth", "geojson": geojson, "locations": _array(mine["ctyua_code"]),
                       "z": [1] * len(mine), "featureidkey": "properties.CTYUA19CD", "showscale": False,
                       "hoverinfo": "skip", "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                       "marker": {"line": {"color": HIGHLIGHT, "width": 3}}})
    # No template given: plotly's default one, as this map has always had.
    return figure(traces, {"geo": {"fitbounds": "locations", "visible": False},
                           "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 560, "font": {"size": 15}})


def sparkline(values: pd.Series, labels: pd.Series | pd.Index) -> go.Figure:
    """A small trend for a KPI card."""
    return figure([{"type": "scatter", "x": _array(labels), "y": _array(values), "mode": "lines+markers",
                    "line": {"color": OKABE_ITO[0], "width": 2},
                    "hovertemplate": "%{x}: %{y:,.1f}<extra></extra>"}],
                  {"template": PLAIN, "height": 70, "margin": {"l": 0, "r": 0, "t": 4, "b": 0},
                   "xaxis": {"visible": False}, "yaxis": {"visible": False}, "showlegend": False})


def mark_part_year(figure: go.Figure, part_year: str | None, as_of: date | None) -> go.Figure:
    """Label the latest financial year 'part year' when the extract stops inside it, so a board
    member does not read a quarter's figures as a fall over a whole year."""
    if part_year:
        figure.update_xaxes(labelalias={part_year: f"{part_year}<br>to {as_of:%-d %b}"}, tickangle=0, automargin=True)
    return figure


def _bars(chart: charts.Bars, table: pd.DataFrame, withheld: bool) -> go.Figure:
    data = table.assign(**{c: table[c].map(words).str.lower() for c in chart.as_words})
    if chart.ranked:
        data = data.sort_values(chart.y, ascending=False)
    drawn = bars(data, x=chart.x, y=chart.y, colour=chart.colour, y_title=chart.y_title, x_title=chart.x_title,
                 withheld=withheld, horizontal=chart.horizontal, highlight=chart.highlight, barmode=chart.barmode)
    if chart.row_height:
        drawn.update_layout(height=max(400, chart.row_height * len(data)))
    return drawn


def draw(chart, result, *, part_year: str | None = None, as_of: date | None = None) -> go.Figure:
    """The figure for a card's chart spec and measure result; ``part_year`` (with the extract's as_of
    date) marks the latest year as a part year on charts across periods."""
    table = result.table
    over_time = lambda drawn: mark_part_year(drawn, part_year, as_of)
    if isinstance(chart, charts.Lines):
        return over_time(trend_lines(table, x=chart.x, y=chart.y, series=chart.series, y_title=chart.y_title,
                                     withheld=any_withheld(result, chart.y)))
    if isinstance(chart, charts.GroupedBars):
        columns = [c for c, _ in chart.bars]
        return over_time(grouped_bars(table, x=chart.x, bars=dict(chart.bars), y_title=chart.y_title,
                                      withheld=any_withheld(result, *columns)))
    if isinstance(chart, charts.StackedDisposals):
        return over_time(stacked_disposals(table, share=chart.share, withheld=any_withheld(result, "count")))
    if isinstance(chart, charts.Bars):
        return _bars(chart, table, any_withheld(result, chart.y))
    if isinstance(chart, charts.RelativeRates):
        return relative_rates(table, reference=result.settings.reference, withheld=any_withheld(result, "rri"))
    if isinstance(chart, charts.StageRates):
        return stage_rates(table, withheld=any_withheld(result, "rate_per_1000"))
    if isinstance(chart, charts.ReoffendingWindows):
        return reoffending_windows(table, withheld=any_withheld(result, "rate"))
    if isinstance(chart, charts.SurvivalCurve):
        return survival_curve(table, withheld=any_withheld(result, "reoffended"), most=chart.most)
    if isinstance(chart, charts.AreaMap):
        return area_map(table, chart.areas, BOUNDARIES_URL, highlight=chart.highlight)
    if isinstance(chart, charts.ComparisonChart):
        return _comparison(chart, result)
    raise TypeError(f"no figure for {chart!r}")


def _comparison(chart, result) -> go.Figure:
    """The figures comparing areas (figures/compare.py)."""
    table, withheld = result.table, any_withheld(result, "value")
    if isinstance(chart, charts.Benchmarks):
        return compare.benchmark_dots(table, x_title=chart.x_title, number=chart.number,
                                      neighbours_of=chart.neighbours_of, withheld=withheld)
    if isinstance(chart, charts.RankedAreas):
        return compare.ranked_areas(table, x_title=chart.x_title, number=chart.number, highlight=chart.highlight,
                                    region=chart.region, withheld=withheld)
    if isinstance(chart, charts.RankedRegions):
        return compare.region_dots(table, x_title=chart.x_title, number=chart.number, region=chart.region,
                                   withheld=withheld)
    if isinstance(chart, charts.Funnel):
        return compare.funnel_plot(table, chart.limits, per=chart.per, reference=chart.reference,
                                   y_title=chart.y_title, number=chart.number, highlight=chart.highlight,
                                   region=chart.region)
    if isinstance(chart, charts.IndicatorMap):
        return compare.indicator_map(table, chart.areas, BOUNDARIES_URL, unit=chart.unit, number=chart.number,
                                     highlight=chart.highlight)
    return compare.area_trend(table, y_title=chart.y_title, number=chart.number, highlight=chart.highlight,
                              region=chart.region)


def draw_card(card) -> go.Figure:
    """A rendered card's figure (views.Card): the part year is marked on the extract's charts; a card with
    nothing to show (or that could not be asked) has an empty one."""
    if card.empty:
        return empty_figure()
    context = card.context
    part_year = context.part_year if card.spec.source == "extract" else None
    return draw(card.chart, card.result, part_year=part_year, as_of=context.as_of if part_year else None)
