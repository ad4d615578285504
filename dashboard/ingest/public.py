"""The YJB's published tables, loaded into every new database so `areas` works anywhere.

Children cautioned or sentenced by YJS and financial year, 2013-14 to 2021-22, with the 10-17
population of the mid-year that starts each year. Sources and credits: data/public/DATAFILES.csv.
"""

from __future__ import annotations

import json
import re

import duckdb

from ..config import PUBLIC_DATA_DIR

CHILDREN_2013_2020 = PUBLIC_DATA_DIR / "yjb_children_cautioned_sentenced_by_yot_2013-14_to_2019-20.csv"
LOCAL_RATES_2020_2022 = PUBLIC_DATA_DIR / "yjb_local_level_rates_2020-21_2021-22.csv"
POPULATION_2013_2019 = PUBLIC_DATA_DIR / "yjb_yot_population_10_17_2013-2019.csv"

BOUNDARIES = PUBLIC_DATA_DIR / "ctyua_apr2019_ew_buc.geojson"

#: Tables this module creates (copied as they are to a PostgreSQL database).
PUBLIC_TABLES = ("published_children", "yjs_area")

#: Services whose name is not the name of the one county or unitary authority they cover
#: (April 2019 codes). Every other service is matched to the authority of the same name.
SERVICE_AREAS = {
    "Bedfordshire": ("E06000055", "E06000056"),
    "Blaenau Gwent and Caerphilly": ("W06000019", "W06000018"),
    "Bristol": ("E06000023",),
    "Bury and Rochdale": ("E08000002", "E08000005"),
    "Cheshire East, Cheshire West, Halton and Warrington": ("E06000049", "E06000050", "E06000006", "E06000007"),
    "Conwy and Denbighshire": ("W06000003", "W06000004"),
    "Cornwall": ("E06000052", "E06000053"),
    "Cwm Taf": ("W06000016", "W06000024"),
    "Dorset Combined YOS": ("E06000058", "E06000059"),
    "Durham": ("E06000047",),
    "Gwynedd Mon": ("W06000002", "W06000001"),
    "Kingston and Richmond": ("E09000021", "E09000027"),
    "Kingston-upon-Hull": ("E06000010",),
    "Leicester City": ("E06000016",),
    "Leicestershire": ("E10000018", "E06000017"),
    "Monmouthshire and Torfaen": ("W06000021", "W06000020"),
    "South Tees": ("E06000002", "E06000003"),
    "Tower Hamlets and City of London": ("E09000030", "E09000001"),
    "West Mercia": ("E06000019", "E06000051", "E06000020", "E10000034"),
    "Western Bay": ("W06000011", "W06000012", "W06000013"),
}

#: Names the population file spells differently from the children and rates files.
POPULATION_NAMES = {
    "Cornwall and Isles of Scilly": "Cornwall",
    "Gwynedd and Ynys Mon": "Gwynedd Mon",
    "Newcastle-upon-Tyne": "Newcastle upon Tyne",
}
#: Western Bay (to 2018-19) covered these three services, which the population file lists apart.
WESTERN_BAY = ("Swansea", "Neath Port Talbot", "Bridgend")


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def service_areas(services: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """(yjs, region, ctyua_code, ctyua_name) for each service and each authority it covers."""
    features = json.loads(BOUNDARIES.read_text())["features"]
    names = {f["properties"]["CTYUA19CD"]: f["properties"]["CTYUA19NM"] for f in features}
    by_name = {_name_key(name): code for code, name in names.items()}
    rows = []
    for yjs, region in services:
        codes = SERVICE_AREAS.get(yjs) or ((by_name[_name_key(yjs)],) if _name_key(yjs) in by_name else ())
        rows += [(yjs, region, code, names[code]) for code in codes]
    return rows


def load_public_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``published_children(period, yjs, region, children, population_10_17)`` and
    ``yjs_area(yjs, region, ctyua_code, ctyua_name)``, the authorities each service covers."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS population_name (published VARCHAR, yjs VARCHAR)")
    con.execute("DELETE FROM population_name")
    con.executemany("INSERT INTO population_name VALUES (?, ?)",
                    [*POPULATION_NAMES.items(), *((name, "Western Bay") for name in WESTERN_BAY)])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE published_population AS
        WITH wide AS (
            SELECT * FROM read_csv($path, header = true, all_varchar = true)
        ), long AS (
            UNPIVOT wide ON COLUMNS(* EXCLUDE (YOT)) INTO NAME year VALUE population
        ), named AS (
            SELECT coalesce(n.yjs, l.YOT) AS yjs, CAST(l.year AS INTEGER) AS year,
                   CAST(l.population AS BIGINT) AS population
            FROM long l LEFT JOIN population_name n ON n.published = l.YOT
        )
        SELECT yjs, year, sum(population) AS population FROM named GROUP BY ALL""",
                {"path": str(POPULATION_2013_2019)})
    # Swansea, Neath Port Talbot and Bridgend also count on their own from 2019-20.
    con.execute("""
        INSERT INTO published_population
        SELECT p.YOT, CAST(p.year AS INTEGER), CAST(p.population AS BIGINT)
        FROM (UNPIVOT (SELECT * FROM read_csv($path, header = true, all_varchar = true))
              ON COLUMNS(* EXCLUDE (YOT)) INTO NAME year VALUE population) p
        WHERE p.YOT IN (SELECT published FROM population_name WHERE yjs = 'Western Bay')""",
                {"path": str(POPULATION_2013_2019)})
    con.execute("""
        CREATE OR REPLACE TABLE published_children AS
        WITH early AS (
            SELECT Financial_Year AS period, YOT AS yjs, Region AS region, sum(Number_Children) AS children
            FROM read_csv($children, header = true,
                          columns = {'Financial_Year': 'VARCHAR', 'YOT': 'VARCHAR', 'Region': 'VARCHAR',
                                     'PCC': 'VARCHAR', 'England_Wales': 'VARCHAR', 'Age_Group': 'VARCHAR',
                                     'Ethnicity_Group': 'VARCHAR', 'Sex': 'VARCHAR', 'Number_Children': 'BIGINT'})
            GROUP BY ALL
        ), late AS (
            SELECT financial_year AS period, yjs, region, number AS children, population_10_17
            FROM read_csv($rates, header = true,
                          columns = {'financial_year': 'VARCHAR', 'measure': 'VARCHAR', 'level': 'VARCHAR',
                                     'region': 'VARCHAR', 'yjs': 'VARCHAR', 'number': 'BIGINT',
                                     'population_10_17': 'BIGINT', 'rate_per_1000': 'DOUBLE'})
            WHERE measure = 'children_cautioned_or_sentenced' AND level = 'YJS'
        )
        SELECT e.period, e.yjs, e.region, e.children, p.population AS population_10_17
        FROM early e
        LEFT JOIN published_population p ON p.yjs = e.yjs AND p.year = CAST(substr(e.period, 1, 4) AS INTEGER)
        UNION ALL
        SELECT period, yjs, region, children, population_10_17 FROM late
        ORDER BY period, yjs""",
                {"children": str(CHILDREN_2013_2020), "rates": str(LOCAL_RATES_2020_2022)})
    services = con.execute("SELECT DISTINCT yjs, region FROM published_children ORDER BY yjs").fetchall()
    con.execute("CREATE OR REPLACE TABLE yjs_area (yjs VARCHAR, region VARCHAR, ctyua_code VARCHAR, ctyua_name VARCHAR)")
    con.executemany("INSERT INTO yjs_area VALUES (?, ?, ?, ?)", service_areas(services))
