"""use-of-custody, computed by hand from a small extract with no remands file (so the remand measures and
the remand stage must say "not in this extract", never 0). Unsuppressed unless the test is about it."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from dashboard.access import EVERYONE
from dashboard.filters import Filters
from dashboard.metrics import compute, custody, filter_options, lattice, measure, validate

from ..extracts import child, population_rows

CHILDREN = [
    child("c1", "2006-01-01"),  # two custodial sentences in 2021-22
    child("c2", "2006-01-01"),
    child("c3", "2006-01-01"),  # sentenced in 2022-23: another year
    child("c4", "2006-01-01"),  # a community sentence: not custody
    child("c5", "2006-01-01", sex="female"),
    child("c6", "2009-06-01"),  # 12 on the day: aged 10-14
    child("o1", "2006-01-01", yjs="Otherton"),
]


def _outcome(outcome_id, child_id, outcome_date, outcome_type="DETENTION_AND_TRAINING_ORDER"):
    return dict(outcome_id=outcome_id, child_id=child_id, outcome_date=outcome_date, outcome_type=outcome_type)


OUTCOMES = [
    _outcome("u1", "c1", "2021-05-01"),  # Q1
    _outcome("u2", "c1", "2021-11-01", "SECTION_250"),  # Q3: the same child again
    _outcome("u3", "c2", "2021-06-01", "SECTION_254"),  # Q1
    _outcome("u4", "c3", "2022-04-10"),  # 2022-23
    _outcome("u5", "c4", "2021-07-01", "YOUTH_REHABILITATION_ORDER"),
    _outcome("u6", "c5", "2021-08-01"),  # Q2
    _outcome("u7", "c6", "2021-09-01", "SECTION_259"),  # Q2
    _outcome("u8", "o1", "2021-10-01"),  # Otherton
]
#: 2021 population aged 10-17: 10 a cell in Testshire (960, 480 of them girls), 5 in Otherton (480).
POPULATION = population_rows(year=2021, per_cell=10) + population_rows("Otherton", year=2021, per_cell=5)


@pytest.fixture(scope="module")
def db(build_database):
    return build_database("custody", children=CHILDREN, outcomes=OUTCOMES, population=POPULATION, as_of="2022-06-30")


YEAR = Filters(period="2021-22")


def rows(db, filters=YEAR, suppressed=False, **settings):
    result = compute(db, "use-of-custody", filters, scope=EVERYONE.scope, suppressed=suppressed, **settings)
    return {
        (r.period, r.yjs): (r.custodial_sentences, r.children, r.population_10_17, r.rate_per_1000)
        for r in result.table.itertuples()
    }


def test_columns_are_the_specs():
    assert measure("use-of-custody").columns == (
        "period",
        "yjs",
        "custodial_sentences",
        "children",
        "population_10_17",
        "rate_per_1000",
    )


def test_sentences_and_distinct_children_per_1000(db):
    table = rows(db)
    # Testshire 2021-22: u1, u2 (c1 twice), u3, u6, u7 = 5 sentences to 4 children (the YRO is not custody,
    # u4 is in 2022-23); 4 / 960 * 1000.
    assert table[("2021-22", "Testshire")] == (5, 4, 960, pytest.approx(4 / 960 * 1000))
    assert table[("2021-22", "Otherton")] == (1, 1, 480, pytest.approx(1 / 480 * 1000))


def test_a_sentence_in_another_year_counts_there(db):
    table = rows(db, Filters(period="2022-23"))
    assert table[("2022-23", "Testshire")][:2] == (1, 1)  # c3's u4 only
    assert table[("2022-23", "Testshire")][2] is pd.NA or pd.isna(table[("2022-23", "Testshire")][2])


def test_all_services_as_one(db):
    # 6 sentences, 5 children over 960 + 480 children aged 10-17.
    assert rows(db, combine=True) == {("2021-22", "All services"): (6, 5, 1440, pytest.approx(5 / 1440 * 1000))}


def test_quarters_count_a_child_once_each(db):
    table = rows(db, Filters(period="2021-22", by_quarter=True, yjs="Testshire"))
    # Q1: c1, c2; Q2: c5, c6; Q3: c1 again; Q4: none. The quarters' children (5) are more than the year's (4).
    assert {p: v[:2] for (p, _), v in table.items()} == {
        "2021-22 Q1": (2, 2),
        "2021-22 Q2": (2, 2),
        "2021-22 Q3": (1, 1),
        "2021-22 Q4": (0, 0),
    }


@pytest.mark.parametrize(
    "filters, expected",
    [
        (dict(sex="female"), (1, 1, 480)),  # c5, over the girls' population
        (dict(age_band="10-14"), (1, 1, 600)),  # c6, 12 that day; ages 10-14: 5 x 120
        (dict(disposal_type="DETENTION_AND_TRAINING_ORDER"), (2, 2, 960)),  # u1 and u6
        (dict(disposal_type="YOUTH_REHABILITATION_ORDER"), (0, 0, 960)),  # not a custodial sentence
    ],
)
def test_cohort_filters(db, filters, expected):
    sentences, children, population, rate = rows(db, Filters(period="2021-22", yjs="Testshire", **filters))[
        ("2021-22", "Testshire")
    ]
    assert (sentences, children, population) == expected
    assert rate == pytest.approx(children / population * 1000)


def test_small_counts_are_withheld_with_the_rate_and_a_second_service(db):
    result = compute(db, "use-of-custody", Filters(period="2021-22"), scope=EVERYONE.scope)
    shown = result.table.set_index("yjs")
    withheld = result.withheld.set_index(result.table["yjs"])
    # Testshire's 5 sentences are shown, its 4 children are not (nor the rate on them); Otherton's 1 and 1 are
    # withheld, so Testshire's 5 sentences go too (all services together, 6, are shown elsewhere).
    assert withheld.loc["Testshire", "children"] and withheld.loc["Testshire", "rate_per_1000"]
    assert withheld.loc["Otherton"].loc[["custodial_sentences", "children", "rate_per_1000"]].all()
    assert withheld.loc["Testshire", "custodial_sentences"]
    assert shown.loc["Testshire", "population_10_17"] == 960  # populations are not withheld


@pytest.mark.parametrize(
    "filters, children",
    [
        (Filters(period="2021-22", yjs="Testshire"), [4]),  # c1 (twice), c2, c5, c6
        (Filters(period="2021-22", yjs="Testshire", by_quarter=True), [2, 2, 1, 0]),
        (Filters(period="2021-22", yjs="Testshire", disposal_type="DETENTION_AND_TRAINING_ORDER"), [2]),  # c1, c5
    ],
)
def test_the_childrens_lattice_holds_each_year_and_quarter_as_the_table_counts_it(db, filters, children):
    """A year's children are the year's own cell (4), not its quarters' sum (5): the mask is looked up
    in cells counted as the table counts them."""
    resolved = dataclasses.replace(validate(db, "use-of-custody", filters, scope=EVERYONE.scope), suppressed=True)
    table = compute(db, "use-of-custody", filters, scope=EVERYONE.scope, suppressed=False).table
    protected, found = lattice.located(
        db, custody.CHILDREN, resolved, filter_options(db), table, locate=lattice.whole_years
    )
    counted = protected.cells["children"].to_numpy()
    assert [int(counted[i]) if i >= 0 else 0 for i in found] == children == table["children"].tolist()


def test_without_a_remands_file_remands_are_not_in_this_extract_never_0(db):
    for metric in ("remands", "remand-outcomes", "remand-outcomes-by-group"):
        assert compute(db, metric, Filters(period="2021-22"), scope=EVERYONE.scope).table.empty
        notes = measure(metric).notes(db, Filters(period="2021-22"), EVERYONE.scope)
        assert notes and notes[0].startswith("Remands are not in this extract")
    stages = compute(db, "disproportionality", Filters(period="2021-22"), scope=EVERYONE.scope).table["stage"]
    assert "remand" not in set(stages) and "custody" in set(stages)
    assert "the remand stage is not shown" in measure("disproportionality").notes(db, Filters(), EVERYONE.scope)[0]
