"""Pure figure builders: a measure's table in (withheld cells already null), a plotly Figure out.

No I/O and no shared state: every builder makes a new Figure, so they are tested as functions.
Withheld values are null and so are never drawn or shown on hover; ``withheld=True`` adds the note.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .theme import GREY, HIGHLIGHT, OKABE_ITO, PLAIN, TIER_COLOURS, base_layout, colour_for

PERCENT = ".0%"


def _label(text: str) -> str:
    return text.replace("_", " ").capitalize()


def trend_lines(table: pd.DataFrame, *, x: str, y: str, series: str, y_title: str, withheld: bool = False,
                hover: str = "%{y:,.1f}") -> go.Figure:
    """One line per series (a YJS, a group) across periods."""
    figure = go.Figure()
    for index, (name, rows) in enumerate(table.groupby(series, sort=False)):
        figure.add_trace(go.Scatter(x=rows[x], y=rows[y], name=str(name), mode="lines+markers",
                                    line={"color": colour_for(str(name), index), "width": 3},
                                    marker={"size": 9, "symbol": index % 8},
                                    hovertemplate=f"{name}<br>%{{x}}: {hover}<extra></extra>"))
    figure.update_yaxes(rangemode="tozero")
    return base_layout(figure, y_title=y_title, withheld=withheld)


def grouped_bars(table: pd.DataFrame, *, x: str, bars: dict[str, str], y_title: str,
                 withheld: bool = False) -> go.Figure:
    """Side-by-side bars, one trace per column in ``bars`` (column -> legend label)."""
    figure = go.Figure()
    for index, (column, label) in enumerate(bars.items()):
        figure.add_trace(go.Bar(x=table[x], y=table[column], name=label, marker_color=OKABE_ITO[index],
                                hovertemplate=f"{label}<br>%{{x}}: %{{y:,}}<extra></extra>"))
    figure.update_layout(barmode="group")
    return base_layout(figure, y_title=y_title, withheld=withheld)


def stacked_disposals(table: pd.DataFrame, *, share: bool = False, withheld: bool = False) -> go.Figure:
    """Programmes started by disposal type, stacked and coloured by tier; ``share`` as % of the year.

    A year with any withheld count has no honest total, so the share view leaves it out."""
    data = table.copy()
    y_title = "Programmes started"
    if share:
        complete = data.groupby("period")["count"].transform(lambda c: c.notna().all())
        data = data[complete]
        data["count"] = data["count"] / data.groupby("period")["count"].transform("sum")
        y_title = "Share of programmes started"
    figure = go.Figure()
    for tier, rows in data.groupby("tier", sort=False):
        for shade, (kind, cells) in enumerate(rows.groupby("disposal_type", sort=False)):
            figure.add_trace(go.Bar(
                x=cells["period"], y=cells["count"], name=_label(kind), legendgroup=tier,
                legendgrouptitle_text=tier, marker={"color": TIER_COLOURS[tier], "opacity": 1 - 0.18 * (shade % 4),
                                                    "line": {"color": "white", "width": 1}},
                hovertemplate=f"{_label(kind)} ({tier})<br>%{{x}}: "
                              + ("%{y:.1%}" if share else "%{y:,}") + "<extra></extra>"))
    if share:
        figure.update_yaxes(tickformat=PERCENT)
    base_layout(figure, y_title=y_title, withheld=withheld)
    # After base_layout, whose legend across the top would take half the plot for these many types; tall
    # enough for the legend at the side (a line per type and per tier).
    return figure.update_layout(barmode="stack", legend={"orientation": "v", "y": 1, "x": 1.02, "yanchor": "top"},
                                height=max(460, 24 * len(figure.data) + 34 * data["tier"].nunique() + 110))


def bars(table: pd.DataFrame, *, x: str, y: str, colour: str | None = None, y_title: str, x_title: str = "",
         withheld: bool = False, horizontal: bool = False, highlight: str | None = None) -> go.Figure:
    """Simple bars, optionally stacked by ``colour``; ``highlight`` picks out one bar (a selected YJS)."""
    figure = go.Figure()
    groups = table.groupby(colour, sort=False) if colour else [(y_title, table)]
    for index, (name, rows) in enumerate(groups):
        fill = [HIGHLIGHT if highlight and v == highlight else (colour_for(str(name), index) if colour else OKABE_ITO[0])
                for v in rows[x]]
        xs, ys = (rows[y], rows[x]) if horizontal else (rows[x], rows[y])
        figure.add_trace(go.Bar(x=xs, y=ys, name=str(name), orientation="h" if horizontal else "v",
                                marker_color=fill, hovertemplate=f"%{{{'y' if horizontal else 'x'}}}: "
                                f"%{{{'x' if horizontal else 'y'}:,.1f}}<extra>{name if colour else ''}</extra>"))
    figure.update_layout(barmode="stack", showlegend=bool(colour))
    if horizontal:
        figure.update_yaxes(autorange="reversed", automargin=True)
        return base_layout(figure, x_title=y_title, withheld=withheld)
    return base_layout(figure, x_title=x_title, y_title=y_title, withheld=withheld)


def relative_rates(table: pd.DataFrame, *, reference: str, withheld: bool = False) -> go.Figure:
    """RRI by stage and group with 95% intervals; a line at 1 (no difference); significant results
    are filled markers labelled 'significant', the rest hollow."""
    data = table[(table["stage"] != "population") & (table["group"] != reference) & table["rri"].notna()]
    figure = go.Figure()
    figure.add_hline(y=1, line_dash="dash", line_color=GREY,
                     annotation_text=f"1 = same rate as {reference}", annotation_position="top left")
    for index, (group, rows) in enumerate(data.groupby("group", sort=False)):
        significant = rows["significant"].fillna(False).astype(bool)
        figure.add_trace(go.Scatter(
            x=rows["stage"].map(_stage_label), y=rows["rri"], name=str(group), mode="markers+text",
            text=["significant" if s else "" for s in significant], textposition="middle right",
            marker={"size": 14, "color": colour_for(str(group), index), "symbol": index % 8,
                    "line": {"width": 2, "color": colour_for(str(group), index)},
                    "opacity": [1 if s else 0.45 for s in significant]},
            error_y={"type": "data", "symmetric": False, "array": rows["ci_high"] - rows["rri"],
                     "arrayminus": rows["rri"] - rows["ci_low"], "thickness": 2},
            hovertemplate=f"{group}<br>%{{x}}: %{{y:.2f}} times the {reference} rate<extra></extra>"))
    figure.update_yaxes(type="log")
    figure.update_layout(scattermode="group", scattergap=0.4)
    return base_layout(figure, y_title=f"Rate compared with {reference} children (log scale)", withheld=withheld)


def _stage_label(stage: str) -> str:
    return {"pre_court": "Pre-court", "population": "Population"}.get(stage, stage.capitalize())


def stage_rates(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Rate per 1,000 at each stage, a bar per group."""
    data = table[table["stage"] != "population"].assign(stage=lambda t: t["stage"].map(_stage_label))
    figure = bars(data, x="stage", y="rate_per_1000", colour="group", y_title="Children per 1,000",
                  withheld=withheld)
    figure.update_layout(barmode="group")
    return figure


def reoffending_windows(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Share offending in each window, a bar per cohort, children at risk under each label."""
    figure = go.Figure()
    for index, (cohort, rows) in enumerate(table.groupby("cohort", sort=False)):
        at_risk = rows["children_at_risk"].map(lambda n: "c" if pd.isna(n) else f"{int(n):,}")
        figure.add_trace(go.Bar(
            x=[f"{w}<br>({n} at risk)" if len(table["cohort"].unique()) == 1 else w
               for w, n in zip(rows["window"], at_risk)],
            y=rows["rate"], name=str(cohort), marker_color=OKABE_ITO[index % len(OKABE_ITO)],
            customdata=at_risk, hovertemplate=f"{cohort} %{{x}}: %{{y:.0%}} offended (%{{customdata}} at risk)"
                                              "<extra></extra>"))
    figure.update_yaxes(tickformat=PERCENT, rangemode="tozero")
    figure.update_layout(barmode="group")
    return base_layout(figure, y_title="Children who offended", withheld=withheld)


RISK_DAYS = (0, 91, 182, 273, 365)
#: More curves than this cannot be told apart: the chart shows the latest, the table has them all.
MOST_CURVES = 4


def survival_curve(table: pd.DataFrame, *, withheld: bool = False) -> go.Figure:
    """Kaplan-Meier: share reoffended by days since the programme ended, with its 95% band and the
    numbers still followed up at 0, 3, 6, 9 and 12 months underneath. Years followed for less than
    three months are drawn only when nothing else is chosen."""
    figure = go.Figure()
    lines, notes = [], ["c = fewer than 5 children: withheld and not plotted"] if withheld else []
    followed = table[(table["day"] >= 91) & (table["at_risk"] > 0)]["cohort"].unique()
    cohorts = [c for c in dict.fromkeys(table["cohort"]) if c in followed] or list(dict.fromkeys(table["cohort"]))
    if len(cohorts) > MOST_CURVES or len(cohorts) < table["cohort"].nunique():
        cohorts = cohorts[-MOST_CURVES:]
        notes.append(f"The chart shows {', '.join(cohorts)}; the table has every year.")
    for index, cohort in enumerate(cohorts):
        rows = table[table["cohort"] == cohort].dropna(subset=["reoffended"])
        colour = OKABE_ITO[index % len(OKABE_ITO)]
        band = "rgba({}, {}, {}, 0.18)".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))
        figure.add_trace(go.Scatter(x=rows["day"], y=rows["ci_high"], mode="lines", line={"width": 0},
                                    line_shape="hv", showlegend=False, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=rows["day"], y=rows["ci_low"], mode="lines", line={"width": 0},
                                    line_shape="hv", fill="tonexty", fillcolor=band, showlegend=False,
                                    hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=rows["day"], y=rows["reoffended"], name=str(cohort), mode="lines",
                                    line_shape="hv",
                                    line={"color": colour, "width": 3, "dash": ["solid", "dash", "dot", "dashdot"][index % 4]},
                                    hovertemplate=f"{cohort}, day %{{x}}: %{{y:.1%}} reoffended<extra></extra>"))
        lines.append(f"{cohort}: " + " | ".join(_at_risk(table[table["cohort"] == cohort], day) for day in RISK_DAYS))
    figure.update_yaxes(tickformat=PERCENT, rangemode="tozero")
    figure.update_xaxes(tickvals=list(RISK_DAYS), ticktext=["0", "3 months", "6 months", "9 months", "12 months"],
                        range=[0, 370])
    base_layout(figure, x_title="Time since the programme ended", y_title="Reoffended")
    text = "<br>".join(["Children still followed up at 0, 3, 6, 9 and 12 months", *lines, *notes])
    plot_height, below = 380, 110 + 18 * (len(lines) + len(notes))
    figure.add_annotation(text=text, xref="paper", yref="paper", x=0, y=-70 / plot_height, showarrow=False,
                          xanchor="left", yanchor="top", align="left", font={"size": 13})
    figure.update_layout(height=plot_height + below + 40, margin={"b": below, "t": 40})
    return figure


def _at_risk(rows: pd.DataFrame, day: int) -> str:
    """Children still followed up at ``day``: at risk on the first row on or after it."""
    later = rows[rows["day"] >= day]
    if later.empty:
        return "0"
    value = later.iloc[0]["at_risk"]
    return "c" if pd.isna(value) else f"{int(value):,}"


def area_map(table: pd.DataFrame, areas: pd.DataFrame, geojson: dict | str, *,
             highlight: str | None = None) -> go.Figure:
    """Rate per 1,000 drawn on every authority a service covers (services spanning several
    authorities colour all of them with the service's one rate, and say so on hover).
    ``geojson`` may be the boundaries themselves or the URL the browser fetches them from."""
    data = areas.merge(table[["yjs", "rate_per_1000", "children"]], on="yjs", how="inner")
    covers = data.groupby("yjs")["ctyua_name"].transform(lambda names: ", ".join(names))
    figure = go.Figure(go.Choropleth(
        geojson=geojson, locations=data["ctyua_code"], featureidkey="properties.CTYUA19CD", z=data["rate_per_1000"],
        colorscale="Blues", marker_line_color="white", marker_line_width=0.5,
        colorbar={"title": {"text": "per 1,000"}},
        customdata=pd.DataFrame({"yjs": data["yjs"], "covers": covers}).values,
        hovertemplate="%{customdata[0]}: %{z:.1f} per 1,000<br>covers %{customdata[1]}<extra></extra>"))
    if highlight is not None and (data["yjs"] == highlight).any():
        mine = data[data["yjs"] == highlight]
        figure.add_trace(go.Choropleth(geojson=geojson, locations=mine["ctyua_code"], z=[1] * len(mine),
                                       featureidkey="properties.CTYUA19CD", showscale=False, hoverinfo="skip",
                                       colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                                       marker_line_color=HIGHLIGHT, marker_line_width=3))
    figure.update_geos(fitbounds="locations", visible=False)
    figure.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=560, font={"size": 15})
    return figure


def sparkline(values: pd.Series, labels: pd.Series) -> go.Figure:
    """A small trend for a KPI card."""
    figure = go.Figure(go.Scatter(x=labels, y=values, mode="lines+markers", line={"color": OKABE_ITO[0], "width": 2},
                                  hovertemplate="%{x}: %{y:,.1f}<extra></extra>"))
    figure.update_layout(template=PLAIN, height=70, margin={"l": 0, "r": 0, "t": 4, "b": 0},
                         xaxis_visible=False, yaxis_visible=False, showlegend=False)
    return figure
