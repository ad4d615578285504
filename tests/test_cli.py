"""The command line as an analyst uses it: export formats, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from dashboard import cli

from . import spec
from .commands import ROOT, run_dashboard
from .extracts import child, population_rows, write_extract
from .published import PUBLISHED_TOTALS


def run(*args, db=None):
    """``python -m dashboard ARGS``, with DASHBOARD_DB set to ``db`` where one is given."""
    return run_dashboard(*args, env={**os.environ, "DASHBOARD_DB": str(db)} if db else None)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    children = [child(f"k{i}", "2006-01-01", sex="female" if i % 3 else "male") for i in range(12)]
    outcomes = [
        dict(outcome_id=f"u{i}", child_id=f"k{i}", outcome_date="2021-06-01", outcome_type="YOUTH_CAUTION")
        for i in range(7)
    ]
    write_extract(folder / "x", children=children, outcomes=outcomes, population=population_rows(year=2021))
    path = folder / "cli.duckdb"
    done = run("ingest", folder / "x", "--db", path)
    assert done.returncode == 0, done.stderr
    assert "Loaded Testshire" in done.stdout
    return path


def test_export_csv_and_json_agree(db):
    as_csv = list(csv.DictReader(io.StringIO(run("export", "fte", "--format", "csv", "--db", db).stdout)))
    as_json = json.loads(run("export", "fte", "--format", "json", "--db", db).stdout)
    # as_of is 30 June 2022, so 2022-23 is there too, with no entrants yet
    assert [r["period"] for r in as_csv] == [r["period"] for r in as_json] == ["2021-22", "2022-23"]
    assert as_json[1]["fte"] == 0 and as_csv[1]["fte"] == "0"
    assert as_json[0]["fte"] == 7 and isinstance(as_json[0]["fte"], int)
    assert as_json[0]["rate_per_100000"] == pytest.approx(7 / 960 * 100_000)
    assert float(as_csv[0]["rate_per_100000"]) == pytest.approx(as_json[0]["rate_per_100000"])


#: What an export needs besides the database: benchmarks compare one service, compare-areas one indicator.
NEEDS = {"benchmarks": ["--yjs", "Testshire"], "compare-areas": ["--indicator", "fte_rate_per_100000"]}


@pytest.mark.parametrize("metric", spec.documented_metrics())
def test_every_export_prints_the_columns_the_documents_give_it(db, metric, capsys):
    assert cli.main(["export", metric, *NEEDS.get(metric, []), "--db", str(db)]) == 0, capsys.readouterr().err
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split(",") == spec.columns(metric)


def test_export_kpis_and_board_attendance_print_the_specs_columns_and_say_what_is_not_in_the_extract(db):
    kpis = run("export", "kpis", "--period", "2021-22", "--db", db)
    assert kpis.returncode == 0, kpis.stderr
    lines = kpis.stdout.splitlines()
    assert lines[0] == "period,yjs,kpi,measure,count,base,rate"
    # This extract has no assessments, victims or seriousness scores and no programme ended: out-of-court
    # outcomes alone, with nothing to count (0 of 0, no rate); never a 0 for what is not there.
    assert lines[1:] == ["2021-22,Testshire,out_of_court,completed,0,0,"]
    assert "note: Not in this extract: there is no assessments file (assessments.csv)" in kpis.stderr
    board = run("export", "board-attendance", "--period", "2021-22", "--db", db)
    assert board.stdout.splitlines() == ["period,yjs,partner,meetings,attended,senior,attended_percent"]
    assert "no board meetings file (board_meetings.csv)" in board.stderr
    assert run("export", "board-attendance", "--sex", "female", "--db", db).returncode == 2  # not about children


def test_suppressed_cells_are_null_unless_unsuppressed(db):
    boys = json.loads(
        run("export", "fte", "--sex", "male", "--period", "2021-22", "--format", "json", "--db", db).stdout
    )
    assert boys[0]["fte"] is None and boys[0]["rate_per_100000"] is None  # 3 boys
    raw = json.loads(
        run(
            "export", "fte", "--sex", "male", "--period", "2021-22", "--unsuppressed", "--format", "json", "--db", db
        ).stdout
    )
    assert raw[0]["fte"] == 3
    csv_line = run("export", "fte", "--sex", "male", "--period", "2021-22", "--db", db).stdout.splitlines()[1]
    assert csv_line == "2021-22,Testshire,,,480,"


def test_database_from_the_environment(db):
    done = run("export", "fte", "--format", "json", db=db)
    assert done.returncode == 0 and json.loads(done.stdout)[0]["yjs"] == "Testshire"


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "ftes"], "unknown metric 'ftes'; valid choices: fte, disposals, referrals, disproportionality"),
        (["export", "fte", "--yjs", "Nowhere"], "unknown YJS 'Nowhere'; valid choices: Testshire"),
        (["export", "fte", "--period", "2001-02"], "valid financial years: 2021-22"),
        (["export", "fte", "--sex", "x"], "valid choices: male, female, unknown"),
        (["export", "fte", "--programme", "Any"], "--programme does not apply to fte"),
        (["export", "fte", "--format", "xml"], "invalid choice"),
    ],
)
def test_wrong_values_are_one_line_errors_with_exit_2(db, args, message):
    done = run(*args, "--db", db)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


def test_missing_database_is_a_clear_error(tmp_path):
    done = run("export", "fte", "--db", tmp_path / "none.duckdb")
    assert done.returncode == 1 and "No database at" in done.stderr


def test_areas_national_totals_are_the_published_ones(db):
    done = run("export", "areas", "--level", "national", "--format", "json", "--db", db)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["period"]: r["children"] for r in rows} == PUBLISHED_TOTALS
    assert {r["region"] for r in rows} == {"England and Wales"}
    assert all(r["rate_per_1000"] == pytest.approx(r["children"] / r["population_10_17"] * 1000) for r in rows)


def test_areas_by_region_add_up_to_the_national_rows(db):
    regions = json.loads(
        run("export", "areas", "--level", "region", "--period", "2021-22", "--format", "json", "--db", db).stdout
    )
    assert len(regions) == 10 and sum(r["children"] for r in regions) == PUBLISHED_TOTALS["2021-22"]
    leeds = json.loads(
        run("export", "areas", "--yjs", "leeds", "--period", "2019-20", "--format", "json", "--db", db).stdout
    )
    assert [r["yjs"] for r in leeds] == ["Leeds"] and leeds[0]["region"] == "Yorkshire"


def test_ingest_and_export_through_a_postgresql_url(new_postgres_database, db, tmp_path):
    url = new_postgres_database()
    assert run("export", "fte", "--db", url).returncode == 1  # no tables yet: a clear error
    folder = tmp_path / "x"
    children = [child(f"k{i}", "2006-01-01", sex="female" if i % 3 else "male") for i in range(12)]
    outcomes = [
        dict(outcome_id=f"u{i}", child_id=f"k{i}", outcome_date="2021-06-01", outcome_type="YOUTH_CAUTION")
        for i in range(7)
    ]
    write_extract(folder, children=children, outcomes=outcomes, population=population_rows(year=2021))
    loaded = run("ingest", folder, "--db", url)
    assert loaded.returncode == 0 and "postgresql+psycopg://postgres@" in loaded.stdout
    assert not any(p.name.startswith("postgresql") for p in ROOT.iterdir())  # never taken for a file path
    for metric in ("fte", "disproportionality", "areas", "kpis", "kpi-recording", "board-attendance"):
        on_postgres = run("export", metric, "--format", "json", "--db", url)
        on_duckdb = run("export", metric, "--format", "json", "--db", db)
        assert on_postgres.returncode == 0, on_postgres.stderr
        assert json.loads(on_postgres.stdout) == json.loads(on_duckdb.stdout)
