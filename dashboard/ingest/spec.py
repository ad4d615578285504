"""The extract format (../shared/spec/extract-format.md) as data: files, columns and their rules.

Validation (extract.py) turns each rule into SQL, so adding a column here is all it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import config

BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "y": True,
                 "false": False, "0": False, "no": False, "n": False}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"          # text | id | date | int | bool | vocab
    required: bool = False
    vocabulary: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ExtractFile:
    name: str                   # file name in the extract folder
    table: str                  # staging/database table
    columns: tuple[Column, ...]
    required: bool = True
    id_column: str | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CHILDREN = ExtractFile("children.csv", "child", (
    Column("child_id", "id", required=True),
    Column("date_of_birth", "date", required=True),
    Column("sex", "vocab", required=True, vocabulary=config.SEXES),
    Column("ethnicity_group", "vocab", required=True, vocabulary=config.ETHNICITY_GROUPS),
    Column("ethnicity_detail"),
    Column("yjs", required=True),
    Column("locality"),
), id_column="child_id")

OFFENCES = ExtractFile("offences.csv", "offence", (
    Column("offence_id", "id", required=True),
    Column("child_id", "id", required=True),
    Column("offence_date", "date", required=True),
    Column("category"),
    Column("gravity", "int", minimum=1, maximum=5),
    Column("knife_or_offensive_weapon", "bool"),
), id_column="offence_id")

OUTCOMES = ExtractFile("outcomes.csv", "outcome", (
    Column("outcome_id", "id", required=True),
    Column("child_id", "id", required=True),
    Column("offence_id", "id"),
    Column("outcome_date", "date", required=True),
    Column("outcome_type", "vocab", required=True, vocabulary=config.OUTCOME_TYPES),
), id_column="outcome_id")

PROGRAMMES = ExtractFile("programmes.csv", "programme", (
    Column("programme_id", "id", required=True),
    Column("child_id", "id", required=True),
    Column("disposal_type", "vocab", required=True, vocabulary=config.DISPOSAL_TYPES),
    Column("programme_name"),
    Column("referral_date", "date", required=True),
    Column("referral_source", "vocab", vocabulary=config.REFERRAL_SOURCES),
    Column("locality"),
    Column("start_date", "date"),
    Column("end_date", "date"),
    Column("closure_reason"),
    Column("completed", "bool"),
), id_column="programme_id")

POPULATION = ExtractFile("population.csv", "population", (
    Column("yjs", required=True),
    Column("year", "int", required=True, minimum=1900, maximum=2200),
    Column("age", "int", required=True, minimum=10, maximum=17),
    Column("sex", "vocab", required=True, vocabulary=config.POPULATION_SEXES),
    Column("ethnicity_group", "vocab", required=True, vocabulary=config.ETHNICITY_GROUPS),
    Column("population", "int", required=True, minimum=0),
    Column("locality"),
), required=False)

EXTRACT_FILES = (CHILDREN, OFFENCES, OUTCOMES, PROGRAMMES, POPULATION)
EXTRACT_JSON = "extract.json"
