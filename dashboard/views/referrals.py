"""Referrals: the work referred to the service, by area, referral source and age."""

from __future__ import annotations

from .charts import Bars
from .readings import by_group, pivot
from .spec import CardSpec, PackSection, PageSpec

EMPTY = "No referrals in this period for this cohort."


def _area_caption(card) -> str:
    top = card.result.table.dropna(subset=["count"]).groupby("locality")["count"].max().sort_values().tail(1)
    return "Bar chart of referrals by area and year. " + (f"Most in one year: {top.index[0]}." if len(top) else "")


PAGE = PageSpec(
    key="referrals",
    path="/referrals",
    name="Referrals",
    heading="Referrals by area and age",
    order=3,
    lead="Programmes referred to the service in the period: where the child lives, who referred them and how old "
    "they were on the day of referral.",
    definition="Programmes referred to the service in the year, by the area the child lives in, who referred them "
    "and their age on the day.",
    cards=(
        CardSpec(
            "referrals-age",
            "Referrals by age and who referred the child",
            "referrals",
            Bars(
                x="age",
                y="count",
                colour="referral_source",
                y_title="Referrals",
                x_title="Age on the day of referral",
                as_words=("referral_source",),
            ),
            lambda card: "Stacked bar chart of referrals by age, split by who referred.",
            settings={"breakdown": "referral_source,age"},
            columns=("period", "referral_source", "age", "count"),
            empty=EMPTY,
            filename="referrals-by-age",
        ),
        CardSpec(
            "referrals-area",
            "Referrals by area",
            "referrals",
            Bars(
                x="locality",
                y="count",
                colour="period",
                y_title="Referrals",
                barmode="group",
                sideways_when_narrow=True,
            ),
            _area_caption,
            settings={"breakdown": "locality"},
            columns=("period", "locality", "count"),
            empty=EMPTY,
            filename="referrals-by-area",
        ),
    ),
    pack=PackSection(
        "referrals-area",
        lambda cards, context: (
            "Referrals by area: " + by_group(cards["referrals-area"].result, "locality", context.part_year)
        ),
        lambda cards, context: pivot(cards["referrals-area"].table(), "locality", "count"),
    ),
)
