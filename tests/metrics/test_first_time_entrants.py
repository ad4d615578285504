"""fte, computed by hand from a small extract. Unsuppressed unless the test is about suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.access import EVERYONE
from dashboard.filters import Filters, InvalidFilter
from dashboard.metrics import compute

from .. import spec
from ..extracts import child, outcome, population_rows

CHILDREN = [
    child("c1", "2005-06-15"),  # 15 at offence
    child("c2", "2011-05-10", sex="female"),  # offence on 10th birthday: counts
    child("c3", "2003-07-01"),  # offence on 18th birthday: not a child
    child("c4", "2003-07-02", ethnicity_group="Black"),  # 17 the day before turning 18: counts
    child("c5", "2006-01-01"),  # diversion first, then a caution
    child("c6", "2007-03-03", locality="South"),  # two outcomes on one day: tie by id
    child("c7", "2006-06-06"),  # first entry in 2020-21
    child("c8", "2011-01-01"),  # no linked offence: age on outcome date
    child("c9", "2004-01-01"),  # 17 at offence, 18 at outcome: counts
]
OFFENCES = [
    dict(offence_id="o1", child_id="c1", offence_date="2021-03-20"),
    dict(offence_id="o2", child_id="c2", offence_date="2021-05-10", knife_or_offensive_weapon="true"),
    dict(offence_id="o3", child_id="c3", offence_date="2021-07-01"),
    dict(offence_id="o4", child_id="c4", offence_date="2021-07-01"),
    dict(offence_id="o5", child_id="c5", offence_date="2021-05-01"),
    dict(offence_id="o6", child_id="c6", offence_date="2021-09-01", knife_or_offensive_weapon="yes"),
    dict(offence_id="o9", child_id="c9", offence_date="2021-12-31"),
]
OUTCOMES = [
    outcome("u1", "c1", "2021-04-01", "YOUTH_CAUTION", "o1"),
    outcome("u2", "c2", "2022-03-31", "REFERRAL_ORDER", "o2"),
    outcome("u3", "c3", "2021-08-01", "FINE", "o3"),
    outcome("u4", "c4", "2021-09-01", "YOUTH_REHABILITATION_ORDER", "o4"),
    outcome("u5a", "c5", "2021-06-01", "COMMUNITY_RESOLUTION", "o5"),
    outcome("u5b", "c5", "2022-04-02", "YOUTH_CAUTION"),
    outcome("b", "c6", "2021-10-10", "FINE"),
    outcome("a", "c6", "2021-10-10", "YOUTH_CAUTION", "o6"),
    outcome("u7a", "c7", "2021-03-31", "YOUTH_CONDITIONAL_CAUTION"),
    outcome("u7b", "c7", "2021-05-05", "FINE"),
    outcome("u8", "c8", "2021-01-01", "OUTCOME_22"),
    outcome("u8b", "c8", "2021-01-02", "ABSOLUTE_DISCHARGE"),
    outcome("u9", "c9", "2022-02-01", "DETENTION_AND_TRAINING_ORDER", "o9"),
]
#: 2021 population: 10 per age x sex x group cell = 8 * 2 * 6 * 10 = 960
POPULATION = population_rows(year=2021, per_cell=10) + population_rows(year=2020, per_cell=5)


@pytest.fixture(scope="module")
def db(build_database):
    return build_database(
        "fte", children=CHILDREN, offences=OFFENCES, outcomes=OUTCOMES, population=POPULATION, as_of="2022-06-30"
    )


def rows(db, **filters):
    result = compute(db, "fte", Filters(**filters), suppressed=False, scope=EVERYONE.scope)
    return {r["period"]: r for r in result.table.to_dict("records")}


def test_columns_are_the_spec_columns(db):
    table = compute(db, "fte", Filters(), suppressed=False, scope=EVERYONE.scope).table
    assert list(table.columns) == spec.columns("fte")


def test_counts_by_financial_year_with_age_and_border_rules(db):
    by_year = rows(db)
    # 2020-21: c7 (31 March 2021) and c8 (age 10 on the outcome date, no offence linked)
    assert by_year["2020-21"]["fte"] == 2
    # 2021-22: c1 (1 April), c2 (10th birthday, 31 March), c4 (17), c6 (tie), c9 (17 at offence)
    assert by_year["2021-22"]["fte"] == 5
    # 2022-23: c5, whose community resolution was diversion, not entry
    assert by_year["2022-23"]["fte"] == 1
    assert list(by_year) == ["2020-21", "2021-22", "2022-23"]


def test_knife_share_follows_the_tie_broken_entry(db):
    # c6's tie is broken by outcome_id: 'a' (knife offence) wins over 'b'; c2's offence is a knife offence
    assert rows(db)["2021-22"]["fte_knife_or_weapon"] == 2


def test_rate_uses_the_mid_year_that_starts_the_financial_year(db):
    r = rows(db)
    assert r["2021-22"]["population_10_17"] == 960
    assert r["2021-22"]["rate_per_100000"] == pytest.approx(5 / 960 * 100_000)
    assert r["2020-21"]["population_10_17"] == 480
    assert r["2020-21"]["rate_per_100000"] == pytest.approx(2 / 480 * 100_000)


def test_no_population_gives_a_null_rate(db):
    r = rows(db)["2022-23"]  # population.csv has no 2022 rows
    assert pd.isna(r["population_10_17"]) and pd.isna(r["rate_per_100000"])
    assert r["fte"] == 1


def test_quarters(db):
    by_quarter = rows(db, period="2021-22", by_quarter=True)
    assert {k: v["fte"] for k, v in by_quarter.items()} == {
        "2021-22 Q1": 1,
        "2021-22 Q2": 1,
        "2021-22 Q3": 1,
        "2021-22 Q4": 2,
    }
    assert rows(db, period="2021-22 Q4")["2021-22 Q4"]["fte"] == 2


def test_cohort_filters(db):
    assert rows(db, period="2021-22", sex="female")["2021-22"]["fte"] == 1
    assert rows(db, period="2021-22", sex="female")["2021-22"]["population_10_17"] == 480
    assert rows(db, period="2021-22", ethnicity_group="Black")["2021-22"]["fte"] == 1
    assert rows(db, period="2021-22", locality="South")["2021-22"]["fte"] == 1
    assert rows(db, period="2021-22", age_band="10-14")["2021-22"]["fte"] == 2  # c2 (10), c6 (14)
    assert rows(db, period="2021-22", age_band="15-17")["2021-22"]["fte"] == 3  # c1, c4, c9
    assert rows(db, period="2021-22", age_band="15-17")["2021-22"]["population_10_17"] == 360
    assert rows(db, period="2021-22", disposal_type="YOUTH_CAUTION")["2021-22"]["fte"] == 2  # c1, c6


def test_date_range_is_inclusive(db):
    from datetime import date

    r = rows(db, date_from=date(2021, 4, 1), date_to=date(2021, 4, 1))
    assert r["2021-22"]["fte"] == 1


def test_unknown_values_are_errors_naming_the_choices(db):
    with pytest.raises(InvalidFilter, match="valid choices: Testshire"):
        compute(db, "fte", Filters(yjs="Nowhere"), scope=EVERYONE.scope)
    with pytest.raises(InvalidFilter, match="valid financial years: 2020-21, 2021-22, 2022-23"):
        compute(db, "fte", Filters(period="2011-12"), scope=EVERYONE.scope)
    with pytest.raises(InvalidFilter, match="not a financial year"):
        compute(db, "fte", Filters(period="2021-23"), scope=EVERYONE.scope)


def test_suppression_withholds_small_counts_and_their_rates(db):
    result = compute(db, "fte", Filters(), scope=EVERYONE.scope)
    by_year = {r["period"]: r for r in result.table.to_dict("records")}
    assert by_year["2021-22"]["fte"] == 5  # 5 is shown
    assert pd.isna(by_year["2020-21"]["fte"])  # 2 is withheld
    assert pd.isna(by_year["2020-21"]["rate_per_100000"])
    withheld = result.withheld.set_index(result.table["period"])
    assert withheld.loc["2020-21", "fte"] and withheld.loc["2020-21", "rate_per_100000"]
    assert withheld.loc["2021-22", "fte_knife_or_weapon"]  # 2 knife entries withheld
