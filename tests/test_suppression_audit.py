"""Suppression audit: every number a board member can reach, and whether any withheld cell can be
worked out from the others.

A board member sees one service's whole-service figures (no drill-down) for any financial year or
quarter, by year or by quarter, on every page, in hover text, tables and downloads (all of them show a
measure's suppressed table; the figure builders draw nothing else). This collects every cell of every
such table and checks that
- a cell is the same everywhere it appears: withheld in every view or shown with one value;
- no total a reader can see is left with exactly one withheld part: a year and its four quarters,
  a tier and its disposal types.
The data is a small synthetic extract, so there are many small counts to hide.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest

from dashboard.access import Scope
from dashboard.db import Database
from dashboard.filters import Filters, has_begun, period_label
from dashboard.ingest import build_demo
from dashboard.metrics import compute, filter_options

HIDDEN = "c"
#: (label, metric, page settings, row keys, cells): the tables the pages show.
VIEWS = [
    ("fte", "fte", {}, ["yjs"], ["fte", "fte_knife_or_weapon", "rate_per_100000"]),
    ("fte", "fte", {"combine": True}, [], ["fte", "fte_knife_or_weapon", "rate_per_100000"]),
    ("disposals", "disposals", {}, ["disposal_type", "tier"], ["count"]),
    ("tiers", "disposals", {"breakdown": "tier"}, ["tier"], ["count"]),
    ("referrals by age", "referrals", {"breakdown": "referral_source,age"}, ["referral_source", "age"], ["count"]),
    ("referrals by area", "referrals", {"breakdown": "locality"}, ["locality"], ["count"]),
    ("reoffending", "programme-reoffending", {}, ["window"], ["children_at_risk", "children_offended", "offences"]),
]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """cell -> every value shown for it (HIDDEN when withheld), over every view a board member has."""
    path = tmp_path_factory.mktemp("audit") / "small.duckdb"
    build_demo(path, children=700, progress=lambda message: None)
    db = Database.open(path)
    options = filter_options(db)
    board = Scope((options["yjs"][0],), drill_down=False)
    years = options["years"][-3:]
    taken = options["as_of"][options["yjs"][0]]
    periods = [None, *map(period_label, years),
               *[period_label(y, q) for y in years for q in (1, 2, 3, 4) if has_begun(y, q, taken)]]
    cells: dict = defaultdict(set)
    true_small = 0
    for label, metric, settings, keys, columns in VIEWS:
        for period in periods:
            for by_quarter in (False, True):
                result = compute(db, metric, Filters(period=period, by_quarter=by_quarter), scope=board, **settings)
                raw = compute(db, metric, Filters(period=period, by_quarter=by_quarter), scope=board,
                              suppressed=False, **settings).table
                true_small += int(raw[[c for c in columns if c in ("fte", "count")]].isin([1, 2, 3, 4]).sum().sum())
                when = "cohort" if "cohort" in result.table else "period"
                for i, row in result.table.iterrows():
                    for column in columns:
                        shown = HIDDEN if result.withheld.at[i, column] else row[column]
                        # A reoffending cohort is the children whose first programme in the chosen period
                        # started then: a different group for each period chosen.
                        view = f"{label} in {period or 'all years'}" if metric == "programme-reoffending" else label
                        cells[(view, row[when], *[row[k] for k in keys], column)].add(
                            HIDDEN if shown is HIDDEN or pd.isna(shown) else round(float(shown), 6))
    return cells, true_small


def test_the_audit_sees_many_small_cells(published):
    cells, true_small = published
    assert true_small > 50 and sum(HIDDEN in v for v in cells.values()) > 50


def test_every_cell_is_the_same_in_every_view(published):
    cells, _ = published
    inconsistent = {k: v for k, v in cells.items() if len(v) > 1}
    assert inconsistent == {}


def _value(cells, key):
    found = cells.get(key)
    return None if found is None else next(iter(found))


def _lone_hidden_parts(cells, parent_key, part_keys) -> bool:
    """A shown total with exactly one withheld part, all parts present: that part is recoverable."""
    if _value(cells, parent_key) in (None, HIDDEN):
        return False
    parts = [_value(cells, k) for k in part_keys]
    return None not in parts and parts.count(HIDDEN) == 1


def test_no_year_has_exactly_one_withheld_quarter(published):
    cells, _ = published
    leaks = [key for key in cells if " Q" not in str(key[1]) and
             _lone_hidden_parts(cells, key, [(key[0], f"{key[1]} Q{q}", *key[2:]) for q in (1, 2, 3, 4)])]
    assert leaks == []


def test_no_tier_has_exactly_one_withheld_disposal_type(published):
    cells, _ = published
    types = defaultdict(list)
    for key in cells:
        if key[0] == "disposals":
            types[(key[1], key[3])].append(key)                 # (period, tier) -> its types
    leaks = [key for key in cells if key[0] == "tiers" and _lone_hidden_parts(cells, key, types[(key[1], key[2])])]
    assert leaks == []
