"""Words shown in many places, written once. The small-number wording follows the one threshold in
config, so changing it changes every page, download and pack."""

from __future__ import annotations

from ..config import SUPPRESSED_MARK, SUPPRESSION_MAX

#: The smallest count that is shown.
SHOWN_FROM = SUPPRESSION_MAX + 1
SMALL_NUMBERS = (
    f"Counts from 1 to {SUPPRESSION_MAX} are withheld and shown as {SUPPRESSED_MARK}, together with "
    "any rate built on them and any other cell that would let them be worked out (secondary "
    "suppression). Zeros are shown."
)
WITHHELD_NOTE = f"{SUPPRESSED_MARK} = fewer than {SHOWN_FROM} children: withheld to protect identities, and not plotted"
EXTRACT_SOURCE = (
    "Source: the service's case management extract, as at {as_of}. "
    f"Counts of 1 to {SUPPRESSION_MAX} are withheld ({SUPPRESSED_MARK}), with any other cell that "
    "would reveal them."
)
PUBLISHED_SOURCE = (
    "Source: Youth Justice Board for England and Wales, Youth Justice Statistics; ONS population "
    "estimates. Contains public sector information licensed under the Open Government Licence v3.0."
)
BOUNDARIES_CREDIT = "Boundaries: ONS, OS data © Crown copyright 2019."
COMPARATORS_SOURCE = (
    "Source: Department for Education, Local Authority Interactive Tool and statistical neighbours; "
    "Youth Justice Board for England and Wales, Youth Justice Statistics; Office for National "
    "Statistics population estimates; Trafford Data Lab. Contains public sector information "
    "licensed under the Open Government Licence v3.0."
)
SERVICE_NAME = "Youth justice partnership dashboard"


def words(code: str) -> str:
    """A code as words: 'pre_court' -> 'pre court'."""
    return str(code).replace("_", " ")


def code_words(code) -> str:
    """A code as words: COMMUNITY_RESOLUTION -> Community resolution, pre_court -> Pre-court."""
    text = "pre-court" if code == "pre_court" else str(code)
    text = text.replace("_", " ").lower() if text.isupper() or "_" in text else text
    return text[:1].upper() + text[1:]


#: Groups of children as people name them (the data's codes are never shown); others stand as they are.
GROUP_WORDS = {
    "male": "Boys",
    "female": "Girls",
    "unknown": "Sex not recorded",
    "10-14": "Aged 10 to 14",
    "15-17": "Aged 15 to 17",
    "Unknown": "Ethnic group not recorded",
}
#: The disproportionality stages, as a chart's axis or a table names them.
STAGE_NAMES = {
    "population": "Population",
    "offence": "Offence",
    "diversion": "Diversion",
    "pre_court": "Pre-court",
    "court": "Court",
    "custody": "Custody",
    "remand": "Youth detention remand",
}
#: The programme-reoffending windows in words.
WINDOW_WORDS = {
    "pre": "12 months before",
    "during": "During",
    "0-3m": "0 to 3 months after",
    "3-6m": "3 to 6 months after",
    "6-9m": "6 to 9 months after",
    "9-12m": "9 to 12 months after",
}

#: Column headings of every table a person reads: a card's table, its CSV, the workbook, the pack.
HEADINGS = {
    "period": "Period",
    "yjs": "Youth Justice Service",
    "locality": "Area",
    "region": "Region",
    "fte": "First-time entrants",
    "fte_knife_or_weapon": "Knife or weapon offence",
    "population_10_17": "Children aged 10 to 17",
    "rate_per_100000": "Per 100,000 aged 10 to 17",
    "disposal_type": "Disposal",
    "tier": "Tier",
    "count": "Number",
    "referral_source": "Referred by",
    "age": "Age",
    "stage": "Stage",
    "group": "Group",
    "base": "Out of",
    "rate_per_1000": "Per 1,000",
    "rri": "Relative rate index",
    "ci_low": "95% interval from",
    "ci_high": "95% interval to",
    "significant": "Significant",
    "cohort": "Year the programme started",
    "window": "When",
    "children_at_risk": "Children followed up",
    "children_offended": "Children who offended",
    "offences": "Offences",
    "rate": "Share who offended",
    "day": "Days since the programme ended",
    "at_risk": "Still followed up",
    "events": "Reoffended",
    "censored": "Follow-up ended",
    "survival": "Not reoffended (share)",
    "reoffended": "Reoffended (share)",
    "children": "Children cautioned or sentenced",
    "ended": "Programmes ended",
    "completed": "Completed",
    "percent_completed": "Completed (%)",
    "measure": "Measure",
    "area_type": "Kind of area",
    "area": "Area",
    "value": "Value",
    "population": "Population",
    "compared_with_england": "Compared with England",
    "binary_rate": "Reoffended (%)",
    "frequency_rate": "Reoffences per child",
    "reoffences_per_reoffender": "Reoffences per reoffender",
}
#: What a measure's ``count`` counts.
COUNT_HEADINGS = {"disposals": "Programmes started", "referrals": "Referrals", "disproportionality": "Children"}


def heading(column, metric: str | None = None) -> str:
    """A column's heading in words; a heading that is not a column (a period in a pivot) stands as it is."""
    if column == "count" and metric in COUNT_HEADINGS:
        return COUNT_HEADINGS[metric]
    return HEADINGS.get(column, str(column))


def _yes_no(value) -> str:
    return "Yes" if value else "No"


#: How a table writes the values of its coded columns; every other column is shown as it is (area and
#: service names are the extract's own, whatever their case).
VALUE_WORDS = {
    "disposal_type": code_words,
    "referral_source": code_words,
    "group": lambda g: GROUP_WORDS.get(g, g),
    "stage": lambda s: STAGE_NAMES.get(s, code_words(s)),
    "window": lambda w: WINDOW_WORDS.get(w, code_words(w)),
    "significant": _yes_no,
}


#: Text a spreadsheet would run as a formula when it starts with one of these (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text from the data (a locality named '=HYPERLINK(...)') as text, never a live formula, in a workbook
    or CSV: a leading apostrophe, as OWASP advises. Numbers (a negative count or change) are left as numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
