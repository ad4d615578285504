"""use-of-custody: custodial sentences, and children sentenced to custody per 1,000 aged 10-17."""

from __future__ import annotations

import pandas as pd

from .. import suppression
from ..filters import Resolved
from .common import Measure, Quarters, label_periods, period_columns, rate, where
from .population import by_service
from .sources import CUSTODIAL_SENTENCES

COLUMNS = ["period", "yjs", "custodial_sentences", "children", "population_10_17", "rate_per_1000"]


def use_of_custody(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes of tier Custody dated in the period (the custody stage's events, so the two agree), and
    the distinct children they were given to; a child counts once per service and period."""
    clause, params = where(resolved, "event_date", CUSTODIAL_SENTENCES)
    counts = db.query(f"""
        SELECT {period_columns(resolved, 'fy', 'quarter')}, yjs,
               count(*) AS custodial_sentences, count(DISTINCT child_id) AS children
        FROM stage_event WHERE stage = 'custody' AND {clause}
        GROUP BY 1, 2, 3""", params)
    counts["period"] = label_periods(counts)
    table = by_service(db, resolved, options, counts, ["custodial_sentences", "children"])
    table["rate_per_1000"] = rate(table["children"], table["population_10_17"], 1000)
    table = table[COLUMNS]
    # The services' rows add up to all of them together (the overview's figure), so no period may hold
    # one withheld service; a child's sentences are at least one, so a small count of sentences withholds
    # the children too.
    mask = suppression.withhold(table, ["custodial_sentences", "children"], margins=[["period"]],
                                dependents={"custodial_sentences": ["children"], "children": ["rate_per_1000"]})
    return table, mask


MEASURES = [Measure(
    "use-of-custody", tuple(COLUMNS), use_of_custody, CUSTODIAL_SENTENCES.applies(), frozenset({"combine"}),
    quarters=Quarters("period", ("yjs",), ("custodial_sentences", "children", "rate_per_1000")),
    summary="custodial sentences, and children sentenced to custody per 1,000 aged 10-17", order=9)]
