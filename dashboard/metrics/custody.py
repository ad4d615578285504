"""use-of-custody: custodial sentences, and children sentenced to custody per 1,000 aged 10-17."""

from __future__ import annotations

import pandas as pd

from ..disclosure import Dimension
from ..filters import Resolved
from . import lattice
from .common import Measure, label_periods, period_columns, rate, where
from .population import by_service, combined
from .sources import CUSTODIAL_SENTENCES

COLUMNS = ["period", "yjs", "custodial_sentences", "children", "population_10_17", "rate_per_1000"]
#: The children's filters that follow a sentence, not the child: a child may have sentences of two
#: disposal types, or in both age bands, within a period.
BY_SENTENCE = ("age_band", "disposal_type")


def _sentences(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per custodial sentence, for the lattice: sentences add up over quarters, services,
    disposal types and every group of children."""
    clause, params = where(resolved, "event_date", CUSTODIAL_SENTENCES)
    return (
        f"""
        SELECT fy, quarter, yjs, {CUSTODIAL_SENTENCES.columns(CUSTODIAL_SENTENCES.group_filters())}, 1 AS sentences
        FROM stage_event WHERE stage = 'custody' AND {clause}""",
        params,
    )


def _children(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """Children sentenced in each quarter and year, for the lattice (``lattice.children``)."""
    clause, params = where(resolved, "event_date", CUSTODIAL_SENTENCES)
    return lattice.children(
        CUSTODIAL_SENTENCES, "stage_event", "event_date", f"stage = 'custody' AND {clause}", params, ranked=ranked
    )


SENTENCES = lattice.Cells(
    rows=_sentences,
    counts=("sentences",),
    dimensions=(Dimension("quarter"), Dimension("yjs")),
    filters=CUSTODIAL_SENTENCES.group_filters(),
)
CHILDREN = lattice.Cells(
    rows=_children,
    counts=("children",),
    dimensions=(Dimension("yjs"),),
    fixed=("fy", "quarter"),
    filters=tuple(f for f in CUSTODIAL_SENTENCES.group_filters() if f not in BY_SENTENCE),
    apart=BY_SENTENCE,
)


def use_of_custody(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes of tier Custody dated in the period (the custody stage's events, so the two agree), and
    the distinct children they were given to; a child counts once per service and period."""
    clause, params = where(resolved, "event_date", CUSTODIAL_SENTENCES)
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, "fy", "quarter")}, yjs,
               count(*) AS custodial_sentences, count(DISTINCT child_id) AS children
        FROM stage_event WHERE stage = 'custody' AND {clause}
        GROUP BY 1, 2, 3""",
        params,
    )
    counts["period"] = label_periods(counts)
    table = by_service(db, resolved, options, counts, ["custodial_sentences", "children"])
    table["rate_per_1000"] = rate(table["children"], table["population_10_17"], 1000)
    table = table[COLUMNS]

    mask = lattice.withheld_with_children(
        db,
        (SENTENCES, "custodial_sentences", "sentences"),
        CHILDREN,
        resolved,
        options,
        table,
        {"children": ("children",), "rate_per_1000": ("children",)},
        combined(resolved),
    )
    mask["rate_per_1000"] |= mask["children"]
    return table, mask


MEASURES = [
    Measure(
        "use-of-custody",
        tuple(COLUMNS),
        use_of_custody,
        CUSTODIAL_SENTENCES.applies(),
        frozenset({"combine"}),
        summary="custodial sentences, and children sentenced to custody per 1,000 aged 10-17",
        order=9,
    )
]
