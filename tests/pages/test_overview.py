"""The overview's headline figures follow the period and filters chosen, and each says what it covers
(issue 13, item 5)."""

from __future__ import annotations

import pytest

from dashboard.filters import Filters
from dashboard.views import PAGES, headline_figures

OVERVIEW = PAGES["overview"]


def _figures(context, **chosen) -> dict:
    return {kpi.title: kpi for kpi in headline_figures(context, OVERVIEW, Filters(**chosen))}


def _fte_rate(context, year: str, **chosen) -> str:
    rates = context.measure("fte", Filters(**chosen), combine=True).table.set_index("period")["rate_per_100000"]
    return f"{rates[year]:,.0f} per 100,000"


def test_by_default_the_figures_are_for_the_latest_full_year(context):
    figures = _figures(context)
    assert context.options["latest_complete_year"] == 2024  # the small demo runs to June 2025
    for kpi in figures.values():
        assert kpi.note.startswith(("2024-25", "Children cautioned")), kpi.note
    assert figures["First-time entrants"].value == _fte_rate(context, "2024-25")
    assert OVERVIEW.headline_note(context, Filters()) == ""


def test_a_chosen_year_is_the_year_shown_against_the_year_before(context):
    assert _fte_rate(context, "2021-22") != _fte_rate(context, "2024-25")  # else the test could not fail
    figures = _figures(context, period="2021-22")
    fte = figures["First-time entrants"]
    assert fte.value == _fte_rate(context, "2021-22")
    assert fte.note.startswith("2021-22, ") and "2024-25" not in fte.note
    assert list(fte.trend.index)[-1] == "2021-22"  # no later year drawn in its trend
    for title in (
        "Custody and remands",
        "Education, training or employment at the end of orders",
        "Suitable accommodation at the end of orders",
    ):
        assert figures[title].note.startswith("2021-22"), figures[title].note
    assert "2021-22" in figures["Proven reoffending"].note
    assert OVERVIEW.headline_note(context, Filters(period="2021-22")) == ""


def test_a_quarter_is_shown_as_its_year_and_a_year_not_over_as_the_latest_full_one(context):
    quarter = Filters(period="2021-22 Q3")
    assert _figures(context, period="2021-22 Q3")["First-time entrants"].value == _fte_rate(context, "2021-22")
    assert "compare whole years: 2021-22 Q3 is shown as the year 2021-22" in OVERVIEW.headline_note(context, quarter)
    open_year = Filters(period="2025-26")
    note = OVERVIEW.headline_note(context, open_year)
    assert "2025-26 is not over yet" in note and "2024-25" in note
    assert _figures(context, period="2025-26")["First-time entrants"].value == _fte_rate(context, "2024-25")


@pytest.mark.parametrize(
    "title",
    [
        "First-time entrants",
        "Proven reoffending",
        "Custody and remands",
        "Education, training or employment at the end of orders",
    ],
)
def test_every_card_names_the_children_it_covers(context, title):
    service = context.options["yjs"][0]
    kpi = _figures(context, yjs=service, sex="female", age_band="10-14")[title]
    assert service in kpi.note and "girls" in kpi.note and "aged 10-14" in kpi.note, kpi.note
    assert "Covers every service you can see, all children" in _figures(context)[title].note


def test_a_filter_a_figure_does_not_use_is_said_on_its_card(context):
    programme = context.options["programmes"][0]
    figures = _figures(context, programme=programme)
    assert "Not used here: programme" in figures["First-time entrants"].note
    assert "Not used here: programme" in figures["Proven reoffending"].note


def test_the_fte_figure_follows_the_age_band(context):
    assert (
        _figures(context, age_band="15-17")["First-time entrants"].value
        == _fte_rate(context, "2024-25", age_band="15-17")
        != _fte_rate(context, "2024-25")
    )


def test_the_page_says_the_date_its_data_is_as_at(app, client):
    from dashboard.components.ids import headline_figures as output_id

    from .test_pages import _post

    key = next(k for k in app.callback_map if k.startswith(output_id("overview")))
    body = _post(client, key, "?period=2021-22 Q3").get_data(as_text=True)
    assert "Data as at 30 June 2025." in body and "shown as the year 2021-22" in body


@pytest.mark.parametrize(
    ("args", "counts", "expected"),
    [
        # 30 of 100 against 20 of 100: z = 0.1 / sqrt(0.25 * 0.75 * 0.02) = 1.63, under 1.96
        (
            (0.30, 0.20, True, "points"),
            (30, 100, 20, 100),
            ("10.0 percentage points up on the 2021-22 cohort: could be chance.", "same"),
        ),
        # 60 of 200 against 20 of 200: z = 0.2 / sqrt(0.2 * 0.8 * 0.01) = 5
        (
            (0.30, 0.10, True, "points"),
            (60, 200, 20, 200),
            ("20.0 percentage points up on the 2021-22 cohort: worse.", "worse"),
        ),
        # 150 against 100 per 100,000 of 100,000 children: z = 0.0005 / 0.000158 = 3.16
        ((150, 100, True), (150, 100_000, 100, 100_000), ("Up 50% on the 2021-22 cohort: worse.", "worse")),
        # 15 against 10 per 100,000 of 100,000 children: z = 1.0, so it could be chance
        ((15, 10, True), (15, 100_000, 10, 100_000), ("Up 50% on the 2021-22 cohort: could be chance.", "same")),
        # a count withheld: no test, the change read as it is
        ((15, 10, True), (None, 100_000, 10, 100_000), ("Up 50% on the 2021-22 cohort: worse.", "worse")),
        ((9, 10, False), None, ("Down 10% on the 2021-22 cohort: worse.", "worse")),
    ],
)
def test_a_change_chance_could_explain_is_said_to_be_so(args, counts, expected):
    from dashboard.views.readings import change_in_words

    assert change_in_words(*args, since="the 2021-22 cohort", counts=counts) == expected
