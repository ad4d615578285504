"""Confidence intervals for published comparisons, and the rule that reads them against a reference.

Pure arithmetic, no database: the methods public health and justice statisticians use for area
comparisons (PHE's "Technical guide: confidence intervals", the Fingertips tools).

- A rate with a count of events: exact Poisson limits (Garwood 1936), from chi-squared quantiles,
  so they stay right for the small counts of a small service (0 events still has an upper limit).
- A percentage with a base: Wilson's score interval, which stays inside 0-100 and behaves at 0 and
  at the base, where the simple normal interval collapses to a point.
- ``compared_with``: 'higher' or 'lower' when the whole interval lies on one side of the reference,
  'similar' when it contains it; no interval, no reading.
"""

from __future__ import annotations

import math
from statistics import NormalDist

LEVEL = 0.95


def rate_interval(count: float | None, population: float | None, per: float,
                  level: float = LEVEL) -> tuple[float, float] | None:
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


def proportions_differ(count: float, base: float, other_count: float, other_base: float,
                       level: float = LEVEL) -> bool | None:
    """Whether two shares (count / base) differ by more than chance would at ``level``: the pooled two-sample
    test of proportions (a z-test, as YJB and DfE comparisons of two periods use). None without two bases."""
    if not (base and other_base) or base <= 0 or other_base <= 0:
        return None
    pooled = (count + other_count) / (base + other_base)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / base + 1 / other_base))
    if spread == 0:
        return count / base != other_count / other_base
    return abs(count / base - other_count / other_base) / spread > NormalDist().inv_cdf(1 - (1 - level) / 2)
