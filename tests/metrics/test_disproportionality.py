"""disproportionality: stage counts, rates, RRI and its log-method interval, by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.access import EVERYONE
from dashboard.filters import Filters, InvalidFilter
from dashboard.metrics import compute

from .. import spec
from ..extracts import child

# 2021 population: White 1,000 and Black 200 children aged 10-17, no Mixed, Asian, Other or Unknown.
PER_AGE = {("White", "male"): 63, ("White", "female"): 62, ("Black", "male"): 13, ("Black", "female"): 12}
POPULATION = [
    dict(yjs="Testshire", year=2021, age=age, sex=sex, ethnicity_group=group, population=n)
    for age in range(10, 18)
    for (group, sex), n in PER_AGE.items()
]

CHILDREN, OFFENCES, OUTCOMES = [], [], []


def add(child_id, group, outcome_types=(), offence_date="2021-06-01", dob="2006-01-01"):
    CHILDREN.append(child(child_id, dob, ethnicity_group=group))
    OFFENCES.append(dict(offence_id=f"{child_id}-o", child_id=child_id, offence_date=offence_date))
    for n, outcome_type in enumerate(outcome_types):
        OUTCOMES.append(
            dict(
                outcome_id=f"{child_id}-{n}",
                child_id=child_id,
                offence_id=f"{child_id}-o",
                outcome_date="2021-08-01",
                outcome_type=outcome_type,
            )
        )


# White: 10 offending children; 4 diverted, 3 cautioned, 2 at court, none in custody
for i in range(10):
    add(
        f"w{i}",
        "White",
        ["COMMUNITY_RESOLUTION"] if i < 4 else ["YOUTH_CAUTION"] if i < 7 else ["REFERRAL_ORDER"] if i < 9 else [],
    )
OFFENCES.append(dict(offence_id="w0-second", child_id="w0", offence_date="2021-07-01"))  # still one child
# Black: 6 offending children; 1 diverted, 1 cautioned, 3 at court, 1 of them also in custody
for i, types in enumerate(
    [
        ["OUTCOME_22"],
        ["YOUTH_CONDITIONAL_CAUTION"],
        ["FINE"],
        ["YOUTH_REHABILITATION_ORDER"],
        ["REFERRAL_ORDER", "DETENTION_AND_TRAINING_ORDER"],
        [],
    ]
):
    add(f"b{i}", "Black", types)
add("b-old", "Black", ["FINE"], offence_date="2021-03-31")  # offence before the period; outcome inside
add("u0", "Unknown")
add("u1", "Unknown")


@pytest.fixture(scope="module")
def db(build_database):
    return build_database(
        "disproportionality", children=CHILDREN, offences=OFFENCES, outcomes=OUTCOMES, population=POPULATION
    )


def table(db, **settings):
    result = compute(
        db, "disproportionality", Filters(period="2021-22"), suppressed=False, scope=EVERYONE.scope, **settings
    )
    return result.table.set_index(["stage", "group"])


def log_interval(a, n1, c, n2):
    rri = (a / n1) / (c / n2)
    spread = 1.96 * math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rri, math.exp(math.log(rri) - spread), math.exp(math.log(rri) + spread)


def test_columns_and_rows(db):
    t = compute(db, "disproportionality", Filters(period="2021-22"), suppressed=False, scope=EVERYONE.scope).table
    assert list(t.columns) == spec.columns("disproportionality")
    assert t["stage"].unique().tolist() == ["population", "offence", "diversion", "pre_court", "court", "custody"]
    assert len(t) == 6 * 6


def test_counts_are_distinct_children_in_the_period(db):
    t = table(db)
    assert t.loc[("offence", "White"), "count"] == 10
    assert t.loc[("offence", "Black"), "count"] == 6  # b-old offended before the period
    assert t.loc[("court", "Black"), "count"] == 4  # b2, b3, b4 and b-old's outcome in the period
    assert t.loc[("custody", "Black"), "count"] == 1
    assert t.loc[("offence", "Mixed"), "count"] == 0
    assert t.loc[("offence", "Unknown"), "count"] == 2
    assert t.loc[("population", "White"), "count"] == 1000


def test_rates_rri_and_interval_against_population(db):
    t = table(db)
    row = t.loc[("offence", "Black")]
    assert row["base"] == 200 and row["rate_per_1000"] == pytest.approx(30)
    rri, low, high = log_interval(6, 200, 10, 1000)
    assert (row["rri"], row["ci_low"], row["ci_high"]) == pytest.approx((rri, low, high))
    assert row["significant"] == (low > 1 or high < 1)
    court = t.loc[("court", "Black")]
    rri, low, high = log_interval(4, 200, 2, 1000)
    assert (court["rri"], court["ci_low"], court["ci_high"]) == pytest.approx((rri, low, high))
    assert bool(court["significant"]) is True


def test_reference_row_and_groups_without_an_rri(db):
    t = table(db)
    white = t.loc[("offence", "White")]
    # The reference against itself: RRI 1, and the spec's formula still gives an interval around 1
    assert white["rri"] == 1 and not white["significant"]
    assert (white["ci_low"], white["ci_high"]) == pytest.approx(log_interval(10, 1000, 10, 1000)[1:])
    assert pd.isna(t.loc[("offence", "Unknown"), "rri"])  # Unknown gets no RRI
    assert pd.isna(t.loc[("offence", "Mixed"), "rate_per_1000"])  # zero population: no rate
    assert pd.isna(t.loc[("custody", "Black"), "rri"])  # White custody rate is 0


def test_previous_stage_base(db):
    t = table(db, base="previous")
    diversion = t.loc[("diversion", "Black")]
    assert diversion["base"] == 6 and diversion["rate_per_1000"] == pytest.approx(1 / 6 * 1000)
    assert diversion["rri"] == pytest.approx((1 / 6) / (4 / 10))
    assert t.loc[("custody", "Black"), "base"] == 4
    assert t.loc[("offence", "White"), "base"] == 1000
    assert pd.isna(t.loc[("population", "White"), "base"])


def test_split_by_sex_and_reference(db):
    t = table(db, by="sex")
    assert set(t.index.get_level_values("group")) == {"male", "female", "unknown"}
    assert t.loc[("offence", "male"), "count"] == 18
    t = table(db, reference="Black")
    assert t.loc[("offence", "White"), "rri"] == pytest.approx(1 / 3)
    with pytest.raises(InvalidFilter, match="reference group"):
        table(db, reference="Purple")


@pytest.mark.parametrize(
    "filters, reference",
    [
        ({}, "White"),
        ({"by": "sex"}, "female"),
        ({"by": "age_band"}, "10-14"),
        ({"reference": "black"}, "Black"),
        ({"by": "sex", "reference": "male"}, "male"),
    ],
)
def test_the_result_names_the_reference_it_compared_with(db, filters, reference):
    """The chart is told the reference, never left to guess it from an RRI of 1 (every group's
    population row has one)."""
    result = compute(db, "disproportionality", Filters(period="2021-22"), scope=EVERYONE.scope, **filters)
    assert result.reference == reference
    assert compute(db, "fte", Filters(period="2021-22"), scope=EVERYONE.scope).reference is None


def test_suppression_hides_small_groups_and_a_second_cell(db):
    result = compute(db, "disproportionality", Filters(period="2021-22"), scope=EVERYONE.scope)
    t = result.table.set_index(["stage", "group"])
    w = result.withheld.set_index(t.index)
    assert pd.isna(t.loc[("custody", "Black"), "count"])  # 1 child
    assert w.loc[("custody", "Black"), "rri"]
    # diversion: White 4 and Black 1 are withheld, the others are 0: nothing else to hide
    assert w.loc[("diversion", "White"), "count"] and w.loc[("diversion", "Black"), "count"]
    # offence: only Unknown (2) is small, so the smallest other non-zero cell (Black, 6) goes too
    assert w.loc[("offence", "Unknown"), "count"] and w.loc[("offence", "Black"), "count"]
    assert not w.loc[("offence", "White"), "count"]
    assert not w.loc[("population", "White"), "count"]  # populations are not withheld
