"""The interval arithmetic, against published worked examples and formulas written out here."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2

from dashboard.metrics.intervals import compared_with, difference_interval, percent_interval, rate_interval

#: Exact (Garwood) 95% limits for a Poisson count, as tabulated (e.g. PHE's technical guide to
#: confidence intervals; Ulm 1990): count -> (lower, upper).
PUBLISHED_POISSON = {
    0: (0.0, 3.6889),
    1: (0.0253, 5.5716),
    2: (0.2422, 7.2247),
    5: (1.6235, 11.6683),
    10: (4.7954, 18.3904),
}
#: Wilson score 95% limits, Newcombe (1998), Statistics in Medicine 17, table II, method 3.
PUBLISHED_WILSON = {
    (81, 263): (0.2553, 0.3662),
    (15, 148): (0.0624, 0.1605),
    (0, 20): (0.0, 0.1611),
    (1, 29): (0.0061, 0.1718),
}


@pytest.mark.parametrize("count", sorted(PUBLISHED_POISSON))
def test_poisson_limits_are_the_published_ones(count):
    low, high = rate_interval(count, 1, 1)
    assert (low, high) == pytest.approx(PUBLISHED_POISSON[count], abs=5e-5)


@pytest.mark.parametrize("count", [0, 1, 3, 17, 250])
def test_poisson_limits_are_the_chi_squared_quantiles_scaled_to_the_rate(count):
    # 12 events among 40,000 children per 100,000: the limits of the count, divided and scaled.
    low, high = rate_interval(count, 40_000, 100_000)
    expected_low = 0.0 if count == 0 else chi2.ppf(0.025, 2 * count) / 2
    expected_high = chi2.ppf(0.975, 2 * count + 2) / 2
    assert low == pytest.approx(expected_low / 40_000 * 100_000, rel=1e-9, abs=1e-12)
    assert high == pytest.approx(expected_high / 40_000 * 100_000, rel=1e-9)


def test_one_event_in_a_thousand_children_per_1000():
    low, high = rate_interval(1, 1000, 1000)
    assert (low, high) == pytest.approx((0.0253, 5.5716), abs=5e-5)


def test_no_interval_without_a_population_or_a_count():
    assert rate_interval(5, 0, 1000) is None
    assert rate_interval(5, None, 1000) is None
    assert rate_interval(None, 100, 1000) is None
    assert rate_interval(float("nan"), 100, 1000) is None


def test_a_99_8_percent_limit_is_wider_and_takes_the_fractional_expected_count():
    # A funnel plot's limits: England's rate at a service's population gives an expected count.
    narrow, wide = rate_interval(7.5, 5000, 1000), rate_interval(7.5, 5000, 1000, level=0.998)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]
    assert wide[1] == pytest.approx(chi2.ppf(0.999, 2 * 7.5 + 2) / 2 / 5000 * 1000, rel=1e-9)


def wilson_by_hand(x, n, z=1.959963984540054):
    p = x / n
    centre = (2 * n * p + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * n * p * (1 - p)) / (2 * (n + z * z))
    return (centre - half) * 100, (centre + half) * 100


@pytest.mark.parametrize("x,n", sorted(PUBLISHED_WILSON))
def test_wilson_limits_are_newcombes_worked_examples(x, n):
    low, high = percent_interval(x, n)
    expected = tuple(v * 100 for v in PUBLISHED_WILSON[x, n])
    assert (low, high) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("x,n", [(0, 1), (1, 1), (3, 10), (20, 20), (333, 1000)])
def test_wilson_limits_are_the_closed_formula(x, n):
    expected_low, expected_high = wilson_by_hand(x, n)
    low, high = percent_interval(x, n)
    assert low == pytest.approx(max(expected_low, 0), abs=1e-9)
    assert high == pytest.approx(min(expected_high, 100), abs=1e-9)


def test_all_or_none_stay_inside_0_to_100():
    assert percent_interval(0, 12)[0] == 0.0
    assert percent_interval(12, 12)[1] == 100.0


def test_no_percentage_interval_on_a_base_of_0_or_an_impossible_count():
    assert percent_interval(0, 0) is None
    assert percent_interval(None, 10) is None
    assert percent_interval(11, 10) is None


@pytest.mark.parametrize(
    "low,high,reference,expected",
    [
        (10.0, 20.0, 9.99, "higher"),
        (10.0, 20.0, 20.01, "lower"),
        (10.0, 20.0, 10.0, "similar"),  # a limit touching the reference still contains it
        (10.0, 20.0, 20.0, "similar"),
        (10.0, 20.0, 15.0, "similar"),
        (None, None, 15.0, None),
        (10.0, 20.0, None, None),
        (float("nan"), 20.0, 15.0, None),
    ],
)
def test_compared_with(low, high, reference, expected):
    assert compared_with(low, high, reference) == expected


@pytest.mark.parametrize(
    "counts,expected",
    [
        ((56, 70, 48, 80), (20.0, 5.24, 33.39)),  # Newcombe (1998), Table II, examples (a), (b), (d): method 10
        ((9, 10, 3, 10), (60.0, 17.05, 80.90)),
        ((5, 56, 0, 29), (8.93, -3.81, 19.26)),
    ],
)
def test_difference_of_two_percentages_as_newcombe_publishes(counts, expected):
    assert difference_interval(*counts) == pytest.approx(expected, abs=0.01)


def test_no_difference_interval_without_both_percentages():
    assert difference_interval(3, 10, 0, 0) is None
    assert difference_interval(None, 10, 3, 10) is None
