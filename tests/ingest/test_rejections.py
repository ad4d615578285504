"""Broken extracts are rejected with the right `file:line: column: problem` and the database untouched.

The issue's "Done when": a corpus of broken extracts (one fault each) is each rejected with the right
message and no change to the database; a kill during ingest leaves the old database intact; loading
twice gives the same database; loading replaces only the YJSs named in the extract.

Every fault is a small edit of one valid base extract (corpus.py), so the edit is the only thing wrong.
Line numbers count the header as line 1.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dashboard.ingest import ExtractRejected, ingest

from .. import spec
from ..commands import ROOT
from ..extracts import HEADERS, child, offence, outcome, programme, write_extract
from .corpus import (
    AS_OF,
    BASE_ROWS,
    add_row,
    append_raw,
    base_tables,
    both,
    cell,
    drop_column,
    manifest,
    not_a_file,
    read_csv,
    remove,
    replace_bytes,
    row_counts,
    run_cli,
    set_json,
    sha256,
    snapshot,
    stray_copies,
    write_base,
    write_csv,
    write_text,
)

# -- the corpus: one fault each, with every problem line it must produce ------------------------------
FAULTS = {
    # missing files and columns
    "missing extract.json": (remove("extract.json"), [("extract.json:0: -", "required file is missing")]),
    "missing children.csv": (remove("children.csv"), [("children.csv:0: -", "required file is missing")]),
    "missing offences.csv": (remove("offences.csv"), [("offences.csv:0: -", "required file is missing")]),
    "missing outcomes.csv": (remove("outcomes.csv"), [("outcomes.csv:0: -", "required file is missing")]),
    "missing programmes.csv": (remove("programmes.csv"), [("programmes.csv:0: -", "required file is missing")]),
    "empty children.csv": (write_text("children.csv", ""), [("children.csv:1: -", "empty")]),
    "missing column date_of_birth": (
        drop_column("children.csv", "date_of_birth"),
        [("children.csv:1: date_of_birth", "required column is missing")],
    ),
    "missing column offence_date": (
        drop_column("offences.csv", "offence_date"),
        [("offences.csv:1: offence_date", "required column is missing")],
    ),
    "missing column outcome_type": (
        drop_column("outcomes.csv", "outcome_type"),
        [("outcomes.csv:1: outcome_type", "required column is missing")],
    ),
    "missing column referral_date": (
        drop_column("programmes.csv", "referral_date"),
        [("programmes.csv:1: referral_date", "required column is missing")],
    ),
    "missing column population": (
        drop_column("population.csv", "population"),
        [("population.csv:1: population", "required column is missing")],
    ),
    # empty required values
    "empty sex": (cell("children.csv", 3, "sex", ""), [("children.csv:3: sex", "required value is missing")]),
    "blank outcome_date": (
        cell("outcomes.csv", 3, "outcome_date", "   "),
        [("outcomes.csv:3: outcome_date", "required value is missing")],
    ),
    "empty programme_id": (
        cell("programmes.csv", 4, "programme_id", ""),
        [("programmes.csv:4: programme_id", "required value is missing")],
    ),
    # dates
    "date 2021-02-30": (
        cell("offences.csv", 3, "offence_date", "2021-02-30"),
        [("offences.csv:3: offence_date", "'2021-02-30' is not a date (YYYY-MM-DD)")],
    ),
    "date 21/03/2021": (
        cell("programmes.csv", 2, "referral_date", "21/03/2021"),
        [("programmes.csv:2: referral_date", "'21/03/2021' is not a date (YYYY-MM-DD)")],
    ),
    "date 2006-5-14": (
        cell("children.csv", 2, "date_of_birth", "2006-5-14"),
        [("children.csv:2: date_of_birth", "'2006-5-14' is not a date")],
    ),
    "optional date 2022-13-01": (
        cell("programmes.csv", 3, "start_date", "2022-13-01"),
        [("programmes.csv:3: start_date", "'2022-13-01' is not a date")],
    ),
    # numbers
    "gravity high": (
        cell("offences.csv", 2, "gravity", "high"),
        [("offences.csv:2: gravity", "'high' is not a whole number")],
    ),
    "gravity 7": (
        cell("offences.csv", 2, "gravity", "7"),
        [("offences.csv:2: gravity", "'7' must be between 1 and 5")],
    ),
    "gravity 0": (
        cell("offences.csv", 3, "gravity", "0"),
        [("offences.csv:3: gravity", "'0' must be between 1 and 5")],
    ),
    "gravity 2.5": (
        cell("offences.csv", 3, "gravity", "2.5"),
        [("offences.csv:3: gravity", "'2.5' is not a whole number")],
    ),
    "population year abc": (
        cell("population.csv", 4, "year", "abc"),
        [("population.csv:4: year", "'abc' is not a whole number")],
    ),
    "population age 9": (
        cell("population.csv", 2, "age", "9"),
        [("population.csv:2: age", "'9' must be between 10 and 17")],
    ),
    "population age 18": (
        cell("population.csv", 9, "age", "18"),
        [("population.csv:9: age", "'18' must be between 10 and 17")],
    ),
    "negative population": (
        cell("population.csv", 5, "population", "-5"),
        [("population.csv:5: population", "'-5' must be at least 0")],
    ),
    # booleans and vocabularies
    "boolean maybe": (
        cell("offences.csv", 3, "knife_or_offensive_weapon", "maybe"),
        [("offences.csv:3: knife_or_offensive_weapon", "'maybe' is not one of: true/false")],
    ),
    "boolean done": (
        cell("programmes.csv", 2, "completed", "done"),
        [("programmes.csv:2: completed", "'done' is not one of")],
    ),
    "sex boy": (
        cell("children.csv", 3, "sex", "boy"),
        [("children.csv:3: sex", "'boy' is not one of: male, female, unknown")],
    ),
    "ethnicity Purple": (
        cell("children.csv", 2, "ethnicity_group", "Purple"),
        [("children.csv:2: ethnicity_group", "'Purple' is not one of: White, Mixed, Asian, Black")],
    ),
    "outcome_type WARNING": (
        cell("outcomes.csv", 4, "outcome_type", "WARNING"),
        [("outcomes.csv:4: outcome_type", "'WARNING' is not one of: COMMUNITY_RESOLUTION")],
    ),
    "outcome_type PREVENTION": (
        cell("outcomes.csv", 2, "outcome_type", "PREVENTION"),
        [("outcomes.csv:2: outcome_type", "'PREVENTION' is not one of")],
    ),
    "disposal_type ASBO": (
        cell("programmes.csv", 3, "disposal_type", "ASBO"),
        [("programmes.csv:3: disposal_type", "'ASBO' is not one of: PREVENTION")],
    ),
    "referral_source NEIGHBOUR": (
        cell("programmes.csv", 4, "referral_source", "NEIGHBOUR"),
        [("programmes.csv:4: referral_source", "'NEIGHBOUR' is not one of: POLICE")],
    ),
    "population sex unknown": (
        cell("population.csv", 3, "sex", "unknown"),
        [("population.csv:3: sex", "'unknown' is not one of: male, female")],
    ),
    # duplicate ids
    "duplicate child_id": (
        add_row("children.csv", **child("C1", "2008-08-08", yjs="Alpha")),
        [("children.csv:5: child_id", "duplicate child_id 'C1' (first on line 2)")],
    ),
    "duplicate child_id with spaces": (
        add_row("children.csv", **child(" C3 ", "2008-08-08", yjs="Beta")),
        [("children.csv:5: child_id", "duplicate child_id 'C3' (first on line 4)")],
    ),
    "duplicate offence_id": (
        add_row("offences.csv", offence_id="O2", child_id="C1", offence_date="2021-12-01"),
        [("offences.csv:5: offence_id", "duplicate offence_id 'O2' (first on line 3)")],
    ),
    "duplicate outcome_id": (
        add_row("outcomes.csv", outcome_id="X1", child_id="C2", outcome_date="2021-12-01", outcome_type="FINE"),
        [("outcomes.csv:5: outcome_id", "duplicate outcome_id 'X1' (first on line 2)")],
    ),
    "duplicate programme_id": (
        add_row(
            "programmes.csv", programme_id="P1", child_id="C2", disposal_type="PREVENTION", referral_date="2022-02-01"
        ),
        [("programmes.csv:5: programme_id", "duplicate programme_id 'P1' (first on line 2)")],
    ),
    "duplicate population row": (
        add_row(
            "population.csv", yjs="Alpha", year="2021", age="10", sex="MALE", ethnicity_group=" white ", population="7"
        ),
        [("population.csv:10: -", "duplicate row for the same yjs, year, age, sex")],
    ),
    # ids that point nowhere
    "offence child_id nowhere": (
        cell("offences.csv", 4, "child_id", "C9"),
        [
            ("offences.csv:4: child_id", "child_id 'C9' is not in children.csv"),
            ("remands.csv:3: offence_id", "offence 'O3' belongs to child 'C9', not 'C3'"),
        ],
    ),
    "outcome child_id nowhere": (
        cell("outcomes.csv", 3, "child_id", "C9"),
        [("outcomes.csv:3: child_id", "child_id 'C9' is not in children.csv")],
    ),
    "programme child_id nowhere": (
        cell("programmes.csv", 4, "child_id", "C9"),
        [("programmes.csv:4: child_id", "child_id 'C9' is not in children.csv")],
    ),
    "outcome offence_id nowhere": (
        cell("outcomes.csv", 3, "offence_id", "O9"),
        [("outcomes.csv:3: offence_id", "offence_id 'O9' is not in offences.csv")],
    ),
    "offence_id in another case": (
        cell("outcomes.csv", 2, "offence_id", "o1"),
        [("outcomes.csv:2: offence_id", "offence_id 'o1' is not in offences.csv")],
    ),
    "outcome offence of another child": (
        cell("outcomes.csv", 3, "offence_id", "O1"),
        [("outcomes.csv:3: offence_id", "offence 'O1' belongs to child 'C1', not 'C3'")],
    ),
    # date order and as_of
    "offence after as_of": (
        cell("offences.csv", 3, "offence_date", "2022-07-01"),
        [
            ("offences.csv:3: offence_date", "date 2022-07-01 is after the extract's as_of date (2022-06-30)"),
            ("victims.csv:3: contact_date", "is before the offence's offence_date 2022-07-01"),
        ],
    ),
    "birth after as_of": (
        cell("children.csv", 4, "date_of_birth", "2023-01-01"),
        [
            ("children.csv:4: date_of_birth", "is after the extract's as_of date"),
            ("offences.csv:4: offence_date", "2021-05-01 is before the child's date_of_birth"),
            ("outcomes.csv:3: outcome_date", "is before the child's date_of_birth"),
            ("programmes.csv:4: referral_date", "is before the child's date_of_birth"),
            ("remands.csv:3: remand_date", "is before the child's date_of_birth"),
        ],
    ),
    "programme start after as_of": (
        cell("programmes.csv", 3, "start_date", "2022-07-01"),
        [("programmes.csv:3: start_date", "date 2022-07-01 is after the extract's as_of")],
    ),
    "end before start": (
        cell("programmes.csv", 2, "end_date", "2021-04-05"),
        [("programmes.csv:2: end_date", "end_date 2021-04-05 is before start_date 2021-04-10")],
    ),
    "start before referral": (
        cell("programmes.csv", 2, "start_date", "2021-03-20"),
        [("programmes.csv:2: start_date", "start_date 2021-03-20 is before referral_date 2021-04-01")],
    ),
    "end without start": (
        cell("programmes.csv", 2, "start_date", ""),
        [("programmes.csv:2: end_date", "end_date is set but start_date is missing")],
    ),
    # extract.json
    "as_of 30/06/2022": (
        write_text("extract.json", '{"as_of": "30/06/2022"}'),
        [("extract.json:1: as_of", "'30/06/2022' is not a date (YYYY-MM-DD)")],
    ),
    "as_of 2022-02-30": (
        write_text("extract.json", '{"as_of": "2022-02-30"}'),
        [("extract.json:1: as_of", "'2022-02-30' is not a date")],
    ),
    "as_of missing": (
        write_text("extract.json", '{"description": "no date"}'),
        [("extract.json:1: as_of", "required value is missing")],
    ),
    "invalid JSON": (
        write_text("extract.json", '{\n  "as_of": "2022-06-30"\n  "description": "no comma"\n}\n'),
        [("extract.json:3: -", "not valid JSON")],
    ),
    "JSON not an object": (
        write_text("extract.json", '["2022-06-30"]'),
        [("extract.json:1: -", "must be a JSON object")],
    ),
    # malformed CSV rows
    "too many fields": (
        append_raw("offences.csv", "O4,C1,2021-01-01,Theft,1,no,3,surplus\n"),
        [("offences.csv:5: -", "malformed row")],
    ),
    "too few fields": (append_raw("children.csv", "C4,2008-01-01,male\n"), [("children.csv:5: -", "malformed row")]),
    # new columns of the core files
    "seriousness 9": (
        cell("offences.csv", 2, "seriousness", "9"),
        [("offences.csv:2: seriousness", "'9' must be between 1 and 8")],
    ),
    "seriousness high": (
        cell("offences.csv", 3, "seriousness", "high"),
        [("offences.csv:3: seriousness", "'high' is not a whole number")],
    ),
    "release_date of a caution": (
        cell("programmes.csv", 2, "release_date", "2021-05-01"),
        [
            (
                "programmes.csv:2: release_date",
                "release_date is set but disposal_type "
                "YOUTH_CAUTION is not a custodial sentence (DETENTION_AND_TRAINING_ORDER",
            )
        ],
    ),
    "release_date before start": (
        both(
            cell("programmes.csv", 2, "disposal_type", "DETENTION_AND_TRAINING_ORDER"),
            cell("programmes.csv", 2, "release_date", "2021-04-09"),
        ),
        [("programmes.csv:2: release_date", "release_date 2021-04-09 is before start_date 2021-04-10")],
    ),
    "release_date after end": (
        both(
            cell("programmes.csv", 2, "disposal_type", "section_250"),
            cell("programmes.csv", 2, "release_date", "2021-07-11"),
        ),
        [("programmes.csv:2: release_date", "2021-07-11 is after end_date 2021-07-10")],
    ),
    "release_date not started": (
        both(
            cell("programmes.csv", 4, "disposal_type", "DETENTION_AND_TRAINING_ORDER"),
            cell("programmes.csv", 4, "release_date", "2021-07-01"),
        ),
        [("programmes.csv:4: release_date", "release_date is set but start_date is missing")],
    ),
    "release_date after as_of": (
        both(
            cell("programmes.csv", 3, "disposal_type", "SECTION_254"),
            cell("programmes.csv", 3, "release_date", "2022-07-01"),
        ),
        [("programmes.csv:3: release_date", "date 2022-07-01 is after the extract's as_of")],
    ),
    # assessments.csv
    "missing column point": (
        drop_column("assessments.csv", "point"),
        [("assessments.csv:1: point", "required column is missing")],
    ),
    "assessment point MIDDLE": (
        cell("assessments.csv", 4, "point", "MIDDLE"),
        [("assessments.csv:4: point", "'MIDDLE' is not one of: START, END")],
    ),
    "assessment programme nowhere": (
        cell("assessments.csv", 4, "programme_id", "P9"),
        [("assessments.csv:4: programme_id", "'P9' is not in programmes.csv")],
    ),
    "duplicate assessment_id": (
        add_row("assessments.csv", assessment_id="A1", programme_id="P3", point="START", assessment_date="2021-06-05"),
        [("assessments.csv:5: assessment_id", "duplicate assessment_id 'A1' (first")],
    ),
    "a second START": (
        add_row("assessments.csv", assessment_id="A4", programme_id="P1", point="start", assessment_date="2021-04-20"),
        [
            (
                "assessments.csv:5: -",
                "duplicate row for the same programme_id and point (first on line 2)"
                ": a programme has at most one START and one END assessment",
            )
        ],
    ),
    "END before the programme started": (
        cell("assessments.csv", 3, "assessment_date", "2021-04-09"),
        [
            (
                "assessments.csv:3: assessment_date",
                "END assessment_date 2021-04-09 is before the start_date 2021-04-10 of programme 'P1'",
            )
        ],
    ),
    "assessment date missing": (
        cell("assessments.csv", 4, "assessment_date", ""),
        [("assessments.csv:4: assessment_date", "required value is missing")],
    ),
    "assessment after as_of": (
        cell("assessments.csv", 4, "assessment_date", "2022-07-01"),
        [("assessments.csv:4: assessment_date", "is after the extract's as_of date")],
    ),
    "accommodation OK": (
        cell("assessments.csv", 2, "accommodation", "OK"),
        [("assessments.csv:2: accommodation", "'OK' is not one of: SUITABLE, UNSUITABLE")],
    ),
    "hours attended beyond offered": (
        cell("assessments.csv", 2, "ete_hours_attended", "21"),
        [("assessments.csv:2: ete_hours_attended", "ete_hours_attended 21 is more than ete_hours_offered 20")],
    ),
    "hours offered -1": (
        cell("assessments.csv", 3, "ete_hours_offered", "-1"),
        [("assessments.csv:3: ete_hours_offered", "'-1' must be between 0 and 168")],
    ),
    "hours offered 169": (
        both(
            cell("assessments.csv", 3, "ete_hours_offered", "169"), cell("assessments.csv", 3, "ete_hours_attended", "")
        ),
        [("assessments.csv:3: ete_hours_offered", "'169' must be between 0 and 168")],
    ),
    "send maybe": (
        cell("assessments.csv", 3, "send", "maybe"),
        [("assessments.csv:3: send", "'maybe' is not one of: true/false")],
    ),
    # remands.csv
    "remand child nowhere": (
        both(cell("remands.csv", 3, "child_id", "C9"), cell("remands.csv", 3, "offence_id", "")),
        [("remands.csv:3: child_id", "child_id 'C9' is not in children.csv")],
    ),
    "remand offence of another child": (
        cell("remands.csv", 3, "offence_id", "O2"),
        [("remands.csv:3: offence_id", "'O2' belongs to child 'C1', not 'C3'")],
    ),
    "remand offence nowhere": (
        cell("remands.csv", 2, "offence_id", "O9"),
        [("remands.csv:2: offence_id", "offence_id 'O9' is not in offences.csv")],
    ),
    "remand outcome of another child": (
        cell("remands.csv", 3, "outcome_id", "X1"),
        [("remands.csv:3: outcome_id", "'X1' belongs to child 'C1', not 'C3'")],
    ),
    "remand outcome nowhere": (
        cell("remands.csv", 2, "outcome_id", "X9"),
        [("remands.csv:2: outcome_id", "outcome_id 'X9' is not in outcomes.csv")],
    ),
    "remand ends before it starts": (
        cell("remands.csv", 2, "end_date", "2021-03-04"),
        [("remands.csv:2: end_date", "2021-03-04 is before remand_date 2021-03-05")],
    ),
    "remand type CURFEW": (
        cell("remands.csv", 3, "remand_type", "CURFEW"),
        [("remands.csv:3: remand_type", "'CURFEW' is not one of: UNCONDITIONAL_BAIL")],
    ),
    "duplicate remand_id": (
        cell("remands.csv", 3, "remand_id", "R1"),
        [("remands.csv:3: remand_id", "duplicate remand_id 'R1' (first on line 2)")],
    ),
    "remand after as_of": (
        cell("remands.csv", 3, "remand_date", "2022-07-01"),
        [("remands.csv:3: remand_date", "date 2022-07-01 is after the extract's as_of")],
    ),
    # victims.csv
    "victim offence nowhere": (
        cell("victims.csv", 3, "offence_id", "O9"),
        [("victims.csv:3: offence_id", "offence_id 'O9' is not in offences.csv")],
    ),
    "victim offence missing": (
        cell("victims.csv", 3, "offence_id", ""),
        [("victims.csv:3: offence_id", "required value is missing")],
    ),
    "victim contacted before the offence": (
        cell("victims.csv", 2, "contact_date", "2021-02-28"),
        [("victims.csv:2: contact_date", "contact_date 2021-02-28 is before the offence's offence_date 2021-03-01")],
    ),
    "consented sometimes": (
        cell("victims.csv", 2, "consented", "sometimes"),
        [("victims.csv:2: consented", "'sometimes' is not one of: true/false")],
    ),
    "duplicate victim_id": (
        add_row("victims.csv", victim_id="V2", offence_id="O3", contact_date="2021-06-10"),
        [("victims.csv:4: victim_id", "duplicate victim_id 'V2' (first on line 3)")],
    ),
    # board_meetings.csv
    "board meeting of another service": (
        cell("board_meetings.csv", 4, "yjs", "Gamma"),
        [("board_meetings.csv:4: yjs", "yjs 'Gamma' is not a service of this extract (its services: Alpha, Beta)")],
    ),
    "attended missing": (
        cell("board_meetings.csv", 3, "attended", ""),
        [("board_meetings.csv:3: attended", "required value is missing")],
    ),
    "partner MAYOR": (
        cell("board_meetings.csv", 2, "partner", "MAYOR"),
        [("board_meetings.csv:2: partner", "'MAYOR' is not one of: POLICE, PROBATION, HEALTH")],
    ),
    "a partner twice at one meeting": (
        add_row("board_meetings.csv", yjs="Alpha", meeting_date="2021-06-15", partner="police", attended="no"),
        [
            (
                "board_meetings.csv:5: -",
                "duplicate row for the same yjs, meeting_date and "
                "partner (first on line 2): a partner attends a meeting once",
            )
        ],
    ),
    "meeting before 1990": (
        cell("board_meetings.csv", 4, "meeting_date", "1989-12-31"),
        [("board_meetings.csv:4: meeting_date", "date 1989-12-31 is before 1 January 1990")],
    ),
    # the services block of extract.json
    "services: not of this extract": (
        set_json(services={"Gamma": {"region": "London"}}),
        [("extract.json:1: services", "'Gamma': is not a service of this extract; its services: Alpha, Beta")],
    ),
    "services: unknown region": (
        set_json(services={"Beta": {"region": "North-West"}}),
        [
            (
                "extract.json:1: services",
                "'Beta': region 'North-West' is not a YJB region; valid "
                "choices: East Midlands, Eastern, London, North East, North West, South East, "
                "South West, Wales, West Midlands, Yorkshire",
            )
        ],
    ),
    "services: unknown service to compare as": (
        set_json(services={"Beta": {"region": "north west", "compare_as": "Traford"}}),
        [
            (
                "extract.json:1: services",
                "'Beta': compare_as 'Traford' is not a "
                "service in the published tables; valid choices in North West: "
                "Blackburn with Darwen, Blackpool, Bolton,",
            )
        ],
    ),
    "services: unknown key": (
        set_json(services={"Beta": {"regoin": "London"}}),
        [("extract.json:1: services", "'Beta': unknown key 'regoin'; valid keys: region, compare_as")],
    ),
    "services: not an object": (
        set_json(services=["Alpha"]),
        [("extract.json:1: services", "must be a JSON object, not \"['Alpha']\"")],
    ),
    # the manifest of extract.json
    "manifest: a file cut short": (
        both(manifest(), replace_bytes("outcomes.csv", b"X3,C1,O2,2021-10-01,COMMUNITY_RESOLUTION\n", b"")),
        [
            ("outcomes.csv:0: -", "has 2 data rows but extract.json's files says 3: the file may have been cut short"),
            ("outcomes.csv:0: -", "its SHA-256 is"),
        ],
    ),
    "manifest: other bytes": (
        both(manifest(), replace_bytes("victims.csv", b"V2,O2,2021-10-05", b"V2,O2,2021-10-06")),
        [("victims.csv:0: -", "its SHA-256 is")],
    ),
    "manifest: a file not there": (
        both(manifest(remands_csv={"rows": 2}), remove("remands.csv")),
        [("remands.csv:0: -", "is listed in extract.json's files but is missing")],
    ),
    "manifest: not a file of the extract": (
        manifest(outcome_csv={"rows": 3}),
        [
            (
                "extract.json:1: files",
                "'outcome.csv' is not a file of the extract; valid choices: children.csv, offences.csv",
            )
        ],
    ),
    "manifest: rows not a number": (
        manifest(children_csv={"rows": "3"}),
        [("extract.json:1: files", "children.csv: rows must be a whole number of at least 0, not '3'")],
    ),
    "manifest: a short digest": (
        manifest(children_csv={"sha256": "abc"}),
        [("extract.json:1: files", "children.csv: sha256 must be 64 hexadecimal digits")],
    ),
    "manifest: unknown key": (
        manifest(children_csv={"md5": "abc"}),
        [("extract.json:1: files", "children.csv: unknown key 'md5'; valid keys: rows, sha256")],
    ),
    # impossible dates
    "born after their referral": (
        cell("children.csv", 3, "date_of_birth", "2022-01-10"),
        [
            (
                "programmes.csv:3: referral_date",
                "referral_date 2022-01-01 is before the child's date_of_birth 2022-01-10 (children.csv line 3)",
            ),
            ("programmes.csv:3: start_date", "the child was 0 on start_date 2022-01-15"),
            ("assessments.csv:4: assessment_date", "the child was 0 on assessment_date"),
        ],
    ),
    "a child of 7": (
        cell("children.csv", 3, "date_of_birth", "2014-01-02"),
        [
            (
                "programmes.csv:3: referral_date",
                "the child was 7 on referral_date 2022-01-01 (date_of_birth "
                "2014-01-02, children.csv line 3): a child is 8 to 25 at anything recorded about them",
            )
        ],
    ),
    "a child of 26": (
        cell("children.csv", 4, "date_of_birth", "1995-05-01"),
        [
            ("offences.csv:4: offence_date", "the child was 26 on offence_date 2021-05-01"),
            ("outcomes.csv:3: outcome_date", "the child was 26"),
            ("programmes.csv:4: referral_date", "the child was 26"),
            ("remands.csv:3: remand_date", "the child was 26"),
        ],
    ),
    "born before 1990": (
        cell("children.csv", 4, "date_of_birth", "1989-12-31"),
        [
            ("children.csv:4: date_of_birth", "date 1989-12-31 is before 1 January 1990"),
            ("offences.csv:4: offence_date", "the child was 31"),
            ("outcomes.csv:3: outcome_date", "31"),
            ("programmes.csv:4: referral_date", "31"),
            ("remands.csv:3: remand_date", "31"),
        ],
    ),
    "an offence in 1989": (
        cell("offences.csv", 4, "offence_date", "1989-06-01"),
        [
            ("offences.csv:4: offence_date", "date 1989-06-01 is before 1 January 1990"),
            ("offences.csv:4: offence_date", "1989-06-01 is before the child's date_of_birth"),
        ],
    ),
    # text that is not data
    "a 201-character child_id": (
        both(cell("children.csv", 3, "child_id", "C" * 201), cell("programmes.csv", 3, "child_id", "C" * 201)),
        [
            ("children.csv:3: child_id", "is 201 characters long: at most 200 are allowed"),
            ("programmes.csv:3: child_id", "is 201 characters long"),
        ],
    ),
    "a 201-character locality": (
        cell("children.csv", 2, "locality", "x" * 201),
        [("children.csv:2: locality", "is 201 characters long: at most 200 are allowed")],
    ),
    "a 2,001-character closure_reason": (
        cell("programmes.csv", 2, "closure_reason", "y" * 2001),
        [("programmes.csv:2: closure_reason", "is 2,001 characters long: at most 2,000 are allowed")],
    ),
    "a long description": (
        set_json(description="z" * 2001),
        [("extract.json:1: description", "is 2,001 characters long: at most 2,000 are allowed")],
    ),
    "a long value is quoted short": (
        cell("children.csv", 2, "sex", "m" * 5000),
        [("children.csv:2: sex", "'" + "m" * 57 + "...' is not one of: male, female")],
    ),
    "a NUL byte": (
        replace_bytes("offences.csv", b"O2,C1", b"O2\x00,C1"),
        [("offences.csv:3: -", "holds a NUL byte: NUL is not text")],
    ),
    "a NUL in extract.json": (set_json(description="a\u0000b"), [("extract.json:1: -", "holds a NUL character")]),
    "a header row of 70,000 bytes": (
        write_text("victims.csv", "victim_id," + "x" * 70_000 + "\n"),
        [("victims.csv:1: -", "the header row is longer than 65,536 bytes")],
    ),
    "extract.json of 2 MB": (
        set_json(notes="n" * (2 << 20)),
        [("extract.json:0: -", "is 2.0 MB, more than the 1.0 MB extract.json may be")],
    ),
    # only regular files are read
    "population.csv a FIFO": (
        not_a_file("population.csv", "fifo"),
        [("population.csv:0: -", "is a named pipe (FIFO), not a regular file: only regular files are read")],
    ),
    "population.csv a folder": (
        not_a_file("population.csv", "folder"),
        [("population.csv:0: -", "is a folder, not a regular file")],
    ),
    "victims.csv a device": (
        not_a_file("victims.csv", "device"),
        [("victims.csv:0: -", "is a device, not a regular file")],
    ),
    "remands.csv a broken link": (
        not_a_file("remands.csv", "broken link"),
        [("remands.csv:0: -", "is a link to a file that does not exist, not a regular")],
    ),
    "extract.json a FIFO": (not_a_file("extract.json", "fifo"), [("extract.json:0: -", "is a named pipe (FIFO)")]),
    "no children": (
        write_text("children.csv", ",".join(HEADERS["children.csv"]) + "\n"),
        [("children.csv:0: -", "the extract holds no children: children.csv has only its header")]
        + [
            (f"{file}:{line}: child_id", "is not in children.csv")
            for file, line in (
                ("offences.csv", 2),
                ("offences.csv", 3),
                ("offences.csv", 4),
                ("outcomes.csv", 2),
                ("outcomes.csv", 3),
                ("outcomes.csv", 4),
                ("programmes.csv", 2),
                ("programmes.csv", 3),
                ("programmes.csv", 4),
                ("remands.csv", 2),
                ("remands.csv", 3),
            )
        ],
    ),
}

# Each of these also goes through `python -m dashboard ingest` to check the printed lines and exit code.
THROUGH_CLI = [
    "missing children.csv",
    "missing column date_of_birth",
    "duplicate offence_id",
    "outcome offence of another child",
    "invalid JSON",
    "too many fields",
]


def test_the_base_extract_loads(base_db, tmp_path):
    """The corpus is only meaningful if the unedited extract is valid."""
    assert row_counts(base_db) == BASE_ROWS
    result = run_cli(write_base(tmp_path / "extract"), tmp_path / "fresh.duckdb")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Loaded Alpha, Beta into ")


def test_the_corpus_is_large_enough():
    assert len(FAULTS) >= 24
    assert set(THROUGH_CLI) <= set(FAULTS)


def _assert_problems(lines: list[str], expected: list[tuple[str, str]]) -> None:
    assert len(lines) == len(expected), "\n".join(lines)
    for line, (prefix, fragment) in zip(lines, expected):
        assert line.startswith(prefix + ": "), f"{line!r} does not start with {prefix + ': '!r}"
        assert fragment in line[len(prefix) + 2 :], f"{fragment!r} not in {line!r}"


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_is_rejected_and_database_unchanged(fault, live_db, tmp_path):
    edit, expected = FAULTS[fault]
    folder = write_base(tmp_path / "extract")
    edit(folder)
    before = sha256(live_db)
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems([str(p) for p in rejected.value.problems], expected)
    assert sha256(live_db) == before
    assert stray_copies(live_db) == []


@pytest.mark.parametrize("fault", THROUGH_CLI)
def test_cli_prints_problems_and_exits_1(fault, live_db, tmp_path):
    edit, expected = FAULTS[fault]
    folder = write_base(tmp_path / "extract")
    edit(folder)
    before = sha256(live_db)
    result = run_cli(folder, live_db)
    assert result.returncode == 1, result.stdout + result.stderr
    _assert_problems(result.stdout.splitlines(), expected)
    assert "Extract rejected" in result.stderr and "Traceback" not in result.stderr
    assert sha256(live_db) == before
    assert stray_copies(live_db) == []


def test_rejected_extract_creates_no_database(tmp_path):
    folder = write_base(tmp_path / "extract")
    cell("offences.csv", 2, "gravity", "high")(folder)
    db = tmp_path / "new" / "dashboard.duckdb"
    result = run_cli(folder, db)
    assert result.returncode == 1
    assert not db.exists() and (not db.parent.exists() or list(db.parent.iterdir()) == [])


def test_problems_are_listed_in_file_and_line_order(live_db, tmp_path):
    """Several faults at once: every one is reported, extract.json first, then the files in spec order."""
    folder = write_base(tmp_path / "extract")
    for edit in (
        cell("programmes.csv", 3, "disposal_type", "ASBO"),
        cell("children.csv", 4, "sex", "x"),
        cell("children.csv", 2, "sex", "y"),
        write_text("extract.json", '{"as_of": "June"}'),
    ):
        edit(folder)
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    assert [str(p).split(": ")[0] + ": " + p.column for p in rejected.value.problems] == [
        "extract.json:1: as_of",
        "children.csv:2: sex",
        "children.csv:4: sex",
        "programmes.csv:3: disposal_type",
    ]


# -- line numbers in awkward files -------------------------------------------------------------------
def test_line_numbers_after_a_malformed_row(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    append_raw("offences.csv", "O4,C1,2021-01-01,Theft,1,no,3,surplus\nO5,C1,2021-13-01,Theft,1,no,3\n")(folder)
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems(
        [str(p) for p in rejected.value.problems],
        [("offences.csv:5: -", "malformed row"), ("offences.csv:6: offence_date", "'2021-13-01'")],
    )


def test_line_numbers_with_windows_line_endings(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    cell("children.csv", 3, "sex", "boy")(folder)
    for name in ("children.csv", "offences.csv", "outcomes.csv", "programmes.csv"):
        path = folder / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems([str(p) for p in rejected.value.problems], [("children.csv:3: sex", "'boy' is not one of")])


def test_line_numbers_after_a_value_spanning_two_lines(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    cell("programmes.csv", 2, "closure_reason", "Completed\nwith a note")(folder)  # line 2 runs onto line 3
    cell("programmes.csv", 3, "disposal_type", "ASBO")(folder)  # P2 now sits on line 4
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems([str(p) for p in rejected.value.problems], [("programmes.csv:4: disposal_type", "'ASBO'")])


def test_line_numbers_after_a_blank_line(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    path = folder / "offences.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("2021-09-01", "2021-13-01")  # O2's date
    path.write_text("".join(lines[:2] + ["\n"] + lines[2:]))  # blank line 3; O2 moves to line 4
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems([str(p) for p in rejected.value.problems], [("offences.csv:4: offence_date", "'2021-13-01'")])


def test_unterminated_quote_is_a_problem_line(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    append_raw("offences.csv", 'O4,C1,2021-01-01,"Theft,1,no\n')(folder)
    before = sha256(live_db)
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems([str(p) for p in rejected.value.problems], [("offences.csv:5: -", "cannot be read as CSV")])
    assert sha256(live_db) == before


def test_quoted_values_load_exactly_and_keep_later_lines_right(tmp_path):
    """Commas, doubled quotes, line breaks and a leading '#' inside values are data, not structure."""
    awkward = {"P1": 'Knife, "crime" group', "P2": "Two\nlines", "P3": "#hashtag"}
    db = _load_edited(
        tmp_path,
        *(cell("programmes.csv", n, "programme_name", v) for n, v in zip((2, 3, 4), awkward.values())),
        add_row("children.csv", **child("#C4", "2008-02-02", yjs="Alpha")),
    )
    con = duckdb.connect(str(db), read_only=True)
    assert dict(con.execute("SELECT programme_id, programme_name FROM programme").fetchall()) == awkward
    assert con.execute("SELECT count(*) FROM child WHERE child_id = '#C4'").fetchone()[0] == 1

    folder = write_base(tmp_path / "broken")
    cell("programmes.csv", 2, "programme_name", "Line one\nLine two\nLine three")(folder)  # lines 2-4
    cell("programmes.csv", 4, "referral_source", "nobody")(folder)  # P3: line 6
    append_raw("programmes.csv", "\nP9,C1,PREVENTION,,2021-01-01\n")(folder)  # blank 7, short 8
    cell("children.csv", 3, "child_id", "#C2")(folder)  # not a comment: P2
    # (line 5) now points nowhere
    cell("children.csv", 4, "sex", "x")(folder)  # after the '#' row
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, tmp_path / "other.duckdb")
    _assert_problems(
        [str(p) for p in rejected.value.problems],
        [
            ("children.csv:4: sex", "'x' is not one of"),
            ("programmes.csv:5: child_id", "child_id 'C2' is not in children.csv"),
            ("programmes.csv:6: referral_source", "'nobody'"),
            ("programmes.csv:8: -", "malformed row"),
        ],
    )


def test_bad_utf8_in_a_row_names_its_line(live_db, tmp_path):
    folder = write_base(tmp_path / "extract")
    path = folder / "offences.csv"
    data = path.read_bytes()
    assert data.count(b"O3,C3,2021-05-01,,") == 1
    path.write_bytes(data.replace(b"O3,C3,2021-05-01,,", b"O3,C3,2021-05-01,Th\xe9ft,"))  # Latin-1 on line 4
    with pytest.raises(ExtractRejected) as rejected:
        ingest(folder, live_db)
    _assert_problems(
        [str(p) for p in rejected.value.problems],
        [("offences.csv:4: -", "not utf-8"), ("remands.csv:3: offence_id", "'O3' is not in")],
    )


# -- what the format allows loads --------------------------------------------------------------------
def _load_edited(tmp_path, *edits) -> Path:
    folder = write_base(tmp_path / "extract")
    for edit in edits:
        edit(folder)
    db = tmp_path / "edited.duckdb"
    ingest(folder, db)
    return db


def test_vocabularies_match_any_case_and_surrounding_spaces(tmp_path):
    db = _load_edited(
        tmp_path,
        cell("children.csv", 2, "sex", " MALE "),
        cell("children.csv", 3, "ethnicity_group", "black"),
        cell("children.csv", 4, "ethnicity_group", " aSiAn"),
        cell("children.csv", 4, "sex", "Unknown"),
        cell("outcomes.csv", 2, "outcome_type", "youth_caution"),
        cell("programmes.csv", 2, "disposal_type", " Youth_Caution "),
        cell("programmes.csv", 2, "referral_source", "police "),
        cell("population.csv", 2, "sex", "MALE"),
        cell("population.csv", 2, "ethnicity_group", "WHITE"),
    )
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT child_id, sex, ethnicity_group FROM child ORDER BY 1").fetchall() == [
        ("C1", "male", "White"),
        ("C2", "female", "Black"),
        ("C3", "unknown", "Asian"),
    ]
    assert con.execute("SELECT outcome_type, tier FROM outcome WHERE outcome_id = 'X1'").fetchone() == (
        "YOUTH_CAUTION",
        "Pre-court",
    )
    assert con.execute("SELECT disposal_type, referral_source FROM programme WHERE programme_id = 'P1'").fetchone() == (
        "YOUTH_CAUTION",
        "POLICE",
    )
    assert (
        con.execute("SELECT count(*) FROM population WHERE sex = 'male' AND ethnicity_group = 'White'").fetchone()[0]
        == 4
    )


BOOLEAN_SPELLINGS = {
    "true": True,
    "TRUE": True,
    "True": True,
    "1": True,
    "yes": True,
    "YES": True,
    "Yes": True,
    "y": True,
    "Y": True,
    " true ": True,
    "false": False,
    "FALSE": False,
    "False": False,
    "0": False,
    "no": False,
    "NO": False,
    "No": False,
    "n": False,
    "N": False,
    "": False,
}


def test_booleans_in_every_spelling(tmp_path):
    spellings = list(BOOLEAN_SPELLINGS)
    offences = [
        dict(offence_id=f"B{i}", child_id="C1", offence_date="2021-02-01", knife_or_offensive_weapon=s)
        for i, s in enumerate(spellings)
    ]
    programmes = [
        dict(programme_id=f"B{i}", child_id="C2", disposal_type="PREVENTION", referral_date="2022-01-01", completed=s)
        for i, s in enumerate(spellings)
    ]

    def extend(folder):
        add = []
        for row in offences:
            add.append(add_row("offences.csv", **row))
        for row in programmes:
            add.append(add_row("programmes.csv", **row))
        for edit in add:
            edit(folder)

    con = duckdb.connect(str(_load_edited(tmp_path, extend)), read_only=True)
    knife = dict(con.execute("SELECT offence_id, knife_or_offensive_weapon FROM offence").fetchall())
    completed = dict(con.execute("SELECT programme_id, completed FROM programme").fetchall())
    for i, spelling in enumerate(spellings):
        assert knife[f"B{i}"] is BOOLEAN_SPELLINGS[spelling], spelling  # missing knife flag = false
        assert completed[f"B{i}"] is (BOOLEAN_SPELLINGS[spelling] if spelling else None), spelling


def test_utf8_bom_is_allowed(tmp_path):
    def add_bom(folder):
        for name in (
            "extract.json",
            "children.csv",
            "offences.csv",
            "outcomes.csv",
            "programmes.csv",
            "population.csv",
        ):
            path = folder / name
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    db = _load_edited(tmp_path, add_bom)
    assert row_counts(db) == BASE_ROWS
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT min(child_id), min(yjs) FROM child").fetchone() == ("C1", "Alpha")


def test_column_order_and_extra_columns_do_not_matter(base_db, tmp_path):
    def shuffle(folder):
        for name in ("children.csv", "offences.csv", "outcomes.csv", "programmes.csv", "population.csv"):
            header, rows = read_csv(folder / name)
            for row in rows:
                row["Notes"] = "ignored"
                row["surplus"] = "1"
            write_csv(folder / name, ["Notes"] + header[::-1] + ["surplus"], rows)
        (folder / "readme.txt").write_text("not part of the format")

    db = _load_edited(tmp_path, shuffle)
    assert snapshot(db) == snapshot(base_db)


def test_optional_columns_and_population_may_be_absent(tmp_path):
    # Every column the format marks optional, in the four record files (docs/extract-format.md).
    optional = {
        name: spec.optional_columns(name) for name in ("children.csv", "offences.csv", "outcomes.csv", "programmes.csv")
    }
    assert all(optional.values()), optional  # each file's table was found
    edits = [drop_column(name, column) for name, columns in optional.items() for column in columns]
    db = _load_edited(tmp_path, *edits, remove("population.csv"))
    assert row_counts(db) == {**BASE_ROWS, "population": 0}
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM offence WHERE knife_or_offensive_weapon").fetchone()[0] == 0
    assert (
        con.execute("SELECT count(*) FROM programme WHERE start_date IS NOT NULL OR end_date IS NOT NULL").fetchone()[0]
        == 0
    )
    assert con.execute("SELECT count(*) FROM outcome WHERE offence_id IS NOT NULL").fetchone()[0] == 0


def test_header_only_offences_and_outcomes_load(tmp_path):
    def empty(folder):
        for name in ("offences.csv", "outcomes.csv", "remands.csv", "victims.csv"):
            (folder / name).write_text(",".join(HEADERS[name]) + "\n")

    db = _load_edited(tmp_path, empty)
    assert row_counts(db) == {**BASE_ROWS, "offence": 0, "outcome": 0, "remand": 0, "victim": 0}


# -- many problems -------------------------------------------------------------------------------------
def test_many_problems_print_the_first_1000_then_a_count(live_db, tmp_path):
    base = base_tables()
    bad = [dict(offence_id=f"M{i}", child_id="C1", offence_date="2021-01-01", gravity="x") for i in range(1500)]
    folder = write_extract(tmp_path / "extract", AS_OF, **{**base, "offences": base["offences"] + bad})
    before = sha256(live_db)
    result = run_cli(folder, live_db)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1001
    assert lines[:1000] == [f"offences.csv:{n}: gravity: 'x' is not a whole number" for n in range(5, 1005)]
    assert lines[1000] == "... and 500 more problems"
    assert "1500 problem(s)" in result.stderr
    assert sha256(live_db) == before


# -- a kill during ingest ----------------------------------------------------------------------------
BIG_OFFENCES = 200_000


@pytest.fixture(scope="module")
def big_extract(tmp_path_factory) -> Path:
    """A valid extract large enough that loading it takes a second or more."""
    folder = tmp_path_factory.mktemp("big")
    (folder / "extract.json").write_text(json.dumps({"as_of": AS_OF}))
    n_children = 20_000

    def write(name, rows):
        rows = iter(rows)
        first = next(rows)
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADERS[name][: len(first)])  # the spec's first columns, as many as given
            writer.writerow(first)
            writer.writerows(rows)

    yjs = ("Alpha", "Beta", "Gamma")
    write(
        "children.csv",
        (
            [
                f"K{i}",
                f"{2004 + i % 5}-0{1 + i % 9}-1{i % 10}",
                ("male", "female")[i % 2],
                ("White", "Black", "Asian", "Mixed")[i % 4],
                "",
                yjs[i % 3],
                ("North", "South")[i % 2],
            ]
            for i in range(n_children)
        ),
    )
    write(
        "offences.csv",
        (
            [
                f"F{i}",
                f"K{i % n_children}",
                f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "Theft",
                1 + i % 5,
                ("yes", "no")[i % 2],
            ]
            for i in range(BIG_OFFENCES)
        ),
    )
    write(
        "outcomes.csv",
        (
            [
                f"U{i}",
                f"K{i % n_children}",
                f"F{i}",
                f"2022-0{1 + i % 5}-15",
                ("YOUTH_CAUTION", "REFERRAL_ORDER", "COMMUNITY_RESOLUTION")[i % 3],
            ]
            for i in range(BIG_OFFENCES // 2)
        ),
    )
    write(
        "programmes.csv",
        (
            [
                f"Q{i}",
                f"K{i % n_children}",
                "PREVENTION",
                "",
                "2021-02-01",
                "SCHOOL",
                "",
                "2021-02-10",
                "2021-05-10" if i % 2 else "",
                "",
                "",
            ]
            for i in range(n_children)
        ),
    )
    return folder


def test_kill_during_ingest_leaves_the_old_database(base_db, live_db, big_extract):
    """kill -9 at fixed moments (mostly while validating), then the moment the copy of the database
    appears (while writing), and check the live file each time."""
    before, counts = sha256(live_db), row_counts(live_db)
    assert counts == BASE_ROWS
    killed, killed_while_writing = [], []
    # seconds after start; ("copy", s) = s seconds after the copy appears, tried until one lands mid-write
    for moment in (0.5, 1.0, ("copy", 0.1), ("copy", 0.03), ("copy", 0.0)):
        if isinstance(moment, tuple) and killed_while_writing:
            break
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "ingest", str(big_extract), "--db", str(live_db)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        copy = live_db.with_name(f"{live_db.name}.tmp-{proc.pid}")
        deadline = time.monotonic() + (60 if isinstance(moment, tuple) else moment)
        while proc.poll() is None and time.monotonic() < deadline:
            if isinstance(moment, tuple) and copy.exists():
                time.sleep(moment[1])
                break
            time.sleep(0.002)
        writing = copy.exists()
        if proc.poll() is None:  # still running: it did not exit on its own
            proc.kill()
            proc.wait()
            killed.append(moment)
            if writing:
                killed_while_writing.append(moment)
            assert sha256(live_db) == before, f"killed at {moment}: the database changed"
            assert row_counts(live_db) == counts
        else:  # it finished first: put the old database back for the next try
            assert proc.returncode == 0
            shutil.copyfile(base_db, live_db)
    assert killed, "no kill landed before ingest finished"
    assert killed_while_writing, "no kill landed while the copy was being written"
    assert stray_copies(live_db), "a kill while writing should have left its copy behind"

    # A later ingest clears what the killed ones left and loads normally.
    folder = write_base(live_db.parent.parent / "again")
    cell("children.csv", 2, "locality", "East")(folder)
    ingest(folder, live_db)
    assert stray_copies(live_db) == []
    assert row_counts(live_db) == BASE_ROWS
    con = duckdb.connect(str(live_db), read_only=True)
    assert con.execute("SELECT locality FROM child WHERE child_id = 'C1'").fetchone() == ("East",)


def test_a_later_ingest_removes_a_dead_ingests_copy_and_its_wal(live_db, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    assert not Path(f"/proc/{pid}").exists()
    for suffix in ("", ".wal"):
        live_db.with_name(f"{live_db.name}.tmp-{pid}{suffix}").write_bytes(b"left by a killed ingest")
    ingest(write_base(tmp_path / "extract"), live_db)
    assert stray_copies(live_db) == []


# -- loading twice, and loading replaces only the named YJSs --------------------------------------------
def test_loading_the_same_extract_twice_gives_the_same_database(tmp_path):
    folder = write_base(tmp_path / "extract")
    db = tmp_path / "twice.duckdb"
    ingest(folder, db)
    first = snapshot(db)
    assert len(first["child"][1]) == 3 and len(first["programme_fact"][1]) == 3
    ingest(folder, db)
    assert snapshot(db) == first


def _service(yjs: str, prefix: str, n_children: int, offence_month: str = "03", population: int = 50) -> dict:
    children = [
        child(
            f"{prefix}{i}",
            f"200{5 + i}-02-0{1 + i}",
            yjs=yjs,
            sex=("male", "female")[i % 2],
            ethnicity_group=("White", "Black")[i % 2],
        )
        for i in range(n_children)
    ]
    offences = [
        offence(f"{prefix}o{i}", f"{prefix}{i}", f"2021-{offence_month}-10", gravity=2) for i in range(n_children)
    ]
    outcomes = [
        outcome(f"{prefix}x{i}", f"{prefix}{i}", "2021-06-01", "YOUTH_CAUTION", f"{prefix}o{i}")
        for i in range(n_children)
    ]
    programmes = [
        programme(f"{prefix}p{i}", f"{prefix}{i}", "YOUTH_CAUTION", "2021-06-01", "2021-06-05", end_date="2021-08-05")
        for i in range(n_children)
    ]
    population = [
        dict(yjs=yjs, year=2021, age=age, sex=sex, ethnicity_group="White", population=population)
        for age in (12, 13)
        for sex in ("male", "female")
    ]
    return dict(children=children, offences=offences, outcomes=outcomes, programmes=programmes, population=population)


def test_loading_replaces_only_the_yjss_named_in_the_extract(tmp_path):
    alpha = write_extract(tmp_path / "alpha", AS_OF, **_service("Alpha", "a", 3))
    beta = write_extract(tmp_path / "beta", AS_OF, **_service("Beta", "b", 2))
    alpha2 = write_extract(tmp_path / "alpha2", "2022-03-31", **_service("Alpha", "z", 2, "05", population=70))
    db, fresh = tmp_path / "shared.duckdb", tmp_path / "alpha2-only.duckdb"

    ingest(alpha, db)
    ingest(beta, db)
    beta_rows = snapshot(db, "Beta")
    assert len(beta_rows["child"][1]) == 2 and len(snapshot(db, "Alpha")["child"][1]) == 3

    ingest(alpha2, db, accept_drop=True)  # Alpha: 3 children -> 2
    assert snapshot(db, "Beta") == beta_rows  # Beta untouched
    ingest(alpha2, fresh)
    alpha_rows = snapshot(db, "Alpha")
    assert alpha_rows == snapshot(fresh, "Alpha")  # Alpha is exactly the new extract
    assert [r[1] for r in alpha_rows["child"][1]] == ["z0", "z1"]  # and nothing of the old one
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT yjs, as_of FROM extract_info ORDER BY 1").fetchall() == [
        ("Alpha", date(2022, 3, 31)),
        ("Beta", date(2022, 6, 30)),
    ]
    assert con.execute("SELECT yjs, sum(population) FROM population GROUP BY 1 ORDER BY 1").fetchall() == [
        ("Alpha", 280),
        ("Beta", 200),
    ]
