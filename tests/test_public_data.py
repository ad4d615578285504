"""The published tables: what is shipped in data/public, how it loads, and how services map onto the map."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict

import duckdb
import pytest

from dashboard.config import PUBLIC_DATA_DIR
from dashboard.ingest import public
from dashboard.ingest.public import load_public_tables

from .published import PUBLISHED_TOTALS, REGIONS


def rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    load_public_tables(con)
    yield con
    con.close()


def children(con):
    return {(p, y): (r, c, n) for p, y, r, c, n in con.execute("SELECT * FROM published_children").fetchall()}


def test_national_totals_are_the_published_ones_in_the_table_and_the_raw_files(con):
    assert (
        dict(con.execute("SELECT period, sum(children) FROM published_children GROUP BY 1").fetchall())
        == PUBLISHED_TOTALS
    )
    raw: Counter = Counter()
    for r in rows(public.CHILDREN_2013_2020):
        raw[r["Financial_Year"]] += int(r["Number_Children"])
    for r in rows(public.LOCAL_RATES_2020_2022):
        if r["measure"] == "children_cautioned_or_sentenced" and r["level"] == "YJS":
            raw[r["financial_year"]] += int(r["number"])
    assert dict(raw) == PUBLISHED_TOTALS


def test_every_row_has_a_population_and_one_of_the_ten_regions(con):
    assert (
        con.execute(
            "SELECT count(*) FROM published_children "
            "WHERE population_10_17 IS NULL OR population_10_17 <= 0 OR region IS NULL"
        ).fetchone()[0]
        == 0
    )
    assert {r for (r,) in con.execute("SELECT DISTINCT region FROM published_children").fetchall()} == REGIONS
    assert (
        con.execute(
            "SELECT count(DISTINCT region) FROM published_children GROUP BY yjs ORDER BY 1 DESC LIMIT 1"
        ).fetchone()[0]
        == 1
    )


def test_152_services_a_year_to_2018_19_and_154_from_2019_20(con):
    per_year = dict(con.execute("SELECT period, count(DISTINCT yjs) FROM published_children GROUP BY 1").fetchall())
    assert per_year == {p: 152 if p <= "2018-19" else 154 for p in PUBLISHED_TOTALS}
    assert con.execute("SELECT count(*) FROM published_children").fetchone()[0] == sum(per_year.values())
    western_bay = {
        p for (p,) in con.execute("SELECT period FROM published_children WHERE yjs = 'Western Bay'").fetchall()
    }
    assert western_bay == {p for p in PUBLISHED_TOTALS if p <= "2018-19"}


def test_a_2021_22_row_is_the_published_line(con):
    line = "2021-22,children_cautioned_or_sentenced,YJS,East Midlands,Leicester City,109,39944,2.7"
    assert line in public.LOCAL_RATES_2020_2022.read_text(encoding="utf-8").splitlines()
    assert children(con)["2021-22", "Leicester City"] == ("East Midlands", 109, 39944)


def test_a_2013_14_row_sums_the_published_lines_and_takes_the_mid_2013_population(con):
    leicester = [
        r for r in rows(public.CHILDREN_2013_2020) if r["YOT"] == "Leicester City" and r["Financial_Year"] == "2013-14"
    ]
    assert len(leicester) > 1  # one line per age x ethnicity x sex
    assert "Leicester City,31949,32173,32374,33103,33545,34161,34932" in public.POPULATION_2013_2019.read_text()
    assert children(con)["2013-14", "Leicester City"] == (
        "East Midlands",
        sum(int(r["Number_Children"]) for r in leicester),
        31949,
    )


def test_names_the_population_file_spells_differently_and_western_bay(con):
    population = {r["YOT"]: r for r in rows(public.POPULATION_2013_2019)}
    table = children(con)
    assert table["2016-17", "Newcastle upon Tyne"][2] == int(population["Newcastle-upon-Tyne"]["2016"])
    assert table["2015-16", "Cornwall"][2] == int(population["Cornwall and Isles of Scilly"]["2015"])
    assert table["2019-20", "Gwynedd Mon"][2] == int(population["Gwynedd and Ynys Mon"]["2019"])
    for year in range(2013, 2019):
        assert table[f"{year}-{(year + 1) % 100:02d}", "Western Bay"][2] == sum(
            int(population[name][str(year)]) for name in ("Swansea", "Neath Port Talbot", "Bridgend")
        )
    assert table["2019-20", "Swansea"][2] == int(population["Swansea"]["2019"])


def test_regions_and_2018_to_2021_populations_agree_with_the_yjb_reference_list(con):
    aliases = {"Cornwall and Isles of Scilly": "Cornwall", "Gwynedd and Ynys Mon": "Gwynedd Mon"}
    reference = {
        public.name_key(aliases.get(r["yjs_name"], r["yjs_name"])): r for r in rows(public.YJS_NAMES_2018_2021)
    }
    assert len(reference) == 154
    checked = 0
    for (period, yjs), (region, _, population) in children(con).items():
        if period < "2018-19" or yjs == "Western Bay":
            continue
        ref = reference[public.name_key(yjs)]
        assert (region, population) == (ref["yot_region"], int(ref[period[:4]])), (period, yjs)
        checked += 1
    assert checked == 152 - 1 + 3 * 154


def test_yjs_areas_csv_is_the_derivation_from_names_and_exceptions():
    shipped = [tuple(r.values()) for r in rows(public.YJS_AREAS)]
    assert shipped == public.derive_yjs_areas()


def test_every_service_maps_to_codes_in_the_boundary_file_and_each_year_covers_the_map_once(con):
    boundary = public.boundary_names()
    assert len(boundary) == 173
    areas = con.execute("SELECT yjs, region, ctyua_code, ctyua_name FROM yjs_area").fetchall()
    assert all(boundary.get(code) == name for _, _, code, name in areas)
    services = set(con.execute("SELECT DISTINCT yjs, region FROM published_children").fetchall())
    assert {(yjs, region) for yjs, region, _, _ in areas} == services
    codes = defaultdict(list)
    for yjs, _, code, _ in areas:
        codes[yjs].append(code)
    for period in PUBLISHED_TOTALS:
        present = [
            y for (y,) in con.execute("SELECT yjs FROM published_children WHERE period = ?", [period]).fetchall()
        ]
        covered = [code for yjs in present for code in codes[yjs]]
        assert sorted(covered) == sorted(boundary), period  # every authority, none twice


def test_services_covering_several_authorities(con):
    def covered(yjs):
        return {n for (n,) in con.execute("SELECT ctyua_name FROM yjs_area WHERE yjs = ?", [yjs]).fetchall()}

    assert covered("West Mercia") == {"Herefordshire, County of", "Shropshire", "Telford and Wrekin", "Worcestershire"}
    assert covered("Western Bay") == {"Swansea", "Neath Port Talbot", "Bridgend"}
    assert covered("Cheshire East, Cheshire West, Halton and Warrington") == {
        "Cheshire East",
        "Cheshire West and Chester",
        "Halton",
        "Warrington",
    }
    assert covered("Tower Hamlets and City of London") == {"Tower Hamlets", "City of London"}
    assert covered("Cornwall") == {"Cornwall", "Isles of Scilly"}
    assert covered("Kingston-upon-Hull") == {"Kingston upon Hull, City of"}


def test_a_file_whose_header_is_not_the_expected_one_is_refused(tmp_path):
    moved = tmp_path / "population.csv"
    moved.write_text("YOT,2014,2013,2015,2016,2017,2018,2019\nBarnet,1,2,3,4,5,6,7\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected the columns"):
        public._checked(moved, public.POPULATION_COLUMNS)
    assert public._checked(public.POPULATION_2013_2019, public.POPULATION_COLUMNS) == str(public.POPULATION_2013_2019)


def test_loading_again_replaces_the_tables(con):
    load_public_tables(con)
    assert con.execute("SELECT count(*) FROM published_children").fetchone()[0] == 6 * 152 + 3 * 154
    assert con.execute("SELECT count(*) FROM yjs_area").fetchone()[0] == len(public.derive_yjs_areas())


def test_datafiles_lists_exactly_the_shipped_files_with_credits():
    listed = rows(PUBLIC_DATA_DIR / "DATAFILES.csv")
    assert list(listed[0]) == [
        "file",
        "status",
        "publisher",
        "source_repository",
        "commit",
        "licence",
        "credit_line",
        "description",
    ]
    names = [r["file"] for r in listed]
    assert len(names) == len(set(names))
    assert set(names) == {p.name for p in PUBLIC_DATA_DIR.iterdir()} - {"DATAFILES.csv", "README.md"}
    assert all(r["status"] in ("published", "reference") for r in listed)
    assert all(r["publisher"] and r["licence"] and r["credit_line"] and r["description"] for r in listed)
    readme = (PUBLIC_DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in readme
    assert "Contains OS data © Crown copyright and database right 2019" in readme
    assert all(f"`{name}`" in readme for name in names)


def test_the_geojson_path_is_the_shipped_boundary_file():
    path = public.geojson_path()
    assert path.parent == PUBLIC_DATA_DIR and path.exists()
    assert len(json.loads(path.read_text(encoding="utf-8"))["features"]) == 173


# -- The comparators (issue 18): LAIT, Trafford Data Lab, DfE neighbours, ONS populations ------------
#: measure code in LAIT -> the dashboard's measure
LAIT_MEASURE = {
    "FirstYJS": "fte_rate_per_100000",
    "ReoffYO": "reoffending_percent_10_14",
    "ReoffYO15-17": "reoffending_percent_15_17",
    "YJS_Caution-Sentence10-17_YO": "cautioned_or_sentenced_per_10000",
}


def ages_10_17(row):
    return sum(int(row[f"age_{age}"]) for age in range(10, 18))


def ons(mid_year, code):
    """The 10-17 population of one area as the shipped ONS files give it, summed here by hand."""
    if mid_year == 2023:
        districts = {r["lad_code"]: r for r in rows(public.DISTRICTS)}
        return sum(
            ages_10_17(r)
            for r in rows(public.ONS_POPULATION_2023)
            if code
            in (r["area_code"], districts[r["area_code"]]["utla_code"], districts[r["area_code"]]["region_code"])
        )
    return sum(
        ages_10_17(r)
        for r in rows(public.ONS_POPULATION_2019_2020)
        if r["mid_year"] == str(mid_year) and r["area_code"] == code
    )


def published(con, measure, period, area_type, name, source=None):
    found = con.execute(
        """SELECT value, count, population, population_year, note, period_basis, unit, region
                           FROM published_indicator WHERE measure = ? AND period = ? AND area_type = ?
                           AND area_name = ? AND (? IS NULL OR source = ?)""",
        [measure, period, area_type, name, source, source],
    ).fetchall()
    assert len(found) <= 1, found
    return (
        dict(
            zip(("value", "count", "population", "population_year", "note", "period_basis", "unit", "region"), found[0])
        )
        if found
        else None
    )


def test_the_shipped_comparator_files_are_the_staged_ones():
    assert len(rows(public.LAIT_INDICATORS)) == 6460
    assert len(rows(public.DFE_AUTHORITIES)) == 176
    assert len(rows(public.STATISTICAL_NEIGHBOURS)) == 1580
    assert len(rows(public.DISTRICTS)) == 318
    assert len(rows(public.TRAFFORD_CHILDREN)) == 242
    lait = public.LAIT_INDICATORS.read_text(encoding="utf-8").splitlines()
    assert (
        'FirstYJS,"First time entrants to the youth justice system, rate per 100,000 of 10-17 population",'
        "rate_per_100000,2024,local_authority,E06000016,856,Leicester,East Midlands,196,196,"
    ) in lait
    assert (
        'YJS_Caution-Sentence10-17_YO,"Children cautioned or sentenced, rate per 10,000 of 10-17 population",'
        "rate_per_10000,2024-25,local_authority,E06000016,856,Leicester,East Midlands,29.7,29.7,"
    ) in lait
    authorities = public.DFE_AUTHORITIES.read_text(encoding="utf-8").splitlines()
    assert "E10000021,Northamptonshire,01/01/2009,31/03/2021,E12000004,E10,Counties,terminated,928" in authorities
    neighbours = public.STATISTICAL_NEIGHBOURS.read_text(encoding="utf-8").splitlines()
    assert "856,E06000016,Leicester,East Midlands,1,821,E06000032,Luton,Close" in neighbours
    districts = public.DISTRICTS.read_text(encoding="utf-8").splitlines()
    assert "W06000015,Cardiff,W06,W06000015,Cardiff,W06,,W92000004,Wales,Wales" in districts
    trafford = public.TRAFFORD_CHILDREN.read_text(encoding="utf-8").splitlines()
    assert "E08000009,Trafford,UA,2024/25,Children cautioned or sentenced,Count,Children,38,NA,NA" in trafford
    assert (
        'E92000001,England,Country,2024/25,Children cautioned or sentenced,"Per 10,000 aged 10-17",Children,22,NA,NA'
    ) in trafford


def test_the_ons_population_files_are_the_sources_lines_and_the_yjbs_own_populations():
    # francisbarton/myrmidon ONS2020_PopnByAgeYearEstimate.csv, Leicester, ages 10 to 17:
    # "4,533","4,816","4,671","4,494","4,498","4,208","4,160","4,037"
    lines = public.ONS_POPULATION_2019_2020.read_text(encoding="utf-8").splitlines()
    assert "2020,E06000016,Leicester,Unitary Authority,4533,4816,4671,4494,4498,4208,4160,4037" in lines
    assert len(lines) == 1 + 2 * 376
    # PolicyEngine age.csv (mid-2023; its England total of all ages is ONS's 57,690,323), Leicester:
    # 5177.0,5306.0,5250.0,5065.0,5319.0,5184.0,5004.0,5138.0
    lines = public.ONS_POPULATION_2023.read_text(encoding="utf-8").splitlines()
    assert "2023,E06000016,Leicester,5177,5306,5250,5065,5319,5184,5004,5138" in lines
    assert len(lines) == 1 + 296 + 22
    # Every service of one authority: the ONS sum is the YJB's own population (mid-2019 and mid-2020).
    by_code = {(r["mid_year"], r["area_code"]): ages_10_17(r) for r in rows(public.ONS_POPULATION_2019_2020)}
    reference = {public.name_key(r["yjs_name"]): r for r in rows(public.YJS_NAMES_2018_2021)}
    single = defaultdict(list)
    for r in rows(public.YJS_AREAS):
        single[r["yjs"]].append(r["ctyua_code"])
    checked = 0
    for yjs, codes in single.items():
        ref = reference.get(public.name_key(yjs))
        if len(codes) == 1 and ref and ("2019", codes[0]) in by_code and ("2020", codes[0]) in by_code:
            assert (by_code["2019", codes[0]], by_code["2020", codes[0]]) == (int(ref["2019"]), int(ref["2020"])), yjs
            checked += 1
    assert checked > 120


def test_area_population_builds_new_authorities_from_their_parts_and_former_counties_from_theirs(con):
    population = {(y, c): p for y, c, p in con.execute("SELECT * FROM area_population").fetchall()}
    assert {y for y, _ in population} == {2019, 2020, 2023}
    # mid-2019 (before the split): North Northamptonshire = Corby, East Northamptonshire, Kettering, Wellingborough
    districts = {
        r["area_code"]: ages_10_17(r) for r in rows(public.ONS_POPULATION_2019_2020) if r["mid_year"] == "2019"
    }
    north = sum(districts[c] for c in ("E07000150", "E07000152", "E07000153", "E07000156"))
    west = sum(districts[c] for c in ("E07000151", "E07000154", "E07000155"))
    assert population[2019, "E06000061"] == north and population[2019, "E06000062"] == west
    assert north + west == districts["E10000021"] == population[2019, "E10000021"]
    # mid-2023: Cumbria is gone, the county is the sum of Cumberland and Westmorland and Furness
    assert population[2023, "E10000006"] == ons(2023, "E06000063") + ons(2023, "E06000064")
    assert population[2023, "E06000016"] == 5177 + 5306 + 5250 + 5065 + 5319 + 5184 + 5004 + 5138
    assert population[2020, "E06000065"] == ons(2020, "E10000023")  # the county's area, a new code
    for year in (2019, 2020, 2023):
        regions = sum(population[year, code] for code in public.YJB_REGIONS.values() if code.startswith("E12"))
        assert regions == population[year, "E92000001"]
        assert regions + population[year, "W92000004"] == population[year, "K04000001"]


def test_lait_missing_is_no_row_never_0_and_the_mis_scaled_england_is_never_loaded(con):
    lait = rows(public.LAIT_INDICATORS)
    missing = {
        (LAIT_MEASURE[r["measure_code"]], r["year"], r["area_code"])
        for r in lait
        if r["value_raw"] == "-" and r["measure_code"] in LAIT_MEASURE
    }
    assert len(missing) == 653
    loaded = set(
        con.execute(
            "SELECT measure, period, area_code FROM published_indicator WHERE source = 'lait' AND area_code IS NOT NULL"
        ).fetchall()
    )
    # Dorset's figures from 2019 are filed under the former county's number (the unitary's is '-')
    assert missing & loaded == {("fte_rate_per_100000", str(y), "E06000059") for y in range(2019, 2025)}
    zeros = {
        (LAIT_MEASURE[r["measure_code"]], r["year"], r["area_code"])
        for r in lait
        if r["value_raw"] == "0" and r["measure_code"] in LAIT_MEASURE
    }
    assert set(
        con.execute(
            "SELECT measure, period, area_code FROM published_indicator "
            "WHERE source = 'lait' AND value = 0 AND area_code IS NOT NULL"
        ).fetchall()
    ) == zeros - {("cautioned_or_sentenced_per_10000", "2024-25", "E10000006")}  # Cumbria, abolished in 2023
    flagged = [r for r in lait if r["flag"].startswith("suspect scale")]
    assert [r["value"] for r in flagged] == ["3071", "2746", "2261", "1976", "1521", "1333", "1371", "1320", "1258"]
    assert (
        con.execute(
            "SELECT count(*) FROM published_indicator WHERE source = 'lait' AND area_code = 'E92000001'"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute(
            "SELECT count(*) FROM published_indicator WHERE value > 1000 AND measure = 'fte_rate_per_100000'"
        ).fetchone()[0]
        == 0
    )


def test_england_first_time_entrants_are_the_regions_weighted_by_population(con):
    regions = {
        r["area_code"]: float(r["value"])
        for r in rows(public.LAIT_INDICATORS)
        if r["measure_code"] == "FirstYJS" and r["year"] == "2024" and r["area_code"].startswith("E12")
    }
    assert regions["E12000004"] == 98  # East Midlands
    weights = {code: ons(2023, code) for code in regions}
    expected = sum(regions[c] * weights[c] for c in regions) / sum(weights.values())
    england = published(con, "fte_rate_per_100000", "2024", "england", "England")
    assert england["value"] == pytest.approx(expected, rel=1e-12)
    assert 130 < england["value"] < 150  # not LAIT's 1258
    assert (england["population"], england["population_year"]) == (sum(weights.values()), 2023)
    assert "weighted" in england["note"] and "mis-scaled" in england["note"]
    # 2018 uses the nearest estimate held, mid-2019
    assert published(con, "fte_rate_per_100000", "2018", "england", "England")["population_year"] == 2019


def test_the_basis_and_the_unit_travel_with_every_row(con):
    kinds = con.execute(
        "SELECT measure, period_basis, unit, min(length(period)), max(length(period)) "
        "FROM published_indicator GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert kinds == [
        ("cautioned_or_sentenced_per_1000", "financial_year", "per 1,000 aged 10-17", 7, 7),
        ("cautioned_or_sentenced_per_10000", "financial_year", "per 10,000 aged 10-17", 7, 7),
        ("fte_rate_per_100000", "calendar_year", "per 100,000 aged 10-17", 4, 4),
        ("reoffending_percent_10_14", "cohort_year", "percent of children aged 10-14 who reoffend", 4, 4),
        ("reoffending_percent_15_17", "cohort_year", "percent of children aged 15-17 who reoffend", 4, 4),
    ]


def test_reorganised_and_abolished_authorities_as_lait_files_them(con):
    def value(measure, period, code):
        found = con.execute(
            "SELECT value FROM published_indicator WHERE source = 'lait' AND measure = ? "
            "AND period = ? AND area_code = ?",
            [measure, period, code],
        ).fetchall()
        return found[0][0] if found else None

    fte = "fte_rate_per_100000"
    assert value(fte, "2019", "E06000059") == 239  # filed as 'Dorset (Pre LG)' in LAIT
    assert value(fte, "2019", "E10000009") is None
    assert value(fte, "2021", "E10000021") is None  # Northamptonshire's odd 43, after the split
    assert (value(fte, "2021", "E06000061"), value(fte, "2021", "E06000062")) == (123, 130)
    assert value(fte, "2020", "E10000021") == 208
    assert value(fte, "2023", "E10000006") is None  # Cumbria's odd 42
    assert value("reoffending_percent_10_14", "2024", "E10000006") == 47.92  # still published on the county
    assert value("cautioned_or_sentenced_per_10000", "2024-25", "E10000006") is None
    assert value(fte, "2024", "E06000065") == 140  # North Yorkshire, current code for all years
    assert con.execute("SELECT count(*) FROM published_indicator WHERE area_code LIKE 'E13%'").fetchone()[0] == 0


def test_a_service_of_several_authorities_is_their_population_weighted_mean(con):
    fte = "fte_rate_per_100000"
    bcp, dorset = ons(2023, "E06000058"), ons(2023, "E06000059")
    row = published(con, fte, "2024", "service", "Dorset Combined YOS")
    assert row["value"] == pytest.approx((135 * bcp + 122 * dorset) / (bcp + dorset), rel=1e-12)
    assert row["population"] == bcp + dorset and row["population_year"] == 2023
    assert row["note"] == (
        "Population-weighted mean of Bournemouth, Christchurch and Poole, Dorset (ONS population aged 10-17, mid-2023)."
    )
    north, west = ons(2020, "E06000061"), ons(2020, "E06000062")
    assert published(con, fte, "2021", "service", "Northamptonshire")["value"] == pytest.approx(
        (123 * north + 130 * west) / (north + west), rel=1e-12
    )
    # Before the split LAIT files the county: that figure is the service's, and says so
    row = published(con, fte, "2020", "service", "Northamptonshire")
    assert row["value"] == 208 and "still files under Northamptonshire" in row["note"]
    # Rutland is never published; Leicestershire holds over 90% of the service's children
    row = published(con, fte, "2024", "service", "Leicestershire")
    assert row["value"] == 75 and row["note"] == "Leicestershire's figure; none is published for Rutland."
    assert ons(2023, "E10000018") / (ons(2023, "E10000018") + ons(2023, "E06000017")) > public.COVERAGE
    assert published(con, fte, "2024", "service", "Leicester City")["value"] == 196
    # Dorset's reoffending is filed under the authorities before 2019, which cannot be weighted: no figure
    assert published(con, "reoffending_percent_15_17", "2024", "service", "Dorset Combined YOS") is None


def test_welsh_services_have_no_lait_figures_but_keep_the_yjbs(con):
    welsh = {y for (y,) in con.execute("SELECT DISTINCT yjs FROM service_authority WHERE region = 'Wales'").fetchall()}
    assert "Cardiff" in welsh and len(welsh) >= 16
    lait = con.execute("SELECT count(*) FROM published_indicator WHERE source = 'lait' AND region = 'Wales'").fetchone()
    assert lait[0] == 0
    assert published(con, "cautioned_or_sentenced_per_1000", "2021-22", "service", "Cardiff") is not None


def test_children_cautioned_or_sentenced_per_1000_are_the_yjb_counts_over_their_populations(con):
    row = published(con, "cautioned_or_sentenced_per_1000", "2021-22", "service", "Leicester City")
    assert (row["count"], row["population"], row["region"]) == (109, 39944, "East Midlands")
    assert row["value"] == pytest.approx(109 / 39944 * 1000)
    national = published(con, "cautioned_or_sentenced_per_1000", "2021-22", "england_and_wales", "England and Wales")
    assert national["count"] == PUBLISHED_TOTALS["2021-22"]


def test_trafford_rows_carry_counts_and_a_population_of_the_year_or_the_nearest_held(con):
    per_10000 = "cautioned_or_sentenced_per_10000"
    row = published(con, per_10000, "2024-25", "authority", "Trafford", source="trafford")
    expected_population = 3439 + 3628 + 3715 + 3348 + 3382 + 3316 + 3148 + 3040  # mid-2023, the latest held
    assert (row["value"], row["count"]) == (14, 38)
    assert (row["population"], row["population_year"]) == (expected_population, 2023)
    assert published(con, per_10000, "2024-25", "authority", "Trafford", source="lait")["value"] == 15
    row = published(con, per_10000, "2021-22", "authority", "Trafford", source="trafford")
    assert (row["count"], row["population"], row["population_year"]) == (36, 25484, 2021)  # the YJB's mid-2021
    england = published(con, per_10000, "2024-25", "england", "England", source="trafford")
    assert (england["value"], england["count"]) == (22, 12661)
    england = published(con, per_10000, "2019-20", "england", "England", source="trafford")
    assert (
        england["population"]
        == con.execute(
            "SELECT sum(population_10_17) FROM published_children WHERE period = '2019-20' AND region <> 'Wales'"
        ).fetchone()[0]
    )


def test_statistical_neighbours_by_dfe_number_without_joint_codes(con):
    leicester = con.execute(
        "SELECT rank, neighbour_code, neighbour_name, closeness FROM statistical_neighbour "
        "WHERE area_code = 'E06000016' ORDER BY rank"
    ).fetchall()
    assert [n for _, _, n, _ in leicester] == [
        "Luton",
        "Slough",
        "Brent",
        "Newham",
        "Sandwell",
        "Bradford",
        "Ealing",
        "Hounslow",
        "Birmingham",
        "Blackburn with Darwen",
    ]
    assert leicester[0] == (1, "E06000032", "Luton", "Close")
    assert con.execute("SELECT count(*), count(DISTINCT area_code) FROM statistical_neighbour").fetchone() == (
        1530,
        153,
    )
    assert (
        con.execute(
            "SELECT count(*) FROM statistical_neighbour WHERE contains(area_code || neighbour_code, '/') "
            "OR neighbour_name IS NULL"
        ).fetchone()[0]
        == 0
    )
    # 940 is North Northamptonshire alone: West Northamptonshire (941) is its second neighbour
    assert (
        con.execute(
            "SELECT neighbour_code FROM statistical_neighbour WHERE area_code = 'E06000061' AND rank = 2"
        ).fetchone()[0]
        == "E06000062"
    )
    assert (
        con.execute(
            "SELECT neighbour_name FROM statistical_neighbour WHERE area_code = 'E06000062' AND rank = 2"
        ).fetchone()[0]
        == "North Northamptonshire"
    )
    # 825 is Buckinghamshire's number as county and as unitary: the live unitary
    assert (
        con.execute("SELECT count(*) FROM statistical_neighbour WHERE neighbour_code = 'E10000002'").fetchone()[0] == 0
    )
    assert (
        con.execute(
            "SELECT count(*) FROM statistical_neighbour WHERE area_code IN "
            "('E10000009', 'E06000028', 'E06000029', 'E10000021', 'E10000006')"
        ).fetchone()[0]
        == 0
    )


def test_every_service_maps_to_current_authorities_in_its_region(con):
    districts = rows(public.DISTRICTS)
    region_of = {r["utla_code"]: r["region_code"] for r in districts}
    current = con.execute("SELECT yjs, region, area_code FROM service_authority WHERE geography = 'current'").fetchall()
    assert {y for y, _, _ in current} == {r["yjs"] for r in rows(public.YJS_AREAS)}
    assert all(region_of[code] == public.YJB_REGIONS[region] for _, region, code in current)
    covered = {code for _, _, code in current}
    assert covered == set(region_of)  # every current upper-tier authority of England and Wales
    assert sorted(c for y, _, c in current if y == "Northamptonshire") == ["E06000061", "E06000062"]
    assert sorted(c for y, _, c in current if y == "Cumbria") == ["E06000063", "E06000064"]
    assert [c for y, _, c in current if y == "Buckinghamshire"] == ["E06000060"]
    assert con.execute(
        "SELECT yjs, area_code FROM service_authority WHERE geography = 'april_2019' ORDER BY 1"
    ).fetchall() == [
        ("Buckinghamshire", "E10000002"),
        ("Cumbria", "E10000006"),
        ("North Yorkshire", "E10000023"),
        ("Northamptonshire", "E10000021"),
        ("Somerset", "E10000027"),
    ]


def test_published_sources_say_how_current_each_is_and_which_can_draw_a_funnel(con):
    sources = {
        (m, s): (latest, counts)
        for m, s, latest, counts in con.execute(
            "SELECT measure, source, latest_period, has_counts FROM published_source"
        ).fetchall()
    }
    assert sources == {
        ("cautioned_or_sentenced_per_1000", "yjb"): ("2021-22", True),
        ("cautioned_or_sentenced_per_10000", "lait"): ("2024-25", False),
        ("cautioned_or_sentenced_per_10000", "trafford"): ("2024-25", True),
        ("fte_rate_per_100000", "lait"): ("2024", False),
        ("fte_rate_per_100000", "lait_regions"): ("2024", False),
        ("reoffending_percent_10_14", "lait"): ("2024", False),
        ("reoffending_percent_15_17", "lait"): ("2024", False),
    }


def test_every_header_is_checked_on_load(tmp_path):
    for path, columns in [
        (public.LAIT_INDICATORS, public.LAIT_COLUMNS),
        (public.TRAFFORD_CHILDREN, public.TRAFFORD_COLUMNS),
        (public.ONS_POPULATION_2023, public.ONS_2023_COLUMNS),
        (public.ONS_POPULATION_2019_2020, public.ONS_2019_2020_COLUMNS),
        (public.STATISTICAL_NEIGHBOURS, public.NEIGHBOUR_COLUMNS),
        (public.DFE_AUTHORITIES, public.AUTHORITY_COLUMNS),
        (public.DISTRICTS, public.DISTRICT_COLUMNS),
    ]:
        assert public._checked(path, columns) == str(path)
        header = path.read_text(encoding="utf-8").splitlines()[0]
        moved = tmp_path / path.name
        names = header.split(",")
        moved.write_text(",".join(names[1:] + names[:1]) + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match="expected the columns"):
            public._checked(moved, columns)


def test_the_published_tables_are_the_same_on_both_backends(build_database, backend):
    db = build_database(
        "published",
        children=[
            dict(child_id="c1", date_of_birth="2008-01-01", sex="male", ethnicity_group="White", yjs="Testshire")
        ],
    )
    local = duckdb.connect()
    load_public_tables(local)
    for table in public.PUBLIC_TABLES:
        expected = local.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert db.scalar(f"SELECT count(*) FROM {table}") == expected, (backend, table)
    total = local.execute("SELECT sum(value), sum(population) FROM published_indicator").fetchone()
    found = db.query("SELECT sum(value) AS v, sum(population) AS p FROM published_indicator").iloc[0]
    assert (float(found["v"]), int(found["p"])) == (pytest.approx(total[0], rel=1e-12), total[1])


def test_every_lait_authority_figure_is_loaded_but_the_three_after_an_abolition(con):
    published = [
        r
        for r in rows(public.LAIT_INDICATORS)
        if r["measure_code"] in LAIT_MEASURE and r["level"] == "local_authority" and r["value"]
    ]
    dropped = {
        ("FirstYJS", "2021", "E10000021"),
        ("FirstYJS", "2023", "E10000006"),
        ("YJS_Caution-Sentence10-17_YO", "2024-25", "E10000006"),
    }
    expected = Counter(
        LAIT_MEASURE[r["measure_code"]]
        for r in published
        if (r["measure_code"], r["year"], r["area_code"]) not in dropped
    )
    loaded = dict(
        con.execute(
            "SELECT measure, count(*) FROM published_indicator "
            "WHERE source = 'lait' AND area_type = 'authority' GROUP BY 1"
        ).fetchall()
    )
    assert loaded == dict(expected)
    assert sum(expected.values()) == len(published) - 3
