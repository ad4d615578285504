"""Paths and the fixed vocabularies of the extract: constants, never read from the environment
(settings.py reads that, once).

Everything here comes from ../shared/spec (extract-format.md, metrics.md). It imports nothing
internal, so every other module can rely on it.
"""

from __future__ import annotations

from pathlib import Path

SERVICE_NAME = "Youth justice partnership dashboard"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
PUBLIC_DATA_DIR = DATA_DIR / "public"
DEFAULT_DB_PATH = DATA_DIR / "dashboard.duckdb"
#: Where the app serves the map's boundary file (fetched once by the browser, not sent in figures).
BOUNDARIES_URL = "/data/boundaries.geojson"

#: The database's tables: raise when their columns change. A database built by another version is
#: refused by the app with a plain message (and the demo one rebuilt).
SCHEMA_VERSION = 6

#: Counts from 1 to SUPPRESSION_MAX are withheld (shown as ``c``, exported as null).
SUPPRESSION_MAX = 4
SUPPRESSED_MARK = "c"

#: How many row-level problems ingest prints before it gives only a count.
MAX_REPORTED_PROBLEMS = 1000


SEXES = ("male", "female", "unknown")
POPULATION_SEXES = ("male", "female")
ETHNICITY_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", "Unknown")
AGE_BANDS = ("10-14", "15-17")
REFERENCE_GROUP = "White"

#: Outcome type -> tier, in the order of the spec's table.
OUTCOME_TIERS = {
    "COMMUNITY_RESOLUTION": "Diversion",
    "OUTCOME_22": "Diversion",
    "YOUTH_CAUTION": "Pre-court",
    "YOUTH_CONDITIONAL_CAUTION": "Pre-court",
    "REFERRAL_ORDER": "First-tier",
    "FINE": "First-tier",
    "CONDITIONAL_DISCHARGE": "First-tier",
    "ABSOLUTE_DISCHARGE": "First-tier",
    "REPARATION_ORDER": "First-tier",
    "OTHER_FIRST_TIER": "First-tier",
    "YOUTH_REHABILITATION_ORDER": "Community",
    "DETENTION_AND_TRAINING_ORDER": "Custody",
    "SECTION_250": "Custody",
    "SECTION_254": "Custody",
    "SECTION_259": "Custody",
}
OUTCOME_TYPES = tuple(OUTCOME_TIERS)
TIERS = ("Prevention", "Diversion", "Pre-court", "First-tier", "Community", "Custody")
#: Tiers whose outcomes are substantive (count towards first-time entry).
SUBSTANTIVE_TIERS = ("Pre-court", "First-tier", "Community", "Custody")
#: Programme disposal types: PREVENTION plus every outcome type; their tiers.
DISPOSAL_TIERS = {"PREVENTION": "Prevention", **OUTCOME_TIERS}
DISPOSAL_TYPES = tuple(DISPOSAL_TIERS)

REFERRAL_SOURCES = (
    "POLICE",
    "OUT_OF_COURT_PANEL",
    "COURT",
    "SCHOOL",
    "SOCIAL_CARE",
    "FAMILY",
    "HEALTH",
    "OTHER",
)
#: Disposal types of tier Custody: the only programmes that may have a release_date.
CUSTODIAL_TYPES = tuple(t for t, tier in DISPOSAL_TIERS.items() if tier == "Custody")

#: The files for the YJB's key performance indicators (extract-format.md).
ASSESSMENT_POINTS = ("START", "END")
SUITABILITY = ("SUITABLE", "UNSUITABLE")
#: A child's status with wider children's services, yes or no at an assessment.
WIDER_SERVICES = ("looked_after", "child_in_need", "child_protection_plan", "early_help")
#: The assessment's yes-or-no fields: needs, help offered and taken up, and the wider services.
ASSESSMENT_FLAGS = (
    "send",
    "send_plan",
    "mental_health_need",
    "mental_health_offered",
    "mental_health_attending",
    "substance_need",
    "substance_offered",
    "substance_attending",
    *WIDER_SERVICES,
)
REMAND_TYPES = (
    "UNCONDITIONAL_BAIL",
    "CONDITIONAL_BAIL",
    "BAIL_SUPERVISION_AND_SUPPORT",
    "ISS_BAIL",
    "REMAND_TO_LOCAL_AUTHORITY",
    "REMAND_TO_YOUTH_DETENTION",
)
BOARD_PARTNERS = ("POLICE", "PROBATION", "HEALTH", "CHILDRENS_SOCIAL_CARE", "EDUCATION", "OTHER")
#: The remand the remand-outcomes measure and the disproportionality stage `remand` follow.
YOUTH_DETENTION = "REMAND_TO_YOUTH_DETENTION"
#: How a remand's case ended (indicators.md, remand-outcomes), and the results that are an end.
REMAND_RESULTS = ("custodial_sentence", "non_custodial_sentence", "no_conviction", "open")
ENDED_RESULTS = REMAND_RESULTS[:3]

#: Stages of the disproportionality funnel and the stage each is compared with under --base previous.
STAGES = ("population", "offence", "diversion", "pre_court", "remand", "court", "custody")
PREVIOUS_STAGE = {
    "offence": "population",
    "diversion": "offence",
    "pre_court": "offence",
    "remand": "offence",
    "court": "offence",
    "custody": "court",
}
#: Which outcome tiers put a child at each outcome stage.
STAGE_TIERS = {
    "diversion": ("Diversion",),
    "pre_court": ("Pre-court",),
    "court": ("First-tier", "Community"),
    "custody": ("Custody",),
}

#: Programme-reoffending windows, in display order.
WINDOWS = ("pre", "during", "0-3m", "3-6m", "6-9m", "9-12m")
