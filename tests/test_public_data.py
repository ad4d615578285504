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

#: Children cautioned or sentenced in England and Wales, as the YJB published them (SOURCES.md).
PUBLISHED_TOTALS = {"2013-14": 41569, "2014-15": 37946, "2015-16": 32848, "2016-17": 28352, "2017-18": 26681,
                    "2018-19": 21665, "2019-20": 19026, "2020-21": 15751, "2021-22": 13770}
REGIONS = {"East Midlands", "Eastern", "London", "North East", "North West", "South East", "South West", "Wales",
           "West Midlands", "Yorkshire"}


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
    assert dict(con.execute("SELECT period, sum(children) FROM published_children GROUP BY 1").fetchall()) \
        == PUBLISHED_TOTALS
    raw: Counter = Counter()
    for r in rows(public.CHILDREN_2013_2020):
        raw[r["Financial_Year"]] += int(r["Number_Children"])
    for r in rows(public.LOCAL_RATES_2020_2022):
        if r["measure"] == "children_cautioned_or_sentenced" and r["level"] == "YJS":
            raw[r["financial_year"]] += int(r["number"])
    assert dict(raw) == PUBLISHED_TOTALS


def test_every_row_has_a_population_and_one_of_the_ten_regions(con):
    assert con.execute("SELECT count(*) FROM published_children "
                       "WHERE population_10_17 IS NULL OR population_10_17 <= 0 OR region IS NULL").fetchone()[0] == 0
    assert {r for (r,) in con.execute("SELECT DISTINCT region FROM published_children").fetchall()} == REGIONS
    assert con.execute("SELECT count(DISTINCT region) FROM published_children GROUP BY yjs "
                       "ORDER BY 1 DESC LIMIT 1").fetchone()[0] == 1


def test_152_services_a_year_to_2018_19_and_154_from_2019_20(con):
    per_year = dict(con.execute("SELECT period, count(DISTINCT yjs) FROM published_children GROUP BY 1").fetchall())
    assert per_year == {p: 152 if p <= "2018-19" else 154 for p in PUBLISHED_TOTALS}
    assert con.execute("SELECT count(*) FROM published_children").fetchone()[0] == sum(per_year.values())
    western_bay = {p for (p,) in con.execute("SELECT period FROM published_children WHERE yjs = 'Western Bay'")
                   .fetchall()}
    assert western_bay == {p for p in PUBLISHED_TOTALS if p <= "2018-19"}


def test_a_2021_22_row_is_the_published_line(con):
    line = "2021-22,children_cautioned_or_sentenced,YJS,East Midlands,Leicester City,109,39944,2.7"
    assert line in public.LOCAL_RATES_2020_2022.read_text(encoding="utf-8").splitlines()
    assert children(con)["2021-22", "Leicester City"] == ("East Midlands", 109, 39944)


def test_a_2013_14_row_sums_the_published_lines_and_takes_the_mid_2013_population(con):
    leicester = [r for r in rows(public.CHILDREN_2013_2020)
                 if r["YOT"] == "Leicester City" and r["Financial_Year"] == "2013-14"]
    assert len(leicester) > 1  # one line per age x ethnicity x sex
    assert "Leicester City,31949,32173,32374,33103,33545,34161,34932" in public.POPULATION_2013_2019.read_text()
    assert children(con)["2013-14", "Leicester City"] == (
        "East Midlands", sum(int(r["Number_Children"]) for r in leicester), 31949)


def test_names_the_population_file_spells_differently_and_western_bay(con):
    population = {r["YOT"]: r for r in rows(public.POPULATION_2013_2019)}
    table = children(con)
    assert table["2016-17", "Newcastle upon Tyne"][2] == int(population["Newcastle-upon-Tyne"]["2016"])
    assert table["2015-16", "Cornwall"][2] == int(population["Cornwall and Isles of Scilly"]["2015"])
    assert table["2019-20", "Gwynedd Mon"][2] == int(population["Gwynedd and Ynys Mon"]["2019"])
    for year in range(2013, 2019):
        assert table[f"{year}-{(year + 1) % 100:02d}", "Western Bay"][2] == sum(
            int(population[name][str(year)]) for name in ("Swansea", "Neath Port Talbot", "Bridgend"))
    assert table["2019-20", "Swansea"][2] == int(population["Swansea"]["2019"])


def test_regions_and_2018_to_2021_populations_agree_with_the_yjb_reference_list(con):
    aliases = {"Cornwall and Isles of Scilly": "Cornwall", "Gwynedd and Ynys Mon": "Gwynedd Mon"}
    reference = {public.name_key(aliases.get(r["yjs_name"], r["yjs_name"])): r
                 for r in rows(public.YJS_NAMES_2018_2021)}
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
        present = [y for (y,) in con.execute("SELECT yjs FROM published_children WHERE period = ?", [period])
                   .fetchall()]
        covered = [code for yjs in present for code in codes[yjs]]
        assert sorted(covered) == sorted(boundary), period  # every authority, none twice


def test_services_covering_several_authorities(con):
    def covered(yjs):
        return {n for (n,) in con.execute("SELECT ctyua_name FROM yjs_area WHERE yjs = ?", [yjs]).fetchall()}
    assert covered("West Mercia") == {"Herefordshire, County of", "Shropshire", "Telford and Wrekin", "Worcestershire"}
    assert covered("Western Bay") == {"Swansea", "Neath Port Talbot", "Bridgend"}
    assert covered("Cheshire East, Cheshire West, Halton and Warrington") == {
        "Cheshire East", "Cheshire West and Chester", "Halton", "Warrington"}
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
    assert list(listed[0]) == ["file", "status", "publisher", "source_repository", "commit", "licence",
                               "credit_line", "description"]
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
