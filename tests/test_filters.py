"""Filters: period parsing, validation against the data's values, plain-words description."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.filters import Filters, InvalidFilter, describe, from_text, parse_period, parse_query, resolve, to_text
from dashboard.metrics import MEASURES

OPTIONS = {
    "yjs": ["Ashby Vale", "Northvale"],
    "localities": {"Northvale": ["East", "West"]},
    "all_localities": ["East", "West"],
    "programmes": ["Turnaround"],
    "years": [2019, 2020, 2021],
    "latest_complete_year": 2020,
    "published_yjs": ["Leeds"],
    "regions": ["Yorkshire"],
    "published_years": [2013, 2014],
}


FTE = MEASURES["fte"].filters


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-22", (date(2021, 4, 1), date(2022, 3, 31), False)),
        ("2021-22 Q1", (date(2021, 4, 1), date(2021, 6, 30), True)),
        ("2021-22 Q3", (date(2021, 10, 1), date(2021, 12, 31), True)),
        ("2021-22 Q4", (date(2022, 1, 1), date(2022, 3, 31), True)),
        ("1999-00", (date(1999, 4, 1), date(2000, 3, 31), False)),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2021-23", "2021", "2021-22 Q5", "21-22", "2021-22Q1", "'; DROP TABLE child; --"])
def test_bad_periods_are_refused(text):
    with pytest.raises(InvalidFilter):
        parse_period(text)


def test_values_are_matched_case_insensitively_and_made_canonical():
    r = resolve(Filters(yjs="northvale", locality="west", sex="FEMALE", ethnicity_group="black"), FTE, OPTIONS)
    assert (r.filters.yjs, r.filters.locality, r.filters.sex, r.filters.ethnicity_group) == (
        "Northvale",
        "West",
        "female",
        "Black",
    )


@pytest.mark.parametrize(
    "filters, message",
    [
        (Filters(yjs="Southvale"), "unknown YJS 'Southvale'; valid choices: Ashby Vale, Northvale"),
        (Filters(sex="boy"), "valid choices: male, female, unknown"),
        (Filters(yjs="Ashby Vale", locality="East"), "unknown locality 'East'; valid choices: (none in the data)"),
        (Filters(period="2011-12"), "valid financial years: 2019-20, 2020-21, 2021-22"),
        (Filters(date_from=date(2021, 5, 1), date_to=date(2021, 4, 1)), "is after"),
        (Filters(date_from=date(1066, 1, 1), date_to=date(2021, 4, 1)), "out of range"),
        (Filters(period="2021-22", date_from=date(2021, 5, 1), date_to=date(2021, 6, 1)), "not both"),
        (Filters(programme="Knitting"), "valid choices: Turnaround"),
    ],
)
def test_invalid_values_name_the_valid_choices(filters, message):
    with pytest.raises(InvalidFilter, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(filters, FTE if not filters.programme else MEASURES["disposals"].filters, OPTIONS)


def test_default_periods_and_quarters():
    assert resolve(Filters(), FTE, OPTIONS).labels() == ["2019-20", "2020-21", "2021-22"]
    assert resolve(Filters(), MEASURES["disproportionality"].filters, OPTIONS, default_period="latest").labels() == [
        "2020-21"
    ]
    quarters = resolve(Filters(date_from=date(2021, 3, 15), date_to=date(2021, 7, 1), by_quarter=True), FTE, OPTIONS)
    assert quarters.labels() == ["2020-21 Q4", "2021-22 Q1", "2021-22 Q2"]


def test_filters_that_do_not_apply_are_reported():
    assert resolve(Filters(programme="Turnaround"), FTE, OPTIONS).ignored == ("programme",)
    r = resolve(Filters(period="2021-22", by_quarter=True), MEASURES["disproportionality"].filters, OPTIONS)
    assert r.ignored == ("by_quarter",) and not r.by_quarter


def test_describe_in_plain_words():
    r = resolve(
        Filters(period="2021-22", yjs="Northvale", locality="West", sex="female", age_band="15-17"), FTE, OPTIONS
    )
    assert describe(r) == "2021-22, Northvale (West), girls, aged 15-17"


@pytest.mark.parametrize(
    "search, expected",
    [
        ("", Filters()),
        ("?period=2021-22+Q4&yjs=Northvale", Filters(period="2021-22 Q4", yjs="Northvale")),
        ("?by_quarter=1&sex=female&by=sex", Filters(by_quarter=True, sex="female")),  # a page setting is not a filter
        ("?by_quarter=no", Filters()),
    ],
)
def test_one_codec_reads_the_address(search, expected):
    assert from_text(parse_query(search)) == expected


def test_the_codec_writes_what_it_reads():
    filters = Filters(period="2021-22", by_quarter=True, yjs="Northvale", programme="Turnaround")
    assert to_text(filters) == {"period": "2021-22", "by_quarter": "1", "yjs": "Northvale", "programme": "Turnaround"}
    assert from_text(to_text(filters)) == filters


@pytest.mark.parametrize("search", ["?yjs=a&yjs=b", "?yjs=" + "x" * 201])
def test_the_address_may_not_repeat_a_key_or_give_a_long_value(search):
    with pytest.raises(InvalidFilter):
        parse_query(search)


@pytest.mark.parametrize("text", ["9999-00", "1066-67", "2101-02 Q1"])
def test_absurd_years_are_refused_plainly(text):
    with pytest.raises(InvalidFilter, match="out of range"):
        parse_period(text)
