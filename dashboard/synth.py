"""Seeded synthetic extracts of fictional Youth Justice Services, for the demo, tests and benchmarks.

Nothing here is real: the services, places and children are invented. The numbers are shaped like
published youth justice data so every page has a story to tell (docs/synthetic-data.md lists the
assumptions): first-time entrants of a few hundred per 100,000 children aged 10-17, falling over the
decade; the move from court to diversion since 2020; prevention work; Black and Mixed children
over-represented at the later stages; about a third reoffending within 12 months of a programme,
most of them early; open cases, cases not yet started and follow-up cut short by the extract date.

Each child's history is made in episodes: an offence (none for prevention), perhaps a bail or remand
decision, its outcome, the programme the service runs for it (with its START and END assessments),
perhaps an offence during it, and perhaps a reoffence after it; an offence during it that is charged,
or the reoffence, starts the next episode. Victims come from the offences dealt with; board meetings
and the population are made apart. Children are made 100,000 at a time with numpy and appended to the
CSV files with pyarrow, so a million children take seconds in about 0.4 GB. The same seed, size and
as_of give byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from . import config

CHUNK = 100_000
YEARS_OF_HISTORY = 10
#: Children come in from a year before the extract's history starts, so its first year already has
#: the outcomes of offences from before it; records dated before the start are left out, as a system
#: migration would (except offences whose outcome comes after it).
RUN_IN = np.timedelta64(365, "D")
#: In a service's first years on record many children are already known to it. So extra children
#: come in early (KNOWN_BEFORE more at the start, fading with this time constant in days), each with
#: a history from before the records: the tier of their last outcome, which their next one builds on.
KNOWN_BEFORE = 0.4
KNOWN_BEFORE_DAYS = 700
KNOWN_TIER = np.array([0, 0.30, 0.30, 0.27, 0.10, 0.03])


class Service(NamedTuple):
    region: str
    #: a real service (data/public/yjs_areas.csv) like this one, whose published figures it is compared with
    compare_as: str
    #: share of the extract's children
    share: float
    #: children in contact per head of population, relative to the average: sets the service's rates
    contact_rate: float
    #: (name, share of the population, contact rate relative to the service's)
    localities: tuple[tuple[str, float, float], ...]
    #: population shares of White, Mixed, Asian, Black, Other (the census has no Unknown)
    ethnic_mix: tuple[float, float, float, float, float]


#: Invented services in real YJB regions (the region names of data/public/yjs_areas.csv).
SERVICES = {
    "Northvale": Service(
        "North West",
        "Trafford",
        0.30,
        1.15,
        (("Central", 0.30, 1.45), ("East", 0.25, 0.95), ("West", 0.25, 0.75), ("Riverside", 0.20, 0.85)),
        (0.83, 0.04, 0.07, 0.04, 0.02),
    ),
    "Ashby Vale": Service(
        "East Midlands",
        "Leicestershire",
        0.18,
        0.80,
        (("North", 0.35, 0.85), ("South", 0.40, 0.95), ("Town Centre", 0.25, 1.35)),
        (0.80, 0.05, 0.10, 0.03, 0.02),
    ),
    "Kingsmere": Service(
        "London",
        "Lewisham",
        0.24,
        1.25,
        (
            ("Kingsmere North", 0.22, 0.90),
            ("Kingsmere South", 0.22, 1.00),
            ("Docklands", 0.20, 1.40),
            ("Old Market", 0.18, 1.10),
            ("Hilltop", 0.18, 0.60),
        ),
        (0.42, 0.10, 0.20, 0.21, 0.07),
    ),
    "Brackendale": Service(
        "Yorkshire",
        "Kirklees",
        0.16,
        1.00,
        (("Fieldgate", 0.40, 1.20), ("Moorside", 0.35, 0.80), ("Canal Side", 0.25, 1.00)),
        (0.78, 0.04, 0.13, 0.02, 0.03),
    ),
    "Cwm Arian": Service(
        "Wales",
        "Carmarthenshire",
        0.12,
        0.85,
        (("Upper Valley", 0.30, 1.15), ("Lower Valley", 0.35, 1.05), ("Coast", 0.35, 0.80)),
        (0.93, 0.03, 0.02, 0.01, 0.01),
    ),
}
SERVICE_NAMES = tuple(SERVICES)
POPULATION_GROUPS = config.ETHNICITY_GROUPS[:5]
UNKNOWN_GROUP = config.ETHNICITY_GROUPS.index("Unknown")
MAX_LOCALITIES = max(len(s.localities) for s in SERVICES.values())
#: Locality names laid out service by service, MAX_LOCALITIES apiece: locality code = service * MAX + index.
LOCALITY_NAMES = [
    name
    for s in SERVICES.values()
    for name in [n for n, _, _ in s.localities] + [""] * (MAX_LOCALITIES - len(s.localities))
]
#: Residents aged 10-17 per child in the extract (before each service's contact rate): sized so
#: first-time entrants come to a few hundred per 100,000.
POPULATION_PER_CHILD = 20.0
POPULATION_GROWTH = 1.012

#: How much more often each group (White, Mixed, Asian, Black, Other, Unknown) comes into contact
#: than its population share, and how much more likely to reach court (custody: this to the 1.5):
#: the disproportionality the pages should find.
CONTACT_RATIO = np.array([1.0, 1.7, 0.7, 2.4, 1.0])
LATER_STAGE_RATIO = np.array([1.0, 1.4, 1.05, 1.8, 1.1, 1.0])

#: Age at first contact, 10 to 17: most children come in at 14-17; prevention reaches them younger.
AGE_AT_CONTACT = np.array([0.02, 0.04, 0.07, 0.11, 0.16, 0.19, 0.21, 0.20])
AGE_AT_PREVENTION = np.array([0.08, 0.12, 0.15, 0.17, 0.17, 0.14, 0.10, 0.07])
#: Shares of male, female, unknown among offending children and among prevention-only children.
SEX_OFFENDING = np.array([0.82, 0.175, 0.005])
SEX_PREVENTION = np.array([0.70, 0.295, 0.005])
SHARE_ETHNICITY_UNKNOWN = 0.03
SHARE_LOCALITY_MISSING = 0.04

#: ONS 2021 categories (short names without commas, so no field needs quoting) within each group.
ETHNICITY_DETAIL = {
    "White": (
        ("White British", 0.86),
        ("White Irish", 0.01),
        ("Gypsy or Irish Traveller", 0.02),
        ("Roma", 0.01),
        ("Any other White background", 0.10),
    ),
    "Mixed": (
        ("White and Black Caribbean", 0.40),
        ("White and Black African", 0.15),
        ("White and Asian", 0.25),
        ("Any other Mixed background", 0.20),
    ),
    "Asian": (
        ("Indian", 0.25),
        ("Pakistani", 0.40),
        ("Bangladeshi", 0.15),
        ("Chinese", 0.05),
        ("Any other Asian background", 0.15),
    ),
    "Black": (("Caribbean", 0.30), ("African", 0.55), ("Any other Black background", 0.15)),
    "Other": (("Arab", 0.35), ("Any other ethnic group", 0.65)),
    "Unknown": (("Not stated", 1.0),),
}

PREVENTION, DIVERSION, PRE_COURT, FIRST_TIER, COMMUNITY, CUSTODY = range(len(config.TIERS))
#: Tier of a first offence's outcome (columns: config.TIERS), and of a reoffence's given the tier of
#: the episode before: children mostly move up a step, some stay, few are diverted twice.
NEXT_TIER = np.array(
    [
        [0, 0.32, 0.30, 0.27, 0.08, 0.03],  # after prevention: as for a first offence
        [0, 0.40, 0.33, 0.22, 0.04, 0.01],
        [0, 0.10, 0.25, 0.50, 0.12, 0.03],
        [0, 0.03, 0.07, 0.50, 0.30, 0.10],
        [0, 0.00, 0.02, 0.20, 0.53, 0.25],
        [0, 0.00, 0.00, 0.10, 0.40, 0.50],
    ]
)
#: Outcome types within their tier (tiers from config.OUTCOME_TIERS).
OUTCOME_SHARE = {
    "COMMUNITY_RESOLUTION": 0.60,
    "OUTCOME_22": 0.40,
    "YOUTH_CAUTION": 0.45,
    "YOUTH_CONDITIONAL_CAUTION": 0.55,
    "REFERRAL_ORDER": 0.70,
    "FINE": 0.06,
    "CONDITIONAL_DISCHARGE": 0.10,
    "ABSOLUTE_DISCHARGE": 0.02,
    "REPARATION_ORDER": 0.04,
    "OTHER_FIRST_TIER": 0.08,
    "YOUTH_REHABILITATION_ORDER": 1.0,
    "DETENTION_AND_TRAINING_ORDER": 0.80,
    "SECTION_250": 0.16,
    "SECTION_254": 0.02,
    "SECTION_259": 0.02,
}
#: Days from offence to outcome by tier (low, high): court takes longer than the police.
OUTCOME_DELAY = np.array([(0, 0), (7, 45), (14, 75), (28, 150), (42, 180), (28, 210)])
#: Programme length in days by disposal type (low, high); custody covers the licence period too.
PROGRAMME_DAYS = {
    "PREVENTION": (60, 180),
    "COMMUNITY_RESOLUTION": (30, 90),
    "OUTCOME_22": (30, 120),
    "YOUTH_CAUTION": (30, 90),
    "YOUTH_CONDITIONAL_CAUTION": (60, 120),
    "REFERRAL_ORDER": (90, 365),
    "FINE": (1, 30),
    "CONDITIONAL_DISCHARGE": (1, 30),
    "ABSOLUTE_DISCHARGE": (1, 7),
    "REPARATION_ORDER": (30, 90),
    "OTHER_FIRST_TIER": (30, 120),
    "YOUTH_REHABILITATION_ORDER": (180, 730),
    "DETENTION_AND_TRAINING_ORDER": (120, 730),
    "SECTION_250": (365, 1460),
    "SECTION_254": (1095, 1825),
    "SECTION_259": (730, 1825),
}
#: Who refers, by tier (columns: config.REFERRAL_SOURCES).
REFERRAL_SOURCE_SHARE = np.array(
    [
        # POLICE OOCP  COURT SCHOOL SOCIAL_CARE FAMILY HEALTH OTHER
        [0.20, 0.00, 0.00, 0.30, 0.25, 0.10, 0.10, 0.05],
        [0.45, 0.55, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.15, 0.85, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.00, 0.00, 1.00, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.00, 0.00, 1.00, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.00, 0.00, 1.00, 0.00, 0.00, 0.00, 0.00, 0.00],
    ]
)
SHARE_SOURCE_MISSING = 0.04
SHARE_NEVER_STARTED = 0.02
SHARE_PROGRAMME_ELSEWHERE = 0.08  # the programme ran in another locality (the child moved)
SHARE_OUTCOME_UNLINKED = 0.03
SHARE_CATEGORY_MISSING = 0.02
SHARE_GRAVITY_MISSING = 0.01
COMPLETION = np.array([0.75, 0.85, 0.80, 0.72, 0.62, 0.65])
CLOSURE_REASONS = ("Completed", "Closed early", "Did not engage", "Breach", "Transferred to another YJS")
#: Why a programme that was not completed closed: a court order can be breached, voluntary work cannot.
EARLY_CLOSURE = {"order": [1, 3, 4], "voluntary": [1, 2, 4]}

#: Share who offend again after the programme ends, by tier, and how long they wait (exponential,
#: mean in days): about a third within 12 months overall, most in the first three months.
REOFFENCE = np.array([0.17, 0.31, 0.37, 0.46, 0.55, 0.62])
REOFFENCE_MEAN_DAYS = 95
#: Offending during a programme (for custody, on licence): a chance per day of this, so the longer the
#: programme the likelier (about 8% over two months, two in five over a year-long order). Of these offences
#: this share is charged and dealt with (the next episode); the rest end with no further action.
OFFENDING_DURING_PER_DAY = 1 / 700
SHARE_DURING_CHARGED = 0.65
SHARE_EARLIER_OFFENCE = 0.25  # offending children with an offence (no further action) in the year before
MAX_EPISODES = 6

#: Named programmes, each with the factor it puts on reoffending after it: small effects for the
#: programme filter to find. Knife crime group and Turnaround come first (chosen by rule, below).
PROGRAMMES = {
    "Knife crime awareness group": 0.85,
    "Turnaround": 0.80,
    "Mentoring": 0.80,
    "Family support": 0.90,
    "Education and training support": 1.0,
    "Restorative justice": 0.95,
    "Emotional wellbeing": 1.0,
    "Substance misuse support": 1.0,
}
PROGRAMME_NAMES = tuple(PROGRAMMES)
KNIFE_GROUP, TURNAROUND, NO_NAME = 0, 1, len(PROGRAMMES)
PROGRAMME_EFFECT = np.array([*PROGRAMMES.values(), 1.0])
SHARE_NAMED = 0.35
#: The MoJ's Turnaround early-intervention programme began in December 2022: prevention grows from then.
TURNAROUND_FROM = np.datetime64("2022-12-01")

#: Knife or offensive weapon: chance for boys, girls, unknown; times this by group; more after one.
KNIFE_BY_SEX = np.array([0.085, 0.03, 0.05])
KNIFE_RATIO = np.array([1.0, 1.3, 1.0, 1.6, 1.0, 1.0])
OFFENCE_CATEGORIES = (
    "Violence against the person",
    "Theft and handling stolen goods",
    "Criminal damage",
    "Drug offences",
    "Public order offences",
    "Motoring offences",
    "Robbery",
    "Burglary",
    "Sexual offences",
    "Breach of statutory order",
    "Other",
    "Possession of weapons",
)
CATEGORY_SHARE = np.array([0.30, 0.14, 0.10, 0.12, 0.08, 0.08, 0.05, 0.05, 0.03, 0.02, 0.03, 0.0])
KNIFE_CATEGORY_SHARE = np.array([0.25, 0, 0, 0, 0, 0, 0.15, 0, 0, 0, 0, 0.60])
#: Child Gravity Matrix score around this by tier (one either way): serious offences go to court.
GRAVITY_BY_TIER = np.array([2, 2, 3, 3, 4, 5])
#: The YJB seriousness score (1-8) is not the gravity score: it rates the offence type. Each category's
#: usual score (OFFENCE_CATEGORIES order), moved by the case's gravity (one point per point from 3),
#: one more with a knife. Serious violence (violence, robbery or drugs at 5 or more) is then a small
#: share of offences, mostly those that reach court.
SERIOUSNESS_BY_CATEGORY = np.array([3, 2, 2, 3, 2, 2, 5, 4, 5, 2, 2, 4])
SHARE_SERIOUSNESS_MISSING = 0.01

#: Release from custody, as a share of the sentence (the rest is served on licence): a DTO half way,
#: longer sentences later. Non-custodial types are never released.
RELEASE_SHARE = {"DETENTION_AND_TRAINING_ORDER": 0.5, "SECTION_250": 0.5, "SECTION_254": 0.6, "SECTION_259": 0.67}

#: Remands: the chance a court case (by tier) has a bail or remand decision recorded, and that it is a
#: remand to youth detention (times LATER_STAGE_RATIO for the child's group): custody cases most, so
#: with the first-tier and community cases and those that end without conviction about six in ten
#: remands to youth detention are not followed by a custodial sentence, as nationally.
REMANDED = np.array([0, 0, 0, 0.30, 0.50, 0.85])
DETAINED = np.array([0, 0, 0, 0.035, 0.12, 0.22])
REMANDED_NOT_CONVICTED, DETAINED_NOT_CONVICTED = 0.40, 0.20
#: The other remand types (config.REMAND_TYPES order, youth detention last): bail is most common.
BAIL_SHARE = np.array([0.40, 0.38, 0.10, 0.05, 0.07])

#: Assessments (assessments.csv): most started programmes have a START and most ended ones an END;
#: each field is left unrecorded now and then, so the data-quality lines have something to say.
SHARE_ASSESSED_AT_START, SHARE_ASSESSED_AT_END, SHARE_NOT_RECORDED = 0.90, 0.87, 0.06
#: Suitable accommodation and ETE at the start, by tier (config.TIERS): worse the further into the
#: system; by the end most unsuitable ones improve (about 85% and 70% suitable at the end).
ACCOMMODATION_SUITABLE = np.array([0.88, 0.86, 0.84, 0.80, 0.75, 0.70])
ETE_SUITABLE = np.array([0.70, 0.66, 0.62, 0.55, 0.48, 0.45])
ETE_HOURS, ETE_HOURS_SHARE = np.array([10, 15, 20, 25, 30]), np.array([0.10, 0.15, 0.25, 0.30, 0.20])
#: Needs: (found by the START, found later by the END, offered (or a plan, for SEND) by the START,
#: offered later, attending when offered; None: no attending field). SEND about a third with a plan for
#: half of them; mental health 30-40% with most offered and fewer attending; substance misuse 25-35%.
NEEDS = {
    "send": (0.28, 0.07, 0.45, 0.20, None),
    "mental_health": (0.30, 0.07, 0.60, 0.55, 0.65),
    "substance": (0.26, 0.055, 0.55, 0.50, 0.60),
}
#: Status with wider children's services (prevention work, other work): early help mostly before any offence.
WIDER_SERVICE_SHARES = {
    "looked_after": (0.08, 0.13),
    "child_in_need": (0.18, 0.20),
    "child_protection_plan": (0.05, 0.06),
    "early_help": (0.30, 0.12),
}

#: Victims (victims.csv): offences of these categories that were dealt with mostly have one; the YJS
#: contacts them after the outcome. Half to two thirds consent, most of those are offered restorative
#: justice, a third to a half of those take part.
VICTIM_CATEGORIES = (
    "Violence against the person",
    "Theft and handling stolen goods",
    "Criminal damage",
    "Robbery",
    "Burglary",
    "Sexual offences",
)
SHARE_VICTIM_RECORDED, VICTIM_CONSENTED, RJ_OFFERED, RJ_TOOK_PART, VICTIM_NOT_RECORDED = 0.7, 0.58, 0.8, 0.4, 0.04

#: Board meetings (board_meetings.csv): one a quarter per service, each partner there this often, at
#: the agreed seniority this often when there.
BOARD_ATTENDANCE = {
    "POLICE": 0.92,
    "PROBATION": 0.85,
    "HEALTH": 0.78,
    "CHILDRENS_SOCIAL_CARE": 0.95,
    "EDUCATION": 0.82,
    "OTHER": 0.70,
}
BOARD_SENIOR, BOARD_SENIOR_NOT_RECORDED = 0.80, 0.03

DIVERSION_FROM = np.datetime64("2020-04-01")
LOCKDOWN = (np.datetime64("2020-03-23"), np.datetime64("2020-07-01"))

# The tables above must cover config's vocabularies exactly: a new outcome type there fails here.
assert set(OUTCOME_SHARE) == set(config.OUTCOME_TYPES) and set(PROGRAMME_DAYS) == set(config.DISPOSAL_TYPES)
assert REFERRAL_SOURCE_SHARE.shape == (len(config.TIERS), len(config.REFERRAL_SOURCES))
DISPOSAL_TIER = np.array([config.TIERS.index(config.DISPOSAL_TIERS[d]) for d in config.DISPOSAL_TYPES])
DISPOSAL_SHARE = np.array([1.0 if d == "PREVENTION" else OUTCOME_SHARE[d] for d in config.DISPOSAL_TYPES])
DISPOSAL_DAYS = np.array([PROGRAMME_DAYS[d] for d in config.DISPOSAL_TYPES])
assert set(RELEASE_SHARE) == set(config.CUSTODIAL_TYPES) and config.REMAND_TYPES[-1] == "REMAND_TO_YOUTH_DETENTION"
assert tuple(BOARD_ATTENDANCE) == config.BOARD_PARTNERS and config.SUITABILITY == ("SUITABLE", "UNSUITABLE")
VICTIM_CATEGORY_CODES = np.array([OFFENCE_CATEGORIES.index(c) for c in VICTIM_CATEGORIES])
RELEASE_AT = np.array([RELEASE_SHARE.get(d, 0.0) for d in config.DISPOSAL_TYPES])

COLUMNS = {
    "children.csv": ("child_id", "date_of_birth", "sex", "ethnicity_group", "ethnicity_detail", "yjs", "locality"),
    "offences.csv": (
        "offence_id",
        "child_id",
        "offence_date",
        "category",
        "gravity",
        "knife_or_offensive_weapon",
        "seriousness",
    ),
    "outcomes.csv": ("outcome_id", "child_id", "offence_id", "outcome_date", "outcome_type"),
    "programmes.csv": (
        "programme_id",
        "child_id",
        "disposal_type",
        "programme_name",
        "referral_date",
        "referral_source",
        "locality",
        "start_date",
        "end_date",
        "closure_reason",
        "completed",
        "release_date",
    ),
    "population.csv": ("yjs", "year", "age", "sex", "ethnicity_group", "population", "locality"),
    "assessments.csv": (
        "assessment_id",
        "programme_id",
        "point",
        "assessment_date",
        "accommodation",
        "ete",
        "ete_hours_offered",
        "ete_hours_attended",
        *config.ASSESSMENT_FLAGS,
    ),
    "remands.csv": ("remand_id", "child_id", "offence_id", "remand_date", "remand_type", "end_date", "outcome_id"),
    "victims.csv": ("victim_id", "offence_id", "contact_date", "consented", "rj_offered", "rj_participated"),
    "board_meetings.csv": ("yjs", "meeting_date", "partner", "attended", "senior"),
}
ID_PREFIX = {
    "child": "C",
    "offence": "F",
    "outcome": "U",
    "programme": "P",
    "assessment": "A",
    "remand": "R",
    "victim": "V",
}


def generate_extract(
    out_dir: Path,
    children: int = 20_000,
    seed: int = 1,
    as_of: date = date(2025, 6, 30),
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write a synthetic extract (extract.json and every CSV file of the format) into ``out_dir``.

    Returns the number of rows written to each CSV file. Each chunk of children has its own
    generator, seeded from (seed, chunk number), so the files depend only on seed, size and as_of.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    first_day = np.datetime64(date(_financial_year(np.datetime64(as_of)) - YEARS_OF_HISTORY, 4, 1), "D")
    (out / "extract.json").write_text(
        json.dumps(
            {
                "as_of": as_of.isoformat(),
                "description": f"Synthetic demonstration data: {len(SERVICES)} fictional Youth Justice Services "
                f"({', '.join(SERVICE_NAMES)}) and {children:,} invented children (seed {seed}). "
                "No person, place or service in it is real.",
                "services": {
                    name: {"region": service.region, "compare_as": service.compare_as}
                    for name, service in SERVICES.items()
                },
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    writers = {name: _CsvFile(out / name, columns) for name, columns in COLUMNS.items()}
    first_ids = dict.fromkeys(("offence", "outcome", "programme", "assessment", "remand", "victim"), 0)
    try:
        for number, first_child in enumerate(range(0, children, CHUNK)):
            size = min(CHUNK, children - first_child)
            rng = np.random.default_rng([seed, 1, number])
            tables = _History(rng, size, first_day, np.datetime64(as_of, "D")).tables(first_child, first_ids)
            for name, table in tables.items():
                writers[name].write(table)
            if progress:
                progress(f"Made {first_child + size:,} of {children:,} children")
        writers["population.csv"].write(_population(np.random.default_rng([seed, 0]), children, first_day, as_of))
        writers["board_meetings.csv"].write(_board_meetings(np.random.default_rng([seed, 2]), first_day, as_of))
    finally:
        for writer in writers.values():
            writer.close()
    return {name: writer.rows for name, writer in writers.items()}


class _CsvFile:
    """One extract file: the header written by hand (pyarrow would quote it), then chunks appended.

    Quoting is off: no generated value holds a comma or quote, and pyarrow refuses one that does,
    so the files stay plain (ingest reads quote-free files on its fast path).
    """

    def __init__(self, path: Path, columns: tuple[str, ...]):
        self.columns, self.rows, self.writer = columns, 0, None
        self.handle = path.open("wb")
        self.handle.write((",".join(columns) + "\n").encode())

    def write(self, table: pa.Table) -> None:
        table = table.select(self.columns)
        if self.writer is None:
            self.writer = pa_csv.CSVWriter(
                self.handle, table.schema, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none")
            )
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.handle.close()


class _Episodes(NamedTuple):
    """Children at the start of an episode: the offence (or, for prevention, the referral) that opens it."""

    child: np.ndarray  # index into the chunk's children
    tier: np.ndarray  # index into config.TIERS of the outcome it will get; PREVENTION = no offence
    day: np.ndarray  # offence date, or referral date for prevention
    knife: np.ndarray


class _History:
    """One chunk of children and everything recorded about them, built episode by episode."""

    def __init__(self, rng: np.random.Generator, size: int, first_day: np.datetime64, as_of: np.datetime64):
        self.rng, self.size, self.first_day, self.as_of = rng, size, first_day, as_of
        self.offences, self.outcomes, self.programmes, self.remands = [], [], [], []
        self.offence_count = self.outcome_count = 0
        episodes = self._first_contacts(first_day)
        for _ in range(MAX_EPISODES):
            if len(episodes.child) == 0:
                break
            episodes = self._episode(episodes)
        self._add_offences(episodes.child, episodes.day, episodes.knife, episodes.tier)  # outcome still to come

    # -- the children and their first contact -----------------------------------------------------
    def _first_contacts(self, first_day: np.datetime64) -> _Episodes:
        """Draw the children (kept on self) and the episode that brings each to the service: a
        prevention referral or a first offence, whose outcome's tier is decided here."""
        rng, n = self.rng, self.size
        days = first_day - RUN_IN + np.arange((self.as_of - first_day + RUN_IN).astype(int) + 1)
        known = KNOWN_BEFORE * np.exp(-(days - days[0]).astype(int) / KNOWN_BEFORE_DAYS)
        weight = _contact_weight(days) * (1 + known)
        pick = rng.choice(len(days), size=n, p=weight / weight.sum())
        contact = days[pick]
        known = rng.random(n) < known[pick] / (1 + known[pick])
        prevention = ~known & (rng.random(n) < np.where(contact >= TURNAROUND_FROM, 0.24, 0.13))
        self.service = _pick(rng, n, [s.share for s in SERVICES.values()])
        self.sex = np.where(prevention, _pick(rng, n, SEX_PREVENTION), _pick(rng, n, SEX_OFFENDING))
        mix = np.array([np.array(s.ethnic_mix) * CONTACT_RATIO for s in SERVICES.values()])
        self.group = np.where(
            rng.random(n) < SHARE_ETHNICITY_UNKNOWN, UNKNOWN_GROUP, _pick_rows(rng, mix[self.service])
        )
        local = np.zeros((len(SERVICES), MAX_LOCALITIES))
        for row, service in enumerate(SERVICES.values()):
            local[row, : len(service.localities)] = [share * rate for _, share, rate in service.localities]
        self.locality = _pick_rows(rng, local[self.service])
        self.locality_missing = rng.random(n) < SHARE_LOCALITY_MISSING
        age = np.where(prevention, _pick(rng, n, AGE_AT_PREVENTION), _pick(rng, n, AGE_AT_CONTACT)) + 10
        # Born so the age at contact is exact: a week's margin either side of the birthday.
        self.born = contact - np.round((age + rng.uniform(0.02, 0.98, n)) * 365.2425).astype("timedelta64[D]")
        self.detail = _ethnicity_detail(rng, self.group)

        child = np.arange(n)
        knife = ~prevention & (rng.random(n) < self._knife_chance(child, np.zeros(n, bool)))
        previous = np.where(known, _pick(rng, n, KNOWN_TIER), PREVENTION)
        tier = np.where(prevention, PREVENTION, self._choose_tier(child, previous, contact, knife))
        # Police-recorded offences with no further action in the year before the first outcome.
        earlier = ~prevention & (rng.random(n) < SHARE_EARLIER_OFFENCE)
        earlier_day = contact - rng.integers(30, 331, n).astype("timedelta64[D]")
        earlier &= _age(self.born, earlier_day) >= 10
        self._add_offences(
            child[earlier], earlier_day[earlier], np.zeros(earlier.sum(), bool), np.full(earlier.sum(), DIVERSION)
        )
        return _Episodes(child, tier, contact, knife)

    def _knife_chance(self, child: np.ndarray, carried_before: np.ndarray) -> np.ndarray:
        return KNIFE_BY_SEX[self.sex[child]] * KNIFE_RATIO[self.group[child]] + np.where(carried_before, 0.25, 0)

    def _choose_tier(self, child: np.ndarray, previous: np.ndarray, day: np.ndarray, knife: np.ndarray) -> np.ndarray:
        """The tier of an offence's outcome: the step up from the last one, shifted by the era and the
        child. Diversion grows from April 2020; court and custody are likelier for Black and Mixed
        children and for knife offences, rarer for girls and under-14s."""
        weight = NEXT_TIER[previous].copy()
        later = LATER_STAGE_RATIO[self.group[child]]
        girl = self.sex[child] == 1
        age = _age(self.born[child], day)
        weight[:, DIVERSION] *= (
            _diversion_shift(day)
            / np.sqrt(later)
            * np.where(knife, 0.4, 1)
            * np.where(girl, 1.3, 1)
            * np.where(age < 14, 1.4, 1)
        )
        weight[:, COMMUNITY] *= later * np.where(girl, 0.6, 1) * np.where(age < 14, 0.6, 1) * np.where(knife, 1.3, 1)
        weight[:, CUSTODY] *= (
            later**1.5
            * np.where(girl, 0.4, 1)
            * np.select([age < 14, age == 14], [0.2, 0.5], 1)
            * np.where(knife, 1.6, 1)
        )
        weight[:, FIRST_TIER:] *= np.where(day >= DIVERSION_FROM, 0.85, 1.0)[:, None]
        return _pick_rows(self.rng, weight)

    # -- one episode: offence, outcome, programme, what happens during and after -----------------
    def _episode(self, ep: _Episodes) -> _Episodes:
        rng, as_of, n = self.rng, self.as_of, len(ep.child)
        offended = ep.tier != PREVENTION
        offence_row = np.full(n, -1)
        offence_row[offended] = self._add_offences(
            ep.child[offended], ep.day[offended], ep.knife[offended], ep.tier[offended]
        )
        low, high = OUTCOME_DELAY[ep.tier].T
        referral = ep.day + rng.integers(low, high + 1).astype("timedelta64[D]")
        dealt = referral <= as_of  # an offence whose outcome is still to come stops here
        outcome_row = np.full(n, -1)  # the row each dealt offence's outcome gets, appended below
        outcome_row[dealt & offended] = self.outcome_count + np.arange((dealt & offended).sum())
        self.outcome_count += (dealt & offended).sum()
        court = ep.tier >= FIRST_TIER  # remanded or bailed until the court's outcome (open if none yet)
        self._add_remands(
            ep.child[court],
            ep.tier[court],
            ep.day[court],
            offence_row[court],
            np.where(dealt, referral, np.datetime64("NaT"))[court],
            outcome_row[court],
        )
        child, tier, referral, offence_row, knife = (
            a[dealt] for a in (ep.child, ep.tier, referral, offence_row, ep.knife)
        )
        offended, n = tier != PREVENTION, len(child)

        disposal = _disposal_types(rng, tier)
        unlinked = rng.random(n) < SHARE_OUTCOME_UNLINKED
        self.outcomes.append(
            {
                "child": child[offended],
                "day": referral[offended],
                "type": disposal[offended],
                "offence_row": np.where(unlinked, -1, offence_row)[offended],
            }
        )

        start = referral + rng.integers(0, 29, n).astype("timedelta64[D]")
        started = (start <= as_of) & (rng.random(n) >= SHARE_NEVER_STARTED)
        completed = rng.random(n) < COMPLETION[tier]
        low, high = DISPOSAL_DAYS[disposal].T
        length = rng.integers(low, high + 1) * np.where(completed, 1.0, rng.uniform(0.2, 0.9, n))
        end = start + np.round(length).astype("timedelta64[D]")
        ended = started & (end <= as_of)
        # A custodial sentence: in custody for part of it (a DTO half), then on licence in the community.
        release = start + np.round(length * RELEASE_AT[disposal]).astype("timedelta64[D]")
        released = started & (tier == CUSTODY) & (release <= as_of)
        name = self._programme_names(tier, referral, knife)
        self._add_programmes(
            child,
            disposal,
            name,
            referral,
            tier,
            start,
            started,
            end,
            ended,
            completed,
            np.where(released, release, np.datetime64("NaT")),
        )

        # Offending during the programme (after release, for custody): most such offences are charged
        # and dealt with, opening the next episode; the rest end with no further action, some after a
        # remand (a case that ended without a conviction).
        at_large = np.where(tier == CUSTODY, release, start)
        until = np.where(ended, end, as_of)
        chance = 1 - np.exp(-(until - at_large).astype(float) * OFFENDING_DURING_PER_DAY)
        during = started & ((tier != CUSTODY) | released) & (rng.random(n) < chance)
        during_day = at_large + (rng.random(n) * ((until - at_large).astype(int) + 1)).astype("timedelta64[D]")
        during &= _age(self.born[child], during_day) < 18
        charged = during & (rng.random(n) < SHARE_DURING_CHARGED)
        dropped = during & ~charged
        rows = self._add_offences(child[dropped], during_day[dropped], np.zeros(dropped.sum(), bool), tier[dropped])
        self._add_remands(
            child[dropped],
            tier[dropped],
            during_day[dropped],
            rows,
            np.full(dropped.sum(), np.datetime64("NaT")),
            np.full(dropped.sum(), -1),
            convicted=False,
        )

        # Reoffending after the end. Offences at 18 still count within the year's follow-up (a local
        # tracker checks the PNC), but an adult's case goes to adult services, so no next episode.
        wait = 1 + np.floor(rng.exponential(REOFFENCE_MEAN_DAYS, n)).astype(int)
        again = ended & ~charged & (rng.random(n) < REOFFENCE[tier] * PROGRAMME_EFFECT[name])
        again_day = end + wait.astype("timedelta64[D]")
        age = _age(self.born[child], again_day)
        again &= (again_day <= as_of) & ((age < 18) | ((age == 18) & (wait <= 365)))
        adult = again & (age >= 18)
        self._add_offences(child[adult], again_day[adult], knife[adult], tier[adult])
        again &= ~adult
        day = np.where(charged, during_day, again_day)
        again |= charged
        child, previous, day = child[again], tier[again], day[again]
        knife = rng.random(len(child)) < self._knife_chance(child, knife[again])
        return _Episodes(child, self._choose_tier(child, previous, day, knife), day, knife)

    def _add_remands(self, child, tier, day, offence_row, outcome_day, outcome_row, convicted: bool = True) -> None:
        """Bail or remand decisions between charge and the court's outcome: for some court cases
        (``outcome_day`` NaT: still open) and, with ``convicted`` False, for some offences that ended
        without a conviction. Remand to youth detention is likelier the more serious the case, and
        for Black and Mixed children."""
        rng, n = self.rng, len(child)
        remanded = rng.random(n) < (REMANDED[tier] if convicted else REMANDED_NOT_CONVICTED)
        detained = rng.random(n) < (
            (DETAINED[tier] if convicted else DETAINED_NOT_CONVICTED) * LATER_STAGE_RATIO[self.group[child]]
        )
        kind = np.where(detained, config.REMAND_TYPES.index("REMAND_TO_YOUTH_DETENTION"), _pick(rng, n, BAIL_SHARE))
        when = day + rng.integers(0, 15, n).astype("timedelta64[D]")
        if convicted:
            when = np.where(when > outcome_day, outcome_day, when)
            end = outcome_day
        else:
            end = when + rng.integers(20, 151, n).astype("timedelta64[D]")
        keep = remanded & (when <= self.as_of)
        open_ = ~(end <= self.as_of)  # NaT (no outcome yet) compares False
        self.remands.append(
            {
                "child": child[keep],
                "day": when[keep],
                "type": kind[keep],
                "end": np.where(open_, np.datetime64("NaT"), end)[keep],
                "offence_row": offence_row[keep],
                "outcome_row": np.where(open_, -1, outcome_row)[keep],
            }
        )

    def _programme_names(self, tier: np.ndarray, referral: np.ndarray, knife: np.ndarray) -> np.ndarray:
        """Index into PROGRAMME_NAMES, or NO_NAME: knife offences mostly go to the knife crime group;
        Turnaround takes prevention and diversion cases once it exists."""
        rng, n = self.rng, len(tier)
        name = np.where(rng.random(n) < SHARE_NAMED, rng.integers(TURNAROUND + 1, NO_NAME, n), NO_NAME)
        name[(tier <= DIVERSION) & (referral >= TURNAROUND_FROM) & (rng.random(n) < 0.4)] = TURNAROUND
        name[(knife & (rng.random(n) < 0.7)) | ((tier == PREVENTION) & (rng.random(n) < 0.05))] = KNIFE_GROUP
        return name

    def _add_programmes(
        self, child, disposal, name, referral, tier, start, started, end, ended, completed, release
    ) -> None:
        rng, n = self.rng, len(child)
        elsewhere = ~self.locality_missing[child] & (rng.random(n) < SHARE_PROGRAMME_ELSEWHERE)
        places = np.array([len(SERVICES[s].localities) for s in SERVICE_NAMES])[self.service[child]]
        locality = np.where(elsewhere, (self.locality[child] + rng.integers(1, places)) % places, -1)
        reason = np.where(
            completed,
            0,
            np.where(
                tier >= FIRST_TIER, rng.choice(EARLY_CLOSURE["order"], n), rng.choice(EARLY_CLOSURE["voluntary"], n)
            ),
        )
        source = _pick_rows(rng, REFERRAL_SOURCE_SHARE[tier])
        self.programmes.append(
            {
                "child": child,
                "disposal": disposal,
                "name": name,
                "referral": referral,
                "source": np.where(rng.random(n) < SHARE_SOURCE_MISSING, -1, source),
                "locality": locality,
                "start": np.where(started, start, np.datetime64("NaT")),
                "end": np.where(ended, end, np.datetime64("NaT")),
                "reason": np.where(ended, reason, -1),
                "completed": completed,
                "ended": ended,
                "release": release,
            }
        )

    def _add_offences(self, child: np.ndarray, day: np.ndarray, knife: np.ndarray, tier: np.ndarray) -> np.ndarray:
        """Record offences; returns their row numbers so outcomes can point at them."""
        rng, n = self.rng, len(child)
        category = np.where(knife, _pick(rng, n, KNIFE_CATEGORY_SHARE), _pick(rng, n, CATEGORY_SHARE))
        gravity = np.clip(GRAVITY_BY_TIER[tier] + rng.choice([-1, 0, 0, 1], n), 1, 5)
        gravity = np.where(knife, np.maximum(gravity, 3), gravity)
        seriousness = np.clip(SERIOUSNESS_BY_CATEGORY[category] + gravity - 3 + knife, 1, 8)
        self.offences.append(
            {
                "child": child,
                "day": day,
                "knife": knife,
                "category": np.where(rng.random(n) < SHARE_CATEGORY_MISSING, -1, category),
                "gravity": np.where(rng.random(n) < SHARE_GRAVITY_MISSING, -1, gravity),
                "seriousness": np.where(rng.random(n) < SHARE_SERIOUSNESS_MISSING, -1, seriousness),
            }
        )
        rows = np.arange(self.offence_count, self.offence_count + n)
        self.offence_count += n
        return rows

    # -- output ----------------------------------------------------------------------------------
    def tables(self, first_child: int, first_ids: dict[str, int]) -> dict[str, pa.Table]:
        """The chunk as Arrow tables, rows in child then date order, ids numbered on from ``first_ids``
        (updated) so they stay unique across chunks."""
        offences, outcomes, programmes, remands = (
            _stack(parts) for parts in (self.offences, self.outcomes, self.programmes, self.remands)
        )
        outcomes["row"] = np.arange(len(outcomes["child"]))
        outcomes = _where(outcomes, outcomes["day"] >= self.first_day)
        programmes = _where(programmes, programmes["referral"] >= self.first_day)
        remands = _where(remands, remands["day"] >= self.first_day)
        # Offences before the records start are kept when a kept outcome or remand points at them.
        kept = offences["day"] >= self.first_day
        for rows in (outcomes["offence_row"], remands["offence_row"]):
            kept[rows[rows >= 0]] = True
        new_row = np.cumsum(kept) - 1
        for table in (outcomes, remands):
            table["offence_row"] = np.where(table["offence_row"] >= 0, new_row[table["offence_row"]], -1)
        offences = _where(offences, kept)
        child_id = _ids("child", first_child + np.arange(self.size))
        order = np.lexsort((offences["day"], offences["child"]))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        offence_number = first_ids["offence"] + rank
        victims = self._victims(outcomes, offences["category"])
        offences = {k: v[order] for k, v in offences.items()}
        outcomes = _sorted(outcomes, "day")
        outcome_number = np.full(self.outcome_count, -1)
        outcome_number[outcomes["row"]] = first_ids["outcome"] + np.arange(len(outcomes["child"]))
        programmes = _sorted(programmes, "referral")
        programme_number = first_ids["programme"] + np.arange(len(programmes["child"]))
        remands = _sorted(remands, "day")
        victims = _sorted(victims, "day")
        assessments = self._assessments(programmes)
        linked = outcomes["offence_row"] >= 0

        def locality(child, index, missing):
            return _text(self.service[child] * MAX_LOCALITIES + index, LOCALITY_NAMES, missing)

        def offence_ids(rows):
            return _ids("offence", offence_number[np.maximum(rows, 0)], missing=rows < 0)

        result = {
            "children.csv": pa.table(
                {
                    "child_id": child_id,
                    "date_of_birth": pa.array(self.born),
                    "sex": _text(self.sex, config.SEXES),
                    "ethnicity_group": _text(self.group, config.ETHNICITY_GROUPS),
                    "ethnicity_detail": _text(self.detail, DETAIL_NAMES),
                    "yjs": _text(self.service, SERVICE_NAMES),
                    "locality": locality(np.arange(self.size), self.locality, self.locality_missing),
                }
            ),
            "offences.csv": pa.table(
                {
                    "offence_id": _ids("offence", first_ids["offence"] + np.arange(len(order))),
                    "child_id": child_id.take(offences["child"]),
                    "offence_date": pa.array(offences["day"]),
                    "category": _text(offences["category"], OFFENCE_CATEGORIES, offences["category"] < 0),
                    "gravity": pa.array(offences["gravity"], mask=offences["gravity"] < 0),
                    "knife_or_offensive_weapon": pa.array(offences["knife"]),
                    "seriousness": pa.array(offences["seriousness"], mask=offences["seriousness"] < 0),
                }
            ),
            "outcomes.csv": pa.table(
                {
                    "outcome_id": _ids("outcome", first_ids["outcome"] + np.arange(len(outcomes["child"]))),
                    "child_id": child_id.take(outcomes["child"]),
                    "offence_id": _ids(
                        "offence", offence_number[np.maximum(outcomes["offence_row"], 0)], missing=~linked
                    ),
                    "outcome_date": pa.array(outcomes["day"]),
                    "outcome_type": _text(outcomes["type"], config.DISPOSAL_TYPES),
                }
            ),
            "programmes.csv": pa.table(
                {
                    "programme_id": _ids("programme", programme_number),
                    "child_id": child_id.take(programmes["child"]),
                    "disposal_type": _text(programmes["disposal"], config.DISPOSAL_TYPES),
                    "programme_name": _text(programmes["name"], PROGRAMME_NAMES, programmes["name"] == NO_NAME),
                    "referral_date": pa.array(programmes["referral"]),
                    "referral_source": _text(programmes["source"], config.REFERRAL_SOURCES, programmes["source"] < 0),
                    "locality": locality(programmes["child"], programmes["locality"], programmes["locality"] < 0),
                    "start_date": _dates(programmes["start"]),
                    "end_date": _dates(programmes["end"]),
                    "closure_reason": _text(programmes["reason"], CLOSURE_REASONS, programmes["reason"] < 0),
                    "completed": pa.array(programmes["completed"], mask=~programmes["ended"]),
                    "release_date": _dates(programmes["release"]),
                }
            ),
            "assessments.csv": pa.table(
                {
                    "assessment_id": _ids(
                        "assessment", first_ids["assessment"] + np.arange(len(assessments["programme"]))
                    ),
                    "programme_id": _ids("programme", programme_number[assessments["programme"]]),
                    "point": _text(assessments["point"], config.ASSESSMENT_POINTS),
                    "assessment_date": pa.array(assessments["day"]),
                    **{
                        name: _text(assessments[name], config.SUITABILITY, assessments[name] < 0)
                        for name in ("accommodation", "ete")
                    },
                    **{
                        name: pa.array(assessments[name], mask=assessments[name] < 0)
                        for name in ("ete_hours_offered", "ete_hours_attended")
                    },
                    **{
                        name: pa.array(assessments[name] == 1, mask=assessments[name] < 0)
                        for name in config.ASSESSMENT_FLAGS
                    },
                }
            ),
            "remands.csv": pa.table(
                {
                    "remand_id": _ids("remand", first_ids["remand"] + np.arange(len(remands["child"]))),
                    "child_id": child_id.take(remands["child"]),
                    "offence_id": offence_ids(remands["offence_row"]),
                    "remand_date": pa.array(remands["day"]),
                    "remand_type": _text(remands["type"], config.REMAND_TYPES),
                    "end_date": _dates(remands["end"]),
                    "outcome_id": _ids(
                        "outcome",
                        outcome_number[np.maximum(remands["outcome_row"], 0)],
                        missing=remands["outcome_row"] < 0,
                    ),
                }
            ),
            "victims.csv": pa.table(
                {
                    "victim_id": _ids("victim", first_ids["victim"] + np.arange(len(victims["child"]))),
                    "offence_id": offence_ids(victims["offence_row"]),
                    "contact_date": pa.array(victims["day"]),
                    **{
                        name: pa.array(victims[name] == 1, mask=victims[name] < 0)
                        for name in ("consented", "rj_offered", "rj_participated")
                    },
                }
            ),
        }
        for kind, name in (
            ("offence", "offences.csv"),
            ("outcome", "outcomes.csv"),
            ("programme", "programmes.csv"),
            ("assessment", "assessments.csv"),
            ("remand", "remands.csv"),
            ("victim", "victims.csv"),
        ):
            first_ids[kind] += result[name].num_rows
        return result

    def _victims(self, outcomes: dict[str, np.ndarray], category: np.ndarray) -> dict[str, np.ndarray]:
        """Victims of offences dealt with (an outcome linked to them) in categories that have one,
        contacted by the YJS after the outcome. ``category``: of the offences as kept, before sorting.
        Flags: 1 yes, 0 no, -1 not recorded."""
        rng = self.rng
        row = outcomes["offence_row"]
        has = (row >= 0) & np.isin(category[np.maximum(row, 0)], VICTIM_CATEGORY_CODES)
        has &= rng.random(len(row)) < SHARE_VICTIM_RECORDED
        day = outcomes["day"] + rng.integers(3, 43, len(row)).astype("timedelta64[D]")
        has &= day <= self.as_of
        n = has.sum()
        consented = rng.random(n) < VICTIM_CONSENTED
        offered = consented & (rng.random(n) < RJ_OFFERED)
        took_part = offered & (rng.random(n) < RJ_TOOK_PART)
        return {
            "child": outcomes["child"][has],
            "day": day[has],
            "offence_row": row[has],
            **{
                name: np.where(rng.random(n) < VICTIM_NOT_RECORDED, -1, flag.astype(int))
                for name, flag in (("consented", consented), ("rj_offered", offered), ("rj_participated", took_part))
            },
        }

    def _assessments(self, programmes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """START and END assessments of the programmes (rows in child then date order): most started
        programmes have a START, most ended ones an END, some fields are not recorded. Circumstances at
        the end follow those at the start (accommodation and ETE mostly improve; needs found at the
        start stay found). Codes: suitability 0 suitable, 1 not, -1 not recorded; flags 1, 0, -1."""
        rng, as_of = self.rng, self.as_of
        n = len(programmes["child"])
        tier = DISPOSAL_TIER[programmes["disposal"]]
        start, end = programmes["start"], programmes["end"]

        def chance(p) -> np.ndarray:
            return rng.random(n) < p

        # (at START, at END) for each field, before leaving some unrecorded.
        accommodation = chance(ACCOMMODATION_SUITABLE[tier])
        ete = chance(ETE_SUITABLE[tier])
        fields = {
            "accommodation": (accommodation, np.where(accommodation, chance(0.93), chance(0.45))),
            "ete": (ete, np.where(ete, chance(0.90), chance(0.45))),
        }
        hours = {point: ETE_HOURS[_pick(rng, n, ETE_HOURS_SHARE)] for point in (0, 1)}
        # The share of those hours attended: 60-100% in suitable ETE, 20-80% otherwise.
        attended = {
            point: np.floor(hours[point] * (rng.random(n) * 0.4 + np.where(fields["ete"][point], 0.6, 0.2)))
            for point in (0, 1)
        }
        fields["ete_hours_offered"] = (hours[0], hours[1])
        fields["ete_hours_attended"] = (attended[0], attended[1])
        for need, (found, later, offered, offered_later, attending) in NEEDS.items():
            at_start = chance(found)
            at_end = at_start | chance(later)
            offer_start = at_start & chance(offered)
            offer_end = at_end & (offer_start | chance(offered_later))
            fields[f"{need}_need" if need != "send" else "send"] = (at_start, at_end)
            fields["send_plan" if need == "send" else f"{need}_offered"] = (offer_start, offer_end)
            if attending:
                fields[f"{need}_attending"] = (offer_start & chance(attending), offer_end & chance(attending))
        for flag, share in WIDER_SERVICE_SHARES.items():
            status = chance(np.where(tier == PREVENTION, share[0], share[1]))
            fields[flag] = (status, status)

        has_start = ~np.isnat(start) & chance(SHARE_ASSESSED_AT_START)
        has_end = ~np.isnat(end) & chance(SHARE_ASSESSED_AT_END)
        latest = np.where(np.isnat(end), as_of, end)
        start_day = np.minimum(start + rng.integers(0, 15, n).astype("timedelta64[D]"), latest)
        end_day = np.maximum(end - rng.integers(0, 11, n).astype("timedelta64[D]"), start_day)
        rows = {
            "programme": np.concatenate([np.flatnonzero(has_start), np.flatnonzero(has_end)]),
            "point": np.repeat([0, 1], [has_start.sum(), has_end.sum()]),
            "day": np.concatenate([start_day[has_start], end_day[has_end]]),
        }
        order = np.lexsort((rows["point"], rows["day"], programmes["child"][rows["programme"]]))
        rows = {k: v[order] for k, v in rows.items()}
        for name, (at_start, at_end) in fields.items():
            value = np.concatenate([at_start[has_start], at_end[has_end]])[order].astype(np.int64)
            if name in ("accommodation", "ete"):
                value = 1 - value  # index into config.SUITABILITY
            rows[name] = np.where(rng.random(len(value)) < SHARE_NOT_RECORDED, -1, value)
        # Hours only where ETE is recorded, attended never more than offered.
        no_ete = (rows["ete"] < 0) | (rows["ete_hours_offered"] < 0)
        rows["ete_hours_offered"] = np.where(no_ete, -1, rows["ete_hours_offered"])
        rows["ete_hours_attended"] = np.where(no_ete, -1, rows["ete_hours_attended"])
        return rows


# -- the population ------------------------------------------------------------------------------
def _population(rng: np.random.Generator, children: int, first_day: np.datetime64, as_of: date) -> pa.Table:
    """Mid-year 10-17 populations by service, locality, age, sex and group, from the year before the
    first financial year to the extract's. Sized from the number of children so rates come out the
    same at any size; growing about 1% a year like England's 10-17s; a little noise per cell."""
    years = np.arange(first_day.astype("M8[Y]").astype(int) + 1970 - 1, as_of.year + 1)
    sex_share = np.array([0.512, 0.488])
    parts = []
    for index, service in enumerate(SERVICES.values()):
        total = children * POPULATION_PER_CHILD * service.share / service.contact_rate
        for locality, share, _ in service.localities:
            base = total * share
            year, age, sex, group = (
                a.ravel()
                for a in np.meshgrid(years, np.arange(10, 18), [0, 1], np.arange(len(POPULATION_GROUPS)), indexing="ij")
            )
            mean = (
                base
                / 8
                * POPULATION_GROWTH ** (year - years[0])
                * sex_share[sex]
                * np.array(service.ethnic_mix)[group]
                * rng.uniform(0.97, 1.03, len(year))
            )
            parts.append(
                {
                    "yjs": np.full(len(year), index),
                    "year": year,
                    "age": age,
                    "sex": sex,
                    "group": group,
                    "population": np.round(mean).astype(np.int64),
                    "locality": np.full(len(year), locality),
                }
            )
    rows = _stack(parts)
    return pa.table(
        {
            "yjs": _text(rows["yjs"], SERVICE_NAMES),
            "year": pa.array(rows["year"].astype(np.int64)),
            "age": pa.array(rows["age"].astype(np.int64)),
            "sex": _text(rows["sex"], config.POPULATION_SEXES),
            "ethnicity_group": _text(rows["group"], POPULATION_GROUPS),
            "population": pa.array(rows["population"]),
            "locality": pa.array(rows["locality"].astype(str)),
        }
    )


# -- board meetings ------------------------------------------------------------------------------
def _board_meetings(rng: np.random.Generator, first_day: np.datetime64, as_of: date) -> pa.Table:
    """A management board meeting in the middle month of every quarter for each service, with a row
    per partner: there or not, and at the agreed seniority or not (not always recorded)."""
    quarters = np.arange(first_day.astype("M8[M]"), np.datetime64(as_of, "M") + 1, 3)
    days = (quarters + 1).astype("M8[D]") + rng.integers(5, 25, (len(SERVICES), len(quarters))).astype("timedelta64[D]")
    service, meeting, partner = (
        a.ravel()
        for a in np.meshgrid(
            np.arange(len(SERVICES)), np.arange(len(quarters)), np.arange(len(config.BOARD_PARTNERS)), indexing="ij"
        )
    )
    day = days[service, meeting]
    held = day <= np.datetime64(as_of, "D")
    service, day, partner = service[held], day[held], partner[held]
    attended = rng.random(len(day)) < np.array(list(BOARD_ATTENDANCE.values()))[partner]
    senior = attended & (rng.random(len(day)) < BOARD_SENIOR)
    return pa.table(
        {
            "yjs": _text(service, SERVICE_NAMES),
            "meeting_date": pa.array(day),
            "partner": _text(partner, config.BOARD_PARTNERS),
            "attended": pa.array(attended),
            "senior": pa.array(senior, mask=rng.random(len(day)) < BOARD_SENIOR_NOT_RECORDED),
        }
    )


# -- trends ----------------------------------------------------------------------------------------
def _financial_year(day: np.datetime64 | np.ndarray):
    """The year a financial year starts in (April to March)."""
    month = day.astype("M8[M]").astype(int)
    return (month - 3) // 12 + 1970


def _contact_weight(days: np.ndarray) -> np.ndarray:
    """New children come in about 6% fewer each year to 2020-21, then 1% fewer: the national fall in
    first-time entrants, with a dip in the first lockdown."""
    year = _financial_year(days)
    weight = np.where(year <= 2020, 0.94 ** (year - 2015), 0.94**5 * 0.99 ** (year - 2020))
    return weight * np.where((days >= LOCKDOWN[0]) & (days < LOCKDOWN[1]), 0.6, 1.0)


def _diversion_shift(days: np.ndarray) -> np.ndarray:
    """Weight on diversion: 1 before April 2020, rising to 2.6 by April 2022 (the move to
    community resolutions and Outcome 22 instead of cautions and court)."""
    progress = (days - DIVERSION_FROM).astype(int) / 730
    return 1 + 1.6 * np.clip(progress, 0, 1)


# -- drawing ---------------------------------------------------------------------------------------
def _pick(rng: np.random.Generator, size: int, shares) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return rng.choice(len(shares), size=size, p=shares / shares.sum())


def _pick_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row, each row drawn with its own weights."""
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((draw[:, None] >= cumulative).sum(axis=1), weights.shape[1] - 1)


def _age(born: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Completed years on a date, the birthday counting as the new age (as the measures count it)."""

    def parts(d):
        month = d.astype("M8[M]")
        return month.astype("M8[Y]").astype(int), month.astype(int) % 12 * 100 + (d - month).astype(int)

    born_year, born_day = parts(born)
    year, in_year = parts(day)
    return year - born_year - (in_year < born_day)


DETAIL_NAMES = tuple(name for group in config.ETHNICITY_GROUPS for name, _ in ETHNICITY_DETAIL[group])


def _ethnicity_detail(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Index into DETAIL_NAMES: an ONS category within the child's group."""
    detail = np.zeros(len(group), dtype=np.int64)
    offset = 0
    for index, name in enumerate(config.ETHNICITY_GROUPS):
        options = ETHNICITY_DETAIL[name]
        rows = np.flatnonzero(group == index)
        detail[rows] = offset + _pick(rng, len(rows), [share for _, share in options])
        offset += len(options)
    return detail


def _disposal_types(rng: np.random.Generator, tier: np.ndarray) -> np.ndarray:
    """Index into config.DISPOSAL_TYPES: an outcome type within each tier (PREVENTION for prevention)."""
    weights = (DISPOSAL_TIER[None, :] == tier[:, None]) * DISPOSAL_SHARE[None, :]
    return _pick_rows(rng, weights)


# -- assembling ------------------------------------------------------------------------------------
def _stack(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _where(rows: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {key: value[keep] for key, value in rows.items()}


def _sorted(rows: dict[str, np.ndarray], day: str) -> dict[str, np.ndarray]:
    order = np.lexsort((rows[day], rows["child"]))
    return {key: value[order] for key, value in rows.items()}


def _ids(kind: str, numbers: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Text ids such as C0000001 (numbered from 1), built in Arrow rather than Python strings."""
    digits = pc.utf8_lpad(pa.array(numbers + 1, mask=missing).cast(pa.string()), 7 if kind == "child" else 8, "0")
    return pc.binary_join_element_wise(ID_PREFIX[kind], digits, "")


def _text(codes: np.ndarray, words, missing: np.ndarray | None = None) -> pa.Array:
    """Codes to their words (a dictionary array cast to text); ``missing`` rows are left empty."""
    dictionary = pa.array(list(words), pa.string())
    codes = np.where(missing, 0, codes) if missing is not None else codes
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=missing), dictionary).cast(pa.string())


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("M8[D]"), mask=np.isnat(days))
