"""Words shown in many places, written once. The small-number wording follows the one threshold in
config, so changing it changes every page, download and pack."""

from __future__ import annotations

from ..config import SUPPRESSED_MARK, SUPPRESSION_MAX

#: The smallest count that is shown.
SHOWN_FROM = SUPPRESSION_MAX + 1
SMALL_NUMBERS = (f"Counts from 1 to {SUPPRESSION_MAX} are withheld and shown as {SUPPRESSED_MARK}, together with "
                 "any rate built on them and any other cell that would let them be worked out (secondary "
                 "suppression). Zeros are shown.")
WITHHELD_NOTE = (f"{SUPPRESSED_MARK} = fewer than {SHOWN_FROM} children: withheld to protect identities, "
                 "and not plotted")
EXTRACT_SOURCE = ("Source: the service's case management extract, as at {as_of}. "
                  f"Counts of 1 to {SUPPRESSION_MAX} are withheld ({SUPPRESSED_MARK}), with any other cell that "
                  "would reveal them.")
PUBLISHED_SOURCE = ("Source: Youth Justice Board for England and Wales, Youth Justice Statistics; ONS population "
                    "estimates. Contains public sector information licensed under the Open Government Licence v3.0.")
BOUNDARIES_CREDIT = "Boundaries: ONS, OS data © Crown copyright 2019."
COMPARATORS_SOURCE = ("Source: Department for Education, Local Authority Interactive Tool and statistical neighbours; "
                      "Youth Justice Board for England and Wales, Youth Justice Statistics; Office for National "
                      "Statistics population estimates; Trafford Data Lab. Contains public sector information "
                      "licensed under the Open Government Licence v3.0.")
SERVICE_NAME = "Youth justice partnership dashboard"


def words(code: str) -> str:
    """A code as words: 'pre_court' -> 'pre court'."""
    return str(code).replace("_", " ")


#: Text a spreadsheet would run as a formula when it starts with one of these (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text from the data (a locality named '=HYPERLINK(...)') as text, never a live formula, in a workbook
    or CSV: a leading apostrophe, as OWASP advises. Numbers (a negative count or change) are left as numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
