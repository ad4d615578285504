"""Confidence intervals for published comparisons, and the rule that reads them against a reference.

Pure arithmetic, no database: the methods public health and justice statisticians use for area
comparisons (PHE's "Technical guide: confidence intervals", the Fingertips tools).

- A rate with a count of events: exact Poisson limits (Garwood 1936), from chi-squared quantiles,
  so they stay right for the small counts of a small service (0 events still has an upper limit).
- A percentage with a base: Wilson's score interval, which stays inside 0-100 and behaves at 0 and
  at the base, where the simple normal interval collapses to a point.
- The difference of two percentages: Newcombe's hybrid score interval (his method 10, 1998), built
  from the two Wilson intervals, so it too behaves at 0 and at the base.
- ``compared_with``: 'higher' or 'lower' when the whole interval lies on one side of the reference,
  'similar' when it contains it; no interval, no reading.
- A funnel plot's control limits: the exact Poisson limits of the count expected at the reference rate
  for each population (``funnel_limits``), at 95% and 99.8% (about two and three standard deviations),
  and where an observed count falls against them (``funnel_reading``).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

LEVEL = 0.95
#: A funnel plot's two pairs of control limits.
FUNNEL_LEVELS = (0.95, 0.998)


def rate_interval(
    count: float | None, population: float | None, per: float, level: float = LEVEL
) -> tuple[float, float] | None:
    """Exact Poisson limits of ``count / population * per``; None without a count or a population.

    The lower limit of 0 events is 0. ``count`` may be an expected (fractional) count: the limits
    around England's rate at a given population are a funnel plot's control limits."""
    if count is None or population is None or math.isnan(count) or not population > 0 or count < 0:
        return None
    tail = (1 - level) / 2
    from scipy.special import gammaincinv  # here: scipy takes most of a second to import

    # chi2.ppf(q, 2k) / 2 is the gamma(k) quantile: gammaincinv(k, q).
    low = 0.0 if count == 0 else float(gammaincinv(count, tail))
    high = float(gammaincinv(count + 1, 1 - tail))
    return low / population * per, high / population * per


def percent_interval(count: float | None, base: float | None, level: float = LEVEL) -> tuple[float, float] | None:
    """Wilson score limits of ``count / base * 100``; None without a count or with a base of 0."""
    if count is None or base is None or math.isnan(count) or not base > 0 or not 0 <= count <= base:
        return None
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p, zz = count / base, z * z
    centre = p + zz / (2 * base)
    spread = z * math.sqrt(p * (1 - p) / base + zz / (4 * base * base))
    # At 0 and at the base the limits are exactly 0 and 100 (the formula leaves rounding dust).
    low = 0.0 if count == 0 else (centre - spread) / (1 + zz / base) * 100
    high = 100.0 if count == base else (centre + spread) / (1 + zz / base) * 100
    return low, high


def difference_interval(
    count: float | None, base: float | None, other_count: float | None, other_base: float | None, level: float = LEVEL
) -> tuple[float, float, float] | None:
    """``count / base`` minus ``other_count / other_base``, in percentage points, with Newcombe's
    hybrid score limits; None where either percentage has no Wilson interval."""
    first, second = percent_interval(count, base, level), percent_interval(other_count, other_base, level)
    if first is None or second is None:
        return None
    p1, p2 = count / base * 100, other_count / other_base * 100
    (l1, u1), (l2, u2) = first, second
    difference = p1 - p2
    return (
        difference,
        difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def compared_with(value_low: float | None, value_high: float | None, reference: float | None) -> str | None:
    """'higher', 'lower' or 'similar' (the interval contains the reference); None without an interval
    or a reference."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (value_low, value_high, reference)):
        return None
    if value_low > reference:
        return "higher"
    if value_high < reference:
        return "lower"
    return "similar"


def published_rate_interval(value, count, population, per) -> tuple[float, float] | None:
    """A published rate's 95% limits from its count: the count's exact limits scaled by value / count, so a
    published (rounded) rate sits inside its own interval whatever population its publisher divided by.
    A count of 0 needs the population for its upper limit; a percentage (``per`` None) or a rate without
    a count has none."""
    if not per or pd.isna(value) or pd.isna(count):
        return None
    if count == 0:
        return None if pd.isna(population) else rate_interval(0, float(population), per)
    low, high = rate_interval(float(count), 1, 1)
    return low * value / count, high * value / count


def funnel_limits(reference: float, per: float, populations) -> pd.DataFrame:
    """The control limits around ``reference`` (a rate ``per`` children) at each population: the exact
    Poisson limits of the count expected there (reference / per * population), as rates. Columns
    ``population``, ``low_998``, ``low_95``, ``high_95``, ``high_998``."""
    rows = []
    for population in populations:
        expected = reference / per * population
        (low_95, high_95), (low_998, high_998) = (
            rate_interval(expected, population, per, level) for level in FUNNEL_LEVELS
        )
        rows.append((population, low_998, low_95, high_95, high_998))
    return pd.DataFrame(rows, columns=["population", "low_998", "low_95", "high_95", "high_998"], dtype="float64")


def funnel_reading(count, population, reference, per) -> str | None:
    """Where an area's count falls against the funnel around ``reference`` at its population: 'above the
    99.8% limit', 'above the 95% limit', 'within the limits', 'below the 95% limit' or 'below the 99.8%
    limit'; None without a count, a population or a reference."""
    if any(v is None or pd.isna(v) for v in (count, population, reference)) or not per or not population > 0:
        return None
    expected = float(reference) / per * float(population)
    observed = float(count) / float(population) * per
    for level, named in ((0.998, "99.8%"), (0.95, "95%")):  # the wider first
        low, high = rate_interval(expected, float(population), per, level)
        if observed > high:
            return f"above the {named} limit"
        if observed < low:
            return f"below the {named} limit"
    return "within the limits"


def population_grid(smallest: float, largest: float, points: int = 120) -> np.ndarray:
    """Populations spaced evenly on a log scale from ``smallest`` to ``largest``: where a funnel's limits are
    drawn (they bend most at small populations)."""
    return np.geomspace(max(smallest, 1.0), max(largest, smallest, 1.0), points)


def proportions_differ(
    count: float, base: float, other_count: float, other_base: float, level: float = LEVEL
) -> bool | None:
    """Whether two shares (count / base) differ by more than chance would at ``level``: the pooled two-sample
    test of proportions (a z-test, as YJB and DfE comparisons of two periods use). None without two bases."""
    if not (base and other_base) or base <= 0 or other_base <= 0:
        return None
    pooled = (count + other_count) / (base + other_base)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / base + 1 / other_base))
    if spread == 0:
        return count / base != other_count / other_base
    return abs(count / base - other_count / other_base) / spread > NormalDist().inv_cdf(1 - (1 - level) / 2)
