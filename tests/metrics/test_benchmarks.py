"""benchmarks: a service against England, its region and its statistical neighbours. Expected values are
read by hand from the published files and worked out here from small extracts."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from scipy.stats import chi2

from dashboard import cli
from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters, InvalidFilter
from dashboard.ingest import ingest, public
from dashboard.metrics import compute
from dashboard.metrics.benchmarks import notes

from .. import spec
from ..extracts import child, population_rows, write_extract

FTE = "fte_rate_per_100000"
#: Leicester's ten DfE neighbours (dfe_statistical_neighbours_2025.csv, 856) and their 2024 first-time
#: entrant rates per 100,000 (dfe_lait_youth_justice_indicators.csv, FirstYJS, 2024).
LEICESTER_NEIGHBOURS_2024 = [
    ("Luton", "E06000032", 107),
    ("Slough", "E06000039", 83),
    ("Brent", "E09000005", 130),
    ("Newham", "E09000025", 166),
    ("Sandwell", "E08000028", 180),
    ("Bradford", "E08000032", 130),
    ("Ealing", "E09000009", 92),
    ("Hounslow", "E09000018", 116),
    ("Birmingham", "E08000025", 189),
    ("Blackburn with Darwen", "E06000008", 90),
]


def caution(i, child_id, day, outcome_type="YOUTH_CAUTION"):
    return dict(outcome_id=f"u{i}", child_id=child_id, outcome_date=day, outcome_type=outcome_type)


def referral(child_id, day="2021-03-01"):
    """A prevention programme: the extract's first record, from which it covers whole periods."""
    return [dict(programme_id=f"p-{child_id}", child_id=child_id, disposal_type="PREVENTION", referral_date=day)]


LEICESTER_CHILDREN = [child(f"c{i}", "2009-01-01", yjs="Leicester City") for i in range(1, 11)] + [
    child("adult", "2000-01-01", yjs="Leicester City")
]
LEICESTER_OUTCOMES = [
    caution(1, "c1", "2023-01-01"),  # FTE 2023 (first day); FY 2022-23
    caution(2, "c2", "2023-12-31", "REFERRAL_ORDER"),  # FTE 2023 (last day); FY 2023-24
    caution(3, "c3", "2024-01-01"),  # FTE 2024; FY 2023-24
    caution(4, "c4", "2023-06-01", "COMMUNITY_RESOLUTION"),  # diversion: not an entry, not a caution
    caution(5, "c4", "2024-03-15"),  # FTE 2024; FY 2023-24
    *[caution(10 + i, f"c{i}", "2024-06-01") for i in range(5, 10)],  # FTE 2024 (5); FY 2024-25
    caution(20, "c10", "2023-05-01", "FINE"),  # FTE 2023; FY 2023-24
    caution(21, "c10", "2024-05-01", "YOUTH_REHABILITATION_ORDER"),  # FY 2024-25 again, not an entry
    caution(22, "adult", "2024-02-01"),  # 24 years old: neither
]
LEICESTER_PROGRAMMES = [dict(programme_id="p1", child_id="c1", disposal_type="PREVENTION", referral_date="2022-12-15")]
#: mid-2023: 400 per age x sex x ethnic group = 8 * 2 * 6 * 400 = 38,400; mid-2024: 410 per cell = 39,360
LEICESTER_POPULATION = population_rows(yjs="Leicester City", year=2023, per_cell=400) + population_rows(
    yjs="Leicester City", year=2024, per_cell=410
)


@pytest.fixture(scope="module")
def leicester(build_database):
    return build_database(
        "benchmarks_leicester",
        children=LEICESTER_CHILDREN,
        outcomes=LEICESTER_OUTCOMES,
        programmes=LEICESTER_PROGRAMMES,
        population=LEICESTER_POPULATION,
        as_of="2025-06-30",
    )


def benchmark(db, suppressed=True, **filters):
    return compute(db, "benchmarks", Filters(**filters), scope=EVERYONE.scope, suppressed=suppressed)


def rows_of(table, measure, period, area_type=None):
    found = table[(table["measure"] == measure) & (table["period"] == period)]
    return found if area_type is None else found[found["area_type"] == area_type]


def one(table, measure, period, area_type):
    found = rows_of(table, measure, period, area_type)
    assert len(found) == 1, found
    return found.iloc[0]


def england_fte(year="2024"):
    """England's rate by hand: LAIT's nine regional rates weighted by the ONS mid-2023 populations."""
    districts = {r["lad_code"]: r["region_code"] for r in csv.DictReader(public.DISTRICTS.open(encoding="utf-8"))}
    weights: dict[str, int] = {}
    for r in csv.DictReader(public.ONS_POPULATION_2023.open(encoding="utf-8")):
        region = districts[r["area_code"]]
        weights[region] = weights.get(region, 0) + sum(int(r[f"age_{a}"]) for a in range(10, 18))
    rates = {
        r["area_code"]: float(r["value"])
        for r in csv.DictReader(public.LAIT_INDICATORS.open(encoding="utf-8"))
        if r["measure_code"] == "FirstYJS" and r["year"] == year and r["area_code"].startswith("E12")
    }
    return sum(rates[c] * weights[c] for c in rates) / sum(weights[c] for c in rates)


def test_columns_are_the_spec_columns(leicester):
    assert list(benchmark(leicester, yjs="Leicester City").table.columns) == spec.columns("benchmarks")


def test_leicesters_ten_neighbours_region_and_england_for_2024(leicester):
    table = benchmark(leicester, yjs="Leicester City").table
    neighbours = rows_of(table, FTE, "2024", "neighbour")
    assert list(zip(neighbours["area"], neighbours["value"])) == [(n, v) for n, _, v in LEICESTER_NEIGHBOURS_2024]
    lait = {
        r["area_code"]: float(r["value"])
        for r in csv.DictReader(public.LAIT_INDICATORS.open(encoding="utf-8"))
        if r["measure_code"] == "FirstYJS" and r["year"] == "2024" and r["value"]
    }
    assert all(lait[code] == value for _, code, value in LEICESTER_NEIGHBOURS_2024)
    assert one(table, FTE, "2024", "neighbour_average")["value"] == pytest.approx(1283 / 10)
    assert one(table, FTE, "2024", "neighbour_average")["area"] == "Average of 10 statistical neighbours (DfE)"
    assert one(table, FTE, "2024", "region")[["area", "value"]].tolist() == ["East Midlands", 98]
    assert one(table, FTE, "2024", "published_service")["value"] == 196
    england = one(table, FTE, "2024", "england")
    assert england["value"] == pytest.approx(england_fte(), rel=1e-12)
    assert not table["value"].isin([1258, 125.8]).any()
    assert rows_of(table, FTE, "2024", "england_and_wales").empty


def test_the_services_own_first_time_entrants_by_calendar_year_with_an_exact_interval(leicester):
    table = benchmark(leicester, suppressed=False, yjs="Leicester City").table
    own = one(table, FTE, "2024", "service")
    # c3 (1 January), c4 (caution after a community resolution), c5 to c9: 7 over mid-2024's 39,360
    assert (own["area"], own["count"], own["population"]) == ("Leicester City", 7, 39360)
    assert own["value"] == pytest.approx(7 / 39360 * 100_000)
    assert own["ci_low"] == pytest.approx(chi2.ppf(0.025, 14) / 2 / 39360 * 100_000)
    assert own["ci_high"] == pytest.approx(chi2.ppf(0.975, 16) / 2 / 39360 * 100_000)
    assert own["ci_high"] < england_fte()  # about 36.6 against England's 138
    assert own["compared_with_england"] == "lower"
    # The extract covers 2023 and 2024 whole (from 15 December 2022 to 30 June 2025), not 2022 or 2025
    assert set(table.loc[(table["measure"] == FTE) & (table["area_type"] == "service"), "period"]) == {"2023", "2024"}


def test_a_small_count_of_the_service_is_withheld_with_everything_built_on_it(leicester):
    result = benchmark(leicester, yjs="Leicester City")
    table, withheld = result.table, result.withheld
    own = (table["measure"] == FTE) & (table["period"] == "2023") & (table["area_type"] == "service")
    # c1, c2 and c10: 3 children, withheld
    assert table.loc[own, ["count", "value", "ci_low", "ci_high", "compared_with_england"]].isna().all(axis=None)
    assert withheld.loc[own, ["count", "value", "ci_low", "ci_high", "compared_with_england"]].all(axis=None)
    assert table.loc[own, "population"].iloc[0] == 38400
    unsuppressed = benchmark(leicester, suppressed=False, yjs="Leicester City").table
    assert one(unsuppressed, FTE, "2023", "service")["count"] == 3
    assert not withheld[table["area_type"] != "service"].any(axis=None)  # published figures are open data


def test_a_calendar_year_is_withheld_when_one_of_its_quarters_is_withheld_on_the_fte_page(leicester):
    """2024's 7 entries are 2 in January to March (c3, c4: 2023-24 Q4, withheld on the first-time entrants
    page) and 5 in April to June (c5 to c9: 2024-25 Q1, shown): 7 - 5 - 0 - 0 would give the 2 back."""
    quarters = compute(leicester, "fte", Filters(by_quarter=True), scope=EVERYONE.scope).table.set_index("period")
    assert pd.isna(quarters.loc["2023-24 Q4", "fte"]) and quarters.loc["2024-25 Q1", "fte"] == 5
    result = benchmark(leicester, yjs="Leicester City")
    table = result.table
    own = (table["measure"] == FTE) & (table["period"] == "2024") & (table["area_type"] == "service")
    assert result.withheld.loc[own, ["count", "value", "ci_low", "ci_high", "compared_with_england"]].all(axis=None)
    assert result.table.loc[own, "count"].isna().all()


def test_children_cautioned_or_sentenced_by_financial_year_per_10000(leicester):
    table = benchmark(leicester, suppressed=False, yjs="Leicester City").table
    per_10000 = "cautioned_or_sentenced_per_10000"
    # FY 2024-25: c5 to c9 and c10's order (not the adult): 6 over mid-2024
    own = one(table, per_10000, "2024-25", "service")
    assert (own["count"], own["population"]) == (6, 39360)
    assert own["value"] == pytest.approx(6 / 39360 * 10_000)
    # LAIT has 2024-25 for every authority but not England: no national row, so no reading
    assert own["compared_with_england"] is None
    assert one(table, per_10000, "2024-25", "published_service")["value"] == 29.7
    assert rows_of(table, per_10000, "2024-25", "england").empty
    # FY 2023-24 (c2, c3, c4, c10): Trafford Data Lab's England, 23 per 10,000 (12,908 children)
    own = one(table, per_10000, "2023-24", "service")
    assert own["count"] == 4
    england = one(table, per_10000, "2023-24", "england")
    assert (england["value"], england["count"]) == (23, 12908)
    assert own["compared_with_england"] == "lower"
    # Leicester is not among Trafford's 11 areas: no published figure and no neighbours for 2023-24
    assert rows_of(table, per_10000, "2023-24", "published_service").empty
    assert rows_of(table, per_10000, "2023-24", "neighbour").empty


def test_reoffending_keeps_lait_age_groups_apart_without_intervals_or_england(leicester):
    table = benchmark(leicester, yjs="Leicester City").table
    assert one(table, "reoffending_percent_15_17", "2024", "published_service")["value"] == 37.38
    assert one(table, "reoffending_percent_10_14", "2024", "published_service")["value"] == 35
    reoffending = table[table["measure"].str.startswith("reoffending")]
    assert set(reoffending["area_type"]) == {"published_service", "region", "neighbour", "neighbour_average"}
    assert reoffending[["ci_low", "ci_high", "count"]].isna().all(axis=None)
    assert "reoffending_percent" not in set(table["measure"])


def test_the_yjbs_per_1000_rates_carry_intervals_against_england_and_wales(leicester):
    table = benchmark(leicester, yjs="Leicester City").table
    per_1000 = "cautioned_or_sentenced_per_1000"
    row = one(table, per_1000, "2021-22", "published_service")
    # yjb_local_level_rates: "2021-22,children_cautioned_or_sentenced,YJS,East Midlands,Leicester City,109,39944,2.7"
    assert (row["count"], row["population"]) == (109, 39944)
    assert row["ci_low"] == pytest.approx(chi2.ppf(0.025, 218) / 2 / 39944 * 1000)
    assert row["ci_high"] == pytest.approx(chi2.ppf(0.975, 220) / 2 / 39944 * 1000)
    national = one(table, per_1000, "2021-22", "england_and_wales")
    assert national["count"] == 13770
    assert row["compared_with_england"] == (
        "similar"
        if row["ci_low"] <= national["value"] <= row["ci_high"]
        else "higher"
        if row["ci_low"] > national["value"]
        else "lower"
    )
    # Neighbours are services of one authority in the YJB's tables: Luton's own row
    luton = rows_of(table, per_1000, "2021-22", "neighbour").iloc[0]
    assert (luton["area"], luton["count"]) == ("Luton", 44)


def test_the_export_lists_the_neighbours_and_never_the_flagged_england_value(leicester, capsys):
    assert cli.main(["export", "benchmarks", "--yjs", "Leicester City", "--db", leicester.location]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "measure,period,area_type,area,value,count,population,ci_low,ci_high,compared_with_england"
    for name, _, value in LEICESTER_NEIGHBOURS_2024:
        assert any(line.startswith(f"fte_rate_per_100000,2024,neighbour,{name},{float(value)},") for line in lines)
    assert any(line.startswith("fte_rate_per_100000,2024,region,East Midlands,98.0,") for line in lines)
    flagged = {
        float(r["value"])
        for r in csv.DictReader(public.LAIT_INDICATORS.open(encoding="utf-8"))
        if r["flag"].startswith("suspect scale")
    }
    values = [float(r["value"]) for r in csv.DictReader(lines) if r["value"]]
    assert len(flagged) == 9 and not flagged & set(values)
    assert "note: England's first-time entrant rate is worked out from its nine regions" in err


def test_two_services_loaded_need_one_chosen(build_database):
    db = build_database(
        "benchmarks_two",
        children=[child("a", "2009-01-01", yjs="Leicester City"), child("b", "2009-01-01", yjs="Trafford")],
        programmes=referral("a") + referral("b"),
    )
    with pytest.raises(InvalidFilter, match="choose a YJS; valid choices: Leicester City, Trafford"):
        benchmark(db)
    assert not benchmark(db, yjs="Trafford").table.empty


def test_a_welsh_service_has_no_lait_rows_and_says_why(build_database):
    db = build_database(
        "benchmarks_cardiff",
        children=[child("c1", "2008-01-01", yjs="Cardiff")],
        outcomes=[caution(1, "c1", "2021-06-01")],
        programmes=referral("c1"),
        population=population_rows(yjs="Cardiff", year=2021, per_cell=300),
        as_of="2022-06-30",
    )
    table = benchmark(db, suppressed=False, yjs="Cardiff").table
    assert not table["measure"].isin([FTE, "reoffending_percent_10_14", "reoffending_percent_15_17"]).any()
    per_1000 = "cautioned_or_sentenced_per_1000"
    # "2021-22,children_cautioned_or_sentenced,YJS,Wales,Cardiff,54,33362,1.6"
    assert one(table, per_1000, "2021-22", "published_service")["count"] == 54
    assert one(table, per_1000, "2021-22", "region")["area"] == "Wales"
    own = one(table, per_1000, "2021-22", "service")
    assert (own["count"], own["population"]) == (1, 8 * 2 * 6 * 300)
    assert rows_of(table, per_1000, "2021-22", "neighbour").empty  # the DfE's neighbours are English
    said = notes(db, Filters(yjs="Cardiff"), EVERYONE.scope)
    assert any(n.startswith("LAIT covers England only") for n in said)


def test_a_service_of_two_authorities_takes_its_larger_ones_neighbours_without_itself(build_database):
    db = build_database(
        "benchmarks_northants", children=[child("c1", "2008-01-01", yjs="Northamptonshire")], programmes=referral("c1")
    )
    table = benchmark(db, yjs="Northamptonshire").table
    ons_2023 = {
        r["area_code"]: sum(int(r[f"age_{a}"]) for a in range(10, 18))
        for r in csv.DictReader(public.ONS_POPULATION_2023.open(encoding="utf-8"))
    }
    assert ons_2023["E06000062"] > ons_2023["E06000061"]  # West is the larger
    neighbours = rows_of(table, FTE, "2024", "neighbour")["area"].tolist()
    # West Northamptonshire's group (941) less North Northamptonshire, part of the service
    assert neighbours == [
        "Bedford",
        "Warwickshire",
        "Swindon",
        "Somerset",
        "Suffolk",
        "Havering",
        "Leicestershire",
        "Oxfordshire",
        "Bexley",
    ]
    north, west = ons_2023["E06000061"], ons_2023["E06000062"]
    expected = (109 * north + 69 * west) / (north + west)  # LAIT 2024: 109 North, 69 West
    assert one(table, FTE, "2024", "published_service")["value"] == pytest.approx(expected)
    said = " ".join(notes(db, Filters(yjs="Northamptonshire"), EVERYONE.scope))
    assert "North Northamptonshire and West Northamptonshire" in said and "West Northamptonshire, its largest" in said


def test_a_service_not_in_the_published_tables_is_compared_with_england_only(build_database):
    db = build_database(
        "benchmarks_unnamed",
        children=[child("c1", "2008-01-01", yjs="Testshire")],
        outcomes=[caution(1, "c1", "2021-06-01")],
        programmes=referral("c1", "2020-12-01"),
        population=population_rows(yjs="Testshire", year=2021, per_cell=100),
        as_of="2022-06-30",
    )
    table = benchmark(db, suppressed=False, yjs="Testshire").table
    assert set(table["area_type"]) == {"service", "england", "england_and_wales"}
    assert set(
        zip(table.loc[table["area_type"] == "service", "measure"], table.loc[table["area_type"] == "service", "period"])
    ) == {
        (FTE, "2021"),
        ("cautioned_or_sentenced_per_1000", "2021-22"),
        ("cautioned_or_sentenced_per_10000", "2021-22"),
    }
    assert one(table, FTE, "2021", "service")["count"] == 1
    assert any("not named in the published tables" in n for n in notes(db, Filters(yjs="Testshire"), EVERYONE.scope))


def test_compare_as_and_region_from_the_extract_stand_for_an_unnamed_service(tmp_path):
    folder = write_extract(
        tmp_path / "extract",
        children=[child("c1", "2008-01-01", yjs="Testshire")],
        programmes=referral("c1"),
        services={"Testshire": {"region": "East Midlands", "compare_as": "Leicester City"}},
    )
    location = str(tmp_path / "db.duckdb")
    ingest(folder, location)
    db = Database.open(location)
    table = benchmark(db, yjs="Testshire").table
    assert one(table, FTE, "2024", "published_service")[["area", "value"]].tolist() == ["Leicester City", 196]
    assert rows_of(table, FTE, "2024", "neighbour")["area"].tolist() == [n for n, _, _ in LEICESTER_NEIGHBOURS_2024]
    assert one(table, FTE, "2024", "region")["value"] == 98
    assert notes(db, Filters(yjs="Testshire"), EVERYONE.scope)[0].startswith("Testshire is compared as Leicester City")
    db.close()


def test_trafford_rows_have_intervals_from_their_counts_around_the_published_rate(build_database):
    db = build_database(
        "benchmarks_trafford", children=[child("c1", "2008-01-01", yjs="Trafford")], programmes=referral("c1")
    )
    table = benchmark(db, yjs="Trafford").table
    per_10000 = "cautioned_or_sentenced_per_10000"
    row = one(table, per_10000, "2023-24", "published_service")
    # "E08000009,Trafford,UA,2023/24,...,Count,Children,38" and 14 per 10,000
    assert (row["value"], row["count"]) == (14, 38)
    assert row["ci_low"] == pytest.approx(chi2.ppf(0.025, 76) / 2 * 14 / 38)
    assert row["ci_high"] == pytest.approx(chi2.ppf(0.975, 78) / 2 * 14 / 38)
    assert row["compared_with_england"] == "lower"  # 9.8 to 19.3 against 23
    # Only neighbours in Trafford's file are listed (Cheshire East, its eighth, is not in it)
    names = rows_of(table, per_10000, "2023-24", "neighbour")["area"].tolist()
    assert len(names) == 9 and "Cheshire East" not in names
    assert "Cheshire East" in rows_of(table, per_10000, "2024-25", "neighbour")["area"].tolist()  # LAIT's year
    assert pd.isna(one(table, per_10000, "2024-25", "published_service")["count"])


def test_a_manager_benchmarks_their_own_service_only(build_database):
    from dashboard.access import Scope

    db = build_database(
        "benchmarks_access",
        children=[child("a", "2009-01-01", yjs="Leicester City"), child("b", "2009-01-01", yjs="Trafford")],
        programmes=referral("a") + referral("b"),
    )
    manager = Scope(("Leicester City",))
    with pytest.raises(InvalidFilter, match=r"unknown YJS 'Trafford'; valid choices: Leicester City$"):
        compute(db, "benchmarks", Filters(yjs="Trafford"), scope=manager)
    mine = compute(db, "benchmarks", Filters(), scope=manager).table  # their one service, unasked
    assert set(mine.loc[mine["area_type"] == "published_service", "area"]) == {"Leicester City"}
