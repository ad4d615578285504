"""The YJB's published tables, loaded into every new database so `areas` works anywhere.

``published_children``: children cautioned or sentenced by YJS and financial year, 2013-14 to 2021-22,
with the 10-17 population of the mid-year that starts each year. ``yjs_area``: the April 2019 county
and unitary authorities each YJS covers (data/public/yjs_areas.csv), for the map.
Sources, licences and credits: data/public/DATAFILES.csv and data/public/README.md.

Every file is read from ``config.PUBLIC_DATA_DIR`` (inside the repository), with ``header = true``
and explicit column types: the population files have numeric column names (2013, 2014, ...), which
DuckDB's sniffer would otherwise take for a data row. File paths and column types are bound as
query parameters (DuckDB accepts a parameter for read_csv's path and its ``columns`` struct).
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

#: Tables this module creates (copied as they are to a PostgreSQL database).
PUBLIC_TABLES = ("published_children", "yjs_area")

#: Each file's header, in order, with the type DuckDB reads each column as.
CHILDREN_COLUMNS = {
    "Financial_Year": "VARCHAR", "YOT": "VARCHAR", "Region": "VARCHAR", "PCC": "VARCHAR",
    "England_Wales": "VARCHAR", "Age_Group": "VARCHAR", "Ethnicity_Group": "VARCHAR", "Sex": "VARCHAR",
    "Number_Children": "BIGINT",
}
RATES_COLUMNS = {
    "financial_year": "VARCHAR", "measure": "VARCHAR", "level": "VARCHAR", "region": "VARCHAR",
    "yjs": "VARCHAR", "number": "BIGINT", "population_10_17": "BIGINT", "rate_per_1000": "DOUBLE",
}
POPULATION_COLUMNS = {"YOT": "VARCHAR", **{str(year): "BIGINT" for year in range(2013, 2020)}}
AREA_COLUMNS = {"yjs": "VARCHAR", "region": "VARCHAR", "ctyua_code": "VARCHAR", "ctyua_name": "VARCHAR"}

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
        "Cheshire East", "Cheshire West and Chester", "Halton", "Warrington"),
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
    """(Re)create ``published_children(period, yjs, region, children, population_10_17)`` and
    ``yjs_area(yjs, region, ctyua_code, ctyua_name)`` in the connection's current database."""
    con.execute(f"""
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
            SELECT {_SQL_NAME_KEY.format('coalesce(a.yjs, p.YOT)')} AS name_key,
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
               ON p.name_key = {_SQL_NAME_KEY.format('e.yjs')}
              AND p.mid_year = CAST(left(e.period, 4) AS INTEGER)
        UNION ALL
        SELECT period, yjs, region, CAST(children AS BIGINT), CAST(population_10_17 AS BIGINT) FROM late
        ORDER BY period, yjs""", {
        "children": _checked(CHILDREN_2013_2020, CHILDREN_COLUMNS), "children_columns": CHILDREN_COLUMNS,
        "rates": _checked(LOCAL_RATES_2020_2022, RATES_COLUMNS), "rates_columns": RATES_COLUMNS,
        "population": _checked(POPULATION_2013_2019, POPULATION_COLUMNS),
        "population_columns": POPULATION_COLUMNS,
        "aliases": [{"published": k, "yjs": v} for k, v in POPULATION_NAMES.items()],
        "western_bay": list(WESTERN_BAY),
    })
    con.execute("""
        CREATE OR REPLACE TABLE yjs_area AS
        SELECT yjs, region, ctyua_code, ctyua_name
        FROM read_csv($areas, header = true, columns = $area_columns)
        ORDER BY yjs, ctyua_code""", {"areas": _checked(YJS_AREAS, AREA_COLUMNS), "area_columns": AREA_COLUMNS})


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
