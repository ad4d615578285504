"""First-time entrants: children entering the youth justice system, count and rate per 100,000, and how
the service compares with England, its region and its statistical neighbours."""

from __future__ import annotations

from ..filters import Filters
from ..metrics.benchmarks import COLUMNS as BENCHMARKS_COLUMNS
from ..metrics.benchmarks import comparison
from .charts import Benchmarks, GroupedBars, Lines
from .indicators import INDICATORS
from .readings import by_period, latest_point, recent, year_on_year
from .render import only
from .spec import CardSpec, PackSection, PageSpec
from .standing import CHOOSE_ONE, compared_service, latest_compared, standing
from .texts import COMPARATORS_SOURCE

EMPTY = "No first-time entrants in this period for this cohort."
FTE = "fte_rate_per_100000"
#: The comparison's table: the benchmarks columns but the measure (the card shows one).
COMPARED_COLUMNS = tuple(c for c in BENCHMARKS_COLUMNS if c != "measure")


def _rate_caption(card) -> str:
    return latest_point(
        card,
        "rate_per_100000",
        "Line chart of first-time entrants per 100,000 children by year.",
        "{:.0f} per 100,000",
        empty="No rates can be shown for these filters.",
    )


def _reading(cards, context) -> str:
    counts = cards["fte-count"].result
    return " ".join(
        [
            year_on_year(by_period(counts, "fte"), "First-time entrants", "{:,.0f}", context.part_year),
            year_on_year(
                by_period(counts, "rate_per_100000"),
                "The rate per 100,000 children aged 10 to 17",
                "{:,.0f}",
                context.part_year,
            ),
        ]
    )


def _compared(card):
    """The benchmarks rows of the latest calendar year with a first-time entrant rate of the service's own."""
    service = compared_service(card.context, card.filters)
    table = card.result.table
    period = latest_compared(table, FTE, service)
    keep = (table["measure"] == FTE) & (table["period"] == period)
    return only(card.result, keep, f"{INDICATORS[FTE].period(period)}, {service}" if period else service)


def _compared_chart(card) -> Benchmarks:
    service = compared_service(card.context, card.filters)
    published = comparison(card.context.db, service)[0]
    return Benchmarks(
        x_title=INDICATORS[FTE].unit.capitalize(),
        number=INDICATORS[FTE].number,
        neighbours_of=published if published not in (None, service) else None,
    )


def _compared_caption(card) -> str:
    said = standing(card.context, Filters(yjs=compared_service(card.context, card.filters)), FTE)
    return (
        f"Dot chart of first-time entrants per 100,000, {said.period}: the service, its region and its "
        f"statistical neighbours, lowest first, with 95% intervals where there are counts; England is the "
        f"dashed line. {said.text}"
    )


PAGE = PageSpec(
    key="first-time-entrants",
    path="/first-time-entrants",
    name="First-time entrants",
    heading="First-time entrants",
    order=1,
    lead="Children aged 10 to 17 receiving their first youth caution, conditional caution or court conviction. "
    "Community resolutions and Outcome 22 are diversion, so they are not counted. Lower is better.",
    definition="Children aged 10 to 17 receiving their first youth caution, youth conditional caution or court "
    "conviction, per 100,000 children aged 10 to 17 (ONS mid-year estimates). Community resolutions and "
    "Outcome 22 are diversion and are not counted. Lower is better.",
    cards=(
        CardSpec(
            "fte-rate",
            "First-time entrants per 100,000 children aged 10 to 17",
            "fte",
            Lines(x="period", y="rate_per_100000", series="yjs", y_title="Per 100,000 aged 10-17"),
            _rate_caption,
            empty=EMPTY,
            filename="first-time-entrants-rate",
        ),
        CardSpec(
            "fte-count",
            "Number of first-time entrants, and how many for a knife or weapon offence",
            "fte",
            GroupedBars(
                x="period",
                bars=(("fte", "First-time entrants"), ("fte_knife_or_weapon", "Knife or offensive weapon")),
                y_title="Children",
            ),
            lambda card: "Bar chart of first-time entrants by year; the table gives the numbers.",
            settings={"combine": True},
            empty=EMPTY,
            filename="first-time-entrants-count",
        ),
        CardSpec(
            "fte-compared",
            "How the service compares: first-time entrants per 100,000, with England, its "
            "region and its statistical neighbours",
            "benchmarks",
            _compared_chart,
            _compared_caption,
            rows=_compared,
            columns=COMPARED_COLUMNS,
            filename="first-time-entrants-compared",
            empty="No published first-time entrant figures to compare this service with.",
            notes=lambda card: card.context.notes(
                "benchmarks", Filters(yjs=compared_service(card.context, card.filters)), measures=(FTE,)
            ),
            unavailable=lambda filters, context: None if compared_service(context, filters) else CHOOSE_ONE,
            source=lambda card: (
                f"{COMPARATORS_SOURCE} The service's own figures: "
                f"{card.context.source('extract').removeprefix('Source: ')}"
            ),
        ),
    ),
    pack=PackSection(
        "fte-rate",
        _reading,
        lambda cards, context: recent(
            cards["fte-count"]
            .table()
            .loc[:, ["period", "fte", "fte_knife_or_weapon", "population_10_17", "rate_per_100000"]]
        ),
        note="All the services chosen together; the chart shows each service.",
    ),
)
