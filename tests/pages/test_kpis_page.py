"""The Key performance indicators page's tiles and the overview's ETE and accommodation figures, worked out
by hand from a small extract: what a board member reads, word for word."""

from __future__ import annotations

import pytest

from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters
from dashboard.ingest import ingest
from dashboard.views import PAGES, Context, headline_figures, render_page

from ..extracts import child, programme, write_extract


def _children(quarter_end: str, suitable: int, unsuitable: int, first: int) -> tuple[list, list, list]:
    """Children whose referral order ended on ``quarter_end``, with their END accommodation."""
    ids = range(first, first + suitable + unsuitable)
    kids = [child(f"k{i}", "2008-01-01") for i in ids]
    programmes = [
        programme(f"p{i}", f"k{i}", "REFERRAL_ORDER", "2023-01-10", "2023-01-15", end_date=quarter_end) for i in ids
    ]
    assessments = [
        dict(
            assessment_id=f"a{i}",
            programme_id=f"p{i}",
            point="END",
            assessment_date=quarter_end,
            accommodation="SUITABLE" if i - first < suitable else "UNSUITABLE",
        )
        for i in ids
    ]
    return kids, programmes, assessments


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    # 2023-24 Q3: 12 of 20 suitable at the end (60%); Q4: 15 of 20 (75%). No START assessments, no victims,
    # offences or board meetings files.
    q3, q4 = _children("2023-12-15", 12, 8, 0), _children("2024-03-15", 15, 5, 20)
    folder = write_extract(
        tmp_path_factory.mktemp("kpis-page"),
        as_of="2024-03-31",
        children=q3[0] + q4[0],
        programmes=q3[1] + q4[1],
        assessments=q3[2] + q4[2],
    )
    location = tmp_path_factory.mktemp("kpis-db") / "kpis.duckdb"
    ingest(folder, location)
    db = Database.open(location)
    with db.snapshot() as snap:
        yield Context(snap, EVERYONE)


def _tiles(context, filters: Filters | None = None) -> dict:
    return {k.title: k for k in headline_figures(context, PAGES["kpis"], filters or Filters())}


def test_a_tile_reads_the_latest_whole_quarter_against_the_one_before_and_a_year_before(context):
    tile = _tiles(context)["Suitable accommodation at the end"]
    assert tile.value == "75%"
    assert tile.detail == "15 of 20 children, 2023-24 Q4"
    # 75% against 60% on 20 children each: z = 0.15 / sqrt(0.675 * 0.325 * (1/20 + 1/20)) = 1.01 < 1.96.
    assert tile.change == "Up 15 percentage points from 60% in 2023-24 Q3: could be chance."
    assert tile.verdict == "same"
    # 2022-23 Q4 had no endings: nothing to compare with, and not a 0.
    assert tile.also == (
        ("No comparison with 2022-23 Q4, a year before: a figure is withheld or has nothing to count.", "same"),
    )
    assert tile.facts == ("At the start of their orders: 0% (0 of 20)",)  # no START assessments
    assert tile.quality == "Nothing missing: recorded for all 20 children."
    assert list(tile.trend.index[-2:]) == ["2023-24 Q3", "2023-24 Q4"] and tile.scale == (0, 100)


def test_a_kpi_whose_file_is_missing_says_not_in_this_extract_never_0(context):
    tiles = _tiles(context)
    assert tiles["Victims who agreed to take part"].value == "Not in this extract"
    assert "no victims file (victims.csv)" in tiles["Victims who agreed to take part"].change
    assert tiles["Serious violence"].value == "Not in this extract"
    assert tiles["Management board attendance"].value == "Not in this extract"
    assert "board_meetings.csv" in tiles["Management board attendance"].change


def test_a_period_chosen_moves_the_tiles_to_its_last_whole_quarter(context):
    tile = _tiles(context, Filters(period="2023-24 Q3"))["Suitable accommodation at the end"]
    assert tile.value == "60%" and tile.detail == "12 of 20 children, 2023-24 Q3"
    # Q2 had no endings.
    assert tile.change.startswith("No comparison with 2023-24 Q2")


def test_a_programme_filter_says_why_serious_violence_and_victims_are_not_shown(context):
    tile = _tiles(context, Filters(disposal_type="REFERRAL_ORDER"))["Victims who agreed to take part"]
    assert tile.value == "Not shown" and "not about a child's programme" in tile.change


def test_the_overview_shows_accommodation_and_ete_at_the_end_of_the_latest_full_year(context):
    figures = {k.title: k for k in headline_figures(context, PAGES["overview"], Filters())}
    assert list(figures)[-2:] == [
        "Education, training or employment at the end of orders",
        "Suitable accommodation at the end of orders",
    ]
    accommodation = figures["Suitable accommodation at the end of orders"]
    # 2023-24: 27 of 40 children (12 + 15); 2022-23 had none.
    assert accommodation.value == "68%" and accommodation.detail == "27 of 40 children"
    assert accommodation.page == "kpis"
    ete = figures["Education, training or employment at the end of orders"]
    assert ete.value == "0%" and ete.quality == (
        "Not recorded: 40 of 40 children had no education, training or employment recorded at the end."
    )


def test_every_card_renders_and_each_shows_only_its_own_kpis(context):
    page = PAGES["kpis"]
    cards = {c.spec.id: c for c in render_page(context, page, Filters(), page.read_settings({}, context.options))}
    assert set(cards["kpi-start-end"].result.table["kpi"]) == {"accommodation", "ete"}
    assert set(cards["kpi-trends"].result.table["measure"]) <= {
        "suitable_at_end",
        "with_plan",
        "attending",
        "looked_after",
        "completed",
        "children",
        "consented",
    }
    assert cards["kpi-victims"].empty and cards["board-attendance"].empty
    by_year = render_page(context, page, Filters(), page.read_settings({"every": "year"}, context.options))
    assert set(by_year[0].result.table["period"]) == {"2022-23", "2023-24"}
