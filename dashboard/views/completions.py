"""Completions: how many programmes ending in the year the child saw through, by tier."""

from __future__ import annotations

from .charts import Lines
from .readings import latest_lines, pivot
from .spec import CardSpec, PackSection, PageSpec


def _caption(card) -> str:
    return latest_lines(
        card,
        "percent_completed",
        "Line chart of the share of programmes completed, by tier.",
        lambda r: f"{r.tier} {r.percent_completed:.0f}% in {r.period}",
        empty="Line chart of the share of programmes completed. No share can be shown for these filters.",
    )


PAGE = PageSpec(
    key="completions",
    path="/completions",
    name="Completions",
    heading="Programmes completed",
    order=7,
    lead="Of the programmes that ended in the period, the share the child completed, by tier. A programme "
    "with no completion recorded counts as not completed.",
    definition="Programmes with an end date in the period, and the share marked completed in the extract, by "
    "disposal tier. A programme with no completion recorded counts as not completed. Higher is better.",
    cards=(
        CardSpec(
            "completions",
            "Share of programmes completed, by tier",
            "completions",
            Lines(x="period", y="percent_completed", series="tier", y_title="Completed (%)"),
            _caption,
            empty="No programmes ended in this period for this cohort.",
            filename="completions",
        ),
    ),
    pack=PackSection(
        "completions",
        lambda cards, context: _caption(cards["completions"]).removeprefix(
            "Line chart of the share of programmes completed. "
        ),
        lambda cards, context: pivot(cards["completions"].table(), "tier", "percent_completed"),
    ),
)
