"""What a valid extract loads as: the KPI files and new columns (on DuckDB and PostgreSQL alike), what
extract_info says about each service, the comparison with the last load and its refusal of a fall, the
manifest, and the demo mark that only the demo build writes."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest

from dashboard.access import is_demo
from dashboard.app_shell import _outdated_demo
from dashboard.db import Database
from dashboard.ingest import LoadRefused, build_demo, ingest
from dashboard.ingest.load import POSTGRES_TYPES
from dashboard.storage import postgres_dsn

from ..extracts import child, write_extract
from .corpus import (
    AS_OF,
    BASE_ROWS,
    add_row,
    base_tables,
    cell,
    manifest,
    remove,
    row_counts,
    run_cli,
    set_json,
    sha256,
    stray_copies,
    write_base,
)

NEW_TABLES = ("assessment", "remand", "victim", "board_meeting")


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# -- the new files and columns as loaded ------------------------------------------------------------
def test_kpi_files_load_typed_with_not_recorded_kept(base_db):
    assert row_counts(base_db) == BASE_ROWS
    assert rows(
        base_db,
        """SELECT yjs, child_id, assessment_id, point, assessment_date, accommodation, ete,
                                   ete_hours_offered, ete_hours_attended, send, send_plan, mental_health_need,
                                   mental_health_attending, substance_need, looked_after, child_in_need, early_help
                            FROM assessment ORDER BY assessment_id""",
    ) == [
        (
            "Alpha",
            "C1",
            "A1",
            "START",
            date(2021, 4, 12),
            "SUITABLE",
            "UNSUITABLE",
            20,
            10,
            False,
            None,
            True,
            False,
            None,
            False,
            True,
            None,
        ),
        (
            "Alpha",
            "C1",
            "A2",
            "END",
            date(2021, 7, 9),
            "SUITABLE",
            "SUITABLE",
            25,
            25,
            True,
            False,
            True,
            True,
            False,
            None,
            None,
            None,
        ),
        ("Alpha", "C2", "A3", "START", date(2022, 1, 20), *[None] * 12),  # nothing else recorded
    ]
    assert rows(base_db, "SELECT * FROM remand ORDER BY remand_id") == [
        ("Alpha", "C1", "R1", "O1", date(2021, 3, 5), "CONDITIONAL_BAIL", date(2021, 4, 1), "X1"),
        ("Beta", "C3", "R2", "O3", date(2021, 5, 10), "REMAND_TO_YOUTH_DETENTION", None, None),
    ]
    # A missing boolean is "not recorded" (NULL) in the KPI files, never false.
    assert rows(base_db, "SELECT * FROM victim ORDER BY victim_id") == [
        ("Alpha", "C1", "V1", "O1", date(2021, 4, 10), True, True, False),
        ("Alpha", "C1", "V2", "O2", date(2021, 10, 5), False, None, None),
    ]
    assert rows(base_db, "SELECT * FROM board_meeting ORDER BY yjs, partner") == [
        ("Alpha", date(2021, 6, 15), "HEALTH", False, None),
        ("Alpha", date(2021, 6, 15), "POLICE", True, True),
        ("Beta", date(2021, 6, 20), "EDUCATION", True, False),
    ]
    assert rows(base_db, "SELECT offence_id, seriousness FROM offence ORDER BY 1") == [
        ("O1", 5),
        ("O2", 2),
        ("O3", None),
    ]


def test_a_custodial_release_date_loads(tmp_path):
    folder = write_base(tmp_path / "extract")
    cell("programmes.csv", 2, "disposal_type", "detention_and_training_order")(folder)
    cell("programmes.csv", 2, "release_date", "2021-05-25")(folder)
    ingest(folder, tmp_path / "db.duckdb")
    assert rows(tmp_path / "db.duckdb", "SELECT programme_id, tier, release_date FROM programme ORDER BY 1") == [
        ("P1", "Custody", date(2021, 5, 25)),
        ("P2", "Prevention", None),
        ("P3", "First-tier", None),
    ]


def test_extract_info_names_each_services_region_comparator_and_files(base_db, tmp_path):
    assert rows(
        base_db,
        """SELECT yjs, region, compare_as, has_population, has_assessments, has_remands,
                                   has_victims, has_board_meetings FROM extract_info ORDER BY yjs""",
    ) == [
        ("Alpha", "North West", "Trafford", True, True, True, True, True),
        ("Beta", None, None, True, True, True, True, True),
    ]
    # A service named as in the published tables needs no services entry; one file less is said so.
    tables = base_tables()
    tables["children"] = [
        {**row, "yjs": {"Alpha": "Leicester City", "Beta": "wrexham"}[row["yjs"]]} for row in tables["children"]
    ]
    tables["population"] = [{**row, "yjs": "Leicester City"} for row in tables["population"][:4]]
    tables["board_meetings"] = None
    tables["remands"] = None
    folder = write_extract(tmp_path / "named", AS_OF, services={"wrexham": {"compare_as": "flintshire"}}, **tables)
    ingest(folder, tmp_path / "named.duckdb")
    assert rows(
        tmp_path / "named.duckdb",
        """SELECT yjs, region, compare_as, has_remands, has_board_meetings,
                                                     has_victims FROM extract_info ORDER BY yjs""",
    ) == [
        ("Leicester City", "East Midlands", "Leicester City", False, False, True),
        ("wrexham", "Wales", "Flintshire", False, False, True),
    ]


def test_without_the_optional_files_and_columns_the_tables_are_there_and_empty(tmp_path):
    folder = write_base(tmp_path / "extract")
    for name in ("population.csv", "assessments.csv", "remands.csv", "victims.csv", "board_meetings.csv"):
        remove(name)(folder)
    set_json(services=None)(folder)
    db = tmp_path / "db.duckdb"
    ingest(folder, db)
    assert row_counts(db) == {**BASE_ROWS, **dict.fromkeys(("population", *NEW_TABLES), 0)}
    assert rows(
        db,
        "SELECT DISTINCT region, compare_as, has_population, has_assessments, has_remands, has_victims, "
        "has_board_meetings FROM extract_info",
    ) == [(None, None, False, False, False, False, False)]


def _postgres_table(url: str, table: str) -> tuple[list, list]:
    with psycopg.connect(postgres_dsn(url)) as pg, pg.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            (table,),
        )
        columns = cur.fetchall()
        cur.execute(f"SELECT * FROM {table}")
        return columns, sorted(cur.fetchall(), key=repr)


def test_the_new_tables_are_the_same_on_postgresql(new_postgres_database, base_db, tmp_path):
    url = new_postgres_database()
    ingest(write_base(tmp_path / "extract"), url)
    con = duckdb.connect(str(base_db), read_only=True)
    for table in (*NEW_TABLES, "offence", "programme", "extract_info", "schema_info"):
        described = con.execute(f"DESCRIBE {table}").fetchall()
        pg_columns, pg_rows = _postgres_table(url, table)
        assert [(name, POSTGRES_TYPES[kind]) for name, kind, *_ in described] == [
            (name, {"timestamp without time zone": "timestamp"}.get(kind, kind)) for name, kind in pg_columns
        ], table
        keep = [i for i, (name, *_) in enumerate(described) if name not in ("loaded_at", "load_id")]  # which load
        duck_rows = sorted(
            (tuple(r[i] for i in keep) for r in con.execute(f"SELECT * FROM {table}").fetchall()), key=repr
        )
        assert duck_rows == sorted((tuple(r[i] for i in keep) for r in pg_rows), key=repr), table
    with psycopg.connect(postgres_dsn(url)) as pg, pg.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename IN ('remand', 'victim', 'board_meeting')")
        indexed = " ".join(r[0] for r in cur.fetchall())
    assert "(yjs, remand_date)" in indexed and "(yjs, contact_date)" in indexed and "(yjs, meeting_date)" in indexed


# -- row counts against the last load, and the drop threshold -----------------------------------------
def test_ingest_prints_each_files_rows_against_the_last_load(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    add_row("offences.csv", offence_id="O4", child_id="C3", offence_date="2021-07-01")(folder)
    remove("board_meetings.csv")(folder)
    result = run_cli(folder, live_db, "--accept-drop")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Loaded Alpha, Beta into ")
    assert lines[1:] == [
        "  children: 3 rows (unchanged)",
        "  offences: 3 -> 4 rows (+33.3%)",
        "  outcomes: 3 rows (unchanged)",
        "  programmes: 3 rows (unchanged)",
        "  population: 8 rows (unchanged)",
        "  assessments: 3 rows (unchanged)",
        "  remands: 2 rows (unchanged)",
        "  victims: 2 rows (unchanged)",
        "  board_meetings: 3 -> not in this extract (-100.0%)",
        "  accepted: Alpha: board_meetings.csv falls from 2 to 0 rows (-100%)",
        "  accepted: Beta: board_meetings.csv falls from 1 to 0 rows (-100%)",
    ]


def _without_c2(folder: Path) -> None:
    """Alpha loses one of its two children (and her programme and assessment): -50%."""
    tables = base_tables()
    tables["children"] = [r for r in tables["children"] if r["child_id"] != "C2"]
    tables["programmes"] = [r for r in tables["programmes"] if r["child_id"] != "C2"]
    tables["assessments"] = [r for r in tables["assessments"] if r["programme_id"] != "P2"]
    write_extract(folder, AS_OF, **tables)


def test_a_fall_of_more_than_a_fifth_is_refused_without_accept_drop(live_db, tmp_path):
    folder = tmp_path / "extract"
    _without_c2(folder)
    before = sha256(live_db)
    refused = run_cli(folder, live_db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert [line for line in refused.stderr.splitlines() if not line.startswith("[")] == [  # not progress
        "error: Alpha: children.csv falls from 2 to 1 rows (-50%)",
        "error: Alpha: programmes.csv falls from 2 to 1 rows (-50%)",
        "error: Alpha: assessments.csv falls from 3 to 2 rows (-33%)",
        "error: a fall of more than 20% is refused: if the extract is right, ingest it again with --accept-drop",
        "Load refused. The database was not changed.",
    ]
    assert sha256(live_db) == before and stray_copies(live_db) == []

    accepted = run_cli(folder, live_db, "--accept-drop")
    assert accepted.returncode == 0, accepted.stderr
    assert "  accepted: Alpha: children.csv falls from 2 to 1 rows (-50%)" in accepted.stdout.splitlines()
    assert rows(live_db, "SELECT yjs, count(*) FROM child GROUP BY 1 ORDER BY 1") == [("Alpha", 1), ("Beta", 1)]


def test_a_file_left_out_is_a_fall_to_nothing(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    remove("victims.csv")(folder)
    before = sha256(live_db)
    with pytest.raises(LoadRefused, match=re.escape("Alpha: victims.csv falls from 2 to 0 rows")):
        ingest(folder, live_db)
    assert sha256(live_db) == before


def test_a_fall_within_a_fifth_and_new_services_load(live_db, tmp_path):
    tables = base_tables()
    tables["population"] = tables["population"][:7]  # Beta: 4 -> 3 rows is -25%: too much
    folder = write_extract(tmp_path / "refused", AS_OF, **tables)
    with pytest.raises(LoadRefused, match=re.escape("Beta: population.csv falls from 4 to 3 rows")):
        ingest(folder, live_db)
    tables = base_tables()
    more = [
        dict(yjs=yjs, year=2021, age=age, sex="male", ethnicity_group="Black", population=7)
        for yjs in ("Alpha", "Beta")
        for age in range(10, 18)
    ]
    tables["population"] = tables["population"][1:] + more  # Alpha 4 -> 11, Beta 4 -> 12 rows
    tables["children"] = tables["children"] + [child("G1", "2008-01-01", yjs="Gamma")]
    summary = ingest(write_extract(tmp_path / "loads", AS_OF, **tables), live_db)
    assert summary.drops == [] and summary.yjs == ["Alpha", "Beta", "Gamma"]
    assert summary.before["child"] == 3 and summary.rows["child"] == 4 and summary.before["population"] == 8


# -- the manifest ------------------------------------------------------------------------------------
def test_an_extract_with_a_true_manifest_loads(tmp_path):
    folder = write_base(tmp_path / "extract")
    manifest()(folder)
    files = json.loads((folder / "extract.json").read_text())["files"]
    assert files["outcomes.csv"]["rows"] == 3 and len(files) == 9
    ingest(folder, tmp_path / "db.duckdb")
    assert row_counts(tmp_path / "db.duckdb") == BASE_ROWS


def test_a_manifest_may_give_rows_or_sha256_alone(tmp_path):
    folder = write_base(tmp_path / "extract")
    manifest()(folder)
    meta = json.loads((folder / "extract.json").read_text())
    meta["files"] = {"outcomes.csv": {"rows": 3}, "children.csv": {"sha256": meta["files"]["children.csv"]["sha256"]}}
    (folder / "extract.json").write_text(json.dumps(meta))
    ingest(folder, tmp_path / "db.duckdb")


# -- the demo mark -----------------------------------------------------------------------------------
def test_an_extract_described_as_synthetic_is_not_the_demo(tmp_path):
    folder = write_base(tmp_path / "extract")
    set_json(description="Synthetic demonstration data: fictional services (seed 1)")(folder)
    db = tmp_path / "db.duckdb"
    ingest(folder, db)
    assert rows(db, "SELECT demo FROM schema_info") == [(False,)]
    assert not is_demo(Database.open(db))
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE schema_info SET version = version - 1")
    assert not _outdated_demo(db)  # so the app never rebuilds (replaces) it either


def test_only_the_demo_build_marks_the_demo_and_any_other_load_clears_it(tmp_path):
    db = tmp_path / "demo.duckdb"
    build_demo(db, children=300, progress=lambda message: None)
    assert is_demo(Database.open(db))
    ingest(write_base(tmp_path / "extract"), db)  # a real extract loaded beside the demo's services
    assert rows(db, "SELECT demo FROM schema_info") == [(False,)]
    assert not is_demo(Database.open(db))


def test_the_demo_is_not_built_over_other_services(live_db):
    before = sha256(live_db)
    with pytest.raises(LoadRefused, match=r"holds services that are not the demo's \(Alpha, Beta\)"):
        build_demo(live_db, children=300, progress=lambda message: None)
    assert sha256(live_db) == before


def test_the_demo_flag_on_postgresql(new_postgres_database, tmp_path):
    url = new_postgres_database()
    build_demo(url, children=300, progress=lambda message: None)
    assert is_demo(Database.open(url))
    folder = tmp_path / "extract"
    write_extract(
        folder, AS_OF, children=[child("Z1", "2008-01-01", yjs="Zeta")], description="Synthetic, says the description"
    )
    ingest(folder, url)
    assert not is_demo(Database.open(url))


def test_a_fall_is_refused_on_postgresql_too(new_postgres_database, tmp_path):
    url = new_postgres_database()
    ingest(write_base(tmp_path / "extract"), url)
    _without_c2(tmp_path / "smaller")
    with pytest.raises(LoadRefused, match=re.escape("Alpha: children.csv falls from 2 to 1 rows")):
        ingest(tmp_path / "smaller", url)
    with psycopg.connect(postgres_dsn(url)) as pg, pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM child")
        assert cur.fetchone()[0] == 3  # the transaction was rolled back
    ingest(tmp_path / "smaller", url, accept_drop=True)


def test_a_header_only_extract_is_refused_not_loaded_empty(live_db, tmp_path):
    folder = write_extract(tmp_path / "empty", AS_OF)
    before = sha256(live_db)
    result = run_cli(folder, live_db)
    assert result.returncode == 1 and "Loaded" not in result.stdout
    assert result.stdout.splitlines() == [
        "children.csv:0: -: the extract holds no children: children.csv has only its header"
    ]
    assert sha256(live_db) == before
