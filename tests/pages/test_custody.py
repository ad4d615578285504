"""The custody and remand page, its pack section and the overview's headline: the measures' own numbers,
suppressed, in the words a board member reads."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.filters import Filters, period_label
from dashboard.views import PAGES, headline_figures, render_page
from dashboard.views.custody import REMAND_WORDS, not_followed_by_custody


@pytest.fixture
def cards(context):
    page = PAGES["custody"]
    settings = page.read_settings({}, context.options)
    return {card.spec.id: card for card in render_page(context, page, Filters(), settings)}


def test_not_followed_by_custody_is_one_less_the_custodial_share():
    result = type(
        "Result",
        (),
        {
            "table": pd.DataFrame(
                {
                    "period": ["2023-24"] * 4 + ["2024-25"] * 4,
                    "result": ["custodial_sentence", "non_custodial_sentence", "no_conviction", "open"] * 2,
                    "percent": [40.0, 35.0, 25.0, None, None, None, 100.0, None],
                }
            )
        },
    )()
    shares = not_followed_by_custody(result)
    assert shares["2023-24"] == pytest.approx(0.6) and pd.isna(shares["2024-25"])  # withheld stays withheld


def test_the_remands_card_shows_the_four_types_the_service_works_with(cards):
    shown = cards["remands"].result.table
    assert set(shown["remand_type"]) == set(REMAND_WORDS)
    assert set(cards["remands"].measured.table["remand_type"]) > set(REMAND_WORDS)  # the measure has all six
    assert "Unconditional and conditional bail" in cards["remands"].notes[0]


def test_the_outcomes_card_says_the_latest_full_years_share(cards, context):
    card = cards["remand-outcomes"]
    latest = period_label(context.options["latest_complete_year"])
    table = card.result.table
    custodial = table[(table["period"] == latest) & (table["result"] == "custodial_sentence")]["percent"].item()
    if pd.isna(custodial):
        assert card.notes[0] == (
            f"In {latest}, too few remands to youth detention ended to show how they were dealt with."
        )
    else:
        assert card.notes[0] == (
            f"In {latest}, {1 - custodial / 100:.0%} of the remands to youth detention that "
            "ended were not followed by a custodial sentence."
        )
    earlier = not_followed_by_custody(card.result).dropna()
    assert len(earlier) and all(f"{p}: {share:.0%}" in card.caption for p, share in earlier.items())
    assert card.notes[1].startswith("Nationally, about six in ten")


def test_the_split_by_group_follows_the_page_setting(context):
    page = PAGES["custody"]
    settings = page.read_settings({"by": "sex"}, context.options)
    card = render_page(context, page, Filters(), settings)[-1]
    assert card.spec.id == "remand-outcomes-by-group"
    assert set(card.result.table["group"]) == {"male", "female", "unknown"}
    assert card.result.table["period"].nunique() == 1


def test_a_quarter_chosen_shows_its_whole_year_of_outcomes(context):
    page = PAGES["custody"]
    year = period_label(context.options["latest_complete_year"])
    cards = render_page(context, page, Filters(period=f"{year} Q2"), page.read_settings({}, context.options))
    by_id = {card.spec.id: card for card in cards}
    assert by_id["custody-rate"].result.table["period"].unique().tolist() == [f"{year} Q2"]
    assert by_id["remand-outcomes"].result.table["period"].unique().tolist() == [year]


def test_the_overview_headline_is_the_custody_rate_with_remands(context):
    kpi = next(k for k in headline_figures(context, PAGES["overview"], Filters()) if k.title == "Custody and remands")
    latest = period_label(context.options["latest_complete_year"])
    custody = context.measure("use-of-custody", Filters(), combine=True)
    rate = custody.table.set_index("period").loc[latest, "rate_per_1000"]
    assert kpi.value == f"{rate:.2f} per 1,000"
    assert kpi.note.startswith(f"{latest}: ") and "remands to youth detention:" in kpi.note


def test_the_pack_section_reads_and_tabulates_custody_and_remands(context, cards):
    section = PAGES["custody"].pack
    reading = section.reading(cards, context)
    assert reading.startswith("Children sentenced to custody") and "Remands to youth detention" in reading
    assert "Nationally" not in reading  # the card's notes, printed under it, say so
    table = section.table(cards, context)
    assert list(table.columns) == [
        "period",
        "custodial_sentences",
        "children",
        "rate_per_1000",
        "remands_to_youth_detention",
        "not_followed_by_custody",
    ]
    assert len(table) <= 5
