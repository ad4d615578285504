"""kpis, kpi-recording and board-attendance, every figure worked out by hand from a small extract, on both
backends.

Testshire, 2023-24 (1 April 2023 to 31 March 2024). Each child is one case of the spec:
- A: two endings in the year (a referral order in June, a caution in January): the January one counts;
- B: two endings on the same day, programmes pB10 and pB9: the greatest id, compared as text, is pB9
  (a number would say pB10); its END has hours offered but not attended (one side only);
- C: no END assessment at all (not recorded, still in the base);
- D: an END with every field empty and no START (missing, not false);
- E: endings just before and just after the year: not in its cohort;
- F: a girl; her END says no mental health need (false, not missing).
"""

from __future__ import annotations

import pytest

from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters
from dashboard.ingest import ingest
from dashboard.metrics import compute, measure

from ..extracts import child, outcome, population_rows, write_extract

CHILDREN = [
    child("cA", "2008-01-01"),
    child("cB", "2008-01-01"),
    child("cC", "2008-01-01"),
    child("cD", "2008-01-01"),
    child("cE", "2008-01-01"),
    child("cF", "2008-01-01", sex="female"),
]


def _programme(programme_id, child_id, disposal_type, end_date, completed=None):
    return dict(
        programme_id=programme_id,
        child_id=child_id,
        disposal_type=disposal_type,
        referral_date="2023-01-10",
        start_date="2023-01-15",
        end_date=end_date,
        completed=completed,
    )


PROGRAMMES = [
    _programme("pA1", "cA", "REFERRAL_ORDER", "2023-06-30", "yes"),
    _programme("pA2", "cA", "YOUTH_CAUTION", "2024-01-15", "yes"),
    _programme("pB10", "cB", "REFERRAL_ORDER", "2023-09-30", "yes"),
    _programme("pB9", "cB", "COMMUNITY_RESOLUTION", "2023-09-30", "no"),
    _programme("pC1", "cC", "YOUTH_REHABILITATION_ORDER", "2024-03-31"),
    _programme("pD1", "cD", "PREVENTION", "2023-04-01"),
    _programme("pE1", "cE", "REFERRAL_ORDER", "2023-03-31", "yes"),
    _programme("pE2", "cE", "REFERRAL_ORDER", "2024-04-01", "yes"),
    _programme("pF1", "cF", "YOUTH_CAUTION", "2023-11-11"),
]


def _assessment(assessment_id, programme_id, point, **fields):
    return dict(
        assessment_id=assessment_id,
        programme_id=programme_id,
        point=point,
        assessment_date="2023-01-20" if point == "START" else "2023-03-01",
        **fields,
    )


ASSESSMENTS = [
    _assessment("a1", "pA1", "END", accommodation="UNSUITABLE", ete="UNSUITABLE"),  # not the ending
    _assessment(
        "a2",
        "pA2",
        "START",
        accommodation="UNSUITABLE",
        ete="UNSUITABLE",
        looked_after="true",
        child_in_need="false",
        early_help="no",
    ),
    _assessment(
        "a3",
        "pA2",
        "END",
        accommodation="SUITABLE",
        ete="UNSUITABLE",
        ete_hours_offered=20,
        ete_hours_attended=15,
        send="true",
        send_plan="yes",
        mental_health_need="y",
        mental_health_offered="1",
        mental_health_attending="false",
        substance_need="false",
    ),
    _assessment("a4", "pB10", "END", accommodation="UNSUITABLE"),  # not the ending
    _assessment(
        "a5",
        "pB9",
        "START",
        accommodation="SUITABLE",
        looked_after="false",
        child_in_need="true",
        child_protection_plan="false",
        early_help="true",
    ),
    _assessment(
        "a6",
        "pB9",
        "END",
        accommodation="SUITABLE",
        ete="SUITABLE",
        ete_hours_offered=10,
        send="false",
        substance_need="true",
        substance_offered="true",
        substance_attending="true",
    ),
    _assessment("a7", "pC1", "START", accommodation="SUITABLE", ete="SUITABLE", child_protection_plan="true"),
    _assessment("a8", "pD1", "END"),
    _assessment("a9", "pE1", "END", accommodation="SUITABLE", ete="SUITABLE"),
    _assessment("a10", "pE2", "END", accommodation="SUITABLE", ete="SUITABLE"),
    _assessment(
        "a11",
        "pF1",
        "START",
        ete="UNSUITABLE",
        looked_after="false",
        child_in_need="false",
        child_protection_plan="false",
        early_help="false",
    ),
    _assessment(
        "a12",
        "pF1",
        "END",
        accommodation="UNSUITABLE",
        ete="SUITABLE",
        send="true",
        send_plan="false",
        mental_health_need="false",
        substance_need="true",
        substance_offered="false",
    ),
]

OFFENCES = [
    dict(
        offence_id="oA1",
        child_id="cA",
        offence_date="2023-04-10",
        category="Violence against the person",
        seriousness=5,
    ),
    dict(offence_id="oA2", child_id="cA", offence_date="2023-11-01", category="Robbery", seriousness=6),
    dict(offence_id="oB1", child_id="cB", offence_date="2023-05-01", category="Robbery", seriousness=4),
    dict(offence_id="oC1", child_id="cC", offence_date="2023-06-01", category="Drug offences", seriousness=6),
    dict(
        offence_id="oD1",
        child_id="cD",
        offence_date="2023-07-01",
        category="Theft and handling stolen goods",
        seriousness=8,
    ),
    dict(
        offence_id="oF1",
        child_id="cF",
        offence_date="2024-03-01",
        category="Violence against the person",
        seriousness=7,
    ),
    dict(offence_id="oF2", child_id="cF", offence_date="2023-07-15", category="Violence against the person"),
]
OUTCOMES = [
    outcome("uA1", "cA", "2023-05-01", "YOUTH_CAUTION", "oA1"),
    outcome("uA2", "cA", "2023-12-01", "YOUTH_CAUTION", "oA2"),
    outcome("uB1", "cB", "2023-06-01", "REFERRAL_ORDER", "oB1"),
    outcome("uC1", "cC", "2023-07-01", "COMMUNITY_RESOLUTION", "oC1"),
    outcome("uD1", "cD", "2023-08-01", "FINE", "oD1"),
    outcome("uF1", "cF", "2024-04-02", "REFERRAL_ORDER", "oF1"),
    outcome("uF2", "cF", "2023-08-01", "REFERRAL_ORDER", "oF2"),
]
VICTIMS = [
    dict(
        victim_id="v1",
        offence_id="oA1",
        contact_date="2023-05-10",
        consented="true",
        rj_offered="true",
        rj_participated="true",
    ),
    dict(
        victim_id="v2",
        offence_id="oB1",
        contact_date="2023-06-15",
        consented="true",
        rj_offered="true",
        rj_participated="false",
    ),
    dict(victim_id="v3", offence_id="oF2", contact_date="2023-08-20", consented="true"),
    dict(victim_id="v4", offence_id="oA2", contact_date="2024-04-05", consented="true", rj_offered="true"),
    dict(
        victim_id="v5",
        offence_id="oD1",
        contact_date="2023-09-01",
        consented="false",
        rj_offered="true",
        rj_participated="true",
    ),
    dict(victim_id="v6", offence_id="oC1", contact_date="2023-07-05"),
]
BOARD = [
    dict(yjs="Testshire", meeting_date="2023-05-15", partner="POLICE", attended="true", senior="true"),
    dict(yjs="Testshire", meeting_date="2023-05-15", partner="HEALTH", attended="false"),
    dict(yjs="Testshire", meeting_date="2023-05-15", partner="EDUCATION", attended="true"),
    dict(yjs="Testshire", meeting_date="2023-08-15", partner="POLICE", attended="true", senior="false"),
    dict(yjs="Testshire", meeting_date="2023-08-15", partner="HEALTH", attended="true", senior="true"),
    dict(yjs="Testshire", meeting_date="2023-08-15", partner="EDUCATION", attended="true", senior="true"),
    dict(yjs="Testshire", meeting_date="2024-04-10", partner="POLICE", attended="true", senior="true"),
]
EXTRACT = dict(
    children=CHILDREN,
    programmes=PROGRAMMES,
    assessments=ASSESSMENTS,
    offences=OFFENCES,
    outcomes=OUTCOMES,
    victims=VICTIMS,
    board_meetings=BOARD,
    population=population_rows(year=2023),
    as_of="2024-06-30",
)


@pytest.fixture(scope="module")
def db(build_database):
    return build_database("kpis", **EXTRACT)


YEAR = Filters(period="2023-24")


def figures(db, metric="kpis", filters=YEAR, suppressed=False, **settings):
    """{(period, kpi, measure): (count, base, rate)} (kpi-recording: (not recorded, base, percent))."""
    result = compute(db, metric, filters, scope=EVERYONE.scope, suppressed=suppressed, **settings)
    return {
        (r[0], r[2], r[3]): tuple(None if v != v or v is None else v for v in r[4:])
        for r in result.table.itertuples(index=False, name=None)
    }


def share(count, base, per=100):
    return (count, base, pytest.approx(count / base * per))


def test_the_columns_are_the_specs():
    assert measure("kpis").columns == ("period", "yjs", "kpi", "measure", "count", "base", "rate")
    assert measure("board-attendance").columns == (
        "period",
        "yjs",
        "partner",
        "meetings",
        "attended",
        "senior",
        "attended_percent",
    )


def test_every_row_of_the_specs_table_by_hand(db):
    # The ending cohort of 2023-24: A (pA2), B (pB9), C (pC1), D (pD1), F (pF1) = 5. E ended outside it.
    found = figures(db)
    year = "2023-24"
    expected = {
        # END accommodation: A suitable, B suitable, C no END, D empty, F unsuitable.
        ("accommodation", "suitable_at_end"): share(2, 5),
        # START: A unsuitable, B suitable, C suitable, D no START, F empty.
        ("accommodation", "suitable_at_start"): share(2, 5),
        ("accommodation", "not_recorded_at_end"): share(2, 5),  # C and D
        # END ete: A unsuitable, B suitable, C none, D empty, F suitable; START: C suitable only.
        ("ete", "suitable_at_end"): share(2, 5),
        ("ete", "suitable_at_start"): share(1, 5),
        ("ete", "not_recorded_at_end"): share(2, 5),
        # Hours where both are recorded: A only (B has offered without attended).
        ("ete", "hours_attended_percent"): share(15, 20),
        # SEND at the END: A and F identified; of them A has a plan (F's plan false).
        ("send", "identified"): share(2, 5),
        ("send", "with_plan"): share(1, 2),
        # Mental health: need A only (F false, B and D empty, C no END); A offered, not attending.
        ("mental_health", "need"): share(1, 5),
        ("mental_health", "offered"): share(1, 1),
        ("mental_health", "attending"): share(0, 1),
        # Substance misuse: need B and F (A false); offered B (F false); attending B (F empty).
        ("substance_misuse", "need"): share(2, 5),
        ("substance_misuse", "offered"): share(1, 2),
        ("substance_misuse", "attending"): share(1, 2),
        # START flags: looked after A; child in need B; protection plan C; early help B.
        ("wider_services", "looked_after"): share(1, 5),
        ("wider_services", "child_in_need"): share(1, 5),
        ("wider_services", "child_protection_plan"): share(1, 5),
        ("wider_services", "early_help"): share(1, 5),
        # Endings out of court: A (caution, completed), B (community resolution, not), F (caution, empty).
        ("out_of_court", "completed"): share(1, 3),
        # Children with a violence, robbery or drugs offence scored 5 or more, proven in the year: A (oA1 5 and
        # oA2 6, counted once). B's robbery is 4; C's drugs offence had a diversion; F's 7 was proven in April
        # 2024. Per 10,000 of the 960 children aged 10-17 (10 a cell, 96 cells).
        ("serious_violence", "children"): share(1, 960, per=10_000),
        # Victims first contacted in the year: v1, v2, v3, v5, v6 (v4 in 2024-25). Consented v1-v3; of them
        # offered v1, v2 (v5 was offered but had not consented); of those, v1 took part.
        ("victims", "consented"): share(3, 5),
        ("victims", "rj_offered"): share(2, 3),
        ("victims", "rj_participated"): share(1, 2),
    }
    assert found == {(year, *key): value for key, value in expected.items()}


def test_what_was_not_recorded_by_hand(db):
    found = figures(db, "kpi-recording")
    expected = {
        ("accommodation", "suitable_at_end"): share(2, 5),  # C (no END), D (empty)
        ("accommodation", "suitable_at_start"): share(2, 5),  # D (no START), F (empty)
        ("ete", "suitable_at_end"): share(2, 5),
        ("ete", "suitable_at_start"): share(2, 5),  # B (empty), D
        ("ete", "hours_attended_percent"): share(4, 5),  # all but A
        ("send", "identified"): share(2, 5),  # C, D
        ("send", "with_plan"): share(0, 2),
        ("mental_health", "need"): share(3, 5),  # B, C, D; F said no
        ("mental_health", "offered"): share(0, 1),
        ("mental_health", "attending"): share(0, 1),
        ("substance_misuse", "need"): share(2, 5),  # C, D
        ("substance_misuse", "offered"): share(0, 2),
        ("substance_misuse", "attending"): share(1, 2),  # F
        ("wider_services", "looked_after"): share(2, 5),  # C, D
        ("wider_services", "child_in_need"): share(2, 5),
        ("wider_services", "child_protection_plan"): share(2, 5),  # A, D
        ("wider_services", "early_help"): share(2, 5),
        ("out_of_court", "completed"): share(1, 3),  # F
        # Offences of the three categories proven in the year: oA1, oA2, oB1, oF2; oF2 has no score.
        ("serious_violence", "children"): share(1, 4),
        ("victims", "consented"): share(1, 5),  # v6
        ("victims", "rj_offered"): share(1, 3),  # v3
        ("victims", "rj_participated"): share(0, 2),
    }
    assert found == {("2023-24", *key): value for key, value in expected.items()}


def test_by_quarter_each_quarter_has_its_own_endings(db):
    found = figures(db, filters=Filters(period="2023-24", by_quarter=True))
    # Q1: D (1 April) and A's referral order (30 June: A's ending in Q1, its END unsuitable); Q2: B; Q3: F;
    # Q4: A's caution and C (31 March).
    assert found[("2023-24 Q1", "accommodation", "suitable_at_end")] == (0, 2, 0.0)
    assert found[("2023-24 Q1", "accommodation", "not_recorded_at_end")] == share(1, 2)
    assert found[("2023-24 Q2", "accommodation", "suitable_at_end")] == share(1, 1)
    assert found[("2023-24 Q4", "accommodation", "suitable_at_end")] == share(1, 2)
    assert found[("2023-24 Q4", "out_of_court", "completed")] == share(1, 1)
    assert found[("2023-24 Q2", "out_of_court", "completed")] == (0, 1, 0.0)
    # A quarter asked for alone is the same as in its year.
    alone = figures(db, filters=Filters(period="2023-24 Q4"))
    assert alone == {k: v for k, v in found.items() if k[0] == "2023-24 Q4"}


def test_a_disposal_filter_picks_children_by_their_ending(db):
    # Cautions: A (pA2) and F. A referral order is no one's ending: A's and B's were not their latest.
    cautions = figures(db, filters=Filters(period="2023-24", disposal_type="YOUTH_CAUTION"))
    assert cautions[("2023-24", "accommodation", "suitable_at_end")] == share(1, 2)
    assert cautions[("2023-24", "out_of_court", "completed")] == share(1, 2)
    assert not {k for k in cautions if k[1] in ("serious_violence", "victims")}  # not about a programme
    referral = figures(db, filters=Filters(period="2023-24", disposal_type="REFERRAL_ORDER"))
    assert referral[("2023-24", "accommodation", "suitable_at_end")] == (0, 0, None)
    from dashboard.metrics.kpis import reasons

    said = reasons(db, Filters(period="2023-24", disposal_type="YOUTH_CAUTION"), EVERYONE.scope)
    assert set(said) == {"serious_violence", "victims"} and "not about a child's programme" in said["victims"]


def test_a_filter_on_the_child_applies_to_every_kpi(db):
    girls = figures(db, filters=Filters(period="2023-24", sex="female"))
    assert girls[("2023-24", "accommodation", "suitable_at_end")] == (0, 1, 0.0)  # F: unsuitable
    assert girls[("2023-24", "serious_violence", "children")] == (0, 480, 0.0)  # girls aged 10-17
    assert girls[("2023-24", "victims", "consented")] == share(1, 1)  # v3, of F's offence


def test_a_small_count_and_everything_it_would_give_away_are_withheld(db):
    result = compute(db, "kpis", Filters(period="2023-24"), scope=EVERYONE.scope)
    rows = {(r.kpi, r.measure): i for i, r in enumerate(result.table.itertuples())}
    hidden = result.withheld
    # Every count here is 1 to 4, or a base of 5 whose parts are small: nothing but zeros may show.
    shown = result.table[~hidden["count"]]
    assert (shown["count"] == 0).all()
    assert hidden.at[rows[("accommodation", "suitable_at_end")], "rate"]
    assert not hidden.at[rows[("serious_violence", "children")], "base"]  # a population: shown


def _extract_of(folder, endings: list[str], sexes: list[str] | None = None):
    """One service, Brookvale, with a child per entry of ``endings`` (END accommodation; '' not recorded),
    boys unless ``sexes`` says otherwise."""
    sexes = sexes or ["male"] * len(endings)
    kids = [child(f"k{i}", "2008-01-01", yjs="Brookvale", sex=sexes[i]) for i in range(len(endings))]
    programmes = [_programme(f"q{i}", f"k{i}", "REFERRAL_ORDER", "2023-10-01") for i in range(len(endings))]
    assessments = [_assessment(f"e{i}", f"q{i}", "END", accommodation=value or None) for i, value in enumerate(endings)]
    return write_extract(folder, children=kids, programmes=programmes, assessments=assessments, as_of="2024-06-30")


@pytest.fixture
def one_service(database_at, tmp_path, request):
    def load(endings, sexes=None):
        location = database_at(request.node.name[:40].replace("[", "_").replace("]", ""))
        ingest(_extract_of(tmp_path / "brookvale", endings, sexes), location)
        return Database.open(location)

    return load


def _accommodation(db, **chosen) -> dict:
    result = compute(db, "kpis", Filters(period="2023-24", **chosen), scope=EVERYONE.scope)
    recording = compute(db, "kpi-recording", Filters(period="2023-24", **chosen), scope=EVERYONE.scope)
    out = {}
    for found in (result, recording):
        for i, r in enumerate(found.table.itertuples(index=False)):
            if r.kpi == "accommodation":
                key = (found.metric, r.measure)
                out[key] = tuple("c" if found.withheld.iat[i, j] else found.table.iat[i, j] for j in (4, 5))
    return out


def test_the_complement_the_spec_names_is_protected(one_service):
    # 20 children: 12 suitable at the end, 2 unsuitable, 6 not recorded. Suitable and not recorded shown
    # with the base would give away the 2 unsuitable: the smaller shown part, not recorded (6), goes too.
    db = one_service(["SUITABLE"] * 12 + ["UNSUITABLE"] * 2 + [""] * 6)
    found = _accommodation(db)
    assert found[("kpis", "suitable_at_end")] == (12, 20)
    assert found[("kpis", "not_recorded_at_end")] == ("c", 20)
    assert found[("kpi-recording", "suitable_at_end")] == ("c", 20)  # the same cell, everywhere


def test_a_complement_no_one_sees_is_withheld_before_a_figure_the_board_reads(one_service):
    # 6 suitable, 13 unsuitable, 1 not recorded: the 1 is withheld, and one more cell of the line must go.
    # Unsuitable (13) is shown nowhere, so it goes rather than the smaller suitable (6) the board reads.
    db = one_service(["SUITABLE"] * 6 + ["UNSUITABLE"] * 13 + [""])
    found = _accommodation(db)
    assert found[("kpis", "suitable_at_end")] == (6, 20)
    assert found[("kpis", "not_recorded_at_end")] == ("c", 20)


def test_all_children_less_the_other_sex_gives_back_no_withheld_count(one_service):
    # 18 boys (12 suitable at the end, 6 unsuitable) and 8 girls (3 suitable, 5 unsuitable). Protected per
    # filter value, the girls' 3 was withheld, and all children's 15 less the boys' 12 gave it back. The
    # three are one sum of the viewer's lattice (all = boys + girls): the girls' 3 makes it withhold its
    # smallest shown part too, the boys' 12; the 6 and 5 unsuitable, shown nowhere, go with them.
    db = one_service(
        ["SUITABLE"] * 12 + ["UNSUITABLE"] * 6 + ["SUITABLE"] * 3 + ["UNSUITABLE"] * 5,
        ["male"] * 18 + ["female"] * 8,
    )
    assert _accommodation(db)[("kpis", "suitable_at_end")] == (15, 26)
    assert _accommodation(db, sex="male")[("kpis", "suitable_at_end")] == ("c", 18)
    assert _accommodation(db, sex="female")[("kpis", "suitable_at_end")] == ("c", 8)
    for sex, base in (("male", 18), ("female", 8)):
        found = _accommodation(db, sex=sex)
        assert found[("kpis", "not_recorded_at_end")] == (0, base)
        assert found[("kpi-recording", "suitable_at_end")] == (0, base)
    # Unsuppressed, the same figures in full: nothing but the mask changes.
    assert figures(db, filters=Filters(period="2023-24", sex="female"))[
        ("2023-24", "accommodation", "suitable_at_end")
    ] == share(3, 8)


def _load(database_at, folder, name: str, *extracts: dict) -> Database:
    """Extracts loaded one after another into one database (each replaces only its own services)."""
    location = database_at(name)
    for i, tables in enumerate(extracts):
        ingest(write_extract(folder / f"{name}{i}", **tables), location)
    return Database.open(location)


BARE = dict(
    children=CHILDREN,
    programmes=PROGRAMMES,
    outcomes=OUTCOMES,
    population=population_rows(year=2023),
    offences=[{k: v for k, v in o.items() if k != "seriousness"} for o in OFFENCES],
    as_of="2024-06-30",
)


def test_a_missing_optional_file_gives_no_rows_and_says_so(database_at, tmp_path):
    # No assessments.csv, victims.csv or board_meetings.csv, and no seriousness score on any offence: only
    # out-of-court outcomes (programmes.csv) can be counted. Never a 0 for what is not there.
    db = _load(database_at, tmp_path, "bare", BARE)
    assert figures(db) == {("2023-24", "out_of_court", "completed"): share(1, 3)}
    assert figures(db, "kpi-recording") == {("2023-24", "out_of_court", "completed"): share(1, 3)}
    assert compute(db, "board-attendance", Filters(period="2023-24"), scope=EVERYONE.scope).table.empty
    said = measure("kpis").notes(db, Filters(period="2023-24"), EVERYONE.scope)
    assert said == [
        "Not in this extract: there is no assessments file (assessments.csv), so accommodation cannot be shown.",
        *[
            f"Not in this extract: there is no assessments file (assessments.csv), so {what} cannot be shown."
            for what in (
                "education, training and employment",
                "SEND",
                "mental health",
                "substance misuse",
                "wider services",
            )
        ],
        "Not in this extract: there is no victims file (victims.csv), so victims cannot be shown.",
        "Not in this extract: there is no seriousness score on any offence (the seriousness column of "
        "offences.csv), so serious violence cannot be shown.",
    ]
    assert measure("board-attendance").notes(db, Filters(), EVERYONE.scope) == [
        "Not in this extract: there is no board meetings file (board_meetings.csv), so board attendance cannot "
        "be shown."
    ]


def test_services_combined_add_up_only_those_whose_extract_has_the_file(database_at, tmp_path):
    # Brookvale's extract has no assessments: two children whose cautions ended and were completed.
    brookvale = dict(
        children=[child(f"b{i}", "2008-01-01", yjs="Brookvale") for i in range(2)],
        programmes=[_programme(f"r{i}", f"b{i}", "YOUTH_CAUTION", "2023-10-01", "yes") for i in range(2)],
        as_of="2024-06-30",
    )
    db = _load(database_at, tmp_path, "two", EXTRACT, brookvale)
    both = figures(db, combine=True)
    assert both[("2023-24", "accommodation", "suitable_at_end")] == share(2, 5)  # Testshire's alone
    assert both[("2023-24", "out_of_court", "completed")] == share(3, 5)  # 1 of 3 and 2 of 2
    result = compute(db, "kpis", Filters(period="2023-24"), scope=EVERYONE.scope, combine=True, suppressed=False)
    assert set(result.table["yjs"]) == {"All services"}
    said = measure("kpis").notes(db, Filters(period="2023-24"), EVERYONE.scope)
    assert (
        "Not in the extract of Brookvale: there is no assessments file (assessments.csv), so accommodation "
        "has no figures for them."
    ) in said
    # Each service's own figures are the same alone, among others, and whoever asks.
    from dashboard.access import Scope

    for service in ("Testshire", "Brookvale"):
        alone = compute(db, "kpis", Filters(period="2023-24"), scope=Scope((service,)))
        among = compute(db, "kpis", Filters(period="2023-24"), scope=EVERYONE.scope)
        mine = (among.table["yjs"] == service).to_numpy()
        assert alone.table.reset_index(drop=True).equals(among.table[mine].reset_index(drop=True))
        assert alone.withheld.reset_index(drop=True).equals(among.withheld[mine].reset_index(drop=True))
        # Chosen from every service (read from everyone's lattice, kpis._of_service): the same again.
        chosen = compute(db, "kpis", Filters(period="2023-24", yjs=service), scope=EVERYONE.scope)
        assert chosen.table.reset_index(drop=True).equals(alone.table.reset_index(drop=True))
        assert chosen.withheld.reset_index(drop=True).equals(alone.withheld.reset_index(drop=True))


def test_board_attendance_by_hand(db):
    result = compute(db, "board-attendance", Filters(period="2023-24"), scope=EVERYONE.scope)
    rows = [tuple(r) for r in result.table.itertuples(index=False, name=None)]
    # Police came to both meetings, once at the agreed seniority; health missed May; education's seniority in
    # May was not recorded (not counted as senior). Only the partners the file names; April 2024 is 2024-25.
    assert rows == [
        ("2023-24", "Testshire", "POLICE", 2, 2, 1, 100.0),
        ("2023-24", "Testshire", "HEALTH", 2, 1, 1, 50.0),
        ("2023-24", "Testshire", "EDUCATION", 2, 2, 1, 100.0),
    ]
    assert not result.withheld.any().any()  # not about children
    quarters = compute(db, "board-attendance", Filters(period="2023-24", by_quarter=True), scope=EVERYONE.scope)
    by = {(r.period, r.partner): (r.meetings, r.attended, r.senior) for r in quarters.table.itertuples()}
    assert by[("2023-24 Q1", "HEALTH")] == (1, 0, 0) and by[("2023-24 Q2", "HEALTH")] == (1, 1, 1)
    assert by[("2023-24 Q3", "POLICE")] == (0, 0, 0)  # no board met: 0, no percentage
    assert quarters.table.loc[quarters.table["period"] == "2023-24 Q3", "attended_percent"].isna().all()
