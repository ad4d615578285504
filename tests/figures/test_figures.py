"""Figure builders as pure functions: withheld values never drawn, categories keep their colours, the
reference group never plotted, a part year drawn apart, every series told apart, every word plain."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures
from dashboard.figures.theme import (
    ETHNICITY_COLOURS,
    GRAPH_CONFIG,
    MAP_COLOURS,
    SEX_COLOURS,
    TIER_COLOURS,
    WITHHELD_NOTE,
)
from dashboard.static import PARTIAL_PLOTLY, PARTIAL_PLOTLY_TRACES


def _sex_table(**rri) -> pd.DataFrame:
    """A disproportionality table by sex at the offence stage, girls the reference (RRI 1)."""
    groups = ["male", "female", "unknown"]
    values = {"male": 4.47, "female": 1.0, "unknown": np.nan} | rri
    return pd.DataFrame({
        "stage": ["population"] * 3 + ["offence"] * 3, "group": groups * 2,
        "rri": [1.0, 1.0, np.nan] + [values[g] for g in groups],
        "ci_low": [np.nan] * 3 + [3.1, 0.8, np.nan], "ci_high": [np.nan] * 3 + [6.4, 1.25, np.nan],
        "significant": pd.array([None] * 3 + [True, False, None], dtype="boolean")})


def _plain(text: str) -> str:
    """Text as read: tags and line breaks gone."""
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def _texts(figure: go.Figure) -> list[str]:
    """Every piece of text the figure carries: names, labels, hover, titles, notes, tick text."""
    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in {"name", "text", "hovertemplate", "ticktext", "customdata",
                                                "x", "y"}:
            found.append(value)
    figure_dict = figure.to_dict()
    walk(figure_dict["data"])
    walk(figure_dict["layout"])
    for axis in ("xaxis", "yaxis"):
        found += list(figure_dict["layout"].get(axis, {}).get("labelalias", {}).values())
    return found


def test_trend_lines_draw_one_line_per_series_and_skip_withheld_points():
    table = pd.DataFrame({"period": ["2021-22", "2022-23"] * 2, "yjs": ["A", "A", "B", "B"],
                          "rate": [10.0, np.nan, 7.0, 8.0]})
    figure = figures.trend_lines(table, x="period", y="rate", series="yjs", y_title="rate", withheld=True)
    assert [t.name for t in figure.data] == ["A", "B"]
    assert pd.isna(figure.data[0].y[1])
    assert WITHHELD_NOTE in _plain(figure.layout.xaxis.title.text)


def test_lines_beyond_the_eight_colours_change_their_style():
    """A regional lead's twelve services: no two lines share both colour and style."""
    services = [f"Service {i:02}" for i in range(12) for _ in "ab"]
    table = pd.DataFrame({"period": ["2022-23", "2023-24"] * 12, "yjs": services, "rate": np.arange(24.0)})
    figure = figures.trend_lines(table, x="period", y="rate", series="yjs", y_title="rate")
    looks = [(t.line.color, t.line.dash) for t in figure.data]
    assert len(looks) == 12 and len(set(looks)) == 12
    assert len({colour for colour, _ in looks[:8]}) == 8


def test_a_period_missing_from_a_series_is_a_gap_not_a_zero():
    table = pd.DataFrame({"period": ["2020-21", "2021-22", "2022-23", "2020-21", "2022-23"],
                          "yjs": ["A", "A", "A", "B", "B"], "rate": [5.0, 6.0, 7.0, 3.0, 4.0]})
    figure = figures.trend_lines(table, x="period", y="rate", series="yjs", y_title="rate")
    b = figure.data[1]
    assert list(b.x) == ["2020-21", "2021-22", "2022-23"]
    assert b.y[0] == 3.0 and np.isnan(b.y[1]) and b.y[2] == 4.0
    assert b.connectgaps is False


def test_a_part_year_is_drawn_apart_on_a_trend_line():
    table = pd.DataFrame({"period": ["2022-23", "2023-24", "2024-25"], "yjs": ["A"] * 3, "rate": [40.0, 38.0, 9.0]})
    figure = figures.trend_lines(table, x="period", y="rate", series="yjs", y_title="rate", part_year="2024-25")
    full, joint, part = figure.data
    assert list(full.x) == ["2022-23", "2023-24"] and list(full.y) == [40.0, 38.0]
    assert list(joint.x) == ["2023-24", "2024-25"] and joint.line.dash == "dot" and list(joint.y) == [38.0, 9.0]
    assert list(part.x) == ["2024-25"] and part.marker.symbol == "circle-open" and "part year" in part.hovertemplate
    assert figure.layout.xaxis.labelalias == {"2024-25": "2024-25<br>part year"}
    assert full.line.color == joint.line.color == part.marker.color


def test_part_year_bars_are_hatched_and_labelled():
    table = pd.DataFrame({"period": ["2023-24", "2024-25"], "fte": [120, 30], "knife": [10, 2]})
    figure = figures.grouped_bars(table, x="period", bars={"fte": "First-time entrants", "knife": "Knife"},
                                  y_title="Children", part_year="2024-25")
    for trace in figure.data:
        assert list(trace.marker.pattern.shape) == ["", "/"]
    assert figure.layout.xaxis.labelalias == {"2024-25": "2024-25<br>part year"}
    # No part year: nothing hatched, nothing relabelled.
    plain = figures.grouped_bars(table, x="period", bars={"fte": "First-time entrants"}, y_title="Children")
    assert set(plain.data[0].marker.pattern.shape) == {""} and plain.layout.xaxis.labelalias is None


def test_relative_rates_leave_out_the_reference_and_label_significant_results():
    table = pd.DataFrame({"stage": ["offence"] * 3, "group": ["White", "Black", "Asian"], "rri": [1.0, 2.5, 0.9],
                          "ci_low": [0.8, 1.8, 0.6], "ci_high": [1.2, 3.4, 1.3],
                          "significant": pd.array([False, True, False], dtype="boolean")})
    figure = figures.relative_rates(table, reference="White")
    names = [t.name for t in figure.data]
    assert names == ["Black", "Asian"]
    black, asian = figure.data
    assert black.marker.line.color == ETHNICITY_COLOURS["Black"]
    assert list(black.marker.color) == [ETHNICITY_COLOURS["Black"]] and list(asian.marker.color) == ["white"]
    assert [verdict for _, verdict in black.customdata] == ["significant"]
    assert [verdict for _, verdict in asian.customdata] == ["could be chance"]
    assert "Filled marker: significant" in _plain(figure.layout.xaxis.title.text)
    assert figure.layout.yaxis.type == "log"
    assert figure.layout.yaxis.title.text == "Times the rate for White children"


def test_relative_rates_by_sex_plot_every_group_but_the_reference_each_with_its_legend_entry():
    """Boys at 4.47 times girls' rate: plotted, named in words, in the legend even as the only group
    drawn (unknown has no RRI); girls, the reference, are the line at 1, never a point."""
    figure = figures.relative_rates(_sex_table(), reference="female")
    assert [t.name for t in figure.data] == ["Boys"]
    boys = figure.data[0]
    assert list(boys.x) == ["Offence"] and list(boys.y) == [4.47]
    assert boys.showlegend is True and figure.layout.showlegend is True
    assert figure.layout.yaxis.title.text == "Times the rate for girls"
    assert "times the rate for girls" in boys.hovertemplate
    assert [list(c) for c in boys.customdata] == [["95% interval 3.10 to 6.40", "significant"]]
    assert boys.marker.line.color == SEX_COLOURS["male"]


def test_a_group_whose_rri_is_exactly_one_is_still_plotted():
    """Boys at exactly the girls' rate: a finding, drawn at 1 (the old page took the first group at 1
    to be the reference and hid it)."""
    figure = figures.relative_rates(_sex_table(male=1.0), reference="female")
    assert [t.name for t in figure.data] == ["Boys"] and list(figure.data[0].y) == [1.0]


def test_relative_rates_refuse_a_reference_that_is_not_a_group():
    with pytest.raises(ValueError, match="reference"):
        figures.relative_rates(_sex_table(), reference="the reference group")


@pytest.mark.parametrize("values, ticks", [
    ([4.47, 3.1, 6.4, 0.8, 1.25], [0.5, 1, 2, 4, 8]),
    ([1.6, 1.2, 2.0], [1, 2]),
    ([0.3, 0.2, 0.45], [0.125, 0.25, 0.5, 1]),
    ([12.0, 15.9, 9.1], [1, 2, 4, 8, 16]),
    ([1.0], [0.5, 1, 2]),
    ([200.0], [1, 4, 16, 64, 256]),        # over eight powers: every second one, 1 kept
])
def test_the_rri_axis_is_ticked_at_real_values_spanning_the_data(values, ticks):
    axis = figures.log_axis(np.array(values + [np.nan, 0.0]))     # no interval, zero RRI: not on a log axis
    assert axis["tickvals"] == ticks
    assert axis["ticktext"] == [f"{t:g}" for t in ticks]
    low, high = 10 ** axis["range"][0], 10 ** axis["range"][1]
    assert low <= min(ticks) and high >= max(ticks)
    assert low <= min(values + [1]) and high >= max(values + [1])


def test_the_rri_tick_labels_read_as_numbers():
    axis = figures.log_axis(np.array([0.25, 16.0]))
    assert axis["ticktext"] == ["0.25", "0.5", "1", "2", "4", "8", "16"]


def test_the_share_view_leaves_out_years_with_withheld_counts():
    table = pd.DataFrame({"period": ["2021-22", "2021-22", "2022-23", "2022-23"],
                          "disposal_type": ["PREVENTION", "YOUTH_CAUTION"] * 2,
                          "tier": ["Prevention", "Pre-court"] * 2, "count": [30, 10, np.nan, 20]})
    figure = figures.stacked_disposals(table, share=True)
    by_tier = {t.name: dict(zip(t.x, t.y)) for t in figure.data}
    assert by_tier["Prevention"]["2021-22"] == 0.75 and by_tier["Pre-court"]["2021-22"] == 0.25
    assert all(np.isnan(shares["2022-23"]) for shares in by_tier.values())


def test_disposals_by_type_are_stacked_by_tier_each_in_its_own_colour():
    """Sixteen types cannot be told apart by colour; six tiers can. A tier's total is its types' sum,
    and is not drawn in a year where one of its types is withheld (no honest total)."""
    table = pd.DataFrame({
        "period": ["2023-24"] * 4 + ["2024-25"] * 4,
        "disposal_type": ["YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION", "REFERRAL_ORDER", "FINE"] * 2,
        "tier": ["Pre-court", "Pre-court", "First-tier", "First-tier"] * 2,
        "count": [12, 30, 40, 6, np.nan, np.nan, 20, 7]})
    figure = figures.stacked_disposals(table, part_year="2024-25")
    assert [t.name for t in figure.data] == ["Pre-court", "First-tier"]
    pre_court, first_tier = figure.data
    assert pre_court.y[0] == 42 and np.isnan(pre_court.y[1])
    assert list(first_tier.y) == [46, 27]
    assert len({t.marker.color for t in figure.data}) == 2 and pre_court.marker.color == TIER_COLOURS["Pre-court"]
    assert list(first_tier.marker.pattern.shape) == ["", "/"]


def test_disposals_from_the_tier_breakdown_draw_its_totals():
    """The measure's tier totals are suppressed as totals: a tier whose types are all small is still drawn."""
    table = pd.DataFrame({"period": ["2023-24", "2023-24", "2024-25", "2024-25"], "disposal_type": ["All"] * 4,
                          "tier": ["Community", "Custody"] * 2, "count": pd.array([50, 7, 30, None], dtype="Int64")})
    figure = figures.stacked_disposals(table)
    community, custody = figure.data
    assert list(community.y) == [50, 30] and custody.y[0] == 7 and np.isnan(custody.y[1])
    share = figures.stacked_disposals(table, share=True)
    assert share.data[0].y[0] == pytest.approx(50 / 57) and np.isnan(share.data[0].y[1])


def test_no_note_is_too_wide_for_a_phone():
    figure = figures.bars(pd.DataFrame({"period": [f"20{y}-{y + 1}" for y in range(14, 25)], "area": ["A"] * 11,
                                        "count": range(11)}), x="area", y="count", colour="period",
                          y_title="Referrals", withheld=True)
    lines = figure.layout.xaxis.title.text.split("<br>")
    assert len(lines) >= 4 and all(len(_plain(line)) <= 44 for line in lines)


def test_every_series_of_every_figure_has_its_own_colour():
    for figure in _every_figure():
        named = [t for t in figure.data if t.showlegend is not False and t.type != "choropleth" and t.name]
        colours = [t.line.color if "lines" in (t.to_plotly_json().get("mode") or "") else
                   (t.marker.line.color if t.type == "scatter" else t.marker.color) for t in named]
        colours = [c if isinstance(c, str) else tuple(c) for c in colours]
        assert len(set(colours)) == len(colours), [t.name for t in named]


def test_bars_split_by_year_draw_the_latest_years_and_say_the_table_has_the_rest():
    table = pd.DataFrame({"period": [f"20{y}-{y + 1}" for y in range(14, 25)] * 2,
                          "locality": ["Lower Vallely"] * 11 + ["Upper Vale"] * 11, "count": list(range(22))})
    figure = figures.bars(table, x="locality", y="count", colour="period", y_title="Referrals", barmode="group",
                          part_year="2024-25")
    assert [t.name for t in figure.data] == ["2021-22", "2022-23", "2023-24", "2024-25 (part year)"]
    assert len({t.marker.color[0] for t in figure.data}) == 4
    assert "latest 4 years; the table has every one" in _plain(figure.layout.xaxis.title.text)
    assert figure.layout.xaxis.automargin is not False       # long area names get the room they need


def test_reoffending_windows_show_the_latest_cohorts_in_words():
    cohorts = [f"20{y}-{y + 1}" for y in range(14, 25)]
    table = pd.DataFrame({"cohort": [c for c in cohorts for _ in range(2)], "window": ["pre", "0-3m"] * 11,
                          "children_at_risk": pd.array([40, 30] * 11, dtype="Int64"), "rate": [0.25, 0.1] * 11})
    figure = figures.reoffending_windows(table)
    assert [t.name for t in figure.data] == cohorts[-4:]
    assert list(figure.data[0].x) == ["12 months before", "0 to 3 months after"]
    assert len({t.marker.color for t in figure.data}) == 4
    assert "the table has every one" in _plain(figure.layout.xaxis.title.text)


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


def _lightness(colour: str) -> float:
    """Relative luminance (WCAG) of '#rrggbb'."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_map_shades_higher_rates_darker_and_names_its_unit():
    areas = pd.DataFrame({"yjs": ["A", "B"], "ctyua_code": ["E1", "E2"], "ctyua_name": ["a", "b"]})
    table = pd.DataFrame({"yjs": ["A", "B"], "rate_per_1000": [1.5, 6.0], "children": [10, 40]})
    trace = figures.area_map(table, areas, "x.json").data[0]
    scale = [colour for _, colour in trace.colorscale]
    assert trace.reversescale is not True
    assert [_lightness(c) for c in scale] == sorted((_lightness(c) for c in scale), reverse=True)
    assert _lightness(scale[0]) < 0.9                       # the lowest rate still stands out from the page
    assert "per<br>1,000 aged 10 to 17" in trace.colorbar.title.text
    assert [c for _, c in MAP_COLOURS] == scale


def test_survival_curve_shows_numbers_at_risk_under_it():
    table = pd.DataFrame({"cohort": ["2021-22"] * 3, "day": [0, 100, 365], "at_risk": [50, 40, 35],
                          "events": [0, 5, 0], "censored": [10, 0, 35], "survival": [1.0, 0.875, 0.875],
                          "reoffended": [0.0, 0.125, 0.125], "ci_low": [0.0, 0.05, 0.05],
                          "ci_high": [0.0, 0.25, 0.25]})
    figure = figures.survival_curve(table)
    note = figure.layout.annotations[-1].text
    # still followed up on day 0, 91, 182, 273 and 365: at risk on the first row on or after each
    assert "2021-22: 50 | 40 | 35 | 35 | 35" in note
    # Every line short enough for a phone, and the months written once, in the axis title.
    assert all(len(_plain(line)) <= 44 for line in note.split("<br>"))
    assert list(figure.layout.xaxis.ticktext) == ["0", "3", "6", "9", "12"]
    assert figure.layout.xaxis.title.text == "Months since the programme ended"


def test_a_phone_gets_smaller_type_one_line_axis_labels_and_room_for_the_legend():
    """Issue 13, item 9: disposals on a phone squeezed the plot and printed labels over each other."""
    table = pd.DataFrame({"period": [f"20{y}-{y + 1}" for y in range(15, 26)] * 6, "disposal_type": ["All"] * 66,
                          "tier": [t for t in TIER_COLOURS for _ in range(11)], "count": list(range(66))})
    wide = figures.stacked_disposals(table, part_year="2025-26")
    phone = figures.for_narrow_screen(figures.stacked_disposals(table, part_year="2025-26"))
    assert wide.layout.font.size == 15 and phone.layout.font.size == 13 and phone.layout.legend.font.size == 13
    # Six tiers wrap to three rows of two on a phone: two rows more than one, 22 pixels each.
    assert phone.layout.height == wide.layout.height + 44
    assert phone.layout.margin.l == 44 and phone.layout.xaxis.automargin is not False
    assert wide.layout.xaxis.labelalias == {"2025-26": "2025-26<br>part year"}
    assert phone.layout.xaxis.labelalias == {"2025-26": "2025-26 part year"}


def test_on_a_phone_bars_that_name_areas_lie_down_with_every_name_written_out():
    from dashboard.views.charts import Bars
    table = pd.DataFrame({"period": ["2024-25"] * 3, "locality": ["Lower Valley", "Kingsmere South", "Coast"],
                          "count": [12, 30, 7]})
    result = type("Result", (), {"table": table, "withheld": table.assign(count=False, period=False,
                                                                           locality=False)})()
    chart = Bars(x="locality", y="count", colour="period", y_title="Referrals", barmode="group",
                 sideways_when_narrow=True)
    wide, phone = figures.draw(chart, result), figures.draw(chart, result, narrow=True)
    assert wide.data[0].orientation == "v" and list(wide.data[0].x) == ["Lower Valley", "Kingsmere South", "Coast"]
    assert phone.data[0].orientation == "h" and list(phone.data[0].y) == ["Lower Valley", "Kingsmere South", "Coast"]
    assert phone.layout.yaxis.automargin is True and phone.layout.height == 400     # 160 + 3 areas x 19, at least 400


def test_reoffending_windows_lie_down_on_a_phone():
    table = pd.DataFrame({"cohort": ["2023-24"] * 2 + ["2024-25"] * 2, "window": ["pre", "0-3m"] * 2,
                          "children_at_risk": pd.array([40, 30] * 2, dtype="Int64"), "rate": [0.25, 0.1] * 2})
    phone = figures.reoffending_windows(table, narrow=True, withheld=True)
    assert [t.orientation for t in phone.data] == ["h", "h"]
    assert list(phone.data[0].y) == ["12 months before", "0 to 3 months after"]
    assert phone.layout.xaxis.tickformat == ".0%" and phone.layout.yaxis.autorange == "reversed"
    # The notes share the width with the windows' names: shorter lines.
    lines = [_plain(line) for line in phone.layout.xaxis.title.text.split("<br>")[1:]]
    assert lines and all(len(line) <= 28 for line in lines)


#: A code, a Python or JSON value, or a raw column name: never in what a chart says.
CODES = re.compile(r"[A-Za-z]+_[A-Za-z_]+|\b(?:True|False|true|false|nan|NaN|None|null|Rri|rri)\b|\b[A-Z]{4,}\b")


def test_no_figure_says_a_code():
    for figure in _every_figure():
        for text in _texts(figure):
            assert not CODES.search(text), text


def test_the_graph_config_keeps_nothing_that_leaves_the_machine_or_repeats_the_card():
    removed = set(GRAPH_CONFIG["modeBarButtonsToRemove"])
    assert {"toImage", "sendChartToCloud", "downloadJson"} <= removed
    assert GRAPH_CONFIG["showSendToCloud"] is False and GRAPH_CONFIG["showEditInChartStudio"] is False
    assert GRAPH_CONFIG["displaylogo"] is False and GRAPH_CONFIG["scrollZoom"] is False
    assert not {"zoomInGeo", "zoomOutGeo", "resetGeo"} & removed        # the map keeps its zoom


def test_charts_cannot_be_dragged_into_a_zoom():
    for figure in _every_figure()[:-1]:         # the sparkline is a static picture
        assert figure.layout.dragmode is False


def _every_figure():
    """One figure from every builder, withheld cells and a part year included."""
    fte = pd.DataFrame({"period": ["2021-22", "2022-23"] * 2, "yjs": ["A", "A", "B", "B"],
                        "fte": pd.array([12, None, 7, 30], dtype="Int64"), "rate": [10.0, np.nan, 7.0, 8.0]})
    disposals = pd.DataFrame({"period": ["2021-22", "2021-22", "2022-23", "2022-23"],
                              "disposal_type": ["PREVENTION", "YOUTH_CAUTION"] * 2,
                              "tier": ["Prevention", "Pre-court"] * 2, "count": [30, 10, 12, np.nan]})
    rri = pd.DataFrame({"stage": ["population", "population", "offence", "offence", "pre_court", "pre_court"],
                        "group": ["White", "Black"] * 3, "rri": [1.0, 1.0, 1.0, 2.5, 1.0, 0.5],
                        "ci_low": [np.nan, np.nan, 0.8, 1.8, 0.7, 0.3], "ci_high": [np.nan, np.nan, 1.2, 3.4, 1.4, 0.9],
                        "rate_per_1000": [1000, 1000, 3.0, 7.5, 2.0, 1.0],
                        "significant": pd.array([None, None, False, True, False, True], dtype="boolean")})
    by_sex = _sex_table().assign(rate_per_1000=[1000, 1000, np.nan, 9.0, 2.0, np.nan])
    windows = pd.DataFrame({"cohort": ["2021-22"] * 2, "window": ["pre", "0-3m"],
                            "children_at_risk": pd.array([40, None], dtype="Int64"), "rate": [0.25, np.nan]})
    referrals = pd.DataFrame({"age": [14, 15, 14], "referral_source": ["OUT_OF_COURT_PANEL", "POLICE", "police"],
                              "count": [5, 9, 7]})
    curve = pd.DataFrame({"cohort": ["2021-22"] * 2, "day": [0, 100], "at_risk": [50, 40], "events": [0, 5],
                          "censored": [10, 0], "survival": [1.0, 0.875], "reoffended": [0.0, 0.125],
                          "ci_low": [0.0, 0.05], "ci_high": [0.0, 0.25]})
    areas = pd.DataFrame({"yjs": ["A"], "ctyua_code": ["E06000002"], "ctyua_name": ["Middlesbrough"]})
    return [figures.trend_lines(fte, x="period", y="rate", series="yjs", y_title="rate", withheld=True,
                                part_year="2022-23"),
            figures.grouped_bars(fte, x="period", bars={"fte": "First-time entrants", "rate": "Rate"}, y_title="n",
                                 part_year="2022-23"),
            figures.stacked_disposals(disposals, part_year="2022-23"),
            figures.stacked_disposals(disposals, share=True, withheld=True),
            figures.bars(fte, x="yjs", y="fte", colour="period", y_title="n", highlight="A", part_year="2022-23"),
            figures.bars(fte, x="yjs", y="rate", y_title="rate", horizontal=True),
            figures.bars(referrals, x="age", y="count", colour="referral_source", y_title="Referrals"),
            figures.relative_rates(rri, reference="White", withheld=True), figures.stage_rates(rri),
            figures.relative_rates(by_sex, reference="female"), figures.stage_rates(by_sex),
            figures.reoffending_windows(windows, withheld=True), figures.survival_curve(curve, withheld=True),
            figures.reoffending_windows(windows, withheld=True, narrow=True),
            figures.for_narrow_screen(figures.stacked_disposals(disposals, part_year="2022-23")),
            figures.area_map(fte.assign(rate_per_1000=fte["rate"], children=fte["fte"]).head(1), areas, "x.json",
                             highlight="A"),
            figures.sparkline(fte["rate"], fte["period"])]


def test_every_builder_draws_only_trace_types_the_partial_plotly_bundle_has():
    banner = PARTIAL_PLOTLY.read_text()[:200]
    assert f"traces: {', '.join(PARTIAL_PLOTLY_TRACES)})" in banner
    assert {trace.type for figure in _every_figure() for trace in figure.data} <= set(PARTIAL_PLOTLY_TRACES)


def test_every_builder_makes_a_figure_plotly_accepts_in_full():
    """Builders skip plotly's validation on the hot path; here every property is checked."""
    for figure in _every_figure():
        go.Figure(figure.to_dict())          # raises on any property plotly does not know or accept
