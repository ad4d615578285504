"""Filters: period parsing, validation against the data's values, plain-words description."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.filters import Filters, InvalidFilter, describe, parse_period, resolve

OPTIONS = {"yjs": ["Ashby Vale", "Northvale"], "localities": {"Northvale": ["East", "West"]},
           "all_localities": ["East", "West"], "programmes": ["Turnaround"], "years": [2019, 2020, 2021],
           "latest_complete_year": 2020, "published_yjs": ["Leeds"], "regions": ["Yorkshire"],
           "published_years": [2013, 2014]}


@pytest.mark.parametrize("text, expected", [
    ("2021-22", (date(2021, 4, 1), date(2022, 3, 31), False)),
    ("2021-22 Q1", (date(2021, 4, 1), date(2021, 6, 30), True)),
    ("2021-22 Q3", (date(2021, 10, 1), date(2021, 12, 31), True)),
    ("2021-22 Q4", (date(2022, 1, 1), date(2022, 3, 31), True)),
    ("1999-00", (date(1999, 4, 1), date(2000, 3, 31), False)),
])
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2021-23", "2021", "2021-22 Q5", "21-22", "2021-22Q1", "'; DROP TABLE child; --"])
def test_bad_periods_are_refused(text):
    with pytest.raises(InvalidFilter):
        parse_period(text)


def test_values_are_matched_case_insensitively_and_made_canonical():
    r = resolve(Filters(yjs="northvale", locality="west", sex="FEMALE", ethnicity_group="black"), "fte", OPTIONS)
    assert (r.filters.yjs, r.filters.locality, r.filters.sex, r.filters.ethnicity_group) == \
        ("Northvale", "West", "female", "Black")


@pytest.mark.parametrize("filters, message", [
    (Filters(yjs="Southvale"), "unknown YJS 'Southvale'; valid choices: Ashby Vale, Northvale"),
    (Filters(sex="boy"), "valid choices: male, female, unknown"),
    (Filters(yjs="Ashby Vale", locality="East"), "unknown locality 'East'; valid choices: (none in the data)"),
    (Filters(period="2011-12"), "valid financial years: 2019-20, 2020-21, 2021-22"),
    (Filters(date_from=date(2021, 5, 1), date_to=date(2021, 4, 1)), "is after"),
    (Filters(date_from=date(1066, 1, 1), date_to=date(2021, 4, 1)), "out of range"),
    (Filters(period="2021-22", date_from=date(2021, 5, 1), date_to=date(2021, 6, 1)), "not both"),
    (Filters(programme="Knitting"), "valid choices: Turnaround"),
])
def test_invalid_values_name_the_valid_choices(filters, message):
    with pytest.raises(InvalidFilter, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(filters, "fte" if not filters.programme else "disposals", OPTIONS)


def test_default_periods_and_quarters():
    assert resolve(Filters(), "fte", OPTIONS).labels() == ["2019-20", "2020-21", "2021-22"]
    assert resolve(Filters(), "disproportionality", OPTIONS, default_period="latest").labels() == ["2020-21"]
    quarters = resolve(Filters(date_from=date(2021, 3, 15), date_to=date(2021, 7, 1), by_quarter=True), "fte", OPTIONS)
    assert quarters.labels() == ["2020-21 Q4", "2021-22 Q1", "2021-22 Q2"]


def test_filters_that_do_not_apply_are_reported():
    r = resolve(Filters(programme="Turnaround", region="Yorkshire"), "fte", OPTIONS)
    assert set(r.ignored) == {"programme", "region"}


def test_describe_in_plain_words():
    r = resolve(Filters(period="2021-22", yjs="Northvale", locality="West", sex="female", age_band="15-17"),
                "fte", OPTIONS)
    assert describe(r) == "2021-22, Northvale (West), girls, aged 15-17"
