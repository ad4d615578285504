"""Compare areas: every YJS in England and Wales on the YJB's published figures, ranked and mapped."""

from __future__ import annotations

from ..filters import Filters, period_label
from ..metrics import service_areas
from .charts import AreaMap, Bars, Lines
from .spec import CardSpec, PackSection, PageSetting, PageSpec
from .texts import BOUNDARIES_CREDIT, PUBLISHED_SOURCE

AREA_COLUMNS = ("period", "region", "children", "population_10_17", "rate_per_1000")
SERVICE_COLUMNS = ("period", "yjs", *AREA_COLUMNS[1:])
EMPTY = "No published figures for this choice."
RATE = "Per 1,000 aged 10-17"


def _years(options) -> tuple[tuple[str, str], ...]:
    return tuple((period_label(y), period_label(y)) for y in reversed(options["published_years"]))


def _in_year(filters: Filters, page) -> Filters:
    return Filters(period=page["year"])


def _highest(card) -> str:
    ordered = card.result.table.dropna(subset=["rate_per_1000"]).sort_values("rate_per_1000", ascending=False)
    return (f"Highest: {ordered.iloc[0]['yjs']}, {ordered.iloc[0]['rate_per_1000']:.1f} per 1,000."
            if len(ordered) else "")


def _regions_reading(cards, context) -> str:
    shown = cards["areas-regions"].result.table.dropna(subset=["rate_per_1000"]).sort_values("rate_per_1000",
                                                                                            ascending=False)
    if shown.empty:
        return "No published figures."
    top, bottom = shown.iloc[0], shown.iloc[-1]
    return (f"In {top['period']}, {top['region']} had the highest rate ({top['rate_per_1000']:.1f} per 1,000 "
            f"children aged 10 to 17) and {bottom['region']} the lowest ({bottom['rate_per_1000']:.1f}).")


PAGE = PageSpec(
    key="compare-areas", path="/compare-areas", name="Compare areas", heading="Compare areas", order=6,
    lead="Children cautioned or sentenced per 1,000 children aged 10 to 17, from the Youth Justice Board's published "
         "tables for every Youth Justice Service in England and Wales. The filters at the top of the page are for "
         "your own service's data and do not apply here.",
    definition="Children cautioned or sentenced per 1,000 children aged 10 to 17, from the Youth Justice Board's "
               "published tables for every service in England and Wales. The service filters do not apply to them.",
    uses_filters=False,
    settings=(
        PageSetting("year", "Year", _years, lambda options: period_label(options["published_years"][-1])),
        PageSetting("region", "Region", lambda options: tuple((r, r) for r in options["regions"]),
                    everything="All regions"),
        PageSetting("highlight", "Highlight a service", lambda options: tuple((s, s) for s in options["published_yjs"]),
                    everything="None"),
    ),
    cards=(
        CardSpec("areas-ranked", "Services ranked by rate", "areas",
                 lambda card: Bars(x="yjs", y="rate_per_1000", y_title=RATE, horizontal=True, ranked=True,
                                   highlight=card.settings["highlight"] or None, row_height=22),
                 lambda card: f"Bar chart of services ranked by rate, {card.settings['year']}. {_highest(card)}",
                 settings=lambda page: {"region": page["region"] or None}, filters=_in_year,
                 columns=SERVICE_COLUMNS, empty=EMPTY, filename=lambda page: f"areas-{page['year']}",
                 source=PUBLISHED_SOURCE),
        CardSpec("areas-map", "Map of rates: a service covering several authorities colours all of them", "areas",
                 lambda card: AreaMap(service_areas(card.context.db), highlight=card.settings["highlight"] or None),
                 lambda card: f"Map of England and Wales shaded by rate, {card.settings['year']}. {_highest(card)}",
                 settings=lambda page: {"region": page["region"] or None}, filters=_in_year,
                 columns=SERVICE_COLUMNS, empty=EMPTY, filename=lambda page: f"areas-map-{page['year']}",
                 source=f"{PUBLISHED_SOURCE} {BOUNDARIES_CREDIT}"),
        CardSpec("areas-regions", "Regions", "areas",
                 lambda card: Bars(x="region", y="rate_per_1000", y_title=RATE, horizontal=True, ranked=True,
                                   highlight=card.settings["region"] or None),
                 lambda card: f"Bar chart of regions by rate, {card.settings['year']}.",
                 settings={"level": "region"}, filters=_in_year, columns=AREA_COLUMNS, empty=EMPTY,
                 filename=lambda page: f"regions-{page['year']}", source=PUBLISHED_SOURCE),
        CardSpec("areas-trend", "Trend, 2013-14 to 2021-22", "areas",
                 Lines(x="period", y="rate_per_1000", series="region", y_title=RATE),
                 lambda card: "Line chart of the rate each year since 2013-14.",
                 settings=lambda page: {"region": page["region"] or None,
                                        "level": "region" if page["region"] else "national"},
                 filters=lambda filters, page: Filters(), columns=AREA_COLUMNS, empty=EMPTY, filename="areas-trend",
                 source=PUBLISHED_SOURCE),
    ),
    pack=PackSection("areas-regions", _regions_reading,
                     lambda cards, context: cards["areas-regions"].table(), title="Compare areas (published data)"),
)
