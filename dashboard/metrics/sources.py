"""The tables the measures read (built at ingest: dashboard/ingest/derive.py), each with the column
that answers each filter. A measure names its source; the filters it honours follow from it."""

from __future__ import annotations

from .common import Source

_CHILD = {"yjs": "yjs", "locality": "locality", "sex": "sex", "ethnicity_group": "ethnicity_group"}
AGE_BAND_AT_REFERRAL = (
    "CASE WHEN age_at_referral BETWEEN 10 AND 14 THEN '10-14' WHEN age_at_referral BETWEEN 15 AND 17 THEN '15-17' END"
)
AGE_BAND_OF_AGE = "CASE WHEN age BETWEEN 10 AND 14 THEN '10-14' ELSE '15-17' END"

#: Each child's first-time entry: the child's locality, age band on the offence (or outcome) date.
FIRST_TIME_ENTRY = Source("first_time_entry", {**_CHILD, "age_band": "age_band", "disposal_type": "outcome_type"})
#: Programmes by their start: the programme's locality (else the child's), age band at the start.
PROGRAMME_STARTS = Source(
    "programme_fact",
    {**_CHILD, "age_band": "age_band_at_start", "disposal_type": "disposal_type", "programme": "programme_name"},
)
#: Programmes by their referral: age band on the day of referral.
PROGRAMME_REFERRALS = Source(
    "programme_fact",
    {**_CHILD, "age_band": AGE_BAND_AT_REFERRAL, "disposal_type": "disposal_type", "programme": "programme_name"},
)
#: Offences, outcomes and remands putting a child at a disproportionality stage: age band at the event.
STAGE_EVENT = Source("stage_event", {**_CHILD, "age_band": "age_band"})
#: Custodial sentences (the stage events of stage custody): age band on the day of sentence.
CUSTODIAL_SENTENCES = Source("stage_event", {**_CHILD, "age_band": "age_band", "disposal_type": "disposal_type"})
#: Bail and remand decisions: age band on the remand date.
REMANDS = Source("remand_fact", {**_CHILD, "age_band": "age_band"})
#: The 10-17 population (ONS mid-year estimates, from the extract's population.csv).
POPULATION = Source("population", {**_CHILD, "age_band": AGE_BAND_OF_AGE})
#: Each child's proven reoffending cohorts: the child's locality, age band at the index date, disposal type of
#: the index event (the outcome's type, or the custodial sentence released from).
PROVEN_COHORT = Source("proven_cohort", {**_CHILD, "age_band": "age_band", "disposal_type": "disposal_type"})
