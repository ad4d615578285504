"""The extract format (../shared/spec/extract-format.md) as data: files, columns and their rules.

Validation (extract.py) turns each rule into SQL, so adding a column here is all it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import config

BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "y": True, "false": False, "0": False, "no": False, "n": False}

#: Longest id, code or name a cell may hold, and longest free text (closure reasons, descriptions):
#: far beyond any real value, so a longer one is a broken export, not data.
NAME_LENGTH = 200
FREE_TEXT_LENGTH = 2000
#: No date in an extract is older than this: youth justice records of the 1980s are not case data.
EARLIEST_DATE = "1990-01-01"
#: A child's age on the date of anything recorded about them: younger or older is a wrong date.
AGE_AT_EVENT = (8, 25)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | id | date | int | bool | vocab
    required: bool = False
    vocabulary: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    #: Text and ids: the longest value allowed.
    max_length: int = NAME_LENGTH
    #: Dates: a column of the same row this one may not be before (and, when that column is
    #: optional, which must be set when this one is), and one it may not be after where set.
    not_before: str | None = None
    not_after: str | None = None
    #: Dates: the child's age on this date must be within AGE_AT_EVENT.
    child_event: bool = False


@dataclass(frozen=True)
class Link:
    """An id pointing into another file; ``same_child``: the row it points at must be the same child's."""

    column: str
    target: str  # the file pointed into; its id_column is matched
    same_child: bool = False


@dataclass(frozen=True)
class Key:
    """Columns no two rows may share (compared without regard to case), and why."""

    columns: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class ExtractFile:
    name: str  # file name in the extract folder
    table: str  # staging/database table
    columns: tuple[Column, ...]
    required: bool = True
    id_column: str | None = None
    links: tuple[Link, ...] = ()
    key: Key | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CHILDREN = ExtractFile(
    "children.csv",
    "child",
    (
        Column("child_id", "id", required=True),
        Column("date_of_birth", "date", required=True),
        Column("sex", "vocab", required=True, vocabulary=config.SEXES),
        Column("ethnicity_group", "vocab", required=True, vocabulary=config.ETHNICITY_GROUPS),
        Column("ethnicity_detail", max_length=FREE_TEXT_LENGTH),
        Column("yjs", required=True),
        Column("locality"),
    ),
    id_column="child_id",
)

OFFENCES = ExtractFile(
    "offences.csv",
    "offence",
    (
        Column("offence_id", "id", required=True),
        Column("child_id", "id", required=True),
        Column("offence_date", "date", required=True, child_event=True),
        Column("category"),
        Column("gravity", "int", minimum=1, maximum=5),
        Column("knife_or_offensive_weapon", "bool"),
        Column("seriousness", "int", minimum=1, maximum=8),
    ),
    id_column="offence_id",
    links=(Link("child_id", "children.csv"),),
)

OUTCOMES = ExtractFile(
    "outcomes.csv",
    "outcome",
    (
        Column("outcome_id", "id", required=True),
        Column("child_id", "id", required=True),
        Column("offence_id", "id"),
        Column("outcome_date", "date", required=True, child_event=True),
        Column("outcome_type", "vocab", required=True, vocabulary=config.OUTCOME_TYPES),
    ),
    id_column="outcome_id",
    links=(Link("child_id", "children.csv"), Link("offence_id", "offences.csv", True)),
)

PROGRAMMES = ExtractFile(
    "programmes.csv",
    "programme",
    (
        Column("programme_id", "id", required=True),
        Column("child_id", "id", required=True),
        Column("disposal_type", "vocab", required=True, vocabulary=config.DISPOSAL_TYPES),
        Column("programme_name"),
        Column("referral_date", "date", required=True, child_event=True),
        Column("referral_source", "vocab", vocabulary=config.REFERRAL_SOURCES),
        Column("locality"),
        Column("start_date", "date", not_before="referral_date", child_event=True),
        Column("end_date", "date", not_before="start_date", child_event=True),
        Column("closure_reason", max_length=FREE_TEXT_LENGTH),
        Column("completed", "bool"),
        Column("release_date", "date", not_before="start_date", not_after="end_date", child_event=True),
    ),
    id_column="programme_id",
    links=(Link("child_id", "children.csv"),),
)

POPULATION = ExtractFile(
    "population.csv",
    "population",
    (
        Column("yjs", required=True),
        Column("year", "int", required=True, minimum=1900, maximum=2200),
        Column("age", "int", required=True, minimum=10, maximum=17),
        Column("sex", "vocab", required=True, vocabulary=config.POPULATION_SEXES),
        Column("ethnicity_group", "vocab", required=True, vocabulary=config.ETHNICITY_GROUPS),
        Column("population", "int", required=True, minimum=0),
        Column("locality"),
    ),
    required=False,
    key=Key(("yjs", "year", "age", "sex", "ethnicity_group", "locality")),
)

# The files for the YJB's key performance indicators: all optional. Their booleans keep a missing
# value as missing (not recorded), unlike knife_or_offensive_weapon (derive.py).
ASSESSMENTS = ExtractFile(
    "assessments.csv",
    "assessment",
    (
        Column("assessment_id", "id", required=True),
        Column("programme_id", "id", required=True),
        Column("point", "vocab", required=True, vocabulary=config.ASSESSMENT_POINTS),
        Column("assessment_date", "date", required=True, child_event=True),
        Column("accommodation", "vocab", vocabulary=config.SUITABILITY),
        Column("ete", "vocab", vocabulary=config.SUITABILITY),
        # Hours a week: no week has more than 168.
        Column("ete_hours_offered", "int", minimum=0, maximum=168),
        Column("ete_hours_attended", "int", minimum=0, maximum=168),
        *(Column(flag, "bool") for flag in config.ASSESSMENT_FLAGS),
    ),
    required=False,
    id_column="assessment_id",
    links=(Link("programme_id", "programmes.csv"),),
    key=Key(("programme_id", "point"), "a programme has at most one START and one END assessment"),
)

REMANDS = ExtractFile(
    "remands.csv",
    "remand",
    (
        Column("remand_id", "id", required=True),
        Column("child_id", "id", required=True),
        Column("offence_id", "id"),
        Column("remand_date", "date", required=True, child_event=True),
        Column("remand_type", "vocab", required=True, vocabulary=config.REMAND_TYPES),
        Column("end_date", "date", not_before="remand_date", child_event=True),
        Column("outcome_id", "id"),
    ),
    required=False,
    id_column="remand_id",
    links=(
        Link("child_id", "children.csv"),
        Link("offence_id", "offences.csv", True),
        Link("outcome_id", "outcomes.csv", True),
    ),
)

VICTIMS = ExtractFile(
    "victims.csv",
    "victim",
    (
        Column("victim_id", "id", required=True),
        Column("offence_id", "id", required=True),
        Column("contact_date", "date", required=True),
        Column("consented", "bool"),
        Column("rj_offered", "bool"),
        Column("rj_participated", "bool"),
    ),
    required=False,
    id_column="victim_id",
    links=(Link("offence_id", "offences.csv"),),
)

BOARD_MEETINGS = ExtractFile(
    "board_meetings.csv",
    "board_meeting",
    (
        Column("yjs", required=True),
        Column("meeting_date", "date", required=True),
        Column("partner", "vocab", required=True, vocabulary=config.BOARD_PARTNERS),
        Column("attended", "bool", required=True),
        Column("senior", "bool"),
    ),
    required=False,
    key=Key(("yjs", "meeting_date", "partner"), "a partner attends a meeting once"),
)

EXTRACT_FILES = (CHILDREN, OFFENCES, OUTCOMES, PROGRAMMES, POPULATION, ASSESSMENTS, REMANDS, VICTIMS, BOARD_MEETINGS)
FILES = {spec.name: spec for spec in EXTRACT_FILES}
EXTRACT_JSON = "extract.json"
