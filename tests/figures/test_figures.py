"""Figure builders as pure functions: withheld values never drawn, categories keep their colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import figures
from dashboard.figures.theme import ETHNICITY_COLOURS, WITHHELD_NOTE


def test_trend_lines_draw_one_line_per_series_and_skip_withheld_points():
    table = pd.DataFrame({"period": ["2021-22", "2022-23"] * 2, "yjs": ["A", "A", "B", "B"],
                          "rate": [10.0, np.nan, 7.0, 8.0]})
    figure = figures.trend_lines(table, x="period", y="rate", series="yjs", y_title="rate", withheld=True)
    assert [t.name for t in figure.data] == ["A", "B"]
    assert pd.isna(figure.data[0].y[1])
    assert WITHHELD_NOTE in [a.text for a in figure.layout.annotations]


def test_relative_rates_leave_out_the_reference_and_label_significant_results():
    table = pd.DataFrame({"stage": ["offence"] * 3, "group": ["White", "Black", "Asian"], "rri": [1.0, 2.5, 0.9],
                          "ci_low": [0.8, 1.8, 0.6], "ci_high": [1.2, 3.4, 1.3],
                          "significant": pd.array([False, True, False], dtype="boolean")})
    figure = figures.relative_rates(table, reference="White")
    names = [t.name for t in figure.data]
    assert names == ["Black", "Asian"]
    black = figure.data[0]
    assert list(black.text) == ["significant"] and black.marker.color == ETHNICITY_COLOURS["Black"]
    assert figure.layout.yaxis.type == "log"


def test_the_share_view_leaves_out_years_with_withheld_counts():
    table = pd.DataFrame({"period": ["2021-22", "2021-22", "2022-23", "2022-23"],
                          "disposal_type": ["PREVENTION", "YOUTH_CAUTION"] * 2,
                          "tier": ["Prevention", "Pre-court"] * 2, "count": [30, 10, np.nan, 20]})
    figure = figures.stacked_disposals(table, share=True)
    periods = {p for trace in figure.data for p in trace.x}
    assert periods == {"2021-22"}
    assert sorted(v for trace in figure.data for v in trace.y) == [0.25, 0.75]


def test_survival_curve_shows_numbers_at_risk_under_it():
    table = pd.DataFrame({"cohort": ["2021-22"] * 3, "day": [0, 100, 365], "at_risk": [50, 40, 35],
                          "events": [0, 5, 0], "censored": [10, 0, 35], "survival": [1.0, 0.875, 0.875],
                          "reoffended": [0.0, 0.125, 0.125], "ci_low": [0.0, 0.05, 0.05],
                          "ci_high": [0.0, 0.25, 0.25]})
    figure = figures.survival_curve(table)
    note = figure.layout.annotations[-1].text
    # still followed up on day 0, 91, 182, 273 and 365: at risk on the first row on or after each
    assert "2021-22: 50 | 40 | 35 | 35 | 35" in note


def test_area_map_colours_every_authority_a_service_covers():
    geojson = {"type": "FeatureCollection", "features": []}
    areas = pd.DataFrame({"yjs": ["South Tees", "South Tees"], "ctyua_code": ["E06000002", "E06000003"],
                          "ctyua_name": ["Middlesbrough", "Redcar and Cleveland"]})
    table = pd.DataFrame({"yjs": ["South Tees"], "rate_per_1000": [4.2], "children": [120]})
    figure = figures.area_map(table, areas, geojson, highlight="South Tees")
    assert list(figure.data[0].locations) == ["E06000002", "E06000003"]
    assert list(figure.data[0].z) == [4.2, 4.2]
    assert figure.data[0].customdata[0][1] == "Middlesbrough, Redcar and Cleveland"
    assert len(figure.data) == 2                  # the highlight outline


def _every_figure():
    """One figure from every builder, withheld cells included."""
    fte = pd.DataFrame({"period": ["2021-22", "2022-23"] * 2, "yjs": ["A", "A", "B", "B"],
                        "fte": pd.array([12, None, 7, 30], dtype="Int64"), "rate": [10.0, np.nan, 7.0, 8.0]})
    disposals = pd.DataFrame({"period": ["2021-22", "2021-22"], "disposal_type": ["PREVENTION", "YOUTH_CAUTION"],
                              "tier": ["Prevention", "Pre-court"], "count": [30, 10]})
    rri = pd.DataFrame({"stage": ["population", "offence", "offence"], "group": ["Black", "White", "Black"],
                        "rri": [np.nan, 1.0, 2.5], "ci_low": [np.nan, 0.8, 1.8], "ci_high": [np.nan, 1.2, 3.4],
                        "rate_per_1000": [np.nan, 3.0, 7.5],
                        "significant": pd.array([None, False, True], dtype="boolean")})
    windows = pd.DataFrame({"cohort": ["2021-22"] * 2, "window": ["pre", "0-3m"],
                            "children_at_risk": pd.array([40, None], dtype="Int64"), "rate": [0.25, np.nan]})
    curve = pd.DataFrame({"cohort": ["2021-22"] * 2, "day": [0, 100], "at_risk": [50, 40], "events": [0, 5],
                          "censored": [10, 0], "survival": [1.0, 0.875], "reoffended": [0.0, 0.125],
                          "ci_low": [0.0, 0.05], "ci_high": [0.0, 0.25]})
    areas = pd.DataFrame({"yjs": ["A"], "ctyua_code": ["E06000002"], "ctyua_name": ["Middlesbrough"]})
    return [figures.trend_lines(fte, x="period", y="rate", series="yjs", y_title="rate", withheld=True),
            figures.grouped_bars(fte, x="period", bars={"fte": "FTE", "rate": "Rate"}, y_title="n"),
            figures.stacked_disposals(disposals), figures.stacked_disposals(disposals, share=True),
            figures.bars(fte, x="yjs", y="fte", colour="period", y_title="n", highlight="A"),
            figures.bars(fte, x="yjs", y="rate", y_title="rate", horizontal=True),
            figures.relative_rates(rri, reference="White", withheld=True), figures.stage_rates(rri),
            figures.reoffending_windows(windows, withheld=True), figures.survival_curve(curve, withheld=True),
            figures.area_map(fte.assign(rate_per_1000=fte["rate"], children=fte["fte"]).head(1), areas, "x.json",
                             highlight="A"),
            figures.sparkline(fte["rate"], fte["period"])]


def test_every_builder_makes_a_figure_plotly_accepts_in_full():
    """Builders skip plotly's validation on the hot path; here every property is checked."""
    for figure in _every_figure():
        go.Figure(figure.to_dict())          # raises on any property plotly does not know or accept
