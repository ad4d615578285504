"""No data is not 0 (issue 13, item 3): a period the extract does not cover is null, one it covers with
nothing in it is 0, and quarters after the extract was taken are not periods at all. Worked out by hand
from two extracts of different dates loaded into one database."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.access import EVERYONE, Scope, scoped_options
from dashboard.db import Database
from dashboard.filters import Filters, InvalidFilter
from dashboard.ingest import ingest
from dashboard.metrics import compute, filter_options

from ..extracts import child, population_rows, write_extract

# Ashford, taken 30 June 2022: case records from 20 May 2020 (a referral), outcomes from 1 June 2020.
ASHFORD = dict(
    as_of="2022-06-30",
    children=[
        child("a1", "2006-01-01", yjs="Ashford"),
        child("a2", "2006-01-01", yjs="Ashford"),
        child("a3", "2007-01-01", yjs="Ashford"),
    ],
    outcomes=[
        dict(outcome_id="ua1", child_id="a1", outcome_date="2020-06-01", outcome_type="YOUTH_CAUTION"),
        dict(outcome_id="ua2", child_id="a2", outcome_date="2020-09-01", outcome_type="FINE"),
        dict(outcome_id="ua3", child_id="a3", outcome_date="2022-04-10", outcome_type="REFERRAL_ORDER"),
    ],
    programmes=[
        dict(
            programme_id="pa1",
            child_id="a1",
            disposal_type="YOUTH_CAUTION",
            referral_date="2020-05-20",
            start_date="2020-06-02",
        ),
        dict(
            programme_id="pa3",
            child_id="a3",
            disposal_type="REFERRAL_ORDER",
            referral_date="2022-04-12",
            start_date="2022-04-15",
        ),
    ],
    population=population_rows("Ashford", 2020) + population_rows("Ashford", 2021) + population_rows("Ashford", 2022),
)
# Bexton, taken 31 December 2021: outcomes and programmes from May 2021. Carbury, in the same extract,
# has programmes but no outcome at all.
BEXTON = dict(
    as_of="2021-12-31",
    children=[
        child("b1", "2006-01-01", yjs="Bexton"),
        child("b2", "2006-01-01", yjs="Bexton"),
        child("c1", "2009-01-01", yjs="Carbury"),
    ],
    outcomes=[
        dict(outcome_id="ub1", child_id="b1", outcome_date="2021-05-05", outcome_type="YOUTH_CAUTION"),
        dict(outcome_id="ub2", child_id="b2", outcome_date="2021-11-01", outcome_type="YOUTH_REHABILITATION_ORDER"),
    ],
    programmes=[
        dict(
            programme_id="pb1",
            child_id="b1",
            disposal_type="YOUTH_CAUTION",
            referral_date="2021-05-06",
            start_date="2021-05-10",
        ),
        dict(
            programme_id="pc1",
            child_id="c1",
            disposal_type="PREVENTION",
            referral_date="2021-06-01",
            start_date="2021-06-02",
        ),
    ],
    population=[*population_rows("Bexton", 2021), *population_rows("Carbury", 2021)],
)


@pytest.fixture(scope="module")
def db(database_at, tmp_path_factory):
    location = database_at("coverage")
    for name, extract in (("ashford", ASHFORD), ("bexton", BEXTON)):
        ingest(write_extract(tmp_path_factory.mktemp(name), **extract), location)
    return Database.open(location)


def _by(result, *keys):
    return {tuple(r[k] for k in keys): r for r in result.table.to_dict("records")}


def _fte(db, **settings):
    return compute(
        db, "fte", Filters(**settings.pop("filters", {})), scope=EVERYONE.scope, suppressed=False, **settings
    )


def test_the_years_offered_run_from_the_first_case_record_to_the_latest_as_of(db):
    options = filter_options(db)
    assert options["years"] == [2020, 2021, 2022] and options["latest_complete_year"] == 2021
    # Bexton's account: its records start in 2021-22 and stop at the end of 2021.
    assert scoped_options(options, ("Bexton",))["years"] == [2021]
    assert scoped_options(options, ("Bexton",))["latest_complete_year"] == 2020


def test_a_year_before_a_services_records_or_after_its_extract_is_no_data_and_one_with_none_is_0(db):
    rows = _by(_fte(db), "period", "yjs")
    assert rows["2020-21", "Ashford"]["fte"] == 2  # a1, a2
    assert rows["2021-22", "Ashford"]["fte"] == 0  # covered, nobody entered
    assert rows["2022-23", "Ashford"]["fte"] == 1  # a3
    assert pd.isna(rows["2020-21", "Bexton"]["fte"])  # before its first outcome
    assert pd.isna(rows["2020-21", "Bexton"]["rate_per_100000"])
    assert rows["2021-22", "Bexton"]["fte"] == 2
    assert pd.isna(rows["2022-23", "Bexton"]["fte"])  # after its extract was taken
    assert rows["2021-22", "Bexton"]["population_10_17"] == 960  # the population stays
    # No cell is marked withheld: no data is not a small number.
    assert not _fte(db).withheld.any().any()


def test_a_service_without_any_outcome_has_no_first_time_entrant_data(db):
    rows = _by(_fte(db), "period", "yjs")
    assert all(pd.isna(rows[period, "Carbury"]["fte"]) for period in ("2020-21", "2021-22", "2022-23"))


def test_every_service_together_is_no_data_where_any_of_them_is(db):
    combined = _by(_fte(db, combine=True), "period")
    assert pd.isna(combined[("2020-21",)]["fte"])  # Bexton not yet recording
    assert combined[("2021-22",)]["fte"] == 2  # 0 + 2; Carbury has no outcomes
    assert pd.isna(combined[("2022-23",)]["fte"])  # Bexton's extract has ended


def test_quarters_after_the_extract_was_taken_are_not_periods(db):
    quarters = _fte(db, filters={"yjs": "Ashford", "period": "2022-23", "by_quarter": True})
    assert quarters.table["period"].tolist() == ["2022-23 Q1"] and quarters.table["fte"].tolist() == [1]
    with pytest.raises(InvalidFilter, match="starts after the data, which runs to 30 June 2022"):
        _fte(db, filters={"period": "2022-23 Q2"})
    with pytest.raises(InvalidFilter, match="runs to 31 December 2021"):
        _fte(db, filters={"yjs": "Bexton", "period": "2022-23"})


def test_disposals_cover_the_years_of_the_programmes_records(db):
    def counts(**filters):
        result = compute(db, "disposals", Filters(**filters), scope=EVERYONE.scope, suppressed=False)
        return {(r["period"], r["disposal_type"]): r["count"] for r in result.table.to_dict("records")}

    bexton = counts(yjs="Bexton")
    assert pd.isna(bexton["2020-21", "YOUTH_CAUTION"]) and bexton["2021-22", "YOUTH_CAUTION"] == 1
    assert pd.isna(bexton["2022-23", "YOUTH_CAUTION"])
    every = counts()
    # Every service together: only 2021-22 is covered by all three; in it Ashford started nothing.
    assert every["2021-22", "YOUTH_CAUTION"] == 1 and every["2021-22", "REFERRAL_ORDER"] == 0
    assert every["2021-22", "PREVENTION"] == 1
    assert all(
        pd.isna(every[p, kind])
        for p in ("2020-21", "2022-23")
        for kind in ("PREVENTION", "YOUTH_CAUTION", "REFERRAL_ORDER")
    )


def test_a_scoped_viewer_gets_its_own_services_coverage(db):
    mine = compute(db, "fte", Filters(), scope=Scope(("Ashford",)), suppressed=False)
    assert mine.table["period"].tolist() == ["2020-21", "2021-22", "2022-23"]
    assert mine.table["fte"].tolist() == [2, 0, 1]
    assert date(2022, 6, 30) == filter_options(db)["as_of"]["Ashford"]
