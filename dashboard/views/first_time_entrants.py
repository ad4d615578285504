"""First-time entrants: children entering the youth justice system, count and rate per 100,000."""

from __future__ import annotations

from .charts import GroupedBars, Lines
from .readings import by_period, recent, year_on_year
from .spec import CardSpec, PackSection, PageSpec

EMPTY = "No first-time entrants in this period for this cohort."


def _rate_caption(card) -> str:
    shown = card.result.table.dropna(subset=["rate_per_100000"])
    if shown.empty:
        return "No rates can be shown for these filters."
    last = shown.iloc[-1]
    return (f"Line chart of first-time entrants per 100,000 children by year. Latest: {last['yjs']}, "
            f"{last['period']}, {last['rate_per_100000']:.0f} per 100,000.")


def _reading(cards, context) -> str:
    counts = cards["fte-count"].result
    return " ".join([
        year_on_year(by_period(counts, "fte"), "First-time entrants", "{:,.0f}", context.part_year),
        year_on_year(by_period(counts, "rate_per_100000"), "The rate per 100,000 children aged 10 to 17", "{:,.0f}",
                     context.part_year)])


PAGE = PageSpec(
    key="first-time-entrants", path="/first-time-entrants", name="First-time entrants",
    heading="First-time entrants", order=1,
    lead="Children aged 10 to 17 receiving their first youth caution, conditional caution or court conviction. "
         "Community resolutions and Outcome 22 are diversion, so they are not counted. Lower is better.",
    definition="Children aged 10 to 17 receiving their first youth caution, youth conditional caution or court "
               "conviction, per 100,000 children aged 10 to 17 (ONS mid-year estimates). Community resolutions and "
               "Outcome 22 are diversion and are not counted. Lower is better.",
    cards=(
        CardSpec("fte-rate", "First-time entrants per 100,000 children aged 10 to 17", "fte",
                 Lines(x="period", y="rate_per_100000", series="yjs", y_title="Per 100,000 aged 10-17"),
                 _rate_caption, empty=EMPTY, filename="first-time-entrants-rate"),
        CardSpec("fte-count", "Number of first-time entrants, and how many for a knife or weapon offence", "fte",
                 GroupedBars(x="period", bars=(("fte", "First-time entrants"),
                                               ("fte_knife_or_weapon", "Knife or offensive weapon")),
                             y_title="Children"),
                 lambda card: "Bar chart of first-time entrants by year; the table gives the numbers.",
                 settings={"combine": True}, empty=EMPTY, filename="first-time-entrants-count"),
    ),
    pack=PackSection(
        "fte-rate", _reading,
        lambda cards, context: recent(cards["fte-count"].table().loc[:, ["period", "fte", "fte_knife_or_weapon",
                                                                         "population_10_17", "rate_per_100000"]]),
        note="All the services chosen together; the chart shows each service."),
)
