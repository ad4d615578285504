"""The linear-programming attacker of the disclosure tests: what a reader who knows every shown figure
and every sum between them can pin each withheld count to."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def feasible_range(rows: list, rhs: list, unknown, at: dict) -> dict:
    """Each unknown's least and greatest value (counts are at least 0) under the equations ``rows`` x =
    ``rhs``, x the unknowns in the order ``at`` gives; an unbounded greatest is infinity."""
    out = {}
    for key in unknown:
        target = np.zeros(len(unknown))
        target[at[key]] = 1
        low = linprog(target, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-target, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        out[key] = (low.fun, -high.fun if high.status == 0 else np.inf)  # 3: no upper bound
    return out
