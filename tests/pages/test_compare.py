"""How the service compares (the overview's standing, the first-time entrants page's benchmark card) and the
compare-areas page: its settings in the address, the choices that hang on the measure, and the rows each card
shows. Expected values are read from the published files here, by hand."""

from __future__ import annotations

import csv

import pytest
from dash import no_update
from scipy.stats import chi2

from dashboard import app_shell, figures
from dashboard.access import EVERYONE, Scope, Viewer
from dashboard.db import Database
from dashboard.filters import Filters, InvalidFilter
from dashboard.ingest import ingest, public
from dashboard.views import PAGES, Context, render_card, render_page
from dashboard.views.standing import CHOOSE_ONE, standing

from ..extracts import child, population_rows, write_extract
from ..metrics.test_benchmarks import england_fte

FTE = "fte_rate_per_100000"
COMPARE = PAGES["compare-areas"]
#: The services of the test extract: (region, compare_as from the extract.json services block, entrants in 2024).
SERVICES = {
    "Northvale": ("North West", "Trafford", 6),
    "Dyffryn": ("Wales", "Carmarthenshire", 6),
    "Testshire": (None, None, 6),
    "Smallshire": ("North West", "Trafford", 3),
}
#: mid-2024: 100 per age x sex x ethnic group: 8 * 2 * 6 * 100
POPULATION = 9600


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A database of four services, each with first-time entrants in 2024 only, and the region and compare_as
    of each that has them (the extract.json services block)."""
    folder = tmp_path_factory.mktemp("compared")
    children, outcomes, programmes, population = [], [], [], []
    for service, (_, _, entrants) in SERVICES.items():
        for i in range(entrants):
            name = f"{service}-{i}"
            children.append(child(name, "2009-01-01", yjs=service))
            outcomes.append(
                dict(outcome_id=f"u-{name}", child_id=name, outcome_date="2024-06-01", outcome_type="YOUTH_CAUTION")
            )
        programmes.append(
            dict(
                programme_id=f"p-{service}",
                child_id=f"{service}-0",
                disposal_type="PREVENTION",
                referral_date="2022-12-15",
            )
        )
        population += population_rows(yjs=service, year=2024, per_cell=100)
    services = {
        service: {"region": region, "compare_as": compare_as}
        for service, (region, compare_as, _) in SERVICES.items()
        if region
    }
    extract = write_extract(
        folder / "extract",
        "2025-06-30",
        children=children,
        outcomes=outcomes,
        programmes=programmes,
        population=population,
        services=services,
    )
    location = str(folder / "db.duckdb")
    ingest(extract, location)
    db = Database.open(location)
    yield Context(db, EVERYONE)
    db.close()


def trafford_neighbours_2024() -> list[float]:
    """Trafford's ten DfE neighbours' 2024 first-time entrant rates, from the two files."""
    neighbours = csv.DictReader(public.STATISTICAL_NEIGHBOURS.open(encoding="utf-8"))
    numbers = [r["neighbour_dfe_la_number"] for r in neighbours if r["area_name"] == "Trafford"]
    lait = csv.DictReader(public.LAIT_INDICATORS.open(encoding="utf-8"))
    rates = {
        r["dfe_la_number"]: float(r["value"])
        for r in lait
        if r["measure_code"] == "FirstYJS" and r["year"] == "2024" and r["value"]
    }
    assert len(numbers) == 10
    return [rates[n] for n in numbers]


def test_a_service_compared_as_another_stands_against_englands_its_region_and_the_others_neighbours(compared):
    said = standing(compared, Filters(yjs="Northvale"), FTE)
    rate = 6 / POPULATION * 100_000  # 62.5
    high = chi2.ppf(0.975, 14) / 2 / POPULATION * 100_000  # 136.1, under England's 138.2
    assert high < england_fte()
    neighbours = trafford_neighbours_2024()
    rank = 1 + sum(v < rate for v in neighbours)
    place = "lowest" if rank == 1 else f"{rank}th lowest"
    assert said.period == "2024 (calendar year)"
    assert said.text == (
        f"Northvale, 2024 (calendar year): 62 per 100,000: lower than England "
        f"({england_fte():.0f}), lower than the North West (168), {place} of 11 with Trafford's "
        "statistical neighbours."
    )


def test_the_benchmark_card_names_the_other_services_neighbours_and_shows_why(compared):
    page = PAGES["first-time-entrants"]
    card = render_card(compared, page, page.card("fte-compared"), Filters(yjs="Northvale"), {})
    assert card.result.description == "2024 (calendar year), Northvale"
    assert set(card.result.table["period"]) == {"2024"} and set(card.result.table["measure"]) == {FTE}
    assert card.chart.neighbours_of == "Trafford"
    assert card.notes[0] == (
        "Northvale is compared as Trafford: the published figures and statistical neighbours shown are Trafford's."
    )
    assert not any(n.startswith("Reoffending is published") for n in card.notes)  # only the notes on this measure
    drawn = figures.draw_card(card)
    assert "Trafford's statistical neighbours (DfE)" in [t.name for t in drawn.data]
    assert "Northvale (your extract)" in drawn.layout.yaxis.ticktext
    assert len(drawn.layout.yaxis.ticktext) == 1 + 1 + 1 + 10 + 1  # own, published, region, neighbours, average


def test_a_welsh_service_is_read_against_england_only_and_says_why(compared):
    # As Dyffryn's manager sees it: in everyone's lattice Smallshire's 3 take one of the services' 6 with them.
    manager = Context(compared.db, Viewer("manager", "manager", Scope(("Dyffryn",))))
    said = standing(manager, Filters(yjs="Dyffryn"), FTE)
    assert said.text == f"Dyffryn, 2024 (calendar year): 62 per 100,000: lower than England ({england_fte():.0f})."
    page = PAGES["first-time-entrants"]
    card = render_card(compared, page, page.card("fte-compared"), Filters(yjs="Dyffryn"), {})
    assert set(card.result.table["area_type"]) == {"service", "england"}
    assert any(n.startswith("LAIT covers England only") for n in card.notes)
    assert figures.draw_card(card).data  # drawn, nothing broken


def test_a_service_with_no_comparator_is_compared_with_england_and_says_so(compared):
    said = standing(compared, Filters(yjs="Testshire"), FTE)
    assert said.text == f"Testshire, 2024 (calendar year): 62 per 100,000: lower than England ({england_fte():.0f})."
    page = PAGES["first-time-entrants"]
    card = render_card(compared, page, page.card("fte-compared"), Filters(yjs="Testshire"), {})
    assert "not named in the published tables" in card.notes[0]
    assert card.chart.neighbours_of is None


def test_a_withheld_figure_is_not_compared(compared):
    # Smallshire's 3 entrants: withheld, and so is every reading built on them
    assert (
        standing(compared, Filters(yjs="Smallshire"), FTE).text
        == "Smallshire, 2024 (calendar year): too few to compare (withheld)."
    )
    page = PAGES["first-time-entrants"]
    card = render_card(compared, page, page.card("fte-compared"), Filters(yjs="Smallshire"), {})
    own = card.table().set_index("area_type").loc["service"]
    assert (own["count"], own["value"], own["compared_with_england"]) == ("c", "c", "c")


def test_with_several_services_and_none_chosen_nothing_is_compared_and_the_page_still_draws(compared):
    assert standing(compared, Filters(), FTE).text == CHOOSE_ONE
    page = PAGES["first-time-entrants"]
    cards = render_page(compared, page, Filters(sex="female"), {})
    card = cards[-1]
    assert card.empty and card.empty_message == CHOOSE_ONE and card.notes == []
    overview = PAGES["overview"]
    assert overview.kpis[0].compute(compared, Filters()).standing == CHOOSE_ONE


def test_the_overview_and_its_pack_say_where_the_service_stands(compared):
    from markupsafe import escape

    from dashboard import board_pack

    kpis = [k.compute(compared, Filters(yjs="Northvale")) for k in PAGES["overview"].kpis[:1]]
    assert kpis[0].standing.startswith("Northvale, 2024 (calendar year): 62 per 100,000: lower than England")
    html = board_pack.TEMPLATES.get_template("board_pack.html").render(
        title="t",
        figures_for="",
        as_of="",
        made="",
        part_year=None,
        kpis=kpis,
        sections=[],
        small_numbers="",
        definitions=[],
        sources=[],
    )
    assert "Compared with England, the region and similar areas" in html and str(escape(kpis[0].standing)) in html


# The compare-areas page: settings in the address


def test_the_year_hangs_on_the_measure_and_a_link_is_checked_against_its_years(context):
    options = context.options
    assert COMPARE.read_settings({}, options) == {
        "indicator": FTE,
        "year": "2024",
        "region": "",
        "highlight": "",
        "ranks": "1",
    }
    per_1000 = COMPARE.read_settings({"indicator": "cautioned_or_sentenced_per_1000"}, options)
    assert per_1000["year"] == "2021-22"
    years = dict(COMPARE.settings[1].choices_for(options, per_1000))
    assert list(years)[:2] == ["2021-22", "2020-21"] and years["2021-22"] == "2021-22 (financial year)"
    assert dict(COMPARE.settings[1].choices_for(options, {"indicator": FTE}))["2024"] == "2024 (calendar year)"
    with pytest.raises(InvalidFilter, match="unknown year '2024'; valid choices: 2021-22, 2020-21"):
        COMPARE.read_settings({"indicator": "cautioned_or_sentenced_per_1000", "year": "2024"}, options)
    with pytest.raises(InvalidFilter, match="unknown measure"):
        COMPARE.read_settings({"indicator": "'; DROP TABLE child; --"}, options)


def test_the_services_shown_are_the_regions_or_a_page_of_ranks(context):
    options = context.options
    north_west = COMPARE.read_settings({"region": "North West"}, options)
    assert north_west["ranks"] == ""
    choices = COMPARE.settings[4].choices_for(options, north_west)
    assert choices[0] == ("", "Services in North West") and choices[1] == ("1", "Ranks 1 to 30")
    assert choices[-1] == ("151", f"Ranks 151 to {len(options['published_yjs'])}")
    assert COMPARE.read_settings({"ranks": "31"}, options)["ranks"] == "31"
    with pytest.raises(InvalidFilter, match="unknown services shown '32'"):
        COMPARE.read_settings({"ranks": "32"}, options)
    assert COMPARE.resets("indicator") == {"year", "ranks"} and COMPARE.resets("region") == {"ranks"}
    assert COMPARE.resets("highlight") == set()


def _sync(monkeypatch, search, values, triggered_id):
    """The shell's address <-> controls callback on the compare-areas page, fired by ``triggered_id``."""
    monkeypatch.setattr(app_shell, "ctx", type("Triggered", (), {"triggered_id": triggered_id}))
    ids = [{"type": "page-setting", "key": s.key} for s in COMPARE.settings]
    return app_shell.sync_filters_and_url(search, values, [None] * len(app_shell.CONTROLS), ids, "/compare-areas")


def _sync_controls(monkeypatch, search, values, key):
    """The callback when the control ``key`` changed."""
    return _sync(monkeypatch, search, values, {"type": "page-setting", "key": key})


def _open_link(monkeypatch, search):
    """The callback when a link is opened: the address arrives, every control still "all"."""
    return _sync(monkeypatch, search, ["all"] * 5, "url")


def test_changing_the_measure_drops_the_year_and_page_that_hung_on_it_and_resets_their_controls(monkeypatch, context):
    search = "?indicator=fte_rate_per_100000&year=2019&region=North+West&highlight=Trafford&ranks=31"
    changed = ["cautioned_or_sentenced_per_1000", "2019", "North West", "Trafford", "31"]
    new, problem, values, options, *_ = _sync_controls(monkeypatch, search, changed, "indicator")
    assert new == "?indicator=cautioned_or_sentenced_per_1000&region=North+West&highlight=Trafford"
    assert problem is None
    # In the same answer (Dash does not run the callback again for the address it wrote): the year and the
    # page of ranks go back to their defaults, with the choices of the new measure and the region.
    assert values == [no_update, "2021-22", no_update, no_update, "all"]
    assert options[1][0] == {"label": "2021-22 (financial year)", "value": "2021-22"}
    assert options[4][0] == {"label": "Services in North West", "value": "all"}
    assert [options[i] for i in (0, 2, 3)] == [no_update] * 3


def test_changing_the_region_keeps_the_year_and_goes_back_to_the_regions_services(monkeypatch, context):
    search = "?indicator=cautioned_or_sentenced_per_1000&year=2019-20&ranks=31"
    new, _, values, options, *_ = _sync_controls(
        monkeypatch, search, ["cautioned_or_sentenced_per_1000", "2019-20", "London", "all", "31"], "region"
    )
    assert new == "?indicator=cautioned_or_sentenced_per_1000&year=2019-20&region=London"
    assert values == [no_update] * 4 + ["all"] and options[4][0]["label"] == "Services in London"


def test_changing_the_highlight_changes_nothing_else(monkeypatch, context):
    new, _, values, options, *_ = _sync_controls(
        monkeypatch, "?region=London", ["fte_rate_per_100000", "2024", "London", "Bromley", "all"], "highlight"
    )
    assert new == "?indicator=fte_rate_per_100000&year=2024&region=London&highlight=Bromley"
    assert values == [no_update] * 5 and options == [no_update] * 5


def test_a_pages_controls_arriving_with_a_links_settings_reset_nothing(monkeypatch, context):
    # The page's controls, built from the address, fire as they arrive: nothing has changed, so nothing hanging
    # on them is dropped, and the address comes back as it is (the page's callback waits on it).
    search = "?indicator=cautioned_or_sentenced_per_1000&year=2019-20&region=North+West&ranks=31"
    new, _, values, options, *_ = _sync_controls(
        monkeypatch, search, ["cautioned_or_sentenced_per_1000", "2019-20", "North West", "all", "31"], "indicator"
    )
    assert new == search
    assert values == [no_update] * 5 and options == [no_update] * 5


def test_opening_a_link_sets_each_control_and_the_years_of_its_measure(monkeypatch, context):
    _, problem, values, options, *_ = _open_link(monkeypatch, "?indicator=cautioned_or_sentenced_per_1000&region=Wales")
    assert problem is None
    # "All" and "None" are the control value "all", never '' (which a select shows blank)
    assert values == ["cautioned_or_sentenced_per_1000", "2021-22", "Wales", "all", "all"]
    assert options[0] is no_update and options[2] is no_update and options[3] is no_update
    assert options[1][0] == {"label": "2021-22 (financial year)", "value": "2021-22"}
    assert options[4][0] == {"label": "Services in Wales", "value": "all"}
    assert all(o["value"] for o in options[1] + options[4])


def test_a_link_with_a_year_its_measure_does_not_have_falls_back_to_the_defaults(monkeypatch, context):
    search, problem, values, options, *_ = _open_link(
        monkeypatch, "?indicator=cautioned_or_sentenced_per_1000&year=2024"
    )
    assert search == "" and "unknown year '2024'" in problem.children
    assert values == [FTE, "2024", "all", "all", "1"]
    assert options[1][0]["value"] == "2024"


# The compare-areas page: what each card shows


def test_the_regions_services_are_ranked_among_every_service(context):
    settings = COMPARE.read_settings(
        {"indicator": "cautioned_or_sentenced_per_1000", "region": "North West", "highlight": "Trafford"},
        context.options,
    )
    cards = {c.spec.id: c for c in render_page(context, COMPARE, Filters(), settings)}
    rows = [
        r
        for r in csv.DictReader(public.LOCAL_RATES_2020_2022.open(encoding="utf-8"))
        if (r["financial_year"], r["level"], r["measure"]) == ("2021-22", "YJS", "children_cautioned_or_sentenced")
    ]
    rate = {r["yjs"]: int(r["number"]) / int(r["population_10_17"]) for r in rows}
    north_west = sorted((r["yjs"] for r in rows if r["region"] == "North West"), key=rate.get)
    ranked = cards["areas-ranked"].result.table
    services = ranked[ranked["area_type"] == "service"]
    assert services["area"].tolist() == north_west
    assert services["rank"].tolist() == [1 + sum(v < rate[s] for v in rate.values()) for s in north_west]
    assert set(ranked.loc[ranked["area_type"] != "service", "area"]) == {"England and Wales"}
    assert cards["areas-ranked"].result.description == "2021-22 (financial year), services in North West, of 154 ranked"
    trend = figures.draw_card(cards["areas-trend"])
    names = [t.name for t in trend.data]
    assert {"England and Wales", "North West (region)", "Trafford"} <= set(names)
    assert set(cards["areas-trend"].result.table["period"]) == {f"{y}-{(y + 1) % 100:02d}" for y in range(2013, 2022)}


def test_a_page_of_ranks_lists_thirty_services_and_every_name_is_drawn(context):
    settings = COMPARE.read_settings({"indicator": "cautioned_or_sentenced_per_1000", "ranks": "31"}, context.options)
    card = render_card(context, COMPARE, COMPARE.card("areas-ranked"), Filters(), settings)
    services = card.result.table[card.result.table["area_type"] == "service"]
    assert services["rank"].min() >= 31 and services["rank"].max() <= 60 and len(services) == 30
    drawn = figures.draw_card(card)
    assert len(drawn.layout.yaxis.ticktext) == 30 and drawn.layout.height < 1100


def test_the_funnel_is_drawn_only_where_counts_are_published_and_says_why_not(context):
    card = render_card(
        context, COMPARE, COMPARE.card("areas-funnel"), Filters(), COMPARE.read_settings({}, context.options)
    )
    assert card.empty and card.empty_message.startswith(
        "No funnel plot for first-time entrants in 2024 (calendar "
        "year): the source gives rates without the number of children"
    )
    assert "per 10,000 children aged 10 to 17, 2014-15 to 2023-24" in card.empty_message
    assert card.notes == []  # nothing on how to read what is not drawn
    settings = COMPARE.read_settings(
        {"indicator": "cautioned_or_sentenced_per_10000", "year": "2023-24"}, context.options
    )
    card = render_card(context, COMPARE, COMPARE.card("areas-funnel"), Filters(), settings)
    assert len(card.result.table) == 11  # Trafford Data Lab's 10 areas and England
    assert card.chart.reference[1] == pytest.approx(12908 / 5585242 * 10_000)  # from the count, not the rounded 23
    drawn = figures.draw_card(card)
    assert [t.name for t in drawn.data][:3] == ["99.8% limits", "", "95% limits"]
    # How many of Trafford Data Lab's 10 areas lie beyond the 99.8% limits, from their counts by hand
    services = card.result.table[card.result.table["area_type"] == "service"]
    expected = [12908 / 5585242 * population for population in services["population"]]
    beyond = sum(
        count < chi2.ppf(0.001, 2 * e) / 2 or count > chi2.ppf(0.999, 2 * e + 2) / 2
        for count, e in zip(services["count"], expected)
    )
    assert beyond == 5
    assert any(note.startswith(f"{beyond} of 10 services lie outside the 99.8% limits") for note in card.notes)


def test_2024_25_per_10000_is_from_lait_and_the_page_says_which_source_is_used(context):
    settings = COMPARE.read_settings({"indicator": "cautioned_or_sentenced_per_10000"}, context.options)
    assert settings["year"] == "2024-25"
    card = render_card(context, COMPARE, COMPARE.card("areas-ranked"), Filters(), settings)
    notes = " ".join(card.notes)
    assert "Figures from: Department for Education, Local Authority Interactive Tool" in notes
    assert "Also published, not used for 2024-25 (one source a year): Trafford Data Lab" in notes
    assert "No national figure is published for this measure and year." in notes


def test_the_packs_reading_names_the_highest_and_lowest_region(context):
    wanted = ("2021-22", "Region", "children_cautioned_or_sentenced")
    rows = [
        r
        for r in csv.DictReader(public.LOCAL_RATES_2020_2022.open(encoding="utf-8"))
        if (r["financial_year"], r["level"], r["measure"]) == wanted
    ]
    rate = {r["region"]: int(r["number"]) / int(r["population_10_17"]) * 1000 for r in rows}
    highest, lowest = max(rate, key=rate.get), min(rate, key=rate.get)
    assert (highest, lowest) == ("London", "South West")
    settings = COMPARE.read_settings({"indicator": "cautioned_or_sentenced_per_1000"}, context.options)
    cards = {c.spec.id: c for c in render_page(context, COMPARE, Filters(), settings)}
    assert COMPARE.pack.reading(cards, context) == (
        f"In 2021-22 (financial year), London had the highest rate of children cautioned or sentenced "
        f"({rate['London']:.1f} per 1,000) and the South West the lowest ({rate['South West']:.1f} per 1,000); "
        f"England and Wales: {13770 / 5650632 * 1000:.1f} per 1,000."
    )
    table = COMPARE.pack.table(cards, context)
    assert list(table.columns) == ["period", "area", "value", "count", "population", "ci_low", "ci_high"]


def test_welsh_services_have_no_lait_figures_and_the_page_says_why(context):
    settings = COMPARE.read_settings({"region": "Wales"}, context.options)  # first-time entrants, LAIT
    cards = {c.spec.id: c for c in render_page(context, COMPARE, Filters(), settings)}
    said = "No published figures for services in Wales for this measure and year: LAIT covers England only."
    assert cards["areas-ranked"].empty and cards["areas-ranked"].empty_message == said
    assert cards["areas-map"].empty_message == said
    assert not cards["areas-regions"].empty  # England's regions, without Wales
    settings = COMPARE.read_settings(
        {"indicator": "cautioned_or_sentenced_per_1000", "region": "Wales"}, context.options
    )
    ranked = render_card(context, COMPARE, COMPARE.card("areas-ranked"), Filters(), settings)
    welsh = [
        r
        for r in csv.DictReader(public.LOCAL_RATES_2020_2022.open(encoding="utf-8"))
        if (r["financial_year"], r["level"], r["measure"], r["region"])
        == ("2021-22", "YJS", "children_cautioned_or_sentenced", "Wales")
    ]
    services = ranked.result.table[ranked.result.table["area_type"] == "service"]
    assert sorted(services["area"]) == sorted(r["yjs"] for r in welsh) and len(welsh) == 17
