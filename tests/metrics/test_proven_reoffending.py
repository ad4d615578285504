"""proven-reoffending, proven-reoffending-counts and the live tracker, by hand from one small extract.

as_of is 30 September 2022, so the 2020-21 cohort (ends 31 March 2021, + 18 months = 30 September
2022) is complete on the day and 2021-22 is live. Every border of the spec has a child below:

- c1: caution 15 May 2020 (I). An offence on I itself (not counted, though its referral order on
  1 July 2020 is a second index event in the cohort: the first counts); an offence on I + 12 months
  (15 May 2021: counted) and one a day later (not), both fined on 1 August 2021.
- c2: referral order 10 June 2020 (I). Offences proven on I + 18 months (10 Dec 2021: counted) and a day
  later (not); one dealt with only by a community resolution (not); one with two outcomes (once).
- c3: 18 on the day of their caution: no index event (nor their fine at 18).
- c4: 17 on the day of their caution (18 the next day): in, no reoffence.
- c5: released from custody on 1 September 2020 (I, Custody); reoffends on 15 October 2020, proven 1 Dec.
- c6: a girl of 12 with a caution and a referral order on the same day: the referral order (the more
  serious) is the index.
- c9: caution 1 April 2020 (the year's first day), then six offences, each proven ten days later: 5+.
- c7, c8: the live 2021-22 cohort, one reoffending within its first 6 months, one after.
"""

from __future__ import annotations

import itertools
from datetime import date

import pandas as pd
import pytest

from dashboard.access import EVERYONE
from dashboard.filters import Filters
from dashboard.metrics import compute
from dashboard.metrics.common import months_after, whole_months
from dashboard.metrics.proven_reoffending import complete_on, months_followed

from .. import spec
from ..extracts import child, offence, outcome, programme

AS_OF = "2022-09-30"
CHILDREN = [
    child("c1", "2005-01-01"),
    child("c2", "2005-01-01"),
    child("c3", "2002-07-01"),
    child("c4", "2002-07-02"),
    child("c5", "2004-03-03"),
    child("c6", "2008-06-01", sex="female"),
    child("c7", "2006-01-01"),
    child("c8", "2006-01-01"),
    child("c9", "2005-02-02"),
]


C9_OFFENCES = [offence(f"f9{m}", "c9", f"2020-{m:02d}-01") for m in range(5, 11)]
OFFENCES = [
    offence("f1a", "c1", "2020-04-20"),
    offence("f1b", "c1", "2020-05-15"),
    offence("f1c", "c1", "2021-05-15"),
    offence("f1d", "c1", "2021-05-16"),
    offence("f2a", "c2", "2020-08-01"),
    offence("f2b", "c2", "2020-09-01"),
    offence("f2c", "c2", "2020-10-01"),
    offence("f2d", "c2", "2020-11-01"),
    offence("f3a", "c3", "2020-08-01"),
    offence("f5a", "c5", "2020-10-15"),
    offence("f7a", "c7", "2021-06-01"),
    offence("f7b", "c7", "2022-03-01"),
    offence("f8a", "c8", "2022-01-10"),
    *C9_OFFENCES,
]
OUTCOMES = [
    outcome("o1a", "c1", "2020-05-15", "YOUTH_CAUTION", "f1a"),
    outcome("o1b", "c1", "2020-07-01", "REFERRAL_ORDER", "f1b"),
    outcome("o1c", "c1", "2021-08-01", "FINE", "f1c"),
    outcome("o1d", "c1", "2021-08-01", "FINE", "f1d"),
    outcome("o2", "c2", "2020-06-10", "REFERRAL_ORDER"),
    outcome("o2a", "c2", "2021-12-10", "YOUTH_CAUTION", "f2a"),
    outcome("o2b", "c2", "2021-12-11", "YOUTH_CAUTION", "f2b"),
    outcome("o2c", "c2", "2020-11-01", "COMMUNITY_RESOLUTION", "f2c"),
    outcome("o2d1", "c2", "2021-01-05", "REFERRAL_ORDER", "f2d"),
    outcome("o2d2", "c2", "2021-02-01", "YOUTH_REHABILITATION_ORDER", "f2d"),
    outcome("o3", "c3", "2020-07-01", "YOUTH_CAUTION"),
    outcome("o3a", "c3", "2020-09-01", "FINE", "f3a"),
    outcome("o4", "c4", "2020-07-01", "YOUTH_CAUTION"),
    outcome("o5", "c5", "2020-01-05", "DETENTION_AND_TRAINING_ORDER"),
    outcome("o5a", "c5", "2020-12-01", "YOUTH_REHABILITATION_ORDER", "f5a"),
    outcome("o6a", "c6", "2021-01-20", "YOUTH_CAUTION"),
    outcome("o6b", "c6", "2021-01-20", "REFERRAL_ORDER"),
    outcome("o7", "c7", "2021-04-20", "YOUTH_CAUTION"),
    outcome("o7a", "c7", "2021-07-15", "FINE", "f7a"),
    outcome("o7b", "c7", "2022-05-01", "REFERRAL_ORDER", "f7b"),
    outcome("o8", "c8", "2021-05-05", "YOUTH_CAUTION"),
    outcome("o8a", "c8", "2022-02-01", "YOUTH_CAUTION", "f8a"),
    outcome("o9", "c9", "2020-04-01", "YOUTH_CAUTION"),
    *[
        outcome(f"o{f['offence_id']}", "c9", f["offence_date"][:8] + "11", "REPARATION_ORDER", f["offence_id"])
        for f in C9_OFFENCES
    ],
]
PROGRAMMES = [
    dict(
        programme_id="p5",
        child_id="c5",
        disposal_type="DETENTION_AND_TRAINING_ORDER",
        referral_date="2020-01-05",
        start_date="2020-01-10",
        release_date="2020-09-01",
        end_date="2021-01-10",
    )
]


@pytest.fixture(scope="module")
def db(build_database):
    return build_database(
        "proven", children=CHILDREN, offences=OFFENCES, outcomes=OUTCOMES, programmes=PROGRAMMES, as_of=AS_OF
    )


def measure(db, metric="proven-reoffending", suppressed=False, **filters):
    return compute(db, metric, Filters(**filters), scope=EVERYONE.scope, suppressed=suppressed)


def rows(db, **filters):
    """(cohort, tier) -> (children, reoffenders, reoffences, complete)."""
    return {
        (r.cohort, r.index_tier): (r.children, r.reoffenders, r.reoffences, r.complete)
        for r in measure(db, **filters).table.itertuples()
    }


def test_the_year_cohort_by_hand(db):
    found = rows(db, period="2020-21")
    # c1, c4, c9 (cautions); c2, c6 (referral orders); c5 (release). c3 was 18.
    assert found == {
        ("2020-21", "Pre-court"): (3, 2, 7, True),
        ("2020-21", "First-tier"): (2, 1, 2, True),
        ("2020-21", "Community"): (0, 0, 0, True),
        ("2020-21", "Custody"): (1, 1, 1, True),
        ("2020-21", "All"): (6, 4, 10, True),
    }


def test_rates_and_columns(db):
    table = measure(db, period="2020-21").table
    assert list(table.columns) == spec.columns("proven-reoffending")
    whole = table[table["index_tier"] == "All"].iloc[0]
    assert whole["yjs"] == "Testshire"
    assert whole["binary_rate"] == pytest.approx(4 / 6 * 100)
    assert whole["frequency_rate"] == pytest.approx(10 / 6)
    assert whole["reoffences_per_reoffender"] == pytest.approx(10 / 4)
    community = table[table["index_tier"] == "Community"].iloc[0]
    assert community[["binary_rate", "frequency_rate", "reoffences_per_reoffender"]].isna().all()


def test_the_live_cohort_so_far(db):
    found = rows(db, period="2021-22")
    # c1 (two fines on 1 Aug 2021: First-tier), c2 (caution 10 Dec 2021), c7 (2 reoffences), c8 (1).
    assert found[("2021-22", "All")] == (4, 2, 3, False)
    assert found[("2021-22", "Pre-court")] == (3, 2, 3, False)
    assert found[("2021-22", "First-tier")] == (1, 0, 0, False)


def test_quarter_cohorts_by_hand(db):
    found = rows(db, period="2020-21", by_quarter=True)
    alls = {cohort: value for (cohort, tier), value in found.items() if tier == "All"}
    assert alls == {
        "2020-21 Q1": (3, 3, 9, True),  # c9 (6), c1 (1), c2 (2)
        "2020-21 Q2": (4, 3, 6, True),  # c1's referral order 1 Jul (f1c and f1d: 2), c4, c5 (1), c9 from 11 Jul (3)
        "2020-21 Q3": (2, 0, 0, True),  # c5's order 1 Dec, c9's on 11 Oct: nothing after
        "2020-21 Q4": (2, 0, 0, True),  # c2 from 5 Jan, c6
    }
    assert found[("2020-21 Q2", "First-tier")] == (2, 2, 5, True)  # c1's referral order, c9's reparation order
    assert found[("2020-21 Q3", "Community")] == (1, 0, 0, True)


def test_one_quarter_as_the_period(db):
    assert rows(db, period="2021-22 Q1")[("2021-22 Q1", "All")] == (2, 2, 3, False)  # c7, c8


def test_every_begun_cohort_has_a_row_and_none_after_the_extract(db):
    cohorts = list(dict.fromkeys(measure(db).table["cohort"]))
    # From the year of the first record (c5's sentence, January 2020) to the one holding as_of.
    assert cohorts == ["2019-20", "2020-21", "2021-22", "2022-23"]
    quarters = list(dict.fromkeys(measure(db, period="2022-23", by_quarter=True).table["cohort"]))
    assert quarters == ["2022-23 Q1", "2022-23 Q2"]  # Q3 starts after 30 September 2022


def test_cohort_filters_apply_to_the_child_and_the_index_event(db):
    # Age band at I: c6 alone is 10-14. Disposal type of the index event: c6's is the referral order.
    assert rows(db, period="2020-21", age_band="10-14")[("2020-21", "All")] == (1, 0, 0, True)
    assert rows(db, period="2020-21", disposal_type="YOUTH_CAUTION")[("2020-21", "All")] == (3, 2, 7, True)
    assert rows(db, period="2020-21", disposal_type="REFERRAL_ORDER")[("2020-21", "All")] == (2, 1, 2, True)
    released = rows(db, period="2020-21", disposal_type="DETENTION_AND_TRAINING_ORDER")
    assert released[("2020-21", "Custody")] == (1, 1, 1, True)
    assert rows(db, period="2020-21", sex="female")[("2020-21", "All")] == (1, 0, 0, True)


def test_counts_by_number_of_reoffences(db):
    table = measure(db, "proven-reoffending-counts", period="2020-21").table
    assert list(table.columns) == spec.columns("proven-reoffending-counts")
    assert dict(zip(table["reoffences"], table["reoffenders"])) == {"1": 2, "2": 1, "3": 0, "4": 0, "5+": 1}


def test_the_tracker_compares_like_for_like(db):
    table = measure(db, "reoffending-tracker").table.set_index("cohort")
    assert list(table.index) == ["2021-22", "2022-23"]  # the open cohorts
    live = table.loc["2021-22"]
    # 31 Mar 2022 + 6 months = 30 Sep 2022: every child followed 6 months. Within them c7 reoffended
    # (committed 1 Jun, proven 15 Jul 2021: month 3); c8's came in month 9.
    assert (live["children"], live["months_followed"], live["months_to_go"]) == (4, 6, 6)
    assert live["complete_on"] == date(2023, 9, 30) and live["previous_cohort"] == "2020-21"
    assert (live["reoffenders_so_far"], live["binary_rate_so_far"]) == (1, pytest.approx(25.0))
    # 2020-21 within its first 6 months: c9 (month 2) and c5 (month 3); c2's first came in month 7
    # (proven 5 Jan 2021), c1's in month 15 (fined 1 Aug 2021).
    assert (live["previous_children"], live["previous_reoffenders_same_point"]) == (6, 2)
    assert live["previous_binary_rate_same_point"] == pytest.approx(100 / 3)
    assert live["difference"] == pytest.approx(25 - 100 / 3)
    assert live["difference_low"] < live["difference"] < live["difference_high"]
    assert live["reading"] == "similar"
    forming = table.loc["2022-23"]  # c7's referral order, 1 May 2022
    assert (forming["children"], forming["months_followed"], forming["months_to_go"]) == (1, 0, 12)
    assert forming[["reoffenders_so_far", "previous_children", "difference", "reading"]].isna().all()


def test_the_tracker_by_quarter(db):
    table = measure(db, "reoffending-tracker", by_quarter=True).table.set_index("cohort")
    q1 = table.loc["2021-22 Q1"]
    # 30 Jun 2021 + 15 months = 30 Sep 2022: followed for all 12. The last complete quarter is 2020-21 Q4
    # (c2 from 5 Jan, c6: neither reoffended). c7 (month 3) and c8 (month 9) both within 12.
    assert (q1["children"], q1["months_followed"], q1["previous_cohort"]) == (2, 12, "2020-21 Q4")
    assert (q1["reoffenders_so_far"], q1["previous_children"], q1["previous_reoffenders_same_point"]) == (2, 2, 0)
    assert table.loc["2021-22 Q3", "months_followed"] == 9  # 31 Dec 2021 + 9 months


def test_the_complete_flag_a_day_before(build_database):
    db = build_database(
        "proven_day_before",
        children=CHILDREN,
        offences=OFFENCES,
        outcomes=OUTCOMES,
        programmes=PROGRAMMES,
        as_of="2022-09-29",
    )
    found = rows(db, period="2020-21", by_quarter=True)
    assert found[("2020-21 Q4", "All")][3] is False  # 31 Mar 2021 + 18 months = 30 Sep 2022
    assert found[("2020-21 Q3", "All")][3] is True  # 31 Dec 2020 + 18 months = 30 Jun 2022
    assert rows(db, period="2020-21")[("2020-21", "All")][3] is False
    tracker = measure(db, "reoffending-tracker").table.set_index("cohort")
    assert tracker.loc["2020-21", "previous_cohort"] is None  # 2019-20 had no children
    assert tracker.loc["2021-22", "months_followed"] == 5  # 31 Mar + 6 months is after 29 Sep


def test_calendar_months_clamp_at_the_month_end():
    assert months_after(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert months_after(date(2020, 2, 29), 12) == date(2021, 2, 28)
    assert months_after(date(2021, 3, 31), 18) == date(2022, 9, 30)
    assert whole_months(date(2022, 3, 31), date(2022, 9, 30)) == 6
    assert whole_months(date(2022, 3, 31), date(2022, 9, 29)) == 5
    assert whole_months(date(2022, 3, 31), date(2022, 3, 1)) == 0
    assert complete_on("2021-22 Q1") == date(2022, 12, 30)
    assert months_followed("2020-21", date(2025, 1, 1)) == 12


def test_from_and_to_dates_are_no_cohort(db):
    from dashboard.metrics import MEASURES

    assert {"date_from", "date_to"}.isdisjoint(MEASURES["proven-reoffending"].filters)


# -- small numbers -----------------------------------------------------------------------------
def _cautioned(prefix, n, day, reoffences):
    """``n`` children cautioned on ``day``; the first ones each fined for one offence, (offence date,
    fine date) from ``reoffences``."""
    kids = [child(f"{prefix}{i}", "2006-01-01") for i in range(n)]
    offences = [offence(f"{prefix}f{i}", f"{prefix}{i}", on) for i, (on, _) in enumerate(reoffences)]
    outcomes = [outcome(f"{prefix}o{i}", f"{prefix}{i}", day, "YOUTH_CAUTION") for i in range(n)] + [
        outcome(f"{prefix}p{i}", f"{prefix}{i}", fined, "FINE", f"{prefix}f{i}")
        for i, (_, fined) in enumerate(reoffences)
    ]
    return kids, offences, outcomes


@pytest.fixture(scope="module")
def small(build_database):
    """2021-22: 20 cautioned (19 reoffend, in month 3), 8 given a referral order, 3 released from custody.
    2022-23: 20 cautioned on 1 May 2022, 6 reoffending in month 3 and 2 in month 11."""
    kids, offences, outcomes = _cautioned("k", 20, "2021-04-10", [("2021-06-01", "2021-07-01")] * 19)
    more = _cautioned("m", 20, "2022-05-01", [("2022-06-01", "2022-07-01")] * 6 + [("2023-03-01", "2023-04-01")] * 2)
    kids, offences, outcomes = kids + more[0], offences + more[1], outcomes + more[2]
    kids += [child(f"r{i}", "2006-01-01") for i in range(8)] + [child(f"d{i}", "2005-01-01") for i in range(3)]
    outcomes += [outcome(f"ro{i}", f"r{i}", "2021-05-10", "REFERRAL_ORDER") for i in range(8)]
    programmes = [
        programme(f"dp{i}", f"d{i}", "SECTION_250", "2020-06-01", "2020-06-01", release_date="2021-08-01")
        for i in range(3)
    ]
    return build_database(
        "proven_small", children=kids, offences=offences, outcomes=outcomes, programmes=programmes, as_of="2023-12-31"
    )


def test_small_numbers_are_withheld_and_no_tier_alone(small):
    result = measure(small, suppressed=True, period="2021-22")
    table = result.table.set_index("index_tier")
    withheld = result.withheld.set_index(result.table["index_tier"])
    assert table.loc["All", "children"] == 31
    # Custody (3) is withheld, and so the smallest other tier with children (First-tier, 8) goes too.
    assert withheld.loc["Custody", "children"] and withheld.loc["First-tier", "children"]
    assert not withheld.loc["Pre-court", "children"] and table.loc["Community", "children"] == 0
    # 20 cautioned, 19 reoffended: the 1 who did not would show, so the 19 and its rates are withheld; the
    # other tiers' reoffenders are 0 (shown), so the cohort's 19 would give it back and goes too.
    assert withheld.loc["Pre-court", ["reoffenders", "binary_rate", "reoffences_per_reoffender"]].all()
    assert withheld.loc["All", ["reoffenders", "binary_rate"]].all()
    assert table.loc["First-tier", "reoffenders"] == 0 and table.loc["Custody", "reoffenders"] == 0
    # The 1's 0 reoffences are withheld with them, so the 19 reoffences go too, with the rates on them.
    assert withheld.loc["Pre-court", "frequency_rate"] and withheld.loc["All", "reoffences"]
    assert result.table["complete"].all()


def test_small_bands_of_reoffences_are_withheld_in_pairs(build_database):
    kids, offences, outcomes = _cautioned("k", 20, "2021-04-10", [("2021-06-01", "2021-07-01")] * 12)
    for i in range(3):  # three of them twice
        offences.append(offence(f"kg{i}", f"k{i}", "2021-08-01"))
        outcomes.append(outcome(f"kh{i}", f"k{i}", "2021-09-01", "FINE", f"kg{i}"))
    db = build_database(
        "proven_bands", children=kids, offences=offences, outcomes=outcomes, programmes=[], as_of="2023-12-31"
    )
    result = measure(db, "proven-reoffending-counts", suppressed=True, period="2021-22")
    shown = dict(zip(result.table["reoffences"], result.table["reoffenders"]))
    # 9 once and 3 twice: the 3 would be the only band withheld, so the 9 goes with it; zeros are shown.
    assert pd.isna(shown["1"]) and pd.isna(shown["2"]) and shown["3"] == 0 and shown["5+"] == 0


def test_the_tracker_withholds_what_the_full_figures_would_give_away(small):
    result = measure(small, "reoffending-tracker", suppressed=True)
    table, withheld = result.table.set_index("cohort"), result.withheld.set_index(result.table["cohort"])
    live = table.loc["2022-23"]
    # 31 Mar 2023 + 9 months = 31 Dec 2023. Within 9 months 6 of 20 reoffended; 2 more did in month 11,
    # and proven-reoffending shows the 8: the 6 would give the 2 away, so the 6 and its rate are withheld.
    assert live["months_followed"] == 9 and live["children"] == 20
    assert withheld.loc["2022-23", ["reoffenders_so_far", "binary_rate_so_far", "difference", "reading"]].all()
    # 2021-22 at the same point: 19 of 31, with none after it, so its 19 are the cohort's reoffenders, which
    # proven-reoffending withholds (the 1 cautioned child who did not reoffend): withheld here too.
    assert (live["previous_cohort"], live["previous_children"]) == ("2021-22", 31)
    assert withheld.loc["2022-23", ["previous_reoffenders_same_point", "previous_binary_rate_same_point"]].all()
    proven = measure(small, suppressed=True, period="2021-22")
    assert proven.withheld.set_index(proven.table["index_tier"]).loc["All", "reoffenders"]
    unsuppressed = measure(small, "reoffending-tracker").table.set_index("cohort").loc["2022-23"]
    assert (unsuppressed["reoffenders_so_far"], unsuppressed["previous_reoffenders_same_point"]) == (6, 19)


def test_the_tracker_is_for_every_child_of_the_service_whatever_group_is_chosen(db):
    """A group's tracker less the other groups' would give back what each withholds: it is the service's."""
    everyone = measure(db, "reoffending-tracker", suppressed=True)
    for group in ({"sex": "female"}, {"sex": "male"}, {"age_band": "15-17"}, {"ethnicity_group": "White"}):
        chosen = measure(db, "reoffending-tracker", suppressed=True, **group)
        assert chosen.ignored == tuple(group)
        pd.testing.assert_frame_equal(chosen.table, everyone.table)
        pd.testing.assert_frame_equal(chosen.withheld, everyone.withheld)


@pytest.fixture(scope="module")
def points(build_database):
    """2022-23 Q1 (complete by 31 December 2023): 30 cautioned on 1 May 2022, first known to reoffend in
    month 2 (6 of them), 4 (2), 8 (6) and 11 (6); 10 not. Later quarters: 6 cautioned in each, none
    reoffending, so the open cohorts are followed for 12 (2022-23 Q2, Q3), 9 (Q4), 6 (2023-24 Q1), 3 (Q2)
    and 0 months (Q3)."""
    months = [("2022-06-01", "2022-07-01")] * 6 + [("2022-08-01", "2022-09-01")] * 2
    months += [("2022-12-01", "2023-01-01")] * 6 + [("2023-03-01", "2023-04-01")] * 6
    kids, offences, outcomes = _cautioned("p", 30, "2022-05-01", months)
    for quarter, day in enumerate(["2022-08-01", "2022-11-01", "2023-02-01", "2023-05-01", "2023-08-01"]):
        more = _cautioned(f"q{quarter}_", 6, day, [])
        kids, offences, outcomes = kids + more[0], offences + more[1], outcomes + more[2]
    return build_database(
        "proven_points", children=kids, offences=offences, outcomes=outcomes, programmes=[], as_of="2023-12-31"
    )


def test_the_last_complete_cohort_at_two_points_never_differs_by_a_small_count(points):
    """2022-23 Q1 by 3, 6, 9 and 12 months: 6, 8, 14 and 20 reoffended, each shown on its own row would
    pass (none of them, the 30 less them or the 20 less them is 1 to 4), but 8 less 6 gives back the 2
    first known in months 4 to 6: the later point (6 months) is withheld, and 14 - 6 and 20 - 14 are not small."""
    full = measure(points, "reoffending-tracker", by_quarter=True).table
    assert set(full["previous_cohort"].dropna()) == {"2022-23 Q1"}
    at = full.dropna(subset=["previous_reoffenders_same_point"]).groupby("months_followed")
    assert at["previous_reoffenders_same_point"].first().to_dict() == {3: 6, 6: 8, 9: 14, 12: 20}
    result = measure(points, "reoffending-tracker", suppressed=True, by_quarter=True)
    table, withheld = result.table, result.withheld
    compared = table["previous_reoffenders_same_point"].notna() | withheld["previous_reoffenders_same_point"]
    hidden = dict(
        zip(table.loc[compared, "months_followed"], withheld.loc[compared, "previous_reoffenders_same_point"])
    )
    assert hidden == {3: False, 6: True, 9: False, 12: False}
    six = withheld[table["months_followed"] == 6].iloc[0]
    assert six[["previous_binary_rate_same_point", "difference", "reading"]].all()
    shown = sorted(set(table["previous_reoffenders_same_point"].dropna().astype(int)))
    assert all(b - a == 0 or b - a > 4 for a, b in itertools.pairwise(shown))
    # The quarter followed 6 months on its own shows the same: the point is withheld in every view.
    alone = measure(points, "reoffending-tracker", suppressed=True, period="2023-24 Q1")
    assert list(alone.table["months_followed"]) == [6] and alone.withheld["previous_reoffenders_same_point"].all()
    assert pd.isna(alone.table.at[0, "previous_reoffenders_same_point"])
