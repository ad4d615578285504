"""Figure builders as pure functions: withheld values never drawn, categories keep their colours, the
reference group never plotted, a part year drawn apart, every series told apart, every word plain."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures
from dashboard.figures import compare
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
    return pd.DataFrame(
        {
            "stage": ["population"] * 3 + ["offence"] * 3,
            "group": groups * 2,
            "rri": [1.0, 1.0, np.nan] + [values[g] for g in groups],
            "ci_low": [np.nan] * 3 + [3.1, 0.8, np.nan],
            "ci_high": [np.nan] * 3 + [6.4, 1.25, np.nan],
            "significant": pd.array([None] * 3 + [True, False, None], dtype="boolean"),
        }
    )


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
        elif isinstance(value, str) and key in {"name", "text", "hovertemplate", "ticktext", "customdata", "x", "y"}:
            found.append(value)

    figure_dict = figure.to_dict()
    walk(figure_dict["data"])
    walk(figure_dict["layout"])
    for axis in ("xaxis", "yaxis"):
        found += list(figure_dict["layout"].get(axis, {}).get("labelalias", {}).values())
    return found


def test_trend_lines_draw_one_line_per_series_and_skip_withheld_points():
    table = pd.DataFrame(
        {"period": ["2021-22", "2022-23"] * 2, "yjs": ["A", "A", "B", "B"], "rate": [10.0, np.nan, 7.0, 8.0]}
    )
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
    table = pd.DataFrame(
        {
            "period": ["2020-21", "2021-22", "2022-23", "2020-21", "2022-23"],
            "yjs": ["A", "A", "A", "B", "B"],
            "rate": [5.0, 6.0, 7.0, 3.0, 4.0],
        }
    )
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
    figure = figures.grouped_bars(
        table,
        x="period",
        bars={"fte": "First-time entrants", "knife": "Knife"},
        y_title="Children",
        part_year="2024-25",
    )
    for trace in figure.data:
        assert list(trace.marker.pattern.shape) == ["", "/"]
    assert figure.layout.xaxis.labelalias == {"2024-25": "2024-25<br>part year"}
    # No part year: nothing hatched, nothing relabelled.
    plain = figures.grouped_bars(table, x="period", bars={"fte": "First-time entrants"}, y_title="Children")
    assert set(plain.data[0].marker.pattern.shape) == {""} and plain.layout.xaxis.labelalias is None


def test_relative_rates_leave_out_the_reference_and_label_significant_results():
    table = pd.DataFrame(
        {
            "stage": ["offence"] * 3,
            "group": ["White", "Black", "Asian"],
            "rri": [1.0, 2.5, 0.9],
            "ci_low": [0.8, 1.8, 0.6],
            "ci_high": [1.2, 3.4, 1.3],
            "significant": pd.array([False, True, False], dtype="boolean"),
        }
    )
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


@pytest.mark.parametrize(
    "values, ticks",
    [
        ([4.47, 3.1, 6.4, 0.8, 1.25], [0.5, 1, 2, 4, 8]),
        ([1.6, 1.2, 2.0], [1, 2]),
        ([0.3, 0.2, 0.45], [0.125, 0.25, 0.5, 1]),
        ([12.0, 15.9, 9.1], [1, 2, 4, 8, 16]),
        ([1.0], [0.5, 1, 2]),
        ([200.0], [1, 4, 16, 64, 256]),  # over eight powers: every second one, 1 kept
    ],
)
def test_the_rri_axis_is_ticked_at_real_values_spanning_the_data(values, ticks):
    axis = figures.log_axis(np.array(values + [np.nan, 0.0]))  # no interval, zero RRI: not on a log axis
    assert axis["tickvals"] == ticks
    assert axis["ticktext"] == [f"{t:g}" for t in ticks]
    low, high = 10 ** axis["range"][0], 10 ** axis["range"][1]
    assert low <= min(ticks) and high >= max(ticks)
    assert low <= min(values + [1]) and high >= max(values + [1])


def test_the_rri_tick_labels_read_as_numbers():
    axis = figures.log_axis(np.array([0.25, 16.0]))
    assert axis["ticktext"] == ["0.25", "0.5", "1", "2", "4", "8", "16"]


def test_the_share_view_leaves_out_years_with_withheld_counts():
    table = pd.DataFrame(
        {
            "period": ["2021-22", "2021-22", "2022-23", "2022-23"],
            "disposal_type": ["PREVENTION", "YOUTH_CAUTION"] * 2,
            "tier": ["Prevention", "Pre-court"] * 2,
            "count": [30, 10, np.nan, 20],
        }
    )
    figure = figures.stacked_disposals(table, share=True)
    by_tier = {t.name: dict(zip(t.x, t.y)) for t in figure.data}
    assert by_tier["Prevention"]["2021-22"] == 0.75 and by_tier["Pre-court"]["2021-22"] == 0.25
    assert all(np.isnan(shares["2022-23"]) for shares in by_tier.values())


def test_disposals_by_type_are_stacked_by_tier_each_in_its_own_colour():
    """Sixteen types cannot be told apart by colour; six tiers can. A tier's total is its types' sum,
    and is not drawn in a year where one of its types is withheld (no honest total)."""
    table = pd.DataFrame(
        {
            "period": ["2023-24"] * 4 + ["2024-25"] * 4,
            "disposal_type": ["YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION", "REFERRAL_ORDER", "FINE"] * 2,
            "tier": ["Pre-court", "Pre-court", "First-tier", "First-tier"] * 2,
            "count": [12, 30, 40, 6, np.nan, np.nan, 20, 7],
        }
    )
    figure = figures.stacked_disposals(table, part_year="2024-25")
    assert [t.name for t in figure.data] == ["Pre-court", "First-tier"]
    pre_court, first_tier = figure.data
    assert pre_court.y[0] == 42 and np.isnan(pre_court.y[1])
    assert list(first_tier.y) == [46, 27]
    assert len({t.marker.color for t in figure.data}) == 2 and pre_court.marker.color == TIER_COLOURS["Pre-court"]
    assert list(first_tier.marker.pattern.shape) == ["", "/"]


def test_disposals_from_the_tier_breakdown_draw_its_totals():
    """The measure's tier totals are suppressed as totals: a tier whose types are all small is still drawn."""
    table = pd.DataFrame(
        {
            "period": ["2023-24", "2023-24", "2024-25", "2024-25"],
            "disposal_type": ["All"] * 4,
            "tier": ["Community", "Custody"] * 2,
            "count": pd.array([50, 7, 30, None], dtype="Int64"),
        }
    )
    figure = figures.stacked_disposals(table)
    community, custody = figure.data
    assert list(community.y) == [50, 30] and custody.y[0] == 7 and np.isnan(custody.y[1])
    share = figures.stacked_disposals(table, share=True)
    assert share.data[0].y[0] == pytest.approx(50 / 57) and np.isnan(share.data[0].y[1])


def test_no_note_is_too_wide_for_a_phone():
    figure = figures.bars(
        pd.DataFrame({"period": [f"20{y}-{y + 1}" for y in range(14, 25)], "area": ["A"] * 11, "count": range(11)}),
        x="area",
        y="count",
        colour="period",
        y_title="Referrals",
        withheld=True,
    )
    lines = figure.layout.xaxis.title.text.split("<br>")
    assert len(lines) >= 4 and all(len(_plain(line)) <= 44 for line in lines)


def test_every_series_of_every_figure_has_its_own_colour():
    for figure in _every_figure():
        named = [t for t in figure.data if t.showlegend is not False and t.type != "choropleth" and t.name]
        colours = [
            t.line.color
            if "lines" in (t.to_plotly_json().get("mode") or "")
            else (t.marker.line.color if t.type == "scatter" else t.marker.color)
            for t in named
        ]
        colours = [c if isinstance(c, str) else tuple(c) for c in colours]
        assert len(set(colours)) == len(colours), [t.name for t in named]


def test_bars_split_by_year_draw_the_latest_years_and_say_the_table_has_the_rest():
    table = pd.DataFrame(
        {
            "period": [f"20{y}-{y + 1}" for y in range(14, 25)] * 2,
            "locality": ["Lower Vallely"] * 11 + ["Upper Vale"] * 11,
            "count": list(range(22)),
        }
    )
    figure = figures.bars(
        table, x="locality", y="count", colour="period", y_title="Referrals", barmode="group", part_year="2024-25"
    )
    assert [t.name for t in figure.data] == ["2021-22", "2022-23", "2023-24", "2024-25 (part year)"]
    assert len({t.marker.color[0] for t in figure.data}) == 4
    assert "latest 4 years; the table has every one" in _plain(figure.layout.xaxis.title.text)
    assert figure.layout.xaxis.automargin is not False  # long area names get the room they need


def test_reoffending_windows_show_the_latest_cohorts_in_words():
    cohorts = [f"20{y}-{y + 1}" for y in range(14, 25)]
    table = pd.DataFrame(
        {
            "cohort": [c for c in cohorts for _ in range(2)],
            "window": ["pre", "0-3m"] * 11,
            "children_at_risk": pd.array([40, 30] * 11, dtype="Int64"),
            "rate": [0.25, 0.1] * 11,
        }
    )
    figure = figures.reoffending_windows(table)
    assert [t.name for t in figure.data] == cohorts[-4:]
    assert list(figure.data[0].x) == ["12 months before", "0 to 3 months after"]
    assert len({t.marker.color for t in figure.data}) == 4
    assert "the table has every one" in _plain(figure.layout.xaxis.title.text)


def test_survival_curve_shows_numbers_at_risk_under_it():
    table = pd.DataFrame(
        {
            "cohort": ["2021-22"] * 3,
            "day": [0, 100, 365],
            "at_risk": [50, 40, 35],
            "events": [0, 5, 0],
            "censored": [10, 0, 35],
            "survival": [1.0, 0.875, 0.875],
            "reoffended": [0.0, 0.125, 0.125],
            "ci_low": [0.0, 0.05, 0.05],
            "ci_high": [0.0, 0.25, 0.25],
        }
    )
    figure = figures.survival_curve(table)
    note = figure.layout.annotations[-1].text
    # still followed up on day 0, 91, 182, 273 and 365: at risk on the first row on or after each
    assert "2021-22: 50 | 40 | 35 | 35 | 35" in note
    # On a phone every line short enough for it; the months written once, in the axis title.
    phone = figures.survival_curve(table, withheld=True, narrow=True).layout.annotations[-1].text
    assert all(len(_plain(line)) <= 44 for line in phone.split("<br>"))
    assert "Children still followed up at 0, 3, 6, 9 and 12 months" in note
    assert list(figure.layout.xaxis.ticktext) == ["0", "3", "6", "9", "12"]
    assert figure.layout.xaxis.title.text == "Months since the programme ended"


def test_a_phone_gets_smaller_type_one_line_axis_labels_and_room_for_the_legend():
    """Issue 13, item 9: disposals on a phone squeezed the plot and printed labels over each other."""
    table = pd.DataFrame(
        {
            "period": [f"20{y}-{y + 1}" for y in range(15, 26)] * 6,
            "disposal_type": ["All"] * 66,
            "tier": [t for t in TIER_COLOURS for _ in range(11)],
            "count": list(range(66)),
        }
    )
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

    table = pd.DataFrame(
        {"period": ["2024-25"] * 3, "locality": ["Lower Valley", "Kingsmere South", "Coast"], "count": [12, 30, 7]}
    )
    result = type("Result", (), {"table": table, "withheld": table.assign(count=False, period=False, locality=False)})()
    chart = Bars(
        x="locality", y="count", colour="period", y_title="Referrals", barmode="group", sideways_when_narrow=True
    )
    wide, phone = figures.draw(chart, result), figures.draw(chart, result, narrow=True)
    assert wide.data[0].orientation == "v" and list(wide.data[0].x) == ["Lower Valley", "Kingsmere South", "Coast"]
    assert phone.data[0].orientation == "h" and list(phone.data[0].y) == ["Lower Valley", "Kingsmere South", "Coast"]
    assert phone.layout.yaxis.automargin is True and phone.layout.height == 400  # 160 + 3 areas x 19, at least 400


def test_reoffending_windows_lie_down_on_a_phone():
    table = pd.DataFrame(
        {
            "cohort": ["2023-24"] * 2 + ["2024-25"] * 2,
            "window": ["pre", "0-3m"] * 2,
            "children_at_risk": pd.array([40, 30] * 2, dtype="Int64"),
            "rate": [0.25, 0.1] * 2,
        }
    )
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
    assert not {"zoomInGeo", "zoomOutGeo", "resetGeo"} & removed  # the map keeps its zoom


def test_charts_cannot_be_dragged_into_a_zoom():
    for figure in _every_figure()[:-1]:  # the sparkline is a static picture
        assert figure.layout.dragmode is False


def _proven(binary=(30.0, 25.0, 20.0), complete=(True, True, False)) -> pd.DataFrame:
    """proven-reoffending's whole-cohort rows (and a tier's) for three cohorts, the last still open."""
    cohorts = ["2021-22", "2022-23", "2023-24"]
    whole = pd.DataFrame(
        {
            "cohort": cohorts,
            "yjs": "All services",
            "index_tier": "All",
            "children": pd.array([100, 80, 60], dtype="Int64"),
            "reoffenders": pd.array([30, 20, 12], dtype="Int64"),
            "reoffences": [40, 30, 15],
            "binary_rate": list(binary),
            "frequency_rate": [0.4, 0.375, 0.25],
            "reoffences_per_reoffender": [1.33, 1.5, 1.25],
            "complete": list(complete),
        }
    )
    tier = whole.assign(index_tier="Custody", binary_rate=[50.0, np.nan, 40.0])
    return pd.concat([whole, tier], ignore_index=True)


def _result(table, metric="proven-reoffending"):
    from dashboard.metrics import MeasureResult

    return MeasureResult(metric, table, pd.DataFrame(table.isna(), index=table.index, columns=table.columns), "")


def test_cohort_lines_draw_complete_cohorts_solid_and_open_ones_provisional():
    from dashboard.views.charts import CohortLines

    chart = CohortLines(
        columns=(("binary_rate", "Proven reoffending"),),
        y_title="%",
        interval=True,
        progress=(("2023-24", "tracking: 7 of 12 months so far", "7 of 12 months"),),
    )
    figure = figures.draw(chart, _result(_proven()))
    solid, bridge, provisional = figure.data
    assert list(solid.x) == ["2021-22", "2022-23"] and list(solid.y) == [30.0, 25.0]
    assert solid.line.dash is None and provisional.line.dash == "dot" and bridge.line.dash == "dot"
    assert list(bridge.x) == ["2022-23", "2023-24"] and provisional.marker.symbol == "circle-open"
    # Wilson 95% limits of 30 of 100: 21.90% to 39.59%.
    assert solid.error_y.array[0] == pytest.approx(39.59 - 30, abs=0.01)
    assert solid.error_y.arrayminus[0] == pytest.approx(30 - 21.90, abs=0.01)
    assert figure.layout.xaxis.labelalias["2023-24"] == "2023-24<br>7 of 12 months"
    assert list(provisional.customdata) == ["tracking: 7 of 12 months so far"]
    assert "still being followed" in _plain(figure.layout.xaxis.title.text)


def test_cohorts_with_no_children_or_still_forming_are_not_drawn():
    from dashboard.views.charts import CohortLines

    table = _proven()
    table.loc[0, "children"] = 0
    figure = figures.draw(CohortLines(columns=(("binary_rate", "Rate"),), forming=("2023-24",)), _result(table))
    assert [list(t.x) for t in figure.data] == [["2022-23"]]
    assert "still forming: 2023-24" in _plain(figure.layout.xaxis.title.text)


def test_cohort_lines_by_tier_leave_a_withheld_cohort_as_a_gap():
    from dashboard.views.charts import CohortLines

    figure = figures.draw(CohortLines(by_tier="binary_rate", y_title="%"), _result(_proven()))
    assert [t.name for t in figure.data if t.showlegend is not False] == ["Custody"]
    assert figure.data[0].y[0] == 50.0 and np.isnan(figure.data[0].y[1])
    assert len(figure.data) == 2  # no bridge from a withheld cohort


def test_with_every_cohort_complete_nothing_is_drawn_as_provisional():
    figure = figures.cohort_lines(
        [("Rate", pd.Series([30.0, 20.0], index=["a", "b"]), None, None)],
        complete=pd.Series([True, True], index=["a", "b"]),
        progress={},
        y_title="%",
    )
    assert len(figure.data) == 1 and "followed" not in _plain(figure.layout.xaxis.title.text or "")


def test_reoffence_counts_show_one_cohort_and_pick_out_five_or_more():
    table = pd.DataFrame(
        {
            "cohort": ["2022-23"] * 5 + ["2023-24"] * 5,
            "yjs": "A",
            "reoffences": ["1", "2", "3", "4", "5+"] * 2,
            "reoffenders": [50, 20, 9, 6, 5] * 2,
        }
    )
    figure = figures.reoffence_counts(table, cohort="2022-23", share="5 or more: 30% of reoffences")
    bars = figure.data[0]
    assert list(bars.x) == ["1", "2", "3", "4", "5 or more"] and list(bars.y) == [50, 20, 9, 6, 5]
    assert bars.marker.color[-1] != bars.marker.color[0]
    assert "30% of reoffences" in _plain(figure.layout.xaxis.title.text)
    assert figure.layout.xaxis.type == "category"  # "1" to "4" are not numbers on an axis


def test_the_tracker_sets_each_open_cohort_beside_the_last_complete_one():
    table = pd.DataFrame(
        {
            "cohort": ["2023-24", "2024-25"],
            "months_followed": [12, 0],
            "previous_cohort": ["2022-23", "2022-23"],
            "binary_rate_so_far": [28.0, np.nan],
            "previous_binary_rate_same_point": [23.0, np.nan],
            "reading": ["higher", None],
        }
    )
    this, last = figures.tracker_bars(table).data
    # A cohort still forming is not drawn; the reading is said under the cohort, not only by colour.
    assert list(this.x) == ["2023-24<br>first 12 of 12 months<br>higher: worse so far"]
    assert list(this.y) == [28.0] and list(last.y) == [23.0]
    assert this.customdata[0][0] == "higher than"


def _remand_outcomes() -> pd.DataFrame:
    """remand-outcomes for two years: 2021-22 all shown; 2022-23 with two shares withheld."""
    return pd.DataFrame(
        {
            "period": ["2021-22"] * 4 + ["2022-23"] * 4,
            "result": ["custodial_sentence", "non_custodial_sentence", "no_conviction", "open"] * 2,
            "remands": pd.array([10, 6, 4, 0, 9, None, None, None], dtype="Int64"),
            "percent": [50.0, 30.0, 20.0, np.nan, 60.0, np.nan, np.nan, np.nan],
        }
    )


def test_remand_outcomes_split_the_ended_cases_and_name_those_still_open():
    figure = figures.remand_outcomes(_remand_outcomes(), withheld=True, part_year="2022-23")
    custodial, other, none, rest = figure.data
    assert [t.name for t in figure.data] == [
        "Custodial sentence",
        "Non-custodial sentence",
        "No conviction",
        "Not custody, split withheld",
    ]
    assert list(custodial.x) == [0.5, 0.6] and other.x[0] == 0.3 and np.isnan(other.x[1]) and np.isnan(none.x[1])
    # 2022-23: 60% custodial shown, the rest's split withheld: the 40% not followed by custody is drawn whole.
    assert np.isnan(rest.x[0]) and rest.x[1] == pytest.approx(0.4)
    labels = [_plain(label) for label in custodial.y]
    assert labels == ["2021-22 0 still open", "2022-23 (part year) c still open"]
    assert list(custodial.customdata) == ["10", "9"] and other.customdata[1] == "c"
    assert custodial.marker.pattern.shape[1] == "/" and custodial.marker.pattern.shape[0] == ""
    assert WITHHELD_NOTE.split(":")[0] in _plain(figure.layout.xaxis.title.text)


def test_remand_outcomes_by_group_name_the_groups_in_words_and_say_where_none_ended():
    table = _remand_outcomes().assign(group=["Black"] * 4 + ["male"] * 4)
    labels = [_plain(label) for label in figures.remand_outcomes(table, row="group").data[0].y]
    assert labels == ["Black 0 still open", "Boys c still open"]
    none = pd.DataFrame(
        {
            "period": ["2014-15"] * 4,
            "result": _remand_outcomes()["result"][:4],
            "remands": pd.array([0, 0, 0, 3], dtype="Int64"),
            "percent": [np.nan] * 4,
        }
    )
    figure = figures.remand_outcomes(none)
    assert [_plain(label) for label in figure.data[0].y] == ["2014-15 no case ended, 3 still open"]
    assert len(figure.data) == 3 and all(np.isnan(t.x[0]) for t in figure.data)


def _every_figure():
    """One figure from every builder, withheld cells and a part year included."""
    fte = pd.DataFrame(
        {
            "period": ["2021-22", "2022-23"] * 2,
            "yjs": ["A", "A", "B", "B"],
            "fte": pd.array([12, None, 7, 30], dtype="Int64"),
            "rate": [10.0, np.nan, 7.0, 8.0],
        }
    )
    disposals = pd.DataFrame(
        {
            "period": ["2021-22", "2021-22", "2022-23", "2022-23"],
            "disposal_type": ["PREVENTION", "YOUTH_CAUTION"] * 2,
            "tier": ["Prevention", "Pre-court"] * 2,
            "count": [30, 10, 12, np.nan],
        }
    )
    rri = pd.DataFrame(
        {
            "stage": ["population", "population", "offence", "offence", "pre_court", "pre_court"],
            "group": ["White", "Black"] * 3,
            "rri": [1.0, 1.0, 1.0, 2.5, 1.0, 0.5],
            "ci_low": [np.nan, np.nan, 0.8, 1.8, 0.7, 0.3],
            "ci_high": [np.nan, np.nan, 1.2, 3.4, 1.4, 0.9],
            "rate_per_1000": [1000, 1000, 3.0, 7.5, 2.0, 1.0],
            "significant": pd.array([None, None, False, True, False, True], dtype="boolean"),
        }
    )
    by_sex = _sex_table().assign(rate_per_1000=[1000, 1000, np.nan, 9.0, 2.0, np.nan])
    windows = pd.DataFrame(
        {
            "cohort": ["2021-22"] * 2,
            "window": ["pre", "0-3m"],
            "children_at_risk": pd.array([40, None], dtype="Int64"),
            "rate": [0.25, np.nan],
        }
    )
    referrals = pd.DataFrame(
        {"age": [14, 15, 14], "referral_source": ["OUT_OF_COURT_PANEL", "POLICE", "police"], "count": [5, 9, 7]}
    )
    curve = pd.DataFrame(
        {
            "cohort": ["2021-22"] * 2,
            "day": [0, 100],
            "at_risk": [50, 40],
            "events": [0, 5],
            "censored": [10, 0],
            "survival": [1.0, 0.875],
            "reoffended": [0.0, 0.125],
            "ci_low": [0.0, 0.05],
            "ci_high": [0.0, 0.25],
        }
    )
    areas = pd.DataFrame({"yjs": ["A"], "ctyua_code": ["E06000002"], "ctyua_name": ["Middlesbrough"]})
    return [
        figures.remand_outcomes(_remand_outcomes(), withheld=True, part_year="2022-23"),
        figures.remand_outcomes(_remand_outcomes().assign(group=["White"] * 4 + ["female"] * 4), row="group"),
        figures.trend_lines(
            fte, x="period", y="rate", series="yjs", y_title="rate", withheld=True, part_year="2022-23"
        ),
        figures.grouped_bars(
            fte, x="period", bars={"fte": "First-time entrants", "rate": "Rate"}, y_title="n", part_year="2022-23"
        ),
        figures.stacked_disposals(disposals, part_year="2022-23"),
        figures.stacked_disposals(disposals, share=True, withheld=True),
        figures.bars(fte, x="yjs", y="fte", colour="period", y_title="n", highlight="A", part_year="2022-23"),
        figures.bars(fte, x="yjs", y="rate", y_title="rate", horizontal=True),
        figures.bars(referrals, x="age", y="count", colour="referral_source", y_title="Referrals"),
        figures.relative_rates(rri, reference="White", withheld=True),
        figures.stage_rates(rri),
        figures.relative_rates(by_sex, reference="female"),
        figures.stage_rates(by_sex),
        figures.reoffending_windows(windows, withheld=True),
        figures.survival_curve(curve, withheld=True),
        figures.reoffending_windows(windows, withheld=True, narrow=True),
        figures.for_narrow_screen(figures.stacked_disposals(disposals, part_year="2022-23")),
        compare.indicator_map(
            fte.assign(area=fte["yjs"], value=fte["rate"]).head(1),
            areas,
            "x.json",
            unit="per 1,000",
            number="{:.1f}",
            highlight="A",
        ),
        figures.cohort_lines(
            [
                (
                    "Proven reoffending",
                    _proven()["binary_rate"].head(3).set_axis(["2021-22", "2022-23", "2023-24"]),
                    None,
                    None,
                )
            ],
            complete=pd.Series([True, True, False], index=["2021-22", "2022-23", "2023-24"]),
            progress={"2023-24": "tracking: 7 of 12 months so far"},
            y_title="Children who reoffended (%)",
        ),
        figures.reoffence_counts(
            pd.DataFrame(
                {
                    "cohort": ["2022-23"] * 2,
                    "reoffences": ["1", "5+"],
                    "reoffenders": pd.array([9, None], dtype="Int64"),
                }
            ),
            cohort="2022-23",
            withheld=True,
        ),
        figures.tracker_bars(
            pd.DataFrame(
                {
                    "cohort": ["2023-24"],
                    "months_followed": [7],
                    "previous_cohort": ["2022-23"],
                    "binary_rate_so_far": [20.0],
                    "previous_binary_rate_same_point": [22.0],
                    "reading": ["similar"],
                }
            )
        ),
        *_kpi_figures(),
        figures.sparkline(fte["rate"], fte["period"]),
    ]


def _kpi_rows(rows: list[tuple]) -> pd.DataFrame:
    """kpis rows (period, kpi, measure, count, base, rate), one service combined; None: withheld."""
    frame = pd.DataFrame(rows, columns=["period", "kpi", "measure", "count", "base", "rate"])
    frame.insert(1, "yjs", "All services")
    return frame.astype({"count": "Int64", "base": "Int64", "rate": "float64"})


KPI_ROWS = _kpi_rows(
    [
        ("2024-25 Q4", "accommodation", "suitable_at_end", 30, 40, 75.0),
        ("2024-25 Q4", "accommodation", "suitable_at_start", 24, 40, 60.0),
        ("2025-26 Q1", "accommodation", "suitable_at_end", 34, 40, 85.0),
        ("2025-26 Q1", "accommodation", "suitable_at_start", None, 40, None),
        ("2025-26 Q1", "mental_health", "need", 20, 80, 25.0),
        ("2025-26 Q1", "mental_health", "offered", 15, 20, 75.0),
        ("2025-26 Q1", "mental_health", "attending", None, 20, None),
        ("2025-26 Q1", "serious_violence", "children", 6, 60000, 1.0),
    ]
)
BOARD = pd.DataFrame(
    {
        "period": ["2025-26 Q1"] * 3,
        "yjs": ["Northvale"] * 3,
        "partner": ["POLICE", "HEALTH", "OTHER"],
        "meetings": [1, 1, 0],
        "attended": [1, 0, 0],
        "senior": [1, 0, 0],
        "attended_percent": [100.0, 0.0, np.nan],
    }
)


def _kpi_figures():
    from dashboard.views import kpis

    recording = pd.DataFrame(
        {
            "period": ["2025-26 Q1"] * 2,
            "yjs": ["All services"] * 2,
            "kpi": ["accommodation", "serious_violence"],
            "measure": ["suitable_at_end", "children"],
            "not_recorded": pd.array([7, None], dtype="Int64"),
            "base": pd.array([40, 12], "Int64"),
            "percent_not_recorded": [17.5, np.nan],
        }
    )
    return [
        figures.kpis.panels(KPI_ROWS, kpis.TRENDS.panels, withheld=True),
        figures.kpis.panels(KPI_ROWS, kpis.START_END.panels),
        figures.kpis.pathway_steps(KPI_ROWS, kpis.NEEDS.groups, withheld=True),
        figures.kpis.not_recorded(recording, kpis.RECORDING.labels, withheld=True),
        figures.kpis.attendance_grid(BOARD, kpis.PARTNERS),
    ]


def test_kpi_panels_draw_shares_on_0_to_100_and_rates_from_0_with_the_latest_in_the_title():
    from dashboard.views.kpis import TRENDS

    figure = figures.kpis.panels(KPI_ROWS, TRENDS.panels)
    assert figure.layout.yaxis.range == (0, 100)  # a share, never a fitted axis
    serious = next(i for i, (title, *_) in enumerate(TRENDS.panels, start=1) if title == "Serious violence")
    assert figure.layout[f"yaxis{serious}"].rangemode == "tozero"
    titles = [_plain(a.text) for a in figure.layout.annotations]
    assert "Accommodation at the end 85% in 2025-26 Q1" in titles
    assert "Serious violence 1.0 per 10,000 in 2025-26 Q1" in titles
    assert "Education or work at the end no figure shown" in titles  # no rows: said, not drawn as 0


def test_start_and_end_are_two_lines_told_apart_by_style_and_a_withheld_quarter_is_a_gap():
    from dashboard.views.kpis import START_END

    figure = figures.kpis.panels(KPI_ROWS, START_END.panels)
    start, end = figure.data[:2]
    assert (start.name, end.name) == ("At the start", "At the end")
    assert start.line.dash != end.line.dash and start.line.color != end.line.color
    assert list(start.y[:1]) == [60.0] and np.isnan(start.y[1])  # withheld: not drawn, not 0


def test_a_pathway_says_each_step_and_its_share_and_a_withheld_step_says_c():
    from dashboard.views.kpis import NEEDS

    figure = figures.kpis.pathway_steps(KPI_ROWS, NEEDS.groups)
    mental = figure.data[0]
    assert list(mental.y) == ["Screened: a need identified", "Offered help", "Attending"]
    assert list(mental.text[:2]) == ["20 (25% of the children)", "15 (75% of those with a need)"]
    assert np.isnan(mental.x[2]) and mental.text[2] == "c (withheld)"
    assert any(a.text == "c (withheld)" and a.y == "Attending" for a in figure.layout.annotations)
    # Substance misuse has no rows: no bar is drawn for it, and nothing is 0.
    assert all(np.isnan(v) for v in figure.data[1].x)
    assert figure.layout.xaxis.range == figure.layout.xaxis2.range  # one scale for both


def test_the_board_grid_says_came_absent_or_no_meeting_darker_for_more():
    from dashboard.views.kpis import PARTNERS

    trace = figures.kpis.attendance_grid(BOARD, PARTNERS).data[0]
    assert list(trace.text) == ["came", "absent", "no meeting"] and list(trace.y) == ["Police", "Health", "Other"]
    shades = list(trace.marker.color)
    assert shades[0] > shades[1] and trace.marker.colorscale[0][1].lower() == MAP_COLOURS[0][1].lower()


def test_every_builder_draws_only_trace_types_the_partial_plotly_bundle_has():
    banner = PARTIAL_PLOTLY.read_text()[:200]
    assert f"traces: {', '.join(PARTIAL_PLOTLY_TRACES)})" in banner
    assert {trace.type for figure in _every_figure() for trace in figure.data} <= set(PARTIAL_PLOTLY_TRACES)


def test_every_builder_makes_a_figure_plotly_accepts_in_full():
    """Builders skip plotly's validation on the hot path; here every property is checked."""
    for figure in _every_figure():
        go.Figure(figure.to_dict())  # raises on any property plotly does not know or accept


def test_a_phone_keeps_a_long_cohort_label_to_its_year_and_wraps_a_long_axis_title():
    """A cohort 'proving to Sep 2025' on one line, turned on its side, left a 64 px plot on a phone."""
    cohorts = ["2021-22", "2022-23", "2023-24"]
    lines = figures.cohort_lines(
        [("Proven reoffending", pd.Series([30.0, 28.0, 25.0], index=cohorts), None, None)],
        complete=pd.Series([True, True, False], index=cohorts),
        progress={"2023-24": "proving to Sep 2025"},
        y_title="Children who reoffended (%)",
    )
    assert lines.layout.xaxis.labelalias == {"2023-24": "2023-24<br>proving to Sep 2025"}
    phone = figures.for_narrow_screen(lines).layout
    assert phone.xaxis.labelalias == {"2023-24": "2023-24"}
    assert phone.height - phone.margin.t - phone.margin.b >= 260  # the plot keeps its height
    counts = figures.reoffence_counts(
        pd.DataFrame({"cohort": ["2022-23"] * 2, "reoffences": ["1", "5+"], "reoffenders": [9, 3]}), cohort="2022-23"
    )
    title = figures.for_narrow_screen(counts).layout.xaxis.title.text.split("<br>")
    assert title[:2] == ["Proven reoffences each", "reoffender had, 2022-23"]  # 28 characters at most
    # A chart with no axis title of its own: its notes (marked up) are left whole, never cut mid-tag.
    notes_only = figures.base_layout(withheld=True)["xaxis"]["title"]["text"]
    drawn = figures.for_narrow_screen(go.Figure(layout=figures.base_layout(withheld=True)))
    assert drawn.layout.xaxis.title.text == notes_only
