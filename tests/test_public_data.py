"""The published tables: the list of shipped files, and how services map onto the boundary file."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from dashboard.config import PUBLIC_DATA_DIR
from dashboard.ingest.public import BOUNDARIES, load_public_tables


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    load_public_tables(con)
    return con


def test_datafiles_lists_exactly_the_shipped_files():
    with (PUBLIC_DATA_DIR / "DATAFILES.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    listed = {r["file"] for r in rows}
    shipped = {p.name for p in PUBLIC_DATA_DIR.iterdir()} - {"DATAFILES.csv", "README.md"}
    assert listed == shipped
    assert all(r["licence"] and r["credit_line"] and r["status"] in ("published", "reference") for r in rows)


def test_every_service_year_has_a_population_and_region(con):
    missing = con.execute("SELECT count(*) FROM published_children "
                          "WHERE population_10_17 IS NULL OR region IS NULL").fetchone()[0]
    assert missing == 0
    per_year = dict(con.execute("SELECT period, count(*) FROM published_children GROUP BY 1").fetchall())
    assert per_year["2018-19"] == 152 and per_year["2019-20"] == 154 and per_year["2021-22"] == 154


def test_a_row_matches_the_published_table(con):
    # Leicester City, 2021-22: 105 children, 38,286 aged 10-17 (yjb_local_level_rates_2020-21_2021-22.csv)
    raw = [r for r in csv.DictReader((PUBLIC_DATA_DIR / "yjb_local_level_rates_2020-21_2021-22.csv").open())
           if r["yjs"] == "Leicester City" and r["financial_year"] == "2021-22"
           and r["measure"] == "children_cautioned_or_sentenced"][0]
    row = con.execute("SELECT children, population_10_17 FROM published_children "
                      "WHERE yjs = 'Leicester City' AND period = '2021-22'").fetchone()
    assert row == (int(raw["number"]), int(raw["population_10_17"]))


def test_every_service_maps_to_authorities_on_the_map_and_every_authority_is_covered(con):
    codes = {f["properties"]["CTYUA19CD"] for f in json.loads(BOUNDARIES.read_text())["features"]}
    mapped = con.execute("SELECT DISTINCT yjs FROM yjs_area").fetchall()
    services = con.execute("SELECT DISTINCT yjs FROM published_children").fetchall()
    assert set(mapped) == set(services)
    used = {r[0] for r in con.execute("SELECT ctyua_code FROM yjs_area").fetchall()}
    assert used == codes
    west_mercia = {r[0] for r in con.execute("SELECT ctyua_name FROM yjs_area WHERE yjs = 'West Mercia'").fetchall()}
    assert west_mercia == {"Herefordshire, County of", "Shropshire", "Telford and Wrekin", "Worcestershire"}
