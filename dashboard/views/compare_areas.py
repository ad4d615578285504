"""Compare areas, for regional leads: every service on a published indicator and year, ranked in quartile
bands, a funnel plot where the source gives counts, a map, the regions, and a trend against England.

One measure (compare-areas) answers every card; each card shows its part of it (``CardSpec.rows``): the
chosen year's services, the chosen region's, the regions, or the periods of the same source for the trend,
so a trend never joins two publishers' bases. The year's choices hang on the measure chosen, and the page
of ranks on the region (``PageSetting.depends_on``).
"""

from __future__ import annotations

from ..metrics import counted_periods, published_sources, service_areas
from ..metrics.benchmarks import INDICATORS as MULTIPLIERS
from ..metrics.benchmarks import NATIONAL
from ..metrics.compare_areas import COLUMNS as MEASURED_COLUMNS
from ..metrics.compare_areas import national_rates
from ..metrics.intervals import funnel_limits, population_grid
from .charts import AreaTrend, Funnel, IndicatorMap, RankedAreas, RankedRegions
from .indicators import BASIS, INDICATORS, region_words
from .render import only
from .spec import CardSpec, PackSection, PageSetting, PageSpec
from .texts import BOUNDARIES_CREDIT, COMPARATORS_SOURCE

#: Services in one page of the ranking: a page stays under about 1,000 pixels, every name written.
RANKS_PER_PAGE = 30
#: The cards' table: the measure's columns but what each row is (measure, basis, unit, source, kind of area).
COLUMNS = tuple(c for c in MEASURED_COLUMNS if c not in ("measure", "period_basis", "unit", "source", "area_type"))
EMPTY = "No published figures for this measure and year."


def _indicator(page) -> str:
    return page["indicator"]


def _measures(options) -> tuple[tuple[str, str], ...]:
    return tuple((m, f"{INDICATORS[m].name} ({INDICATORS[m].per})") for m in options["indicator_periods"])


def _first_measure(options) -> str:
    return next(iter(options["indicator_periods"]), "")


def _periods(options, chosen) -> list[str]:
    return options["indicator_periods"].get(chosen["indicator"] or _first_measure(options), [])


def _years(options, chosen) -> tuple[tuple[str, str], ...]:
    words = INDICATORS.get(chosen["indicator"] or _first_measure(options))
    return tuple((p, words.period(p)) for p in reversed(_periods(options, chosen))) if words else ()


def _newest(options, chosen) -> str:
    periods = _periods(options, chosen)
    return periods[-1] if periods else ""


def _pages(options, chosen) -> tuple[tuple[str, str], ...]:
    """The region's services (when a region is chosen), then the ranking in pages of RANKS_PER_PAGE."""
    services = len(options["published_yjs"])
    pages = tuple(
        (str(first), f"Ranks {first} to {min(first + RANKS_PER_PAGE - 1, services)}")
        for first in range(1, services + 1, RANKS_PER_PAGE)
    )
    return ((("", f"Services in {chosen['region']}"),) if chosen["region"] else ()) + pages


def _first_page(options, chosen) -> str:
    return "" if chosen["region"] else "1"


def _words(card):
    return INDICATORS[card.settings["indicator"]]


def _in_year(card):
    table = card.result.table
    return table["period"] == card.settings["year"]


def _described(card, *parts: str) -> str:
    return ", ".join([_words(card).period(card.settings["year"]), *[p for p in parts if p]])


def _ranked_rows(card):
    """The chosen year's services on the page chosen (or the chosen region's), and the national figure."""
    table, settings = card.result.table, card.settings
    services = _in_year(card) & (table["area_type"] == "service")
    if settings["ranks"]:
        first = int(settings["ranks"])
        shown = services & table["rank"].between(first, first + RANKS_PER_PAGE - 1)
        said = f"ranks {first} to {first + RANKS_PER_PAGE - 1}"
    else:
        shown = services & (table["region"] == settings["region"])
        said = f"services in {settings['region']}"
    ranked = table.loc[services, "out_of"].dropna()
    out_of = f"of {int(ranked.iloc[0])} ranked" if len(ranked) else ""
    national = _in_year(card) & table["area_type"].isin(NATIONAL)
    return only(card.result, (shown | national) & shown.any(), _described(card, said, out_of))


def _funnel_rows(card):
    """The chosen year's services with a count and a population, and the national figure: none unless both."""
    table = card.result.table
    counted = _in_year(card) & (table["area_type"] == "service") & table["count"].notna() & table["population"].notna()
    national = _in_year(card) & table["area_type"].isin(NATIONAL)
    keep = (counted | national) & counted.any() & national.any()
    return only(card.result, keep, _described(card, card.settings["region"]))


def _map_rows(card):
    table, region = card.result.table, card.settings["region"]
    keep = _in_year(card) & (table["area_type"] == "service") & ((table["region"] == region) if region else True)
    return only(card.result, keep, _described(card, region))


def _region_rows(card):
    table = card.result.table
    keep = _in_year(card) & table["area_type"].isin(("region", *NATIONAL))
    if not (keep & (table["area_type"] == "region")).any():
        keep = keep & False
    return only(card.result, keep, _described(card))


def _trend_rows(card):
    """Every period of the chosen year's source: the national figure, the region chosen and its services, and
    the highlighted service."""
    table, region, highlight = card.result.table, card.settings["region"], card.settings["highlight"]
    source = table.loc[_in_year(card), "source"]
    same = table["source"].isin(set(source) | ({"lait", "lait_regions"} if "lait" in set(source) else set()))
    kind = table["area_type"]
    services = (kind == "service") & ((table["area"] == highlight) | ((table["region"] == region) & bool(region)))
    keep = same & (kind.isin(NATIONAL) | ((kind == "region") & (table["area"] == region)) | services)
    periods = table.loc[keep, "period"]
    span = f"{periods.min()} to {periods.max()} ({BASIS[_words(card).basis]})" if len(periods) else ""
    return only(card.result, keep, ", ".join(p for p in (span, region, highlight) if p))


def _picked(card) -> dict:
    """The service and the region the reader picked out, None for none."""
    return {"highlight": card.settings["highlight"] or None, "region": card.settings["region"] or None}


def _ranked_chart(card) -> RankedAreas:
    """The ranking; the region's services are picked out in bold only among others (on a page of ranks)."""
    picked = _picked(card)
    if not card.settings["ranks"]:
        picked["region"] = None
    return RankedAreas(x_title=_words(card).unit.capitalize(), number=_words(card).number, **picked)


def _funnel_chart(card) -> Funnel | None:
    """The funnel around the national rate of the year (none when the card has no rows)."""
    words, table = _words(card), card.result.table
    per = MULTIPLIERS[card.settings["indicator"]]
    national = table[table["area_type"].isin(NATIONAL)]
    if table.empty:
        return None
    rate = national_rates(table, per)[card.settings["year"]]
    populations = table.loc[table["area_type"] == "service", "population"].astype("float64")
    limits = funnel_limits(rate, per, population_grid(populations.min() * 0.8, populations.max() * 1.1))
    return Funnel(
        y_title=words.unit.capitalize(),
        number=words.number,
        per=per,
        reference=(national.iloc[0]["area"], rate),
        limits=limits,
        **_picked(card),
    )


def _none_here(card) -> str:
    """Why a card of the chosen year's services has none: none published, or none in the region chosen (LAIT
    covers England only)."""
    region, whole = card.settings["region"], card.measured.table if card.measured is not None else None
    if not region or whole is None:
        return EMPTY
    year = whole[whole["period"] == card.settings["year"]]
    if year.empty:
        return EMPTY
    said = f"No published figures for services in {region} for this measure and year"
    return said + (": LAIT covers England only." if region == "Wales" and "lait" in set(year["source"]) else ".")


def _no_funnel(card) -> str:
    words, year = _words(card), card.settings["year"]
    counted = counted_periods(card.context.db)
    where = "; ".join(
        f"{INDICATORS[r.measure].title.lower()}, {r.first_period} to {r.latest_period}" for r in counted.itertuples()
    )
    return (
        f"No funnel plot for {words.name.lower()} in {words.period(year)}: the source gives rates without the "
        f"number of children, and a funnel plot needs both. Counts are published for {where}."
    )


def _funnel_notes(card) -> list[str]:
    """How to read the funnel, and what it means when many services lie outside it (nothing when none is drawn)."""
    if card.result.table.empty:
        return []
    notes = [
        "A service outside the 95% limits differs from the national rate by more than chance would usually "
        "give (1 in 20); outside the 99.8% limits, by far more (1 in 500). Small services have wider limits, "
        "so a high rate on few children is not called an outlier."
    ]
    readings = card.result.table.loc[card.result.table["area_type"] == "service", "funnel"].dropna()
    beyond = readings.str.contains("99.8%").sum()
    if len(readings) and beyond > 0.05 * len(readings):
        notes.append(
            f"{beyond} of {len(readings)} services lie outside the 99.8% limits, far more than chance would "
            "put there: services really do differ. The plot shows which differences are more than chance, "
            "not which service is doing well or badly."
        )
    if card.settings["region"]:
        notes.append(f"Services in {card.settings['region']} have a thick black outline.")
    return notes


def _sources(card) -> list[str]:
    """How current each source of the measure is, and which one the year's figures are from (one per year)."""
    indicator, year = card.settings["indicator"], card.settings["year"]
    used = set(card.result.table["source"])
    said = []
    sources = published_sources(card.context.db)
    sources = sources[sources["measure"] == indicator]
    for row in sorted(sources.itertuples(), key=lambda r: r.source not in used):
        span = (
            row.latest_period if row.first_period == row.latest_period else f"{row.first_period} to {row.latest_period}"
        )
        which = "Figures from" if row.source in used else f"Also published, not used for {year} (one source a year)"
        said.append(
            f"{which}: {row.publisher}, {row.release}; {span} by {BASIS[row.period_basis]}"
            f"{'' if row.has_counts else ', rates only (no counts of children)'}."
        )
    return said


def _ranked_notes(card) -> list[str]:
    """What the ranking is, where its figures come from and how current they are, and where the highlighted
    service is when it is not on the page shown."""
    settings, table = card.settings, card.result.table
    notes = [
        "Rank 1 is the lowest rate; services with the same rate share a rank. The quarters split the "
        "ranking into four equal parts, lowest rates first.",
        *_sources(card),
    ]
    if not table["area_type"].isin(NATIONAL).any():
        notes.append("No national figure is published for this measure and year.")
    if settings["region"] and settings["ranks"]:
        notes.append(f"Services in {settings['region']} are in bold.")
    highlight = settings["highlight"]
    if highlight and not (table["area"] == highlight).any():
        whole = card.measured.table
        found = whole[(whole["period"] == settings["year"]) & (whole["area"] == highlight) & whole["rank"].notna()]
        notes.append(
            f"{highlight} is ranked {found.iloc[0]['rank']} of {found.iloc[0]['out_of']}."
            if len(found)
            else f"{highlight} has no published figure for this measure and year."
        )
    if "lait" in set(table["source"]):
        notes.append(
            "LAIT covers England only, so Welsh services have no figure; a service covering several "
            "authorities has the mean of theirs, weighted by their populations aged 10 to 17."
        )
    return notes


def _ranked_caption(card) -> str:
    table = card.result.table
    services = table[table["area_type"] == "service"].dropna(subset=["value"])
    national = table[table["area_type"].isin(NATIONAL)]
    words = _words(card)
    if services.empty:
        return _none_here(card)
    low, high = services.iloc[0], services.iloc[-1]
    said = (
        f"Dot chart of {len(services)} services ranked by {words.title.lower()}, "
        f"{words.period(card.settings['year'])}, lowest first: {low['area']} {words.value(low['value'])} "
        f"(rank {low['rank']} of {low['out_of']}) to {high['area']} {words.value(high['value'])} "
        f"(rank {high['rank']})"
    )
    if not national.empty:
        said += f"; {national.iloc[0]['area']} {words.value(national.iloc[0]['value'])}"
    return said + "."


def _funnel_caption(card) -> str:
    table = card.result.table
    if table.empty:
        return _no_funnel(card)
    readings = table.loc[table["area_type"] == "service", "funnel"].value_counts()
    counted = ", ".join(f"{n} {reading}" for reading, n in readings.items())
    return (
        f"Funnel plot of each service's rate against its population aged 10 to 17, with 95% and 99.8% limits "
        f"around the national rate: {counted}."
    )


def _regions_reading(cards, context) -> str:
    card = cards["areas-regions"]
    table, words = card.result.table, INDICATORS[card.settings["indicator"]]
    shown = table[table["area_type"] == "region"].dropna(subset=["value"]).sort_values("value", ascending=False)
    if shown.empty:
        return "No regional figures are published for this measure and year."
    top, bottom = shown.iloc[0], shown.iloc[-1]
    national = table[table["area_type"].isin(NATIONAL)]
    return (
        f"In {words.period(card.settings['year'])}, {region_words(top['area'])} had the highest rate of "
        f"{words.name.lower()} ({words.value(top['value'])}) and {region_words(bottom['area'])} the lowest "
        f"({words.value(bottom['value'])})"
        + (f"; {national.iloc[0]['area']}: {words.value(national.iloc[0]['value'])}." if not national.empty else ".")
    )


def _filled(table):
    """The regions' table for the pack: the columns with something in them, without the region again."""
    table = table.drop(columns=["region"])
    return table.loc[:, table.ne("").any()]


def _year_file(name: str):
    return lambda page: f"{name}-{page['indicator'].replace('_', '-')}-{page['year']}"


def _measure_settings(page) -> dict:
    return {"indicator": _indicator(page)}


def _card(card_id: str, title: str, chart, caption, rows, **extra) -> CardSpec:
    return CardSpec(
        card_id,
        title,
        "compare-areas",
        chart,
        caption,
        settings=_measure_settings,
        rows=rows,
        columns=COLUMNS,
        filename=_year_file(card_id),
        source=extra.pop("source", COMPARATORS_SOURCE),
        empty=extra.pop("empty", EMPTY),
        **extra,
    )


PAGE = PageSpec(
    key="compare-areas",
    path="/compare-areas",
    name="Compare areas",
    heading="Compare areas",
    order=6,
    lead="How every Youth Justice Service compares on the published figures: first-time entrants, reoffending and "
    "children cautioned or sentenced. Choose a measure and a year; choose a region to see its services, and a "
    "service to pick out. The filters at the top of the page are for your own service's data and do not "
    "apply here.",
    definition="Published figures for every Youth Justice Service: first-time entrants per 100,000 children aged 10 "
    "to 17 and proven reoffending (DfE LAIT, by calendar or cohort year, England only), and children "
    "cautioned or sentenced per 1,000 (Youth Justice Board, to 2021-22) or per 10,000 (LAIT and Trafford "
    "Data Lab, by financial year). Services are ranked lowest first and split into quarters; a funnel "
    "plot with 95% and 99.8% limits around the national rate is drawn where the number of children is "
    "published. The service filters do not apply to them.",
    uses_filters=False,
    settings=(
        PageSetting("indicator", "Measure", _measures, _first_measure),
        PageSetting("year", "Year", _years, _newest, depends_on=("indicator",)),
        PageSetting(
            "region", "Region", lambda options: tuple((r, r) for r in options["regions"]), everything="All regions"
        ),
        PageSetting(
            "highlight",
            "Highlight a service",
            lambda options: tuple((s, s) for s in options["published_yjs"]),
            everything="None",
        ),
        PageSetting("ranks", "Services shown", _pages, _first_page, depends_on=("indicator", "year", "region")),
    ),
    cards=(
        _card(
            "areas-ranked",
            "Services ranked, lowest rate first, in quarters",
            _ranked_chart,
            _ranked_caption,
            _ranked_rows,
            notes=_ranked_notes,
            empty=_none_here,
        ),
        _card(
            "areas-funnel",
            "Funnel plot: each service's rate against its number of children",
            _funnel_chart,
            _funnel_caption,
            _funnel_rows,
            empty=_no_funnel,
            notes=_funnel_notes,
        ),
        _card(
            "areas-map",
            "Map: a service covering several authorities colours all of them",
            lambda card: IndicatorMap(
                service_areas(card.context.db),
                unit=_words(card).unit.replace(" children", "<br>children"),
                number=_words(card).number,
                highlight=card.settings["highlight"] or None,
            ),
            lambda card: (
                f"Map of services shaded by {_words(card).title.lower()}, "
                f"{_words(card).period(card.settings['year'])}; darker is higher."
            ),
            _map_rows,
            source=f"{COMPARATORS_SOURCE} {BOUNDARIES_CREDIT}",
            empty=_none_here,
        ),
        _card(
            "areas-regions",
            "Regions, lowest rate first",
            lambda card: RankedRegions(
                x_title=_words(card).unit.capitalize(),
                number=_words(card).number,
                region=card.settings["region"] or None,
            ),
            lambda card: (
                f"Dot chart of the regions by {_words(card).title.lower()}, "
                f"{_words(card).period(card.settings['year'])}, lowest first, with the national figure "
                "as a line."
            ),
            _region_rows,
            empty="The source publishes no regional figures for this measure and year.",
            notes=_sources,
        ),
        _card(
            "areas-trend",
            "Trend against the national figure",
            lambda card: AreaTrend(y_title=_words(card).unit.capitalize(), number=_words(card).number, **_picked(card)),
            lambda card: (
                f"Line chart of {_words(card).title.lower()} across the years of one source: the national "
                "figure"
                + (f", {card.settings['region']} and its services" if card.settings["region"] else "")
                + (f", and {card.settings['highlight']}" if card.settings["highlight"] else "")
                + (
                    ""
                    if card.settings["region"] or card.settings["highlight"]
                    else ". Choose a region or a service to see them against it"
                )
                + "."
            ),
            _trend_rows,
        ),
    ),
    pack=PackSection(
        "areas-regions",
        _regions_reading,
        lambda cards, context: _filled(cards["areas-regions"].table()),
        title="Compare areas (published data)",
    ),
)
