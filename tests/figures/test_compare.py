"""The comparison figures as pure functions: every area named, kinds told apart by shape and legend, the
national figure drawn where the reader needs it, and nothing plotly would refuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import compare
from dashboard.metrics.intervals import funnel_limits

NUMBER = "{:,.0f}"


def benchmarks_rows() -> pd.DataFrame:
    """The benchmarks measure's rows for one indicator and period."""
    return pd.DataFrame(
        {
            "area_type": [
                "service",
                "published_service",
                "region",
                "england",
                "neighbour",
                "neighbour",
                "neighbour",
                "neighbour_average",
            ],
            "area": [
                "Northvale",
                "Trafford",
                "North West",
                "England",
                "Stockport",
                "Bury",
                "Solihull",
                "Average of 3 statistical neighbours (DfE)",
            ],
            "value": [124.0, 101.0, 168.0, 138.0, 90.0, np.nan, 150.0, 120.0],
            "ci_low": [110.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            "ci_high": [139.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
        }
    )


def areas_rows(n=12, region="North West") -> pd.DataFrame:
    """The compare-areas measure's rows for one period: n services and England."""
    values = np.linspace(10, 32, n)
    services = pd.DataFrame(
        {
            "period": "2023-24",
            "area_type": "service",
            "area": [f"Service {i:02d}" for i in range(n)],
            "region": [region if i % 3 == 0 else "London" for i in range(n)],
            "value": values,
            "count": pd.array([int(v * 3) for v in values], dtype="Int64"),
            "population": pd.array([30_000] * n, dtype="Int64"),
            "ci_low": values * 0.8,
            "ci_high": values * 1.2,
            "rank": pd.array(range(1, n + 1), dtype="Int64"),
            "out_of": pd.array([n] * n, dtype="Int64"),
            "quartile": pd.array([i * 4 // n + 1 for i in range(n)], dtype="Int64"),
            "funnel": ["below the 99.8% limit"] * 2 + ["within the limits"] * (n - 4) + ["above the 95% limit"] * 2,
        }
    )
    england = pd.DataFrame(
        {
            "period": ["2023-24"],
            "area_type": ["england"],
            "area": ["England"],
            "region": [None],
            "value": [23.0],
            "count": pd.array([12908], dtype="Int64"),
            "population": pd.array([5_585_242], dtype="Int64"),
            "ci_low": [22.6],
            "ci_high": [23.4],
            "rank": pd.array([None], dtype="Int64"),
            "out_of": pd.array([None], dtype="Int64"),
            "quartile": pd.array([None], dtype="Int64"),
            "funnel": [None],
        }
    )
    return pd.concat([services, england], ignore_index=True)


def test_the_benchmark_dots_rank_the_service_its_region_and_neighbours_with_england_as_a_line():
    figure = compare.benchmark_dots(benchmarks_rows(), x_title="Per 100,000", number=NUMBER, neighbours_of="Trafford")
    ticks = list(figure.layout.yaxis.ticktext)
    # lowest first; a neighbour with no published figure has no dot; England is the line, not a dot
    assert ticks == [
        "Stockport",
        "Trafford (published)",
        "Average of 3 statistical neighbours (DfE)",
        "Northvale (your extract)",
        "Solihull",
        "North West (region)",
    ]
    line = figure.data[0]
    assert line.name == "England 138" and list(line.x) == [138.0, 138.0] and line.line.dash == "dash"
    names = {trace.name: trace for trace in figure.data}
    assert "Trafford's statistical neighbours (DfE)" in names
    service = names["The service (its extract)"]
    assert service.marker.symbol == "diamond" and service.error_x.array[0] == 139 - 124
    assert len({t.marker.symbol for t in figure.data[1:]}) == len(figure.data) - 1  # a shape per kind


def test_the_ranked_chart_names_every_service_and_grows_with_them():
    rows = areas_rows(40)
    figure = compare.ranked_areas(
        rows, x_title="Per 10,000", number=NUMBER, highlight="Service 05", region="North West"
    )
    labels = list(figure.layout.yaxis.ticktext)
    assert len(labels) == len(figure.layout.yaxis.tickvals) == 40  # no label left out
    assert figure.layout.yaxis.tickmode == "array"
    assert labels[0] == "<b>1. Service 00</b>" and labels[1] == "2. Service 01"  # the region's in bold
    assert figure.layout.height == compare.ROW_HEIGHT * 40 + 190
    assert figure.layout.height / 40 >= 24  # room for 14px names
    legend = [t.name for t in figure.data]
    # the highlighted service is a star that keeps its quarter in words (rank 6 of 40: the lowest)
    assert legend == [
        "England 23",
        "Lowest quarter",
        "Second quarter",
        "Third quarter",
        "Highest quarter",
        "Service 05 (lowest quarter)",
    ]
    star = figure.data[-1]
    assert star.marker.symbol == "star" and list(star.y) == [5] and labels[5] == "<b>6. Service 05</b>"


def test_the_regions_are_ranked_with_the_chosen_one_picked_out_and_the_national_line():
    table = pd.DataFrame(
        {
            "area_type": ["region", "region", "region", "england_and_wales"],
            "area": ["London", "Wales", "North West", "England and Wales"],
            "value": [3.1, 2.1, 2.2, 2.4],
            "ci_low": [3.0, 1.9, 2.1, 2.39],
            "ci_high": [3.3, 2.3, 2.3, 2.48],
        }
    )
    figure = compare.region_dots(table, x_title="Per 1,000", number="{:.1f}", region="North West")
    assert list(figure.layout.yaxis.ticktext) == ["Wales", "North West", "London"]
    assert [t.name for t in figure.data] == ["England and Wales 2.4", "Regions", "North West"]
    assert figure.data[2].marker.symbol == "diamond" and list(figure.data[2].y) == [1]


def test_the_funnel_draws_both_pairs_of_limits_and_shapes_points_by_where_they_fall():
    rows = areas_rows()
    limits = funnel_limits(23.1, 10_000, [1_000, 30_000, 200_000])
    figure = compare.funnel_plot(
        rows,
        limits,
        per=10_000,
        reference=("England", 23.1),
        y_title="Per 10,000",
        number="{:.1f}",
        highlight="Service 03",
        region="North West",
    )
    names = [t.name for t in figure.data if t.showlegend is not False]
    assert names[:3] == ["99.8% limits", "95% limits", "England 23.1"]
    assert {"Below the 99.8% limit", "Within the limits", "Above the 95% limit"} <= set(names)
    upper = figure.data[0]
    assert list(upper.y) == list(limits["high_998"])
    within = next(t for t in figure.data if t.name == "Within the limits")
    # the rate plotted is the count over the population, not the published (rounded) rate
    service_02 = rows.iloc[2]
    assert within.y[0] == int(service_02["value"] * 3) / 30_000 * 10_000
    assert within.marker.line.width[1] == 3  # Service 03 is in the North West
    assert figure.data[-1].text == ("Service 03",) and figure.data[-1].marker.symbol == "star"


def _lightness(colour: str) -> float:
    """Relative luminance (WCAG) of '#rrggbb'."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_map_is_darker_for_higher_and_names_the_unit():
    areas = pd.DataFrame(
        {
            "yjs": ["Service 00", "Service 00", "Service 01"],
            "ctyua_code": ["E06000002", "E06000003", "E06000004"],
            "ctyua_name": ["Middlesbrough", "Redcar and Cleveland", "Stockton"],
        }
    )
    figure = compare.indicator_map(
        areas_rows(), areas, "x.json", unit="per 10,000<br>aged 10 to 17", number=NUMBER, highlight="Service 01"
    )
    shading = figure.data[0]
    assert list(shading.locations) == ["E06000002", "E06000003", "E06000004"]
    scale = [colour for _, colour in shading.colorscale]
    assert shading.reversescale is not True
    assert [_lightness(c) for c in scale] == sorted((_lightness(c) for c in scale), reverse=True)  # light to dark
    assert _lightness(scale[0]) < 0.9  # the lowest rate still stands out from the page
    assert shading.colorbar.title.text == "per 10,000<br>aged 10 to 17"
    assert "covers Middlesbrough, Redcar and Cleveland" in shading.customdata[0]
    assert list(figure.data[1].locations) == ["E06000004"]


def test_the_trend_keeps_england_the_region_and_the_highlighted_service():
    periods = ["2021-22", "2022-23"]
    table = pd.DataFrame(
        {
            "period": periods * 5,
            "area_type": ["service"] * 6 + ["region"] * 2 + ["england_and_wales"] * 2,
            "area": [
                "A",
                "A",
                "B",
                "B",
                "C",
                "C",
                "North West",
                "North West",
                "England and Wales",
                "England and Wales",
            ],
            "value": [3.0, 2.5, 4.0, 3.5, 2.0, np.nan, 3.1, 2.9, 2.8, 2.4],
        }
    )
    figure = compare.area_trend(table, y_title="Per 1,000", number="{:.1f}", highlight="B", region="North West")
    names = [t.name for t in figure.data]
    assert names == [
        "Other services in North West",
        "Other services in North West",
        "North West (region)",
        "England and Wales",
        "B",
    ]
    assert [t.showlegend for t in figure.data[:2]] == [True, False]
    assert figure.data[-1].line.color == compare.HIGHLIGHT and figure.data[3].line.dash == "dash"
    assert figure.data[1].customdata[1] == "C<br>2022-23: no figure"


def test_every_comparison_figure_is_one_plotly_accepts_in_full():
    rows = areas_rows()
    areas = pd.DataFrame({"yjs": ["Service 00"], "ctyua_code": ["E06000002"], "ctyua_name": ["Middlesbrough"]})
    empty = rows.iloc[:0]
    for figure in [
        compare.benchmark_dots(benchmarks_rows(), x_title="x", number=NUMBER),
        compare.benchmark_dots(benchmarks_rows().iloc[:0], x_title="x", number=NUMBER, withheld=True),
        compare.ranked_areas(rows, x_title="x", number=NUMBER, highlight="Service 01", withheld=True),
        compare.ranked_areas(empty, x_title="x", number=NUMBER),
        compare.funnel_plot(
            rows,
            funnel_limits(23.0, 10_000, [1_000, 9_000]),
            per=10_000,
            reference=("England", 23.0),
            y_title="y",
            number=NUMBER,
        ),
        compare.indicator_map(rows, areas, "x.json", unit="u", number=NUMBER, highlight="Service 00"),
        compare.area_trend(rows, y_title="y", number=NUMBER, highlight="Service 00", region="London"),
        compare.region_dots(rows.assign(area_type="region"), x_title="x", number=NUMBER, region="London"),
    ]:
        go.Figure(figure.to_dict())  # raises on any property plotly does not know or accept
