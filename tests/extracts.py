"""Write small extracts for tests: tables as lists of dicts, headers as the spec names them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dashboard.ingest.spec import EXTRACT_FILES

HEADERS = {spec.name: [c.name for c in spec.columns] for spec in EXTRACT_FILES}


def write_extract(
    folder: Path,
    as_of: str = "2022-06-30",
    *,
    children=(),
    offences=(),
    outcomes=(),
    programmes=(),
    population=None,
    assessments=None,
    remands=None,
    victims=None,
    board_meetings=None,
    description: str = "test extract",
    **meta,
) -> Path:
    """Write extract.json and the CSVs; missing keys become empty cells. An optional file given as
    None (the default) is not written. ``meta``: more keys of extract.json (``services``, ``files``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extract.json").write_text(json.dumps({"as_of": as_of, "description": description, **meta}))
    tables = {
        "children.csv": children,
        "offences.csv": offences,
        "outcomes.csv": outcomes,
        "programmes.csv": programmes,
        "population.csv": population,
        "assessments.csv": assessments,
        "remands.csv": remands,
        "victims.csv": victims,
        "board_meetings.csv": board_meetings,
    }
    for name, rows in tables.items():
        if rows is None:
            continue
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADERS[name], lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return folder


def child(child_id, date_of_birth, yjs="Testshire", sex="male", ethnicity_group="White", locality="North"):
    return dict(
        child_id=child_id,
        date_of_birth=date_of_birth,
        sex=sex,
        ethnicity_group=ethnicity_group,
        yjs=yjs,
        locality=locality,
    )


def offence(offence_id, child_id, day, **fields):
    """An offences.csv row committed on ``day``; ``fields``: any other column (``category``, ``gravity``, ...)."""
    return dict(offence_id=offence_id, child_id=child_id, offence_date=day, **fields)


def outcome(outcome_id, child_id, day, outcome_type, offence_id=None):
    """An outcomes.csv row dated ``day``, of the offence ``offence_id`` where one is linked."""
    return dict(
        outcome_id=outcome_id, child_id=child_id, offence_id=offence_id, outcome_date=day, outcome_type=outcome_type
    )


def programme(programme_id, child_id, disposal_type, referral_date, start_date=None, **fields):
    """A programmes.csv row: referred on ``referral_date``, started on ``start_date``; ``fields``: any other
    column (``end_date``, ``release_date``, ``referral_source``, ...)."""
    return dict(
        programme_id=programme_id,
        child_id=child_id,
        disposal_type=disposal_type,
        referral_date=referral_date,
        start_date=start_date,
        **fields,
    )


def population_rows(
    yjs="Testshire",
    year=2021,
    per_cell=10,
    locality=None,
    sexes=("male", "female"),
    groups=("White", "Mixed", "Asian", "Black", "Other", "Unknown"),
):
    """A population table with ``per_cell`` children in every age, sex and group cell."""
    return [
        dict(yjs=yjs, year=year, age=age, sex=sex, ethnicity_group=group, population=per_cell, locality=locality)
        for age in range(10, 18)
        for sex in sexes
        for group in groups
    ]
