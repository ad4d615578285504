"""The valid base extract every test here edits, and the edits: one fault is one small change to it.

Line numbers count the header as line 1; each row's line is noted beside it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
from pathlib import Path

import duckdb

from ..commands import run_dashboard
from ..extracts import child, write_extract

AS_OF = "2022-06-30"


# -- the valid base extract ------------------------------------------------------------------------
def base_tables() -> dict:
    """Three children in two YJSs. Line numbers (header = 1) are noted per row."""
    children = [
        {
            **child("C1", "2006-05-14", yjs="Alpha", sex="male", ethnicity_group="White", locality="North"),
            "ethnicity_detail": "White: English, Welsh, Scottish, Northern Irish or British",
        },  # line 2
        child("C2", "2007-11-02", yjs="Alpha", sex="female", ethnicity_group="Black", locality="South"),  # 3
        child("C3", "2005-01-20", yjs="Beta", sex="male", ethnicity_group="Asian", locality=None),  # 4
    ]
    offences = [
        dict(
            offence_id="O1",
            child_id="C1",
            offence_date="2021-03-01",
            category="Violence against the person",
            gravity=3,
            knife_or_offensive_weapon="yes",
            seriousness=5,
        ),  # line 2
        dict(
            offence_id="O2",
            child_id="C1",
            offence_date="2021-09-01",
            category="Theft",
            gravity=2,
            knife_or_offensive_weapon="false",
            seriousness=2,
        ),  # line 3
        dict(offence_id="O3", child_id="C3", offence_date="2021-05-01"),  # line 4
    ]
    outcomes = [
        dict(
            outcome_id="X1", child_id="C1", offence_id="O1", outcome_date="2021-04-01", outcome_type="YOUTH_CAUTION"
        ),  # line 2
        dict(outcome_id="X2", child_id="C3", outcome_date="2021-06-01", outcome_type="REFERRAL_ORDER"),  # 3
        dict(
            outcome_id="X3",
            child_id="C1",
            offence_id="O2",
            outcome_date="2021-10-01",
            outcome_type="COMMUNITY_RESOLUTION",
        ),  # line 4
    ]
    programmes = [
        dict(
            programme_id="P1",
            child_id="C1",
            disposal_type="YOUTH_CAUTION",
            programme_name="Turnaround",
            referral_date="2021-04-01",
            referral_source="POLICE",
            locality="North",
            start_date="2021-04-10",
            end_date="2021-07-10",
            closure_reason="Completed",
            completed="true",
        ),  # line 2: ended
        dict(
            programme_id="P2",
            child_id="C2",
            disposal_type="PREVENTION",
            referral_date="2022-01-01",
            referral_source="SCHOOL",
            start_date="2022-01-15",
        ),  # line 3: open
        dict(
            programme_id="P3",
            child_id="C3",
            disposal_type="REFERRAL_ORDER",
            referral_date="2021-06-01",
            referral_source="COURT",
        ),  # line 4: not started
    ]
    population = [
        dict(yjs=yjs, year=2021, age=age, sex=sex, ethnicity_group="White", population=100 + age)
        for yjs in ("Alpha", "Beta")
        for age in (10, 11)
        for sex in ("male", "female")
    ]  # lines 2-9
    assessments = [
        dict(
            assessment_id="A1",
            programme_id="P1",
            point="START",
            assessment_date="2021-04-12",
            accommodation="SUITABLE",
            ete="UNSUITABLE",
            ete_hours_offered=20,
            ete_hours_attended=10,
            send="false",
            mental_health_need="true",
            mental_health_offered="true",
            mental_health_attending="false",
            looked_after="false",
            child_in_need="true",
            child_protection_plan="false",
        ),  # line 2
        dict(
            assessment_id="A2",
            programme_id="P1",
            point="END",
            assessment_date="2021-07-09",
            accommodation="SUITABLE",
            ete="SUITABLE",
            ete_hours_offered=25,
            ete_hours_attended=25,
            send="true",
            send_plan="false",
            mental_health_need="true",
            mental_health_offered="true",
            mental_health_attending="true",
            substance_need="false",
        ),  # line 3
        dict(
            assessment_id="A3", programme_id="P2", point="START", assessment_date="2022-01-20"
        ),  # line 4: nothing else recorded
    ]
    remands = [
        dict(
            remand_id="R1",
            child_id="C1",
            offence_id="O1",
            remand_date="2021-03-05",
            remand_type="CONDITIONAL_BAIL",
            end_date="2021-04-01",
            outcome_id="X1",
        ),  # line 2
        dict(
            remand_id="R2",
            child_id="C3",
            offence_id="O3",
            remand_date="2021-05-10",
            remand_type="REMAND_TO_YOUTH_DETENTION",
        ),  # line 3: open
    ]
    victims = [
        dict(
            victim_id="V1",
            offence_id="O1",
            contact_date="2021-04-10",
            consented="true",
            rj_offered="true",
            rj_participated="false",
        ),  # line 2
        dict(victim_id="V2", offence_id="O2", contact_date="2021-10-05", consented="false"),  # line 3
    ]
    board_meetings = [
        dict(yjs="Alpha", meeting_date="2021-06-15", partner="POLICE", attended="true", senior="true"),  # line 2
        dict(yjs="Alpha", meeting_date="2021-06-15", partner="HEALTH", attended="false"),  # line 3
        dict(yjs="Beta", meeting_date="2021-06-20", partner="EDUCATION", attended="yes", senior="no"),  # line 4
    ]
    return dict(
        children=children,
        offences=offences,
        outcomes=outcomes,
        programmes=programmes,
        population=population,
        assessments=assessments,
        remands=remands,
        victims=victims,
        board_meetings=board_meetings,
    )


BASE_ROWS = {
    "child": 3,
    "offence": 3,
    "outcome": 3,
    "programme": 3,
    "population": 8,
    "assessment": 3,
    "remand": 2,
    "victim": 2,
    "board_meeting": 3,
}
#: Alpha compares as a published service of its region; Beta says nothing (it is not a published name).
BASE_SERVICES = {"Alpha": {"region": "North West", "compare_as": "Trafford"}}


def write_base(folder: Path) -> Path:
    return write_extract(folder, AS_OF, services=BASE_SERVICES, **base_tables())


# -- helpers ---------------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stray_copies(db: Path) -> list[str]:
    """Files ingest works in next to the database: copies (and their WALs) that must not outlive it."""
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name + ".tmp"))


def run_cli(folder: Path, db: Path, *flags: str, timeout: float = 120, **options) -> subprocess.CompletedProcess:
    """``python -m dashboard ingest FOLDER --db DB FLAGS...``; ``options`` go to subprocess.run."""
    return run_dashboard("ingest", folder, "--db", db, *flags, timeout=timeout, **options)


def row_counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in BASE_ROWS}
    finally:
        con.close()


def snapshot(db: Path, yjs: str | None = None) -> dict[str, tuple]:
    """Every table's columns and sorted rows (``loaded_at`` and ``load_id`` left out: when and which load,
    not what, was loaded).
    With ``yjs``, tables that have a yjs column keep only that service's rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            described = con.execute(f'DESCRIBE "{table}"').fetchall()
            columns = [(name, kind) for name, kind, *_ in described if name not in ("loaded_at", "load_id")]
            select = ", ".join(f'"{name}"' for name, _ in columns)
            sql, params = f'SELECT {select} FROM "{table}"', []
            if yjs is not None and any(name == "yjs" for name, _ in columns):
                sql, params = sql + " WHERE yjs = ?", [yjs]
            rows = sorted(con.execute(sql, params).fetchall(), key=repr)
            result[table] = (tuple(columns), tuple(rows))
        return result
    finally:
        con.close()


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


# Edits: each returns a function applying one change to a written base extract.
def cell(file: str, line: int, column: str, value: str):
    def edit(folder: Path) -> None:
        header, rows = read_csv(folder / file)
        rows[line - 2][column] = value
        write_csv(folder / file, header, rows)

    return edit


def add_row(file: str, **values):
    def edit(folder: Path) -> None:
        header, rows = read_csv(folder / file)
        write_csv(folder / file, header, rows + [values])

    return edit


def drop_column(file: str, column: str):
    def edit(folder: Path) -> None:
        header, rows = read_csv(folder / file)
        write_csv(folder / file, [c for c in header if c != column], rows)

    return edit


def remove(file: str):
    return lambda folder: (folder / file).unlink()


def write_text(file: str, text: str):
    return lambda folder: (folder / file).write_text(text, encoding="utf-8")


def append_raw(file: str, text: str):
    def edit(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)

    return edit


def replace_bytes(file: str, old: bytes, new: bytes):
    """Change bytes of a file (once, where exactly one match is expected)."""

    def edit(folder: Path) -> None:
        data = (folder / file).read_bytes()
        assert data.count(old) == 1, (file, old)
        (folder / file).write_bytes(data.replace(old, new))

    return edit


def not_a_file(file: str, kind: str):
    """Put something that is not a regular file where ``file`` was: a FIFO, a folder, a device (a
    link to /dev/zero, which never ends) or a link to nothing."""

    def edit(folder: Path) -> None:
        path = folder / file
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "folder":
            path.mkdir()
        elif kind == "device":
            path.symlink_to("/dev/zero")
        else:
            path.symlink_to(folder / "nowhere.csv")

    return edit


def set_json(**keys):
    """Set keys of extract.json (None removes one)."""

    def edit(folder: Path) -> None:
        meta = json.loads((folder / "extract.json").read_text())
        meta.update(keys)
        (folder / "extract.json").write_text(json.dumps({k: v for k, v in meta.items() if v is not None}))

    return edit


def manifest(**changes):
    """Give extract.json a true manifest of every file (rows and sha256), then apply ``changes``:
    file name (with _ for .) -> entry to use instead."""

    def edit(folder: Path) -> None:
        files = {}
        for path in sorted(folder.glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                rows = sum(1 for _ in csv.reader(handle)) - 1
            files[path.name] = {"rows": rows, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        for key, entry in changes.items():
            name = key.replace("_csv", ".csv")
            files[name] = {**files.get(name, {}), **entry} if isinstance(entry, dict) else entry
        set_json(files=files)(folder)

    return edit


def both(*edits):
    """Several edits as one fault (e.g. a custodial disposal type and its release date)."""

    def edit(folder: Path) -> None:
        for each in edits:
            each(folder)

    return edit
