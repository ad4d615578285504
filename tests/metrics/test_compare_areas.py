"""compare-areas: every service on one published indicator, ranked in quartile bands, with funnel readings.
Expected values are read by hand from the published files and worked out here with independent arithmetic."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from scipy.stats import chi2

from dashboard import cli
from dashboard.access import EVERYONE
from dashboard.filters import Filters, InvalidFilter
from dashboard.ingest import public
from dashboard.metrics import compute
from dashboard.metrics.compare_areas import quartile_bands
from dashboard.metrics.intervals import funnel_limits, funnel_reading

from .. import spec
from ..extracts import child
from ..published import REGIONS
from .test_benchmarks import england_fte, referral

PER_1000, PER_10000, FTE = "cautioned_or_sentenced_per_1000", "cautioned_or_sentenced_per_10000", "fte_rate_per_100000"


@pytest.fixture(scope="module")
def db(build_database):
    return build_database("compare_areas", children=[child("a", "2009-01-01")], programmes=referral("a"))


def areas(db, indicator=None):
    return compute(
        db, "compare-areas", Filters(), scope=EVERYONE.scope, **({"indicator": indicator} if indicator else {})
    ).table


def year(table, period, area_type="service"):
    return table[(table["period"] == period) & (table["area_type"] == area_type)].set_index("area")


@pytest.mark.parametrize(
    "values, bands",
    [
        ([10, 20, 30, 40], [1, 2, 3, 4]),
        ([5, 1, 3, 2], [4, 1, 3, 2]),
        # ranks 1..5 of 5: (r - 1) * 4 // 5 + 1 = 1, 1, 2, 3, 4
        ([1, 2, 3, 4, 5], [1, 1, 2, 3, 4]),
        # ties share the lower rank (1, 2, 2, 4, 5, 6, 7, 8), so 20 and 20 are both in the first quarter
        ([10, 20, 20, 30, 40, 50, 60, 70], [1, 1, 1, 2, 3, 3, 4, 4]),
        ([7.5], [1]),
    ],
)
def test_quartile_bands_are_quarters_of_the_ranking(values, bands):
    assert quartile_bands(pd.Series(values, dtype="float64")).tolist() == bands


def test_funnel_limits_are_exact_poisson_limits_of_the_expected_count():
    # England at 23 per 10,000; a service of 30,000 children expects 69 of them.
    limits = funnel_limits(23.0, 10_000, [30_000]).iloc[0]
    expected = 23.0 / 10_000 * 30_000
    assert limits["low_95"] == pytest.approx(chi2.ppf(0.025, 2 * expected) / 2 / 30_000 * 10_000, rel=1e-9)
    assert limits["high_95"] == pytest.approx(chi2.ppf(0.975, 2 * expected + 2) / 2 / 30_000 * 10_000, rel=1e-9)
    assert limits["low_998"] == pytest.approx(chi2.ppf(0.001, 2 * expected) / 2 / 30_000 * 10_000, rel=1e-9)
    assert limits["high_998"] == pytest.approx(chi2.ppf(0.999, 2 * expected + 2) / 2 / 30_000 * 10_000, rel=1e-9)
    # The funnel narrows as the population grows.
    small, large = funnel_limits(23.0, 10_000, [3_000, 300_000]).itertuples()
    assert small.high_95 - small.low_95 > large.high_95 - large.low_95


#: 69 children expected (23 per 10,000 of 30,000): the limits of the count, chi2.ppf(q, 2 * 69 + 2) / 2 above
#: and chi2.ppf(q, 2 * 69) / 2 below, worked out once: 99.8%: 46.15 to 98.73; 95%: 53.69 to 87.32.
FUNNEL_69 = {
    "low_998": chi2.ppf(0.001, 138) / 2,
    "low_95": chi2.ppf(0.025, 138) / 2,
    "high_95": chi2.ppf(0.975, 140) / 2,
    "high_998": chi2.ppf(0.999, 140) / 2,
}


@pytest.mark.parametrize(
    "count, words",
    [
        (69, "within the limits"),
        (87, "within the limits"),
        (54, "within the limits"),
        (88, "above the 95% limit"),
        (98, "above the 95% limit"),
        (99, "above the 99.8% limit"),
        (53, "below the 95% limit"),
        (47, "below the 95% limit"),
        (46, "below the 99.8% limit"),
    ],
)
def test_a_count_is_read_against_the_funnel_at_its_population(count, words):
    assert [round(v, 2) for v in FUNNEL_69.values()] == [46.15, 53.69, 87.32, 98.73]
    assert funnel_reading(count, 30_000, 23.0, 10_000) == words


def test_a_small_service_a_fifth_above_england_is_within_the_limits_where_a_large_one_is_not():
    # The same rate, 27.6 per 10,000 against England's 23: 8 of 2,900 children, and 828 of 300,000.
    assert funnel_reading(8, 2_900, 23.0, 10_000) == "within the limits"
    assert funnel_reading(828, 300_000, 23.0, 10_000) == "above the 99.8% limit"
    assert funnel_reading(None, 2_900, 23.0, 10_000) is None and funnel_reading(8, 2_900, 23.0, None) is None


def test_the_yjbs_services_are_ranked_with_exact_intervals_and_read_against_england_and_wales(db):
    rows = [
        r
        for r in csv.DictReader(public.LOCAL_RATES_2020_2022.open(encoding="utf-8"))
        if (r["financial_year"], r["level"], r["measure"]) == ("2021-22", "YJS", "children_cautioned_or_sentenced")
    ]
    rates = {r["yjs"]: int(r["number"]) / int(r["population_10_17"]) * 1000 for r in rows}
    table = areas(db, PER_1000)
    services = year(table, "2021-22")
    assert len(services) == len(rates) == 154
    leicester = services.loc["Leicester City"]
    assert leicester["rank"] == 1 + sum(rate < rates["Leicester City"] for rate in rates.values())
    assert leicester["out_of"] == 154
    assert leicester["quartile"] == (leicester["rank"] - 1) * 4 // 154 + 1
    assert (leicester["count"], leicester["population"]) == (109, 39944)
    assert leicester["ci_low"] == pytest.approx(chi2.ppf(0.025, 218) / 2 / 39944 * 1000)
    assert leicester["ci_high"] == pytest.approx(chi2.ppf(0.975, 220) / 2 / 39944 * 1000)
    # "2021-22,...,England and Wales,,13770,5650632": the rate the funnel is drawn around
    national = year(table, "2021-22", "england_and_wales").loc["England and Wales"]
    assert (national["count"], national["population"]) == (13770, 5650632)
    expected = 13770 / 5650632 * 39944
    high_95 = chi2.ppf(0.975, 2 * expected + 2) / 2
    low_95 = chi2.ppf(0.025, 2 * expected) / 2
    assert low_95 < 109 < high_95 and leicester["funnel"] == "within the limits"
    lowest = min(rates, key=rates.get)
    assert services.loc[lowest, ["rank", "quartile"]].tolist() == [1, 1]
    assert set(year(table, "2021-22", "region").index) == REGIONS
    assert (table["unit"] == "per 1,000 aged 10-17").all() and (table["period_basis"] == "financial_year").all()


def test_trafford_data_labs_areas_stand_for_their_services_and_ties_share_a_rank(db):
    table = areas(db, PER_10000)
    services = year(table, "2023-24")
    # "Per 10,000 aged 10-17", 2023/24: Solihull 12, Surrey 12, Bromley 14, Gloucestershire 14, Trafford 14,
    # Buckinghamshire 18, Cambridgeshire 21, Hertfordshire 25, Oxfordshire 28, Stockport 31
    shown = {
        r["area_name"]: float(r["value"])
        for r in csv.DictReader(public.TRAFFORD_CHILDREN.open(encoding="utf-8"))
        if r["period"] == "2023/24" and r["measure"] == "Per 10,000 aged 10-17" and r["area_type"] == "UA"
    }
    assert services["value"].to_dict() == shown
    assert services.loc["Trafford", ["rank", "out_of", "quartile", "region"]].tolist() == [3, 10, 1, "North West"]
    assert services.loc["Stockport", ["rank", "quartile"]].tolist() == [10, 4]
    assert services.loc["Buckinghamshire", "quartile"] == 3  # rank 6: (6 - 1) * 4 // 10 + 1
    assert (services["source"] == "trafford").all()
    england = year(table, "2023-24", "england").loc["England"]
    assert (england["value"], england["count"]) == (23, 12908)
    # Stockport, 93 of 29,345 children, against England's 12,908 of its population
    stockport = services.loc["Stockport"]
    expected = 12908 / england["population"] * stockport["population"]
    assert chi2.ppf(0.975, 2 * expected + 2) / 2 < 93 < chi2.ppf(0.999, 2 * expected + 2) / 2
    assert stockport["funnel"] == "above the 95% limit"


def test_2024_25_is_lait_for_every_authority_with_no_england_and_no_funnel(db):
    table = areas(db, PER_10000)
    latest = table[table["period"] == "2024-25"]
    assert set(latest["source"]) == {"lait"}
    assert set(latest["area_type"]) == {"service"}  # LAIT gives no England or regions
    assert latest[["count", "ci_low", "ci_high", "funnel"]].isna().all(axis=None)
    assert year(table, "2024-25").loc["Leicester City", "value"] == 29.7


def test_first_time_entrants_by_calendar_year_rank_english_services_against_englands_worked_out_rate(db):
    table = areas(db)  # first-time entrants by default
    assert set(table["measure"]) == {FTE} and set(table["period_basis"]) == {"calendar_year"}
    services = year(table, "2024")
    lait = {
        r["area_name"]: float(r["value"])
        for r in csv.DictReader(public.LAIT_INDICATORS.open(encoding="utf-8"))
        if (r["measure_code"], r["year"], r["level"]) == ("FirstYJS", "2024", "local_authority") and r["value"]
    }
    assert services.loc["Blackpool", "value"] == lait["Blackpool"] == max(services["value"])
    assert services.loc["Blackpool", ["rank", "quartile"]].tolist() == [len(services), 4]
    assert "Cardiff" not in services.index  # LAIT covers England only
    assert year(table, "2024", "england").loc["England", "value"] == pytest.approx(england_fte())
    assert table[["count", "ci_low", "ci_high", "funnel"]].isna().all(axis=None)
    assert year(table, "2024", "region").loc["East Midlands", "value"] == 98


def test_an_unknown_measure_names_the_valid_ones(db):
    with pytest.raises(InvalidFilter, match="unknown measure 'fte'; valid choices: fte_rate_per_100000"):
        areas(db, "fte")


def test_the_export_prints_one_indicator(db, capsys):
    assert cli.main(["export", "compare-areas", "--indicator", PER_10000, "--format", "json", "--db", db.location]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows[0]) == spec.columns("compare-areas")
    assert {r["period"] for r in rows} == {f"{y}-{(y + 1) % 100:02d}" for y in range(2014, 2025)}
