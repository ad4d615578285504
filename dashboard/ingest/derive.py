"""Turn the staged extract into the tables the measures read.

Everything a page would otherwise recompute on every click is worked out here, once per load: each
child's first-time entry, the children at each disproportionality stage, each programme's follow-up
windows and time to reoffend, each child's proven reoffending cohorts, and the financial year,
quarter, age and age band of every event.
The measures (dashboard/metrics) then only filter and count, in SQL both DuckDB and PostgreSQL read.

Input: the ``stage_*`` views from extract.py. Output: ``new_<table>`` for every table in TABLES.
Tables read more than once here are materialised; the rest are views, worked out once, straight into
the database as it is written (materialising them first cost a third of an ingest).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from .. import config

#: Tables written for each load, replaced per YJS; every one has a ``yjs`` column.
TABLES = (
    "extract_info",
    "child",
    "offence",
    "outcome",
    "programme",
    "population",
    "assessment",
    "remand",
    "victim",
    "board_meeting",
    "first_time_entry",
    "stage_event",
    "programme_fact",
    "proven_cohort",
    "remand_fact",
)

#: The tables holding the extract's own rows (the rest are worked out from them), with their file.
RECORD_TABLES = {
    "child": "children.csv",
    "offence": "offences.csv",
    "outcome": "outcomes.csv",
    "programme": "programmes.csv",
    "population": "population.csv",
    "assessment": "assessments.csv",
    "remand": "remands.csv",
    "victim": "victims.csv",
    "board_meeting": "board_meetings.csv",
}

#: extract_info's flag for each optional file: whether the extract had it, so a measure can say
#: "not in this extract" rather than show 0.
OPTIONAL_FILES = {
    "has_population": "population.csv",
    "has_assessments": "assessments.csv",
    "has_remands": "remands.csv",
    "has_victims": "victims.csv",
    "has_board_meetings": "board_meetings.csv",
}

#: Programme columns a reoffending filter may pick: the cohort is also marked per value of each.
MARKED_BY = ("age_band_at_start", "disposal_type", "programme_name", "locality")


def _age(born: str, on: str) -> str:
    """Completed years on a date; the birthday itself counts as the new age."""
    return (
        f"(year({on}) - year({born}) - CASE WHEN month({on}) < month({born}) OR "
        f"(month({on}) = month({born}) AND day({on}) < day({born})) THEN 1 ELSE 0 END)"
    )


def _age_band(age: str) -> str:
    return f"CASE WHEN {age} BETWEEN 10 AND 14 THEN '10-14' WHEN {age} BETWEEN 15 AND 17 THEN '15-17' END"


def _financial_year(d: str) -> str:
    """The year a financial year starts in (2021 for 2021-22)."""
    return f"(year({d}) - CASE WHEN month({d}) < 4 THEN 1 ELSE 0 END)"


def _quarter(d: str) -> str:
    """Quarter of the financial year: Q1 Apr-Jun ... Q4 Jan-Mar."""
    return f"(((month({d}) + 8) % 12) // 3 + 1)"


def _months_after(d: str, months: int) -> str:
    """Calendar months with end-of-month clamping, as the spec requires."""
    return f"CAST({d} + INTERVAL ({months}) MONTH AS DATE)"


def derive(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    description: str,
    files: set[str],
    services: dict[str, tuple[str | None, str | None]],
) -> None:
    """``files``: the extract's files (for the has_* flags); ``services``: each service's region and
    the published service it is compared as."""
    tiers = [(t, tier) for t, tier in config.DISPOSAL_TIERS.items()]
    con.execute("CREATE TEMP TABLE disposal_tier (disposal_type VARCHAR, tier VARCHAR)")
    con.executemany("INSERT INTO disposal_tier VALUES (?, ?)", tiers)
    stage_of_tier = [(tier, stage) for stage, ts in config.STAGE_TIERS.items() for tier in ts]
    con.execute("CREATE TEMP TABLE tier_stage (tier VARCHAR, stage VARCHAR)")
    con.executemany("INSERT INTO tier_stage VALUES (?, ?)", stage_of_tier)

    con.execute("""
        CREATE TEMP TABLE new_child AS
        SELECT yjs, child_id, date_of_birth, sex, ethnicity_group, ethnicity_detail, locality FROM stage_child""")
    con.execute("CREATE TEMP TABLE service_info (yjs VARCHAR, region VARCHAR, compare_as VARCHAR)")
    con.executemany(
        "INSERT INTO service_info VALUES (?, ?, ?)",
        [(yjs, region, compare_as) for yjs, (region, compare_as) in services.items()],
    )
    flags = ", ".join(f"CAST(${flag} AS BOOLEAN) AS {flag}" for flag in OPTIONAL_FILES)
    con.execute(
        f"""
        CREATE TEMP TABLE new_extract_info AS
        SELECT yjs, CAST($as_of AS DATE) AS as_of, CAST($description AS VARCHAR) AS description,
               CAST($loaded_at AS TIMESTAMP) AS loaded_at, s.region, s.compare_as, {flags}
        FROM (SELECT yjs FROM new_child UNION SELECT yjs FROM stage_population)
        LEFT JOIN service_info s USING (yjs)""",
        {
            "as_of": as_of,
            "description": description,
            "loaded_at": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
            **{flag: name in files for flag, name in OPTIONAL_FILES.items()},
        },
    )
    con.execute("""
        CREATE TEMP TABLE new_offence AS
        SELECT c.yjs, o.child_id, o.offence_id, o.offence_date, o.category, CAST(o.gravity AS INTEGER) AS gravity,
               coalesce(o.knife_or_offensive_weapon, false) AS knife_or_offensive_weapon,
               CAST(o.seriousness AS INTEGER) AS seriousness
        FROM stage_offence o JOIN new_child c USING (child_id)""")
    con.execute("""
        CREATE TEMP TABLE new_outcome AS
        SELECT c.yjs, o.child_id, o.outcome_id, o.offence_id, o.outcome_date, o.outcome_type, t.tier
        FROM stage_outcome o JOIN new_child c USING (child_id)
        JOIN disposal_tier t ON t.disposal_type = o.outcome_type""")
    con.execute("""
        CREATE TEMP TABLE new_programme AS
        SELECT c.yjs, p.child_id, p.programme_id, p.disposal_type, t.tier, p.programme_name, p.referral_date,
               p.referral_source, p.locality, p.start_date, p.end_date, p.closure_reason, p.completed,
               p.release_date
        FROM stage_programme p JOIN new_child c USING (child_id)
        JOIN disposal_tier t USING (disposal_type)""")
    con.execute("""
        CREATE TEMP VIEW new_population AS
        SELECT yjs, CAST(year AS INTEGER) AS year, CAST(age AS INTEGER) AS age, sex, ethnicity_group, locality,
               CAST(population AS BIGINT) AS population
        FROM stage_population""")
    _kpi_records(con)
    _first_time_entries(con)
    _stage_events(con)
    _programme_facts(con)
    _proven_cohorts(con)
    _remand_facts(con)


def _kpi_records(con: duckdb.DuckDBPyConnection) -> None:
    """The KPI files as they are, with each row's service (and child) from what it points at. Their
    booleans stay NULL where the extract left them empty: not recorded is not false."""
    con.execute("""
        CREATE TEMP VIEW new_assessment AS
        SELECT p.yjs, p.child_id, a.assessment_id, a.programme_id, a.point, a.assessment_date, a.accommodation, a.ete,
               CAST(a.ete_hours_offered AS INTEGER) AS ete_hours_offered,
               CAST(a.ete_hours_attended AS INTEGER) AS ete_hours_attended,
               a.send, a.send_plan, a.mental_health_need, a.mental_health_offered, a.mental_health_attending,
               a.substance_need, a.substance_offered, a.substance_attending,
               a.looked_after, a.child_in_need, a.child_protection_plan, a.early_help
        FROM stage_assessment a JOIN new_programme p USING (programme_id)""")
    con.execute("""
        CREATE TEMP VIEW new_remand AS
        SELECT c.yjs, r.child_id, r.remand_id, r.offence_id, r.remand_date, r.remand_type, r.end_date, r.outcome_id
        FROM stage_remand r JOIN new_child c USING (child_id)""")
    con.execute("""
        CREATE TEMP VIEW new_victim AS
        SELECT f.yjs, f.child_id, v.victim_id, v.offence_id, v.contact_date, v.consented, v.rj_offered,
               v.rj_participated
        FROM stage_victim v JOIN new_offence f USING (offence_id)""")
    con.execute("""
        CREATE TEMP VIEW new_board_meeting AS
        SELECT yjs, meeting_date, partner, attended, senior FROM stage_board_meeting""")


def _first_time_entries(con: duckdb.DuckDBPyConnection) -> None:
    """Each child's earliest substantive outcome (ties by outcome_id), kept when the child was 10-17
    on the offence date (the outcome date where no offence is linked)."""
    age = _age("c.date_of_birth", "coalesce(f.offence_date, e.outcome_date)")
    substantive = ", ".join(f"'{t}'" for t in config.SUBSTANTIVE_TIERS)
    con.execute(f"""
        CREATE TEMP VIEW new_first_time_entry AS
        WITH earliest AS (
            SELECT *, row_number() OVER (PARTITION BY child_id ORDER BY outcome_date, outcome_id) AS nth
            FROM new_outcome WHERE tier IN ({substantive})
        )
        SELECT e.yjs, e.child_id, e.outcome_id, e.outcome_type, e.outcome_date,
               {_financial_year("e.outcome_date")} AS fy, {_quarter("e.outcome_date")} AS quarter,
               {age} AS age, {_age_band(age)} AS age_band,
               c.sex, c.ethnicity_group, c.locality,
               coalesce(f.knife_or_offensive_weapon, false) AS knife_or_weapon
        FROM earliest e
        JOIN new_child c USING (child_id)
        LEFT JOIN new_offence f ON f.offence_id = e.offence_id
        WHERE e.nth = 1 AND {age} BETWEEN 10 AND 17""")


def _stage_events(con: duckdb.DuckDBPyConnection) -> None:
    """One row per offence, outcome or remand to youth detention that puts a child at a
    disproportionality stage."""
    age = _age("c.date_of_birth", "e.event_date")
    con.execute(f"""
        CREATE TEMP VIEW new_stage_event AS
        WITH events AS (
            SELECT child_id, 'offence' AS stage, offence_date AS event_date, CAST(NULL AS VARCHAR) AS disposal_type
            FROM new_offence
            UNION ALL
            SELECT o.child_id, s.stage, o.outcome_date, o.outcome_type
            FROM new_outcome o JOIN tier_stage s USING (tier)
            UNION ALL
            SELECT child_id, 'remand', remand_date, CAST(NULL AS VARCHAR)
            FROM new_remand WHERE remand_type = '{config.YOUTH_DETENTION}'
        )
        SELECT c.yjs, e.child_id, e.stage, e.event_date,
               {_financial_year("e.event_date")} AS fy, {_quarter("e.event_date")} AS quarter,
               {age} AS age, {_age_band(age)} AS age_band,
               c.sex, c.ethnicity_group, c.locality, e.disposal_type
        FROM events e JOIN new_child c USING (child_id)""")


def _programme_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Every programme with its child's characteristics, dates split into years and quarters, and,
    once started, its reoffending windows and time to first offence after it ended.

    ``first_ever`` and ``first_in_year`` mark each child's earliest programme overall and in each
    financial year, and ``first_ever_by_<column>`` / ``first_in_year_by_<column>`` the earliest with
    each value of a column in MARKED_BY: the reoffending cohort, found here once instead of by a
    window over every programme on each click."""
    windows = [("0_3", 0, 3), ("3_6", 3, 6), ("6_9", 6, 9), ("9_12", 9, 12)]
    window_columns = ",\n".join(
        f"""b.e_{hi} IS NOT NULL AND b.e_{hi} <= b.as_of AS at_risk_{name},
            count(o.offence_id) FILTER (WHERE o.offence_date > b.e_{lo} AND o.offence_date <= b.e_{hi})
                AS offences_{name}"""
        for name, lo, hi in windows
    )
    # In start order a child's years only go up: a year's first programme is where the year changes.
    marks, in_start_order = [], []
    for column in (None, *MARKED_BY):
        name = f"_by_{column}" if column else ""
        in_start_order.append(
            f"by_start{name} AS (PARTITION BY yjs, child_id{', ' + column if column else ''} "
            "ORDER BY start_date, programme_id)"
        )
        marks.append(
            f"start_date IS NOT NULL AND row_number() OVER by_start{name} = 1 AS first_ever{name}, "
            f"start_date IS NOT NULL AND lag(start_fy) OVER by_start{name} IS DISTINCT FROM start_fy "
            f"AS first_in_year{name}"
        )
    con.execute(f"""
        CREATE TEMP VIEW new_programme_fact AS
        SELECT *, {", ".join(marks)} FROM (
        WITH bounds AS (
            SELECT p.programme_id, p.child_id, p.start_date, p.end_date, x.as_of,
                   {_months_after("p.start_date", -12)} AS pre_from,
                   p.end_date AS e_0, {", ".join(f"{_months_after('p.end_date', m)} AS e_{m}" for m in (3, 6, 9, 12))},
                   least(x.as_of, CAST(p.end_date + INTERVAL 365 DAY AS DATE)) AS followed_to
            FROM new_programme p JOIN new_extract_info x USING (yjs)
            WHERE p.start_date IS NOT NULL
        ), first_after_end AS (
            SELECT b.programme_id, b.end_date, b.followed_to,
                   count(o.offence_id) FILTER (WHERE o.offence_date >= b.pre_from
                                                AND o.offence_date < b.start_date) AS offences_pre,
                   count(o.offence_id) FILTER (WHERE o.offence_date >= b.start_date
                                                AND o.offence_date <= coalesce(b.end_date, b.as_of)) AS offences_during,
                   {window_columns},
                   min(o.offence_date) FILTER (WHERE o.offence_date > b.end_date) AS first_offence_after_end
            FROM bounds b
            LEFT JOIN new_offence o ON o.child_id = b.child_id
            GROUP BY ALL
        )
        SELECT p.yjs, p.child_id, p.programme_id, p.disposal_type, p.tier, p.programme_name,
               p.referral_source, coalesce(p.locality, c.locality) AS locality,
               c.sex, c.ethnicity_group, x.as_of,
               p.referral_date, {_financial_year("p.referral_date")} AS referral_fy,
               {_quarter("p.referral_date")} AS referral_quarter,
               {_age("c.date_of_birth", "p.referral_date")} AS age_at_referral,
               p.start_date, {_financial_year("p.start_date")} AS start_fy,
               {_quarter("p.start_date")} AS start_quarter,
               {_age("c.date_of_birth", "p.start_date")} AS age_at_start,
               {_age_band(_age("c.date_of_birth", "p.start_date"))} AS age_band_at_start,
               p.end_date,
               w.offences_pre, w.offences_during,
               {", ".join(f"w.at_risk_{n}, w.offences_{n}" for n, _, _ in windows)},
               CASE WHEN w.first_offence_after_end <= w.followed_to
                    THEN w.first_offence_after_end - w.end_date ELSE w.followed_to - w.end_date END AS days_followed,
               CASE WHEN w.end_date IS NOT NULL
                    THEN coalesce(w.first_offence_after_end <= w.followed_to, false) END AS reoffended
        FROM new_programme p
        JOIN new_child c USING (child_id)
        JOIN new_extract_info x ON x.yjs = p.yjs
        LEFT JOIN first_after_end w USING (programme_id)
    ) f
    WINDOW {", ".join(in_start_order)}""")


#: Index events on the same day: the most serious disposal is the index (a release from custody first).
INDEX_SERIOUSNESS = ("Custody", "Community", "First-tier", "Pre-court")


def _proven_cohorts(con: duckdb.DuckDBPyConnection) -> None:
    """Each child's place in each proven reoffending cohort (indicators.md), year and quarter alike.

    Index events: a Pre-court, First-tier or Community outcome on its date, or a release from custody
    on its release_date, the child aged 10-17 that day. In each financial year (``by_quarter`` false)
    and each quarter (true) the child's earliest index event is their index date I (the most serious
    on the day, then by id). A proven reoffence is an offence dated in (I, I + 12 months] with an
    outcome of any tier but Diversion, linked by offence_id, dated on or before I + 18 months; each
    offence counts once. ``reoffences`` counts them to the extract's date; ``first_known_month`` is
    the smallest N (1 to 18) by which one of them was both committed and proven (on or before
    I + N months), so "reoffended within the first N months" is ``first_known_month <= N``: the live
    tracker's like-for-like comparison, with no per-click work."""
    age = _age("c.date_of_birth", "e.index_date")
    serious = " ".join(f"WHEN '{tier}' THEN {rank}" for rank, tier in enumerate(INDEX_SERIOUSNESS))
    non_custodial = ", ".join(f"'{t}'" for t in INDEX_SERIOUSNESS[1:])
    months = "CAST(12 * (year(r.known_on) - year(r.index_date)) + month(r.known_on) - month(r.index_date) AS INTEGER)"
    con.execute(f"""
        CREATE TEMP TABLE proven_index AS
        WITH events AS (
            SELECT child_id, outcome_date AS index_date, tier AS index_tier, outcome_type AS disposal_type,
                   outcome_id AS event_id
            FROM new_outcome WHERE tier IN ({non_custodial})
            UNION ALL
            SELECT child_id, release_date, 'Custody', disposal_type, programme_id
            FROM new_programme WHERE release_date IS NOT NULL
        ), aged AS (
            SELECT c.yjs, e.*, CASE e.index_tier {serious} END AS seriousness, {age} AS age_at_index,
                   {_financial_year("e.index_date")} AS fy, {_quarter("e.index_date")} AS quarter,
                   c.sex, c.ethnicity_group, c.locality
            FROM events e JOIN new_child c USING (child_id)
            WHERE {age} BETWEEN 10 AND 17
        ), ranked AS (
            SELECT *, false AS by_quarter,
                   row_number() OVER (PARTITION BY yjs, child_id, fy ORDER BY index_date, seriousness, event_id) AS nth
            FROM aged
            UNION ALL
            SELECT *, true, row_number() OVER (PARTITION BY yjs, child_id, fy, quarter
                                               ORDER BY index_date, seriousness, event_id)
            FROM aged
        )
        SELECT yjs, child_id, by_quarter, fy, quarter, index_date, index_tier, disposal_type, age_at_index,
               {_age_band("age_at_index")} AS age_band, sex, ethnicity_group, locality
        FROM ranked WHERE nth = 1""")
    con.execute(f"""
        CREATE TEMP VIEW new_proven_cohort AS
        WITH proven AS (
            SELECT offence_id, min(outcome_date) AS proven_on FROM new_outcome
            WHERE tier <> 'Diversion' AND offence_id IS NOT NULL GROUP BY offence_id
        ), reoffence AS (
            SELECT k.yjs, k.child_id, k.by_quarter, k.fy, k.quarter, k.index_date,
                   greatest(f.offence_date, p.proven_on) AS known_on
            FROM proven_index k
            JOIN new_offence f ON f.child_id = k.child_id
            JOIN proven p ON p.offence_id = f.offence_id
            WHERE f.offence_date > k.index_date AND f.offence_date <= {_months_after("k.index_date", 12)}
              AND p.proven_on <= {_months_after("k.index_date", 18)}
        ), known AS (
            SELECT r.*, {months} + CASE WHEN CAST(r.index_date + to_months({months}) AS DATE) < r.known_on
                                        THEN 1 ELSE 0 END AS known_month
            FROM reoffence r
        ), per_child AS (
            SELECT yjs, child_id, by_quarter, fy, quarter, count(*) AS reoffences,
                   CAST(min(known_month) AS INTEGER) AS first_known_month
            FROM known GROUP BY ALL
        )
        SELECT k.*, x.as_of, coalesce(r.reoffences, 0) AS reoffences, r.first_known_month
        FROM proven_index k
        JOIN new_extract_info x ON x.yjs = k.yjs
        LEFT JOIN per_child r ON r.yjs = k.yjs AND r.child_id = k.child_id AND r.by_quarter = k.by_quarter
                             AND r.fy = k.fy AND r.quarter = k.quarter""")


def _remand_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Every remand with its child's characteristics, its date's year, quarter, age and band, and how
    its case ended (indicators.md, remand-outcomes): the outcome it names decides (Custody, another
    substantive outcome, or Diversion: no conviction); with none, an end date means no conviction and
    no end date a case still open."""
    age = _age("c.date_of_birth", "r.remand_date")
    non_custodial = ", ".join(f"'{t}'" for t in config.SUBSTANTIVE_TIERS if t != "Custody")
    custodial, non_custodial_sentence, no_conviction, still_open = config.REMAND_RESULTS
    con.execute(f"""
        CREATE TEMP VIEW new_remand_fact AS
        SELECT r.yjs, r.child_id, r.remand_id, r.remand_type, r.remand_date,
               {_financial_year("r.remand_date")} AS fy, {_quarter("r.remand_date")} AS quarter,
               {age} AS age, {_age_band(age)} AS age_band, c.sex, c.ethnicity_group, c.locality,
               r.end_date, r.outcome_id, o.outcome_type, o.tier,
               CASE WHEN o.tier = 'Custody' THEN '{custodial}'
                    WHEN o.tier IN ({non_custodial}) THEN '{non_custodial_sentence}'
                    WHEN o.tier = 'Diversion' OR r.end_date IS NOT NULL THEN '{no_conviction}'
                    ELSE '{still_open}' END AS result
        FROM new_remand r
        JOIN new_child c USING (child_id)
        LEFT JOIN new_outcome o ON o.outcome_id = r.outcome_id""")
