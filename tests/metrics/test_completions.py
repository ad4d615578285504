"""completions (the page added in docs/architecture.md's example), computed by hand from a small extract."""

from __future__ import annotations

import pytest

from dashboard.access import EVERYONE
from dashboard.filters import Filters
from dashboard.metrics import compute

from ..extracts import child

CHILDREN = [child(f"c{i}", "2007-01-01", sex="female" if i < 3 else "male") for i in range(12)]


def _programme(i, disposal_type, end_date, completed, start_date="2021-01-04"):
    return dict(
        programme_id=f"p{i}",
        child_id=f"c{i % 12}",
        disposal_type=disposal_type,
        referral_date="2021-01-04",
        start_date=start_date,
        end_date=end_date,
        completed=completed,
    )


PROGRAMMES = [
    _programme(0, "REFERRAL_ORDER", "2021-03-31", "yes"),  # 2020-21 Q4: the day before the year turns
    _programme(1, "REFERRAL_ORDER", "2021-04-01", "yes"),  # 2021-22 Q1
    _programme(2, "REFERRAL_ORDER", "2021-06-30", "no"),
    _programme(3, "REFERRAL_ORDER", "2021-07-01", None),  # not recorded: counts as not completed
    _programme(4, "YOUTH_CAUTION", "2021-08-15", "true"),
    _programme(5, "YOUTH_CAUTION", "2021-09-15", "true"),
    _programme(6, "YOUTH_CAUTION", "2021-10-15", "true"),
    _programme(7, "YOUTH_CAUTION", "2021-11-15", "true"),
    _programme(8, "YOUTH_CAUTION", "2021-12-15", "true"),
    _programme(9, "YOUTH_CAUTION", "2022-01-15", "true"),
    _programme(10, "YOUTH_CAUTION", "2022-02-15", "false"),
    _programme(11, "YOUTH_CAUTION", None, None),  # still open: not ended
    _programme(12, "REFERRAL_ORDER", "2022-03-31", "y"),
    _programme(13, "REFERRAL_ORDER", "2022-03-20", "y"),
    _programme(14, "REFERRAL_ORDER", "2022-03-10", "y"),
    _programme(15, "REFERRAL_ORDER", "2022-03-01", "y"),
]


@pytest.fixture(scope="module")
def db(build_database):
    return build_database("completions", children=CHILDREN, programmes=PROGRAMMES, as_of="2022-06-30")


def rows(db, filters=None, suppressed=False):
    result = compute(db, "completions", filters or Filters(), scope=EVERYONE.scope, suppressed=suppressed)
    return {(r.period, r.tier): (r.ended, r.completed, r.percent_completed) for r in result.table.itertuples()}


def test_programmes_ending_in_the_year_by_tier(db):
    table = rows(db, Filters(period="2021-22"))
    # Referral orders ending 1 Apr 2021 - 31 Mar 2022: p1, p2, p3, p12-p15 = 7; completed p1, p12-15 = 5.
    assert table[("2021-22", "First-tier")] == (7, 5, pytest.approx(5 / 7 * 100))
    # Cautions: p4-p10 ended (7), p11 open; completed p4-p9 = 6.
    assert table[("2021-22", "Pre-court")] == (7, 6, pytest.approx(6 / 7 * 100))
    assert set(table) == {("2021-22", "Pre-court"), ("2021-22", "First-tier")}


def test_the_year_border_and_quarters(db):
    assert rows(db, Filters(period="2020-21"))[("2020-21", "First-tier")] == (1, 1, 100.0)
    quarters = rows(db, Filters(period="2021-22", by_quarter=True))
    assert quarters[("2021-22 Q1", "First-tier")] == (2, 1, 50.0)  # p1 (1 Apr), p2 (30 Jun)
    assert quarters[("2021-22 Q2", "First-tier")] == (1, 0, 0.0)  # p3 (1 Jul), not recorded
    assert quarters[("2021-22 Q4", "First-tier")] == (4, 4, 100.0)


def test_a_filter_on_the_child(db):
    # Girls are c0-c2: p0 (2020-21), p1 and p2 (2021-22, both referral orders; p12-p15 are c0-c3's too:
    # p12 -> c0, p13 -> c1, p14 -> c2, p15 -> c3).
    table = rows(db, Filters(period="2021-22", sex="female"))
    assert table[("2021-22", "First-tier")] == (5, 4, pytest.approx(80.0))


def test_a_small_count_and_the_complement_it_follows_from_are_withheld(db):
    """Cautions: 7 ended and 6 completed would give away the 1 not completed, so the completed count goes,
    with its share. Whichever cells the lattice withholds besides, no view shows an ended and a completed
    count whose difference (the programmes not completed) is 1 to 4."""
    result = compute(db, "completions", Filters(period="2021-22"), scope=EVERYONE.scope)
    withheld = result.withheld.set_index(result.table["tier"])
    assert withheld.loc["Pre-court", "completed"] and withheld.loc["Pre-court", "percent_completed"]
    for filters in (Filters(period="2021-22"), Filters(period="2021-22", by_quarter=True), Filters()):
        result = compute(db, "completions", filters, scope=EVERYONE.scope)
        both = ~result.withheld["ended"] & ~result.withheld["completed"]
        rest = result.table.loc[both, "ended"] - result.table.loc[both, "completed"]
        assert not rest.between(1, 4).any(), filters
