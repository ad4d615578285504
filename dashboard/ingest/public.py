"""The published tables, loaded into every new database so `areas` and `benchmarks` work anywhere.

``published_children``: children cautioned or sentenced by YJS and financial year, 2013-14 to 2021-22,
with the 10-17 population of the mid-year that starts each year. ``yjs_area``: the April 2019 county
and unitary authorities each YJS covers (data/public/yjs_areas.csv), for the map. The comparators
(issue 18): ``published_indicator`` (every published figure, its unit and period basis on every row),
``published_source`` (how current each source is), ``statistical_neighbour`` (DfE, 2025),
``service_authority`` (each YJS's current upper-tier authorities) and ``area_population`` (ONS 10-17
estimates, the weights of figures made from several areas).
Sources, licences and credits: data/public/DATAFILES.csv and data/public/README.md; the rules for each
trap in the published files: docs/decisions.md.

Every file is read from ``config.PUBLIC_DATA_DIR`` (inside the repository), with ``header = true``
and explicit column types: the population files have numeric column names (2013, 2014, ...), which
DuckDB's sniffer would otherwise take for a data row. File paths, column types and the lookups below
are bound as query parameters (DuckDB accepts a parameter for read_csv's path and its ``columns``
struct); only this module's own constants reach the SQL text.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb

from ..config import PUBLIC_DATA_DIR

CHILDREN_2013_2020 = PUBLIC_DATA_DIR / "yjb_children_cautioned_sentenced_by_yot_2013-14_to_2019-20.csv"
LOCAL_RATES_2020_2022 = PUBLIC_DATA_DIR / "yjb_local_level_rates_2020-21_2021-22.csv"
POPULATION_2013_2019 = PUBLIC_DATA_DIR / "yjb_yot_population_10_17_2013-2019.csv"
#: YJB's reference list of YJSs (regions, mid-2018 to mid-2021 populations). The loader does not need
#: it (the rates file carries the 2020 and 2021 populations); the tests check the other files against it.
YJS_NAMES_2018_2021 = PUBLIC_DATA_DIR / "yjb_yjs_names_standardised_pop_10_17_2018-2021.csv"
YJS_AREAS = PUBLIC_DATA_DIR / "yjs_areas.csv"
BOUNDARIES = PUBLIC_DATA_DIR / "ctyua_apr2019_ew_buc.geojson"
LAIT_INDICATORS = PUBLIC_DATA_DIR / "dfe_lait_youth_justice_indicators.csv"
DFE_AUTHORITIES = PUBLIC_DATA_DIR / "dfe_las.csv"
STATISTICAL_NEIGHBOURS = PUBLIC_DATA_DIR / "dfe_statistical_neighbours_2025.csv"
DISTRICTS = PUBLIC_DATA_DIR / "lad_to_utla_region_lookup_ew_2024.csv"
TRAFFORD_CHILDREN = PUBLIC_DATA_DIR / "trafford_children_cautioned_sentenced_2014-15_to_2024-25.csv"
ONS_POPULATION_2019_2020 = PUBLIC_DATA_DIR / "ons_population_10_17_mid2019_mid2020.csv"
ONS_POPULATION_2023 = PUBLIC_DATA_DIR / "ons_population_10_17_mid2023.csv"

#: Tables this module creates (copied as they are to a PostgreSQL database).
PUBLIC_TABLES = (
    "published_children",
    "yjs_area",
    "area_population",
    "service_authority",
    "statistical_neighbour",
    "published_indicator",
    "published_source",
)

#: Each file's header, in order, with the type DuckDB reads each column as.
CHILDREN_COLUMNS = {
    "Financial_Year": "VARCHAR",
    "YOT": "VARCHAR",
    "Region": "VARCHAR",
    "PCC": "VARCHAR",
    "England_Wales": "VARCHAR",
    "Age_Group": "VARCHAR",
    "Ethnicity_Group": "VARCHAR",
    "Sex": "VARCHAR",
    "Number_Children": "BIGINT",
}
RATES_COLUMNS = {
    "financial_year": "VARCHAR",
    "measure": "VARCHAR",
    "level": "VARCHAR",
    "region": "VARCHAR",
    "yjs": "VARCHAR",
    "number": "BIGINT",
    "population_10_17": "BIGINT",
    "rate_per_1000": "DOUBLE",
}
POPULATION_COLUMNS = {"YOT": "VARCHAR", **{str(year): "BIGINT" for year in range(2013, 2020)}}
AREA_COLUMNS = {"yjs": "VARCHAR", "region": "VARCHAR", "ctyua_code": "VARCHAR", "ctyua_name": "VARCHAR"}
LAIT_COLUMNS = {
    "measure_code": "VARCHAR",
    "measure": "VARCHAR",
    "unit": "VARCHAR",
    "year": "VARCHAR",
    "level": "VARCHAR",
    "area_code": "VARCHAR",
    "dfe_la_number": "VARCHAR",
    "area_name": "VARCHAR",
    "dfe_region": "VARCHAR",
    "value": "DOUBLE",
    "value_raw": "VARCHAR",
    "flag": "VARCHAR",
}
AUTHORITY_COLUMNS = dict.fromkeys(
    (
        "new_la_code",
        "la_name",
        "date_of_operation",
        "date_of_termination",
        "parent_geography_code",
        "entity_code",
        "entity_description",
        "status",
        "old_la_code",
    ),
    "VARCHAR",
)
NEIGHBOUR_COLUMNS = {
    "dfe_la_number": "VARCHAR",
    "area_code": "VARCHAR",
    "area_name": "VARCHAR",
    "dfe_region": "VARCHAR",
    "rank": "INTEGER",
    "neighbour_dfe_la_number": "VARCHAR",
    "neighbour_area_code": "VARCHAR",
    "neighbour_name": "VARCHAR",
    "closeness": "VARCHAR",
}
DISTRICT_COLUMNS = dict.fromkeys(
    (
        "lad_code",
        "lad_name",
        "lad_type",
        "utla_code",
        "utla_name",
        "utla_type",
        "dfe_old_la_code",
        "region_code",
        "region_name",
        "country",
    ),
    "VARCHAR",
)
TRAFFORD_COLUMNS = {
    "area_code": "VARCHAR",
    "area_name": "VARCHAR",
    "area_type": "VARCHAR",
    "period": "VARCHAR",
    "indicator": "VARCHAR",
    "measure": "VARCHAR",
    "unit": "VARCHAR",
    "value": "BIGINT",
    "compared_to_England": "VARCHAR",
    "inequality": "VARCHAR",
}
AGES_10_17 = {f"age_{age}": "BIGINT" for age in range(10, 18)}
ONS_2019_2020_COLUMNS = {
    "mid_year": "INTEGER",
    "area_code": "VARCHAR",
    "area_name": "VARCHAR",
    "geography": "VARCHAR",
    **AGES_10_17,
}
ONS_2023_COLUMNS = {"mid_year": "INTEGER", "area_code": "VARCHAR", "area_name": "VARCHAR", **AGES_10_17}

#: Names the population file spells differently from the children and rates files, beyond case and
#: punctuation (``Newcastle-upon-Tyne`` = ``Newcastle upon Tyne`` is matched by the name key).
POPULATION_NAMES = {
    "Cornwall and Isles of Scilly": "Cornwall",
    "Gwynedd and Ynys Mon": "Gwynedd Mon",
}
#: Western Bay (to 2018-19) covered these three services, which the population file lists apart
#: (and which report on their own from 2019-20).
WESTERN_BAY = ("Swansea", "Neath Port Talbot", "Bridgend")

#: Services that are not simply the county or unitary authority of the same name: the authorities
#: (April 2019 names, CTYUA19NM in the boundary file) each covers. Every other service is the one
#: authority whose name matches it (see ``name_key``).
SERVICE_AREAS = {
    "Bedfordshire": ("Bedford", "Central Bedfordshire"),
    "Blaenau Gwent and Caerphilly": ("Blaenau Gwent", "Caerphilly"),
    "Bury and Rochdale": ("Bury", "Rochdale"),
    "Cheshire East, Cheshire West, Halton and Warrington": (
        "Cheshire East",
        "Cheshire West and Chester",
        "Halton",
        "Warrington",
    ),
    "Conwy and Denbighshire": ("Conwy", "Denbighshire"),
    "Cornwall": ("Cornwall", "Isles of Scilly"),
    "Cwm Taf": ("Merthyr Tydfil", "Rhondda Cynon Taf"),
    "Dorset Combined YOS": ("Bournemouth, Christchurch and Poole", "Dorset"),
    "Durham": ("County Durham",),
    "Gwynedd Mon": ("Gwynedd", "Isle of Anglesey"),
    "Kingston and Richmond": ("Kingston upon Thames", "Richmond upon Thames"),
    "Leicester City": ("Leicester",),
    "Leicestershire": ("Leicestershire", "Rutland"),
    "Monmouthshire and Torfaen": ("Monmouthshire", "Torfaen"),
    "South Tees": ("Middlesbrough", "Redcar and Cleveland"),
    "Tower Hamlets and City of London": ("Tower Hamlets", "City of London"),
    "West Mercia": ("Herefordshire, County of", "Shropshire", "Telford and Wrekin", "Worcestershire"),
    "Western Bay": WESTERN_BAY,
}

#: The name key in SQL: lower case, letters only (the same as ``name_key`` without the suffixes).
_SQL_NAME_KEY = "regexp_replace(lower({}), '[^a-z]', '', 'g')"

# -- The comparators: what the published files mean (SOURCES.md, docs/decisions.md) ------------------
#: The YJB's regions and the ONS (DfE) region each covers: the same authorities, which a test checks
#: for every service. Wales is a country, not a DfE region; LAIT has no Welsh figures.
YJB_REGIONS = {
    "East Midlands": "E12000004",
    "Eastern": "E12000006",
    "London": "E12000007",
    "North East": "E12000001",
    "North West": "E12000002",
    "South East": "E12000008",
    "South West": "E12000009",
    "Wales": "W92000004",
    "West Midlands": "E12000005",
    "Yorkshire": "E12000003",
}
ENGLAND, ENGLAND_AND_WALES = "E92000001", "K04000001"

#: Counties and unitary authorities of April 2019 (the map's codes) reorganised since: former code ->
#: the current ones covering the same ground (Buckinghamshire 2020, Northamptonshire's split 2021,
#: Cumbria's split, North Yorkshire and Somerset 2023).
REORGANISED = {
    "E10000002": ("E06000060",),
    "E10000021": ("E06000061", "E06000062"),
    "E10000006": ("E06000063", "E06000064"),
    "E10000023": ("E06000065",),
    "E10000027": ("E06000066",),
}
#: Current authorities a population file made before they existed does not hold, from the districts or
#: county they were made of (ONS codes): North Northamptonshire = Corby, East Northamptonshire, Kettering,
#: Wellingborough; West = Daventry, Northampton, South Northamptonshire; Cumberland = Allerdale,
#: Carlisle, Copeland; Westmorland and Furness = Barrow-in-Furness, Eden, South Lakeland.
AUTHORITY_PARTS = {
    "E06000061": ("E07000150", "E07000152", "E07000153", "E07000156"),
    "E06000062": ("E07000151", "E07000154", "E07000155"),
    "E06000063": ("E07000026", "E07000028", "E07000029"),
    "E06000064": ("E07000027", "E07000030", "E07000031"),
    "E06000065": ("E10000023",),
    "E06000066": ("E10000027",),
}

#: LAIT's measures as the dashboard names them, with the basis of LAIT's year labels. The two
#: reoffending age groups stay apart: LAIT gives no cohort sizes, so they cannot be added up.
LAIT_MEASURES = {
    "FirstYJS": ("fte_rate_per_100000", "calendar_year"),
    "ReoffYO": ("reoffending_percent_10_14", "cohort_year"),
    "ReoffYO15-17": ("reoffending_percent_15_17", "cohort_year"),
    "YJS_Caution-Sentence10-17_YO": ("cautioned_or_sentenced_per_10000", "financial_year"),
}
UNITS = {
    "fte_rate_per_100000": "per 100,000 aged 10-17",
    "reoffending_percent_10_14": "percent of children aged 10-14 who reoffend",
    "reoffending_percent_15_17": "percent of children aged 15-17 who reoffend",
    "cautioned_or_sentenced_per_1000": "per 1,000 aged 10-17",
    "cautioned_or_sentenced_per_10000": "per 10,000 aged 10-17",
}
#: LAIT files the Dorset unitary's first-time entrants from 2019 under the former county's number.
LAIT_REFILED = [
    {
        "measure_code": "FirstYJS",
        "filed_as": "E10000009",
        "area_code": "E06000059",
        "area_name": "Dorset",
        "from_year": 2019,
    }
]
#: Figures of an abolished authority for periods ending after its abolition are dropped (LAIT's odd
#: Northamptonshire 43 for 2021, Cumbria 42 for 2023 and 0 for 2024-25), except reoffending: the MoJ
#: still publishes it on the former counties, and their successors have none.
FORMER_AREAS_KEPT_FOR = ["ReoffYO", "ReoffYO15-17"]
#: A figure made from several authorities needs figures for those holding this share of its 10-17
#: population (Leicestershire's is published, Rutland's never is: 94% of the service's children).
COVERAGE = 0.9

SOURCES = [
    {
        "source": "yjb",
        "publisher": "Youth Justice Board for England and Wales",
        "release": "Youth Justice Statistics 2019/20 to 2021/22, local level tables",
    },
    {
        "source": "lait",
        "publisher": "Department for Education, Local Authority Interactive Tool (LAIT); "
        "figures from the Youth Justice Board and Ministry of Justice",
        "release": "LAIT data of 8 April 2026",
    },
    {
        "source": "lait_regions",
        "publisher": "Worked out here from LAIT's regional figures and ONS mid-year population estimates",
        "release": "LAIT data of 8 April 2026",
    },
    {
        "source": "trafford",
        "publisher": "Trafford Data Lab, from Youth Justice Board and ONS figures",
        "release": "Youth Justice Statistics 2024/25, as published by Trafford Data Lab on 30 April 2026",
    },
]


def geojson_path() -> Path:
    """The boundary file (ONS counties and unitary authorities, April 2019, WGS84)."""
    return BOUNDARIES


def name_key(name: str) -> str:
    """A name for matching across files: lower case, letters only, without ONS's ", City of" /
    ", County of" suffixes (``St. Helens`` = ``St Helens``, ``Bristol`` = ``Bristol, City of``)."""
    name = re.sub(r",\s*(city|county) of$", "", name.strip(), flags=re.IGNORECASE)
    return re.sub(r"[^a-z]", "", name.lower())


def _checked(path: Path, columns: dict[str, str]) -> str:
    """The path as a string, once the file's header is the one expected. DuckDB applies ``columns``
    by position and does not compare names, so a reordered file would otherwise load silently."""
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    if header != list(columns):
        raise ValueError(f"{path.name}: expected the columns {list(columns)}, found {header}")
    return str(path)


def load_public_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every table of ``PUBLIC_TABLES`` in the connection's current database."""
    _load_yjb_tables(con)
    _load_area_population(con)
    _load_service_authority(con)
    _load_statistical_neighbours(con)
    _load_published_indicators(con)
    _load_published_sources(con)


def _load_yjb_tables(con: duckdb.DuckDBPyConnection) -> None:
    """``published_children(period, yjs, region, children, population_10_17)`` and
    ``yjs_area(yjs, region, ctyua_code, ctyua_name)``."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE published_children AS
        WITH early AS (   -- 2013-14 to 2019-20: one row per YOT x age x ethnicity x sex
            SELECT Financial_Year AS period, YOT AS yjs, Region AS region, sum(Number_Children) AS children
            FROM read_csv($children, header = true, columns = $children_columns)
            GROUP BY ALL
        ), late AS (      -- 2020-21 and 2021-22: one row per measure x level x area
            SELECT financial_year AS period, yjs, region, number AS children, population_10_17
            FROM read_csv($rates, header = true, columns = $rates_columns)
            WHERE measure = 'children_cautioned_or_sentenced' AND level = 'YJS'
        ), population_long AS (
            UNPIVOT (SELECT * FROM read_csv($population, header = true, columns = $population_columns))
            ON COLUMNS(* EXCLUDE (YOT)) INTO NAME mid_year VALUE population
        ), aliases AS (
            SELECT a.published, a.yjs
            FROM (SELECT unnest($aliases::STRUCT(published VARCHAR, yjs VARCHAR)[]) AS a)
        ), population AS (
            SELECT {_SQL_NAME_KEY.format("coalesce(a.yjs, p.YOT)")} AS name_key,
                   CAST(p.mid_year AS INTEGER) AS mid_year, p.population
            FROM population_long p LEFT JOIN aliases a ON a.published = p.YOT
            UNION ALL
            SELECT {_SQL_NAME_KEY.format("'Western Bay'")}, CAST(mid_year AS INTEGER), sum(population)
            FROM population_long WHERE list_contains($western_bay, YOT)
            GROUP BY mid_year
        )
        SELECT e.period, e.yjs, e.region, CAST(e.children AS BIGINT) AS children,
               CAST(p.population AS BIGINT) AS population_10_17
        FROM early e
        LEFT JOIN population p
               ON p.name_key = {_SQL_NAME_KEY.format("e.yjs")}
              AND p.mid_year = CAST(left(e.period, 4) AS INTEGER)
        UNION ALL
        SELECT period, yjs, region, CAST(children AS BIGINT), CAST(population_10_17 AS BIGINT) FROM late
        ORDER BY period, yjs""",
        {
            "children": _checked(CHILDREN_2013_2020, CHILDREN_COLUMNS),
            "children_columns": CHILDREN_COLUMNS,
            "rates": _checked(LOCAL_RATES_2020_2022, RATES_COLUMNS),
            "rates_columns": RATES_COLUMNS,
            "population": _checked(POPULATION_2013_2019, POPULATION_COLUMNS),
            "population_columns": POPULATION_COLUMNS,
            "aliases": [{"published": k, "yjs": v} for k, v in POPULATION_NAMES.items()],
            "western_bay": list(WESTERN_BAY),
        },
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE yjs_area AS
        SELECT yjs, region, ctyua_code, ctyua_name
        FROM read_csv($areas, header = true, columns = $area_columns)
        ORDER BY yjs, ctyua_code""",
        {"areas": _checked(YJS_AREAS, AREA_COLUMNS), "area_columns": AREA_COLUMNS},
    )


def _pairs(mapping: dict[str, tuple[str, ...]], key: str, value: str) -> list[dict[str, str]]:
    """A mapping of one code to several as rows, to bind as a list of structs."""
    return [{key: k, value: v} for k, values in mapping.items() for v in values]


def _load_area_population(con: duckdb.DuckDBPyConnection) -> None:
    """``area_population(mid_year, area_code, population_10_17)``: ONS estimates of children aged 10-17
    for every current upper-tier authority, each abolished county of ``REORGANISED``, each region,
    England, Wales and England and Wales, at mid-2019, mid-2020 and mid-2023. A file made before an
    authority existed gives it the sum of its parts (``AUTHORITY_PARTS``); a former county is the sum
    of its successors."""
    ages = " + ".join(AGES_10_17)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE area_population AS
        WITH districts AS (
            SELECT * FROM read_csv($districts, header = true, columns = $district_columns)
        ), mid_2023 AS (
            SELECT p.mid_year, d.utla_code, d.region_code, d.country, {ages} AS population
            FROM read_csv($ons_2023, header = true, columns = $ons_2023_columns) p
            JOIN districts d ON d.lad_code = p.area_code
        ), given AS (
            SELECT mid_year, area_code, {ages} AS population
            FROM read_csv($ons_2019_2020, header = true, columns = $ons_2019_2020_columns)
            UNION ALL SELECT mid_year, utla_code, sum(population) FROM mid_2023 GROUP BY ALL
            UNION ALL SELECT mid_year, region_code, sum(population) FROM mid_2023 GROUP BY ALL
            UNION ALL SELECT mid_year, $england, sum(population) FROM mid_2023 WHERE country = 'England' GROUP BY ALL
            UNION ALL SELECT mid_year, $england_and_wales, sum(population) FROM mid_2023 GROUP BY ALL
        ), parts AS (
            SELECT unnest($parts::STRUCT(area_code VARCHAR, part VARCHAR)[], recursive := true)
        ), successors AS (
            SELECT unnest($successors::STRUCT(area_code VARCHAR, part VARCHAR)[], recursive := true)
        ), with_parts AS (
            SELECT * FROM given
            UNION ALL
            SELECT g.mid_year, p.area_code, sum(g.population)
            FROM parts p JOIN given g ON g.area_code = p.part
            WHERE NOT EXISTS (SELECT 1 FROM given x WHERE x.area_code = p.area_code AND x.mid_year = g.mid_year)
            GROUP BY ALL
        ), with_former AS (
            SELECT * FROM with_parts
            UNION ALL
            SELECT w.mid_year, s.area_code, sum(w.population)
            FROM successors s JOIN with_parts w ON w.area_code = s.part
            WHERE NOT EXISTS (SELECT 1 FROM with_parts x WHERE x.area_code = s.area_code AND x.mid_year = w.mid_year)
            GROUP BY ALL
        )
        SELECT CAST(mid_year AS INTEGER) AS mid_year, area_code, CAST(population AS BIGINT) AS population_10_17
        FROM with_former
        WHERE regexp_matches(area_code, '^(E06|E08|E09|E10|W06|E12|E92|W92|K04)')
        ORDER BY mid_year, area_code""",
        {
            "districts": _checked(DISTRICTS, DISTRICT_COLUMNS),
            "district_columns": DISTRICT_COLUMNS,
            "ons_2023": _checked(ONS_POPULATION_2023, ONS_2023_COLUMNS),
            "ons_2023_columns": ONS_2023_COLUMNS,
            "ons_2019_2020": _checked(ONS_POPULATION_2019_2020, ONS_2019_2020_COLUMNS),
            "ons_2019_2020_columns": ONS_2019_2020_COLUMNS,
            "england": ENGLAND,
            "england_and_wales": ENGLAND_AND_WALES,
            "parts": _pairs(AUTHORITY_PARTS, "area_code", "part"),
            "successors": _pairs(REORGANISED, "area_code", "part"),
        },
    )


def _load_service_authority(con: duckdb.DuckDBPyConnection) -> None:
    """``service_authority(yjs, region, geography, area_code, area_name)``: each service's current
    upper-tier authorities (``geography`` 'current'), and, for a service whose authority was
    reorganised, the April 2019 county too ('april_2019'), under which LAIT still files some figures."""
    con.execute(
        """
        CREATE OR REPLACE TABLE service_authority AS
        WITH areas AS (
            SELECT * FROM read_csv($areas, header = true, columns = $area_columns)
        ), reorganised AS (
            SELECT unnest($reorganised::STRUCT(former VARCHAR, current VARCHAR)[], recursive := true)
        ), names AS (
            SELECT DISTINCT utla_code AS code, utla_name AS name
            FROM read_csv($districts, header = true, columns = $district_columns)
        )
        SELECT a.yjs, a.region, 'current' AS geography, n.code AS area_code, n.name AS area_name
        FROM areas a LEFT JOIN reorganised r ON r.former = a.ctyua_code
        JOIN names n ON n.code = coalesce(r.current, a.ctyua_code)
        UNION ALL
        SELECT DISTINCT a.yjs, a.region, 'april_2019', a.ctyua_code, a.ctyua_name
        FROM areas a JOIN reorganised r ON r.former = a.ctyua_code
        ORDER BY yjs, geography, area_code""",
        {
            "areas": _checked(YJS_AREAS, AREA_COLUMNS),
            "area_columns": AREA_COLUMNS,
            "reorganised": _pairs(REORGANISED, "former", "current"),
            "districts": _checked(DISTRICTS, DISTRICT_COLUMNS),
            "district_columns": DISTRICT_COLUMNS,
        },
    )


def _load_statistical_neighbours(con: duckdb.DuckDBPyConnection) -> None:
    """``statistical_neighbour(area_code, area_name, rank, neighbour_code, neighbour_name, closeness)``:
    the DfE's ten nearest authorities of each live English authority. Codes and names come from the
    DfE LA numbers through dfe_las.csv: the staged file's codes sometimes carry dfe_las.csv's joint
    rows ("E06000061 / E06000062" for 940, North Northamptonshire alone, whose neighbours include West
    Northamptonshire), and a number's live authority wins (Buckinghamshire's 825 was also the
    county's). The groups of authorities abolished before 2025 are left out."""
    con.execute(
        """
        CREATE OR REPLACE TABLE statistical_neighbour AS
        WITH numbers AS (
            SELECT old_la_code AS number, new_la_code AS code, la_name AS name, status = 'live' AS live
            FROM read_csv($authorities, header = true, columns = $authority_columns)
            WHERE old_la_code <> 'x' AND NOT contains(old_la_code, '/')
            QUALIFY row_number() OVER (PARTITION BY old_la_code ORDER BY status = 'live' DESC,
                                       strptime(date_of_operation, '%d/%m/%Y') DESC) = 1
        )
        SELECT a.code AS area_code, a.name AS area_name, g.rank, n.code AS neighbour_code,
               n.name AS neighbour_name,
               upper(left(g.closeness, 1)) || lower(substr(g.closeness, 2)) AS closeness
        FROM read_csv($neighbours, header = true, columns = $neighbour_columns) g
        JOIN numbers a ON a.number = g.dfe_la_number
        JOIN numbers n ON n.number = g.neighbour_dfe_la_number
        WHERE a.live
        ORDER BY area_code, g.rank""",
        {
            "authorities": _checked(DFE_AUTHORITIES, AUTHORITY_COLUMNS),
            "authority_columns": AUTHORITY_COLUMNS,
            "neighbours": _checked(STATISTICAL_NEIGHBOURS, NEIGHBOUR_COLUMNS),
            "neighbour_columns": NEIGHBOUR_COLUMNS,
        },
    )


#: Each authority's YJB region, from dfe_las.csv (its ONS region), and when it was abolished.
_AUTHORITIES = """
    authorities AS (
        SELECT a.new_la_code AS area_code, a.la_name AS area_name, r.region,
               CAST(strptime(a.date_of_termination, '%d/%m/%Y') AS DATE) AS abolished
        FROM read_csv($authorities, header = true, columns = $authority_columns) a
        LEFT JOIN (SELECT unnest($regions::STRUCT(region VARCHAR, code VARCHAR)[], recursive := true)) r
               ON r.code = a.parent_geography_code
        WHERE NOT contains(a.new_la_code, '/')
    )"""
#: The ONS estimate nearest the mid-year a figure is about (the earlier of two as near): the weights.
_NEAREST_POPULATION = """
    SELECT p.population_10_17, p.mid_year FROM area_population p
    WHERE p.area_code = {code}
    ORDER BY abs(p.mid_year - {year}), p.mid_year LIMIT 1"""


def _load_published_indicators(con: duckdb.DuckDBPyConnection) -> None:
    """``published_indicator(measure, period, period_basis, area_type, area_code, area_name, region,
    value, unit, count, population, population_year, source, note)``: one row per published figure
    (a missing one has no row: LAIT's ``-`` is not 0), its unit and its period's basis on every row.

    - LAIT (``source`` 'lait'): authorities and regions, after the traps of SOURCES.md (Dorset's
      re-filed figures, abolished authorities, Inner and Outer London left out). England's first-time
      entrant rates in LAIT are mis-scaled and never loaded: England's row ('lait_regions') is its nine
      regions' rates weighted by their 10-17 populations.
    - YJB (``yjb``): children cautioned or sentenced per 1,000 by service, region and England and
      Wales, 2013-14 to 2021-22, with counts and populations.
    - Trafford Data Lab (``trafford``): children cautioned or sentenced per 10,000, 11 areas and
      England, 2014-15 to 2024-25, with counts; the population is the YJB's for the service while it
      publishes one (to 2021-22), else the nearest ONS estimate held.
    - ``area_type`` 'service': each English service's figure from LAIT's, its authorities' figures
      weighted by their 10-17 populations (``note`` says so and names any left out).

    ``population`` is the 10-17 population the figure is over (for LAIT, the ONS estimate nearest
    ``population_year``); ``count`` is given only where published."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE published_indicator AS
        WITH {_AUTHORITIES.strip()}, measures AS (
            SELECT unnest($lait_measures::STRUCT(code VARCHAR, measure VARCHAR, basis VARCHAR)[], recursive := true)
        ), units AS (
            SELECT unnest($units::STRUCT(measure VARCHAR, unit VARCHAR)[], recursive := true)
        ), regions AS (
            SELECT unnest($regions::STRUCT(region VARCHAR, code VARCHAR)[], recursive := true)
        ), refiled AS (
            SELECT unnest($refiled::STRUCT(measure_code VARCHAR, filed_as VARCHAR, area_code VARCHAR,
                                           area_name VARCHAR, from_year INTEGER)[], recursive := true)
        ), lait AS (
            SELECT m.measure, l.measure_code, l.year AS period, m.basis AS period_basis,
                   CAST(left(l.year, 4) AS INTEGER) AS year, l.level,
                   coalesce(f.area_code, l.area_code) AS area_code, coalesce(f.area_name, l.area_name) AS area_name,
                   l.value
            FROM read_csv($lait, header = true, columns = $lait_columns) l
            JOIN measures m ON m.code = l.measure_code
            LEFT JOIN refiled f ON f.measure_code = l.measure_code AND f.filed_as = l.area_code
                               AND CAST(left(l.year, 4) AS INTEGER) >= f.from_year
            WHERE l.value IS NOT NULL AND l.level IN ('local_authority', 'region')
              AND NOT starts_with(l.area_code, 'E13')
        ), lait_authority AS (
            SELECT l.measure, l.period, l.period_basis, l.year, l.area_code, l.area_name, a.region, l.value
            FROM lait l JOIN authorities a USING (area_code)
            WHERE l.level = 'local_authority'
              AND (a.abolished IS NULL OR list_contains($former_kept, l.measure_code)
                   OR CASE l.period_basis WHEN 'financial_year' THEN make_date(l.year + 1, 3, 31)
                                          ELSE make_date(l.year, 12, 31) END <= a.abolished)
        ), lait_region AS (
            SELECT l.measure, l.period, l.period_basis, l.year, l.area_code, l.area_name, r.region, l.value
            FROM lait l JOIN regions r ON r.code = l.area_code
            WHERE l.level = 'region'
        ), weighted_lait AS (
            SELECT x.*, w.population_10_17 AS population, w.mid_year AS population_year
            FROM (SELECT * FROM lait_authority UNION ALL SELECT * FROM lait_region) x
            LEFT JOIN LATERAL ({_NEAREST_POPULATION.format(code="x.area_code", year="x.year")}) w ON true
        ), england_fte AS (   -- LAIT's own England rates are mis-scaled (about 10 times): never used
            SELECT measure, period, period_basis, 'england' AS area_type, $england AS area_code,
                   'England' AS area_name, CAST(NULL AS VARCHAR) AS region,
                   sum(value * population) / sum(population) AS value, sum(population) AS population,
                   max(population_year) AS population_year, 'lait_regions' AS source,
                   'The nine regions'' rates weighted by their populations aged 10-17 (ONS, mid-'
                       || max(population_year) || '): LAIT''s own England figures are mis-scaled.' AS note
            FROM weighted_lait
            WHERE measure = 'fte_rate_per_100000' AND starts_with(area_code, 'E12')
            GROUP BY measure, period, period_basis
            HAVING count(*) = 9
        ), service_parts AS (
            SELECT s.yjs, s.region, s.geography, s.area_code, s.area_name, p.measure, p.period, p.period_basis,
                   p.year, a.value, w.population_10_17 AS population, w.mid_year AS population_year
            FROM service_authority s
            CROSS JOIN (SELECT DISTINCT measure, period, period_basis, year FROM lait_authority) p
            LEFT JOIN lait_authority a ON a.area_code = s.area_code AND a.measure = p.measure AND a.period = p.period
            LEFT JOIN LATERAL ({_NEAREST_POPULATION.format(code="s.area_code", year="p.year")}) w ON true
            WHERE s.region <> 'Wales'
        ), service_figures AS (
            SELECT yjs, region, geography, measure, period, period_basis,
                   CASE WHEN count(value) = 1 THEN max(value)   -- one authority's figure as published
                        ELSE sum(value * population) FILTER (WHERE value IS NOT NULL)
                             / sum(population) FILTER (WHERE value IS NOT NULL) END AS value,
                   sum(population) FILTER (WHERE value IS NOT NULL) AS population,
                   max(population_year) AS population_year,
                   count(*) FILTER (WHERE value IS NOT NULL) AS used_parts,
                   sum(population) FILTER (WHERE value IS NOT NULL) / sum(population) AS coverage,
                   string_agg(area_name, ', ' ORDER BY area_name) FILTER (WHERE value IS NOT NULL) AS used,
                   string_agg(area_name, ', ' ORDER BY area_name) FILTER (WHERE value IS NULL) AS missing
            FROM service_parts
            GROUP BY ALL
        ), services AS (
            SELECT measure, period, period_basis, 'service' AS area_type, CAST(NULL AS VARCHAR) AS area_code,
                   yjs AS area_name, region, value, population, population_year, 'lait' AS source,
                   CASE WHEN geography = 'april_2019'
                        THEN 'The figure LAIT still files under ' || used || ', as it was before reorganisation.'
                        WHEN used_parts > 1
                        THEN 'Population-weighted mean of ' || used || ' (ONS population aged 10-17, mid-'
                             || population_year || ')' || coalesce('; none is published for ' || missing, '') || '.'
                        ELSE used || '''s figure; none is published for ' || missing || '.'
                   END AS note
            FROM service_figures
            WHERE coverage >= $coverage
            QUALIFY row_number() OVER (PARTITION BY yjs, measure, period ORDER BY geography = 'current' DESC) = 1
        ), yjb AS (
            SELECT 'service' AS area_type, yjs AS area_name, region, period, children, population_10_17
            FROM published_children
            UNION ALL
            SELECT 'region', region, region, period, sum(children), sum(population_10_17)
            FROM published_children GROUP BY region, period
            UNION ALL
            SELECT 'england_and_wales', 'England and Wales', NULL, period, sum(children), sum(population_10_17)
            FROM published_children GROUP BY period
        ), trafford AS (
            SELECT area_code, area_name, area_type, replace(period, '/', '-') AS period,
                   max(value) FILTER (WHERE measure = 'Count') AS children,
                   max(value) FILTER (WHERE measure = 'Per 10,000 aged 10-17') AS rate
            FROM read_csv($trafford, header = true, columns = $trafford_columns)
            GROUP BY ALL
        ), trafford_population AS (   -- the YJB's population of the service, or of England's services
            SELECT s.area_code, c.period, c.population_10_17
            FROM published_children c
            JOIN (SELECT yjs, any_value(area_code) AS area_code FROM service_authority
                  WHERE geography = 'current' GROUP BY yjs HAVING count(*) = 1) s USING (yjs)
            UNION ALL
            SELECT $england, period, sum(population_10_17) FROM published_children
            WHERE region <> 'Wales' GROUP BY period
        )
        SELECT measure, period, period_basis, area_type, area_code, area_name, region, CAST(value AS DOUBLE) AS value,
               u.unit, CAST(count AS BIGINT) AS count, CAST(population AS BIGINT) AS population,
               CAST(population_year AS INTEGER) AS population_year, source, note
        FROM (
            SELECT measure, period, period_basis,
                   CASE WHEN starts_with(area_code, 'E12') THEN 'region' ELSE 'authority' END AS area_type,
                   area_code, area_name, region, value, NULL AS count, population, population_year,
                   'lait' AS source, CAST(NULL AS VARCHAR) AS note
            FROM weighted_lait
            UNION ALL
            SELECT measure, period, period_basis, area_type, area_code, area_name, region, value, NULL,
                   population, population_year, source, note
            FROM england_fte
            UNION ALL
            SELECT measure, period, period_basis, area_type, area_code, area_name, region, value, NULL,
                   population, population_year, source, note
            FROM services
            UNION ALL
            SELECT 'cautioned_or_sentenced_per_1000', period, 'financial_year', area_type, NULL, area_name, region,
                   children / population_10_17 * 1000, children, population_10_17,
                   CAST(left(period, 4) AS INTEGER), 'yjb', NULL
            FROM yjb
            UNION ALL
            SELECT 'cautioned_or_sentenced_per_10000', t.period, 'financial_year',
                   CASE WHEN t.area_type = 'Country' THEN 'england' ELSE 'authority' END, t.area_code, t.area_name,
                   a.region, t.rate, t.children, coalesce(y.population_10_17, w.population_10_17),
                   CASE WHEN y.population_10_17 IS NULL THEN w.mid_year ELSE CAST(left(t.period, 4) AS INTEGER) END,
                   'trafford', NULL
            FROM trafford t
            LEFT JOIN authorities a USING (area_code)
            LEFT JOIN trafford_population y ON y.area_code = t.area_code AND y.period = t.period
            LEFT JOIN LATERAL ({
            _NEAREST_POPULATION.format(code="t.area_code", year="CAST(left(t.period, 4) AS INTEGER)")
        }) w ON true
        ) figures
        JOIN units u USING (measure)
        ORDER BY measure, period, area_type, area_name, source""",
        {
            "authorities": _checked(DFE_AUTHORITIES, AUTHORITY_COLUMNS),
            "authority_columns": AUTHORITY_COLUMNS,
            "lait": _checked(LAIT_INDICATORS, LAIT_COLUMNS),
            "lait_columns": LAIT_COLUMNS,
            "trafford": _checked(TRAFFORD_CHILDREN, TRAFFORD_COLUMNS),
            "trafford_columns": TRAFFORD_COLUMNS,
            "lait_measures": [{"code": k, "measure": m, "basis": b} for k, (m, b) in LAIT_MEASURES.items()],
            "units": [{"measure": k, "unit": v} for k, v in UNITS.items()],
            "regions": [{"region": k, "code": v} for k, v in YJB_REGIONS.items()],
            "refiled": LAIT_REFILED,
            "former_kept": FORMER_AREAS_KEPT_FOR,
            "coverage": COVERAGE,
            "england": ENGLAND,
        },
    )


def _load_published_sources(con: duckdb.DuckDBPyConnection) -> None:
    """``published_source``: per measure and source, the basis, unit, first and latest period, the
    kinds of area, whether counts and populations are given (a funnel plot needs both), and the release."""
    con.execute(
        """
        CREATE OR REPLACE TABLE published_source AS
        SELECT i.measure, i.source, s.publisher, s.release, i.period_basis, i.unit,
               min(i.period) AS first_period, max(i.period) AS latest_period,
               CAST(count(DISTINCT i.period) AS BIGINT) AS periods,
               string_agg(DISTINCT i.area_type, ', ' ORDER BY i.area_type) AS area_types,
               bool_and(i.count IS NOT NULL) AS has_counts, bool_and(i.population IS NOT NULL) AS has_populations
        FROM published_indicator i
        JOIN (SELECT unnest($sources::STRUCT(source VARCHAR, publisher VARCHAR, release VARCHAR)[],
                            recursive := true)) s USING (source)
        GROUP BY ALL
        ORDER BY i.measure, i.source""",
        {"sources": SOURCES},
    )


# -- Deriving yjs_areas.csv ------------------------------------------------------------------------
def published_services() -> list[tuple[str, str]]:
    """(yjs, region) for every service in the published children and rates files, by name."""
    services: set[tuple[str, str]] = set()
    with CHILDREN_2013_2020.open(encoding="utf-8", newline="") as handle:
        services |= {(r["YOT"], r["Region"]) for r in csv.DictReader(handle)}
    with LOCAL_RATES_2020_2022.open(encoding="utf-8", newline="") as handle:
        services |= {(r["yjs"], r["region"]) for r in csv.DictReader(handle) if r["level"] == "YJS"}
    return sorted(services)


def boundary_names() -> dict[str, str]:
    """CTYUA19CD -> CTYUA19NM for every feature of the boundary file."""
    features = json.loads(BOUNDARIES.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["CTYUA19CD"]: f["properties"]["CTYUA19NM"] for f in features}


def derive_yjs_areas() -> list[tuple[str, str, str, str]]:
    """(yjs, region, ctyua_code, ctyua_name) for each published service and each authority it covers:
    ``SERVICE_AREAS`` where listed, else the one authority whose name key is the service's.
    Raises ValueError for a service that matches no authority (or an ambiguous one)."""
    names = boundary_names()
    codes: dict[str, list[str]] = {}
    for code, name in names.items():
        codes.setdefault(name_key(name), []).append(code)
    rows, problems = [], []
    for yjs, region in published_services():
        for authority in SERVICE_AREAS.get(yjs, (yjs,)):
            found = codes.get(name_key(authority), [])
            if len(found) != 1:
                problems.append(f"{yjs}: '{authority}' matches {len(found)} authorities")
                continue
            rows.append((yjs, region, found[0], names[found[0]]))
    if problems:
        raise ValueError("; ".join(problems))
    return sorted(rows)


def write_yjs_areas(path: Path = YJS_AREAS) -> None:
    """Write data/public/yjs_areas.csv from ``derive_yjs_areas`` (a test checks the two agree)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(AREA_COLUMNS)
        writer.writerows(derive_yjs_areas())
