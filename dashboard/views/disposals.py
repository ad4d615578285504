"""Disposals by year: programmes started, by disposal type and tier, including prevention and diversion."""

from __future__ import annotations

from .charts import StackedDisposals
from .readings import by_group, pivot
from .spec import CardSpec, PackSection, PageSetting, PageSpec


def _caption(card) -> str:
    busiest = card.result.table.dropna(subset=["count"]).sort_values("count").tail(1)
    return "Stacked bar chart of programmes started each year by tier of disposal; the table has each type. " + (
        f"Largest single group: {busiest.iloc[0]['disposal_type'].replace('_', ' ').lower()} in "
        f"{busiest.iloc[0]['period']} ({int(busiest.iloc[0]['count']):,})."
        if not busiest.empty
        else ""
    )


def _reading(cards, context) -> str:
    tiers = context.measure("disposals", cards["disposals"].filters, breakdown="tier")
    return "Programmes started by tier: " + by_group(tiers, "tier", context.part_year)


PAGE = PageSpec(
    key="disposals",
    path="/disposals",
    name="Disposals",
    heading="Disposals by year",
    order=2,
    lead="Programmes of work started each year, by the disposal they carry out: prevention, diversion "
    "(community resolution, Outcome 22), pre-court (cautions), first-tier (referral orders, fines, "
    "discharges), community (youth rehabilitation orders) and custody.",
    definition="Programmes of work started in the year, by disposal: prevention, diversion, pre-court, "
    "first-tier, community and custody.",
    settings=(
        PageSetting("view", "Show", (("count", "Numbers"), ("share", "Share of each year")), "count", control="radio"),
    ),
    cards=(
        CardSpec(
            "disposals",
            "Programmes started, by tier of disposal",
            "disposals",
            lambda card: StackedDisposals(
                card.context.measure("disposals", card.filters, breakdown="tier"),
                share=card.settings["view"] == "share",
            ),
            _caption,
            empty="No programmes started in this period for this cohort.",
            filename="disposals",
        ),
    ),
    pack=PackSection(
        "disposals", _reading, lambda cards, context: pivot(cards["disposals"].table(), "disposal_type", "count")
    ),
)
