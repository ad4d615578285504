"""remands, remand-outcomes (and by group) and the remand stage of disproportionality, by hand.

Testshire's extract has a remands file; Otherton's, loaded after it into the same database, has none, so
its remands are "not in this extract". 2021-22 holds the hand-made cases; 2019-20 and 2020-21 hold enough
remands to youth detention for suppression to show rather than hide everything."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.access import EVERYONE
from dashboard.db import Database
from dashboard.filters import Filters, InvalidFilter
from dashboard.ingest import ingest
from dashboard.metrics import compute, measure

from ..extracts import child, write_extract

DETENTION = "REMAND_TO_YOUTH_DETENTION"
CHILDREN = [child(f"a{i}", "2006-01-01", ethnicity_group="Black" if i in (1, 2) else "White") for i in range(1, 9)]
CHILDREN[1] = child("a2", "2009-01-01", ethnicity_group="Black", sex="female")  # 12 in 2021: aged 10-14
CHILDREN += [child(f"w{i}", "2006-01-01") for i in range(7)] + [
    child(f"b{i}", "2006-01-01", ethnicity_group="Black") for i in range(2)
]
OUTCOMES = [
    dict(outcome_id="cust1", child_id="a1", outcome_date="2021-07-01", outcome_type="DETENTION_AND_TRAINING_ORDER"),
    dict(outcome_id="cust2", child_id="a1", outcome_date="2022-01-15", outcome_type="SECTION_250"),
    dict(outcome_id="yro2", child_id="a2", outcome_date="2021-09-01", outcome_type="YOUTH_REHABILITATION_ORDER"),
    dict(outcome_id="cr3", child_id="a3", outcome_date="2021-08-01", outcome_type="COMMUNITY_RESOLUTION"),
    dict(outcome_id="yro6", child_id="a6", outcome_date="2022-06-01", outcome_type="YOUTH_REHABILITATION_ORDER"),
]


def remand(remand_id, child_id, remand_date, end_date=None, outcome_id=None, remand_type=DETENTION):
    return dict(
        remand_id=remand_id,
        child_id=child_id,
        remand_date=remand_date,
        remand_type=remand_type,
        end_date=end_date,
        outcome_id=outcome_id,
    )


REMANDS = [
    remand("R1", "a1", "2021-05-01", "2021-07-01", "cust1"),  # names a Custody outcome
    remand("R2", "a2", "2021-06-01", "2021-09-01", "yro2"),  # names another substantive outcome
    remand("R3", "a3", "2021-07-01", "2021-08-01", "cr3"),  # names a Diversion outcome
    remand("R4", "a4", "2021-08-01", "2021-10-01"),  # ended with no outcome: no conviction
    remand("R5", "a5", "2022-02-01"),  # still open
    remand("R6", "a1", "2021-12-01", "2022-01-15", "cust2"),  # a1 again: 2 remands, 1 child
    remand("R7", "a6", "2022-05-01", "2022-06-01", "yro6"),  # 2022-23
    remand("R8", "a2", "2021-05-15", remand_type="BAIL_SUPERVISION_AND_SUPPORT"),
    remand("R9", "a7", "2021-09-01", remand_type="ISS_BAIL"),
    remand("R10", "a7", "2021-10-01", remand_type="ISS_BAIL"),  # a7 again
    remand("R11", "a8", "2022-03-31", remand_type="UNCONDITIONAL_BAIL"),  # the year's last day
    remand("R12", "a8", "2021-04-01", remand_type="REMAND_TO_LOCAL_AUTHORITY"),  # the year's first day
]
#: Offences in 2021-22 (the remand stage's base under --base previous): White a3-a5 and w0-w6 = 10,
#: Black a1, a2, b0, b1 = 4.
OFFENCES = [
    dict(offence_id=f"f-{c}", child_id=c, offence_date="2021-04-20")
    for c in ["a1", "a2", "a3", "a4", "a5", "b0", "b1"] + [f"w{i}" for i in range(7)]
]

# Earlier years, a child a remand: 2019-20 custodial 8, non-custodial 5, no conviction 5, still open 2;
# 2020-21 custodial 10, non-custodial 6, no conviction 2, none open.
for year, counts in ((2019, dict(custodial=8, other=5, none=5, open=2)), (2020, dict(custodial=10, other=6, none=2))):
    for kind, n in counts.items():
        for i in range(n):
            child_id = f"y{year}-{kind}-{i}"
            CHILDREN.append(child(child_id, "2004-01-01"))
            ended = f"{year}-12-01"
            if kind in ("custodial", "other"):
                OUTCOMES.append(
                    dict(
                        outcome_id=f"u-{child_id}",
                        child_id=child_id,
                        outcome_date=ended,
                        outcome_type="DETENTION_AND_TRAINING_ORDER" if kind == "custodial" else "FINE",
                    )
                )
            REMANDS.append(
                remand(
                    f"R-{child_id}",
                    child_id,
                    f"{year}-06-01",
                    None if kind == "open" else ended,
                    f"u-{child_id}" if kind in ("custodial", "other") else None,
                )
            )

#: Population of each year 2019-2021: White 1,000 and Black 200 children aged 10-17.
POPULATION = [
    dict(yjs="Testshire", year=year, age=age, sex=sex, ethnicity_group=group, population=n)
    for year in (2019, 2020, 2021)
    for age in range(10, 18)
    for (group, sex), n in {
        ("White", "male"): 63,
        ("White", "female"): 62,
        ("Black", "male"): 13,
        ("Black", "female"): 12,
    }.items()
]


@pytest.fixture(scope="module")
def db(database_at, tmp_path_factory):
    location = database_at("remands")
    folder = tmp_path_factory.mktemp("remands")
    ingest(
        write_extract(
            folder / "testshire",
            children=CHILDREN,
            offences=OFFENCES,
            outcomes=OUTCOMES,
            population=POPULATION,
            remands=REMANDS,
        ),
        location,
    )
    ingest(
        write_extract(
            folder / "otherton",
            children=[child("o1", "2006-01-01", yjs="Otherton")],
            offences=[dict(offence_id="f-o1", child_id="o1", offence_date="2021-05-01")],
        ),
        location,
    )
    return Database.open(location)


#: The hand-made year of the service with remands.
TESTSHIRE = Filters(period="2021-22", yjs="Testshire")


def compute_table(db, metric, filters=TESTSHIRE, suppressed=False, **settings):
    return compute(db, metric, filters, scope=EVERYONE.scope, suppressed=suppressed, **settings)


def outcomes(db, filters=TESTSHIRE, suppressed=False, **settings):
    result = compute_table(db, "remand-outcomes", filters, suppressed, **settings)
    return {r.result: (r.remands, r.percent) for r in result.table.itertuples()}


def test_columns_are_the_specs():
    assert measure("remands").columns == ("period", "yjs", "remand_type", "remands", "children")
    assert measure("remand-outcomes").columns == ("period", "yjs", "result", "remands", "percent")


def test_remands_by_type_count_remands_and_distinct_children(db):
    table = compute_table(db, "remands").table.set_index("remand_type")
    # Detention: R1-R6 (a1 twice) = 6 remands of 5 children; R7 is in 2022-23.
    assert tuple(table.loc[DETENTION, ["remands", "children"]]) == (6, 5)
    assert tuple(table.loc["ISS_BAIL", ["remands", "children"]]) == (2, 1)  # R9, R10: a7 twice
    assert tuple(table.loc["BAIL_SUPERVISION_AND_SUPPORT", ["remands", "children"]]) == (1, 1)
    assert tuple(table.loc["UNCONDITIONAL_BAIL", ["remands", "children"]]) == (1, 1)  # 31 March: in the year
    assert tuple(table.loc["REMAND_TO_LOCAL_AUTHORITY", ["remands", "children"]]) == (1, 1)  # 1 April
    assert tuple(table.loc["CONDITIONAL_BAIL", ["remands", "children"]]) == (0, 0)
    assert list(table.index) == [
        "UNCONDITIONAL_BAIL",
        "CONDITIONAL_BAIL",
        "BAIL_SUPERVISION_AND_SUPPORT",
        "ISS_BAIL",
        "REMAND_TO_LOCAL_AUTHORITY",
        DETENTION,
    ]


def test_how_each_remand_to_youth_detention_ended(db):
    # Ended: R1, R6 custodial; R2 non-custodial (a YRO); R3 (a community resolution) and R4 (ended, no
    # outcome) no conviction = 5; R5 open gets no share.
    found = outcomes(db)
    assert found["custodial_sentence"] == (2, pytest.approx(40.0))
    assert found["non_custodial_sentence"] == (1, pytest.approx(20.0))
    assert found["no_conviction"] == (2, pytest.approx(40.0))
    assert found["open"][0] == 1 and pd.isna(found["open"][1])
    assert list(found) == ["custodial_sentence", "non_custodial_sentence", "no_conviction", "open"]


def test_a_remand_in_another_year_counts_in_its_own(db):
    found = outcomes(db, Filters(period="2022-23", yjs="Testshire"))
    assert found["non_custodial_sentence"] == (1, pytest.approx(100.0))  # R7
    assert found["custodial_sentence"] == (0, pytest.approx(0.0))
    years = compute_table(db, "remand-outcomes", Filters(yjs="Testshire")).table
    assert years["period"].unique().tolist() == ["2019-20", "2020-21", "2021-22", "2022-23"]


def test_a_filter_on_the_child_and_the_split_by_group(db):
    # Black children: a1 (R1, R6 custodial) and a2 (R2 non-custodial).
    found = outcomes(db, Filters(period="2021-22", yjs="Testshire", ethnicity_group="Black"))
    assert found["custodial_sentence"] == (2, pytest.approx(200 / 3)) and found["open"][0] == 0
    split = compute_table(db, "remand-outcomes-by-group", by="age_band").table
    assert split["period"].unique().tolist() == ["2021-22"]  # the latest full year
    by_band = {(r.group, r.result): r.remands for r in split.itertuples()}
    # a2 is 12 (R2); the others 15.
    assert by_band[("10-14", "non_custodial_sentence")] == 1 and by_band[("10-14", "custodial_sentence")] == 0
    assert by_band[("15-17", "custodial_sentence")] == 2 and by_band[("15-17", "open")] == 1
    assert set(split["group"]) == {"10-14", "15-17"}


def test_outcomes_are_by_financial_year(db):
    with pytest.raises(InvalidFilter, match="by financial year"):
        compute_table(db, "remand-outcomes", Filters(period="2021-22 Q2", yjs="Testshire"))
    ignored = compute(db, "remand-outcomes", Filters(period="2021-22", by_quarter=True), scope=EVERYONE.scope)
    assert ignored.ignored == ("by_quarter",)


def test_a_split_whose_ended_total_is_shown_never_has_one_withheld_part(db):
    found = outcomes(db, Filters(period="2020-21", yjs="Testshire"), suppressed=True)
    # 18 ended: no conviction (2) is withheld, so the next smallest part (6) goes too, both with their share;
    # the 10 custodial stay, and so does their share (10 / 18), from which the ended total follows.
    assert found["custodial_sentence"] == (10, pytest.approx(1000 / 18))
    assert pd.isna(found["non_custodial_sentence"][0]) and pd.isna(found["non_custodial_sentence"][1])
    assert pd.isna(found["no_conviction"][0]) and pd.isna(found["no_conviction"][1])
    assert found["open"][0] == 0


def test_a_small_open_count_withholds_the_total_of_remands_not_the_shares(db):
    """2019-20: 20 remands to youth detention, 18 ended, 2 open. Shown, the 20 would give the 2 away
    (20 minus the ended total every share gives): the 20 is withheld on the remands table instead."""
    found = outcomes(db, Filters(period="2019-20", yjs="Testshire"), suppressed=True)
    assert found["custodial_sentence"] == (8, pytest.approx(800 / 18))
    assert found["non_custodial_sentence"] == (5, pytest.approx(500 / 18))
    assert found["no_conviction"] == (5, pytest.approx(500 / 18))
    assert pd.isna(found["open"][0])
    remands = compute_table(db, "remands", Filters(period="2019-20", yjs="Testshire"), suppressed=True)
    row = remands.table["remand_type"] == DETENTION
    assert remands.withheld.loc[row, "remands"].all() and remands.withheld.loc[row, "children"].all()
    unsuppressed = compute_table(db, "remands", Filters(period="2019-20", yjs="Testshire")).table
    assert unsuppressed.loc[unsuppressed["remand_type"] == DETENTION, "remands"].item() == 20


def test_a_service_without_a_remands_file_has_no_rows_and_a_note(db):
    table = compute_table(db, "remands", Filters(period="2021-22")).table
    assert set(table["yjs"]) == {"Testshire"}  # never Otherton with 0
    combined = compute_table(db, "remand-outcomes", Filters(period="2021-22"), combine=True).table
    assert combined.set_index("result").loc["custodial_sentence", "remands"] == 2  # Testshire's only
    notes = measure("remand-outcomes").notes(db, Filters(period="2021-22"), EVERYONE.scope)
    assert notes == [
        "Remands are not in this extract for Otherton (no remands file was loaded): the remand "
        "figures cover Testshire only."
    ]
    assert measure("remands").notes(db, Filters(yjs="Testshire"), EVERYONE.scope) == []
    assert compute_table(db, "remands", Filters(period="2021-22", yjs="Otherton")).table.empty


def _stage(db, base="population", filters=TESTSHIRE):
    return compute(
        db, "disproportionality", filters, scope=EVERYONE.scope, suppressed=False, base=base
    ).table.set_index(["stage", "group"])


def _log_interval(a, n1, c, n2):
    rri = (a / n1) / (c / n2)
    spread = 1.96 * math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rri, math.exp(math.log(rri) - spread), math.exp(math.log(rri) + spread)


def test_the_remand_stage_against_the_population(db):
    t = _stage(db)
    # Distinct children remanded to youth detention in 2021-22: Black a1 (twice), a2 = 2; White a3-a5 = 3.
    assert t.loc[("remand", "Black"), "count"] == 2 and t.loc[("remand", "White"), "count"] == 3
    row = t.loc[("remand", "Black")]
    assert row["base"] == 200 and row["rate_per_1000"] == pytest.approx(10)
    assert (row["rri"], row["ci_low"], row["ci_high"]) == pytest.approx(_log_interval(2, 200, 3, 1000))
    stages = list(dict.fromkeys(t.index.get_level_values("stage")))
    assert stages == ["population", "offence", "diversion", "pre_court", "remand", "court", "custody"]


def test_the_remand_stage_against_the_offence_stage(db):
    t = _stage(db, base="previous")
    row = t.loc[("remand", "Black")]
    assert row["base"] == 4 and t.loc[("remand", "White"), "base"] == 10  # children who offended
    assert row["rate_per_1000"] == pytest.approx(500)
    assert (row["rri"], row["ci_low"], row["ci_high"]) == pytest.approx(_log_interval(2, 4, 3, 10))


def test_the_remand_stage_is_left_out_while_a_service_chosen_has_no_remands(db):
    stages = set(_stage(db, filters=Filters(period="2021-22")).index.get_level_values("stage"))
    assert "remand" not in stages and "offence" in stages
    notes = measure("disproportionality").notes(db, Filters(period="2021-22"), EVERYONE.scope)
    assert notes == [
        "Remands are not in this extract for Otherton (no remands file was loaded), so the remand "
        "stage is not shown: choose a service whose extract has them."
    ]
    assert measure("disproportionality").notes(db, Filters(yjs="Testshire"), EVERYONE.scope) == []
