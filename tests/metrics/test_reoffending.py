"""programme-reoffending, reoffending-curve, disposals and referrals, by hand from one small extract.

as_of is 2022-06-30. Windows use calendar months with end-of-month clamping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from dashboard.access import EVERYONE
from dashboard.filters import Filters
from dashboard.metrics import compute, filter_options, reoffending, validate
from dashboard.metrics.reoffending import kaplan_meier

from .. import spec
from ..extracts import child

CHILDREN = [child(f"r{i}", "2005-05-05") for i in range(1, 8)]
CHILDREN[3] = child("r4", "2011-04-10", locality="South")  # 10 on the day p4 starts


def programme(pid, child_id, disposal_type, referral_date, start_date=None, end_date=None, **extra):
    return dict(
        programme_id=pid,
        child_id=child_id,
        disposal_type=disposal_type,
        referral_date=referral_date,
        start_date=start_date,
        end_date=end_date,
        **extra,
    )


PROGRAMMES = [
    programme(
        "p1",
        "r1",
        "YOUTH_CAUTION",
        "2021-01-10",
        "2021-01-15",
        "2021-03-31",
        referral_source="POLICE",
        programme_name="Turnaround",
    ),
    programme("p1b", "r1", "REFERRAL_ORDER", "2021-05-20", "2021-06-01", "2021-08-31", referral_source="COURT"),
    programme("p2", "r2", "PREVENTION", "2021-02-01", "2021-02-01", "2022-01-31", referral_source="SCHOOL"),
    programme("p3", "r3", "COMMUNITY_RESOLUTION", "2021-02-20", "2021-03-01", None, referral_source="POLICE"),
    programme(
        "p4",
        "r4",
        "YOUTH_CAUTION",
        "2021-04-01",
        "2021-04-10",
        "2021-05-31",
        referral_source="POLICE",
        programme_name="Turnaround",
    ),
    programme("p5", "r5", "PREVENTION", "2021-05-01", "2021-05-01", "2022-06-30"),
    programme("p6", "r6", "PREVENTION", "2021-09-09", None, None, referral_source="SCHOOL", locality="East"),
    programme(
        "p7", "r7", "YOUTH_REHABILITATION_ORDER", "2021-05-25", "2021-06-01", "2021-06-15", referral_source="COURT"
    ),
]
OFFENCES = [
    dict(offence_id="f1", child_id="r1", offence_date="2020-01-15"),  # pre p1 (exactly S - 12 months)
    dict(offence_id="f2", child_id="r1", offence_date="2021-02-01"),  # during p1; pre p1b
    dict(offence_id="f3", child_id="r1", offence_date="2021-06-30"),  # p1 0-3m (exactly E + 3 months)
    dict(offence_id="f4", child_id="r1", offence_date="2021-07-01"),  # p1 3-6m
    dict(offence_id="f5", child_id="r3", offence_date="2020-02-29"),  # a day before p3's pre window
    dict(offence_id="f6", child_id="r3", offence_date="2020-03-01"),  # pre p3
    dict(offence_id="f7", child_id="r3", offence_date="2022-06-30"),  # during p3 (open, up to as_of)
    dict(offence_id="f8", child_id="r4", offence_date="2021-11-30"),  # p4 3-6m (E+6m clamps to 30 Nov)
    dict(offence_id="f9", child_id="r4", offence_date="2021-12-01"),  # p4 6-9m
    dict(offence_id="f10", child_id="r7", offence_date="2022-06-20"),  # 370 days after p7 ended
]


@pytest.fixture(scope="module")
def db(build_database):
    return build_database(
        "reoffending", children=CHILDREN, offences=OFFENCES, programmes=PROGRAMMES, as_of="2022-06-30"
    )


def windows(db, **filters):
    table = compute(db, "programme-reoffending", Filters(**filters), suppressed=False, scope=EVERYONE.scope).table
    return {
        (r["cohort"], r["window"]): (r["children_at_risk"], r["children_offended"], r["offences"])
        for r in table.to_dict("records")
    }


def test_windows_by_hand(db):
    w = windows(db)
    assert w[("2020-21", "pre")] == (3, 2, 2)
    assert w[("2020-21", "during")] == (3, 2, 2)
    assert w[("2020-21", "0-3m")] == (2, 1, 1)  # p3 is open, so not at risk after it
    assert w[("2020-21", "3-6m")] == (1, 1, 1)  # p2's E + 6 months is after as_of
    assert w[("2020-21", "6-9m")] == (1, 0, 0)
    assert w[("2020-21", "9-12m")] == (1, 0, 0)
    assert w[("2021-22", "pre")] == (3, 0, 0)  # r1's p1b is not r1's earliest programme
    assert w[("2021-22", "0-3m")] == (2, 0, 0)  # p5 ended on as_of
    assert w[("2021-22", "3-6m")] == (2, 1, 1)
    assert w[("2021-22", "6-9m")] == (2, 1, 1)
    assert w[("2021-22", "9-12m")] == (2, 0, 0)  # r7's offence is after its 12 months
    assert len(w) == 12


def test_window_rate_and_columns(db):
    table = compute(
        db, "programme-reoffending", Filters(period="2020-21"), suppressed=False, scope=EVERYONE.scope
    ).table
    assert list(table.columns) == spec.columns("programme-reoffending")
    assert table["window"].tolist() == ["pre", "during", "0-3m", "3-6m", "6-9m", "9-12m"]
    assert table.loc[table["window"] == "0-3m", "rate"].item() == pytest.approx(0.5)


def test_cohort_is_the_earliest_programme_passing_the_filters(db):
    w = windows(db, disposal_type="REFERRAL_ORDER")
    # p1b: 1 Jun to 31 Aug 2021; f3 and f4 fall during it; its E + 12 months is after as_of
    assert w == {
        ("2021-22", "pre"): (1, 1, 1),
        ("2021-22", "during"): (1, 1, 2),
        ("2021-22", "0-3m"): (1, 0, 0),
        ("2021-22", "3-6m"): (1, 0, 0),
        ("2021-22", "6-9m"): (1, 0, 0),
        ("2021-22", "9-12m"): (0, 0, 0),
    }
    assert windows(db, programme="Turnaround")[("2020-21", "pre")] == (1, 1, 1)
    assert windows(db, age_band="10-14")[("2021-22", "pre")] == (1, 0, 0)  # r4, 10 at start


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(period="2021-22"),
        Filters(period="2020-21", sex="male"),
        Filters(period="2021-22", by_quarter=True),
        Filters(age_band="10-14"),
        Filters(period="2021-22", disposal_type="REFERRAL_ORDER"),
        Filters(programme="Turnaround"),
        Filters(period="2021-22", locality="South"),
    ],
)
def test_the_cohort_marked_at_ingest_is_the_one_the_window_finds(db, filters, monkeypatch):
    options = filter_options(db)
    resolved = validate(db, "programme-reoffending", filters, scope=EVERYONE.scope)
    assert reoffending._marked_first(resolved, options) is not None
    marked = [
        measure(db, resolved, options)[0]
        for measure in (reoffending.programme_reoffending, reoffending.reoffending_curve)
    ]
    monkeypatch.setattr(reoffending, "_marked_first", lambda resolved, options: None)
    for measure, expected in zip((reoffending.programme_reoffending, reoffending.reoffending_curve), marked):
        pd.testing.assert_frame_equal(measure(db, resolved, options)[0], expected)


def test_two_filters_on_the_programme_are_never_answered_from_the_marks(db):
    options = filter_options(db)
    resolved = validate(
        db, "programme-reoffending", Filters(disposal_type="REFERRAL_ORDER", age_band="15-17"), scope=EVERYONE.scope
    )
    assert reoffending._marked_first(resolved, options) is None


def test_suppressed_windows_withhold_small_cells(db):
    result = compute(db, "programme-reoffending", Filters(period="2020-21"), scope=EVERYONE.scope)
    assert result.table["children_at_risk"].isna().all()
    assert result.withheld["rate"].all() and result.withheld["offences"].all()


def curve(db, **filters):
    table = compute(db, "reoffending-curve", Filters(**filters), suppressed=False, scope=EVERYONE.scope).table
    return table


def test_curve_rows_by_hand(db):
    table = curve(db)
    first = table[table["cohort"] == "2020-21"]
    assert first[["day", "at_risk", "events", "censored"]].values.tolist() == [
        [0, 2, 0, 0],
        [91, 2, 1, 0],
        [150, 1, 0, 1],
    ]
    assert first["survival"].tolist() == pytest.approx([1, 0.5, 0.5])
    assert first["reoffended"].tolist() == pytest.approx([0, 0.5, 0.5])
    second = table[table["cohort"] == "2021-22"]
    # p5 ended on as_of (censored at day 0); p7's offence came on day 370, so it is censored at 365
    assert second[["day", "at_risk", "events", "censored"]].values.tolist() == [
        [0, 3, 0, 1],
        [183, 2, 1, 0],
        [365, 1, 0, 1],
    ]


def test_curve_interval_matches_lifelines():
    rng = np.random.default_rng(7)
    durations = rng.integers(0, 366, 300)
    observed = rng.random(300) < 0.4
    days = (
        pd.DataFrame({"day": durations, "events": observed.astype(int), "censored": (~observed).astype(int)})
        .groupby("day", as_index=False)
        .sum()
    )
    if not (days["day"] == 0).any():
        days = pd.concat([pd.DataFrame({"day": [0], "events": [0], "censored": [0]}), days])
    ours = kaplan_meier(days).set_index("day")
    km = KaplanMeierFitter().fit(durations, observed)
    theirs = km.survival_function_.join(km.confidence_interval_)
    theirs.columns = ["survival", "low", "high"]
    theirs = theirs.loc[ours.index]
    assert ours["survival"].values == pytest.approx(theirs["survival"].values)
    defined = (ours["survival"] > 0) & (ours["survival"] < 1)
    assert ours.loc[defined, "ci_low"].values == pytest.approx(1 - theirs.loc[defined, "high"].values)
    assert ours.loc[defined, "ci_high"].values == pytest.approx(1 - theirs.loc[defined, "low"].values)


def test_disposals_count_programmes_started(db):
    table = compute(db, "disposals", Filters(), suppressed=False, scope=EVERYONE.scope).table
    assert list(table.columns) == spec.columns("disposals")
    got = {(r["period"], r["disposal_type"]): (r["tier"], r["count"]) for r in table.to_dict("records")}
    assert got[("2020-21", "YOUTH_CAUTION")] == ("Pre-court", 1)
    assert got[("2020-21", "PREVENTION")] == ("Prevention", 1)
    assert got[("2020-21", "COMMUNITY_RESOLUTION")] == ("Diversion", 1)
    assert got[("2021-22", "PREVENTION")] == ("Prevention", 1)  # p6 never started
    assert got[("2021-22", "YOUTH_CAUTION")] == ("Pre-court", 1)
    assert got[("2021-22", "REFERRAL_ORDER")] == ("First-tier", 1)
    assert got[("2021-22", "YOUTH_REHABILITATION_ORDER")] == ("Community", 1)
    assert got[("2020-21", "REFERRAL_ORDER")] == ("First-tier", 0)  # zero rows keep the chart steady
    assert sum(c for _, c in got.values()) == 7


def test_referrals_by_locality_source_and_age(db):
    table = compute(db, "referrals", Filters(period="2021-22"), suppressed=False, scope=EVERYONE.scope).table
    assert list(table.columns) == spec.columns("referrals")
    got = {(r["locality"], r["referral_source"], r["age"]): r["count"] for r in table.to_dict("records")}
    assert got == {
        ("North", "COURT", 16): 2,  # p1b (referred 20 May 2021), p7 (25 May 2021)
        ("South", "POLICE", 9): 1,  # p4 referred 1 April 2021, nine days before r4's 10th birthday
        ("North", "Unknown", 15): 1,  # p5: no source given; 16 only from 5 May
        ("East", "SCHOOL", 16): 1,  # p6: the programme's locality overrides the child's
    }
