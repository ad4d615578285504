"""metrics/lattice.py: a measure's cells protected once per viewer, each view's mask looked up there.
Masks worked out by hand on a small extract (disposals: quarters within the year, types within tiers)."""

from __future__ import annotations

import contextlib
import dataclasses

import pandas as pd
import pytest

from dashboard.access import EVERYONE, Scope
from dashboard.db import QueryTooLarge, Results, Snapshot
from dashboard.filters import Filters
from dashboard.metrics import compute, disposals, lattice, validate

from ..extracts import child

#: (disposal type, start date, programmes): 2021-22 Q1 is April to June, Q2 July to September.
STARTS = [
    ("YOUTH_CAUTION", "2021-05-01", 6),
    ("YOUTH_CAUTION", "2021-08-01", 2),
    ("YOUTH_CONDITIONAL_CAUTION", "2021-05-01", 5),
    ("YOUTH_CONDITIONAL_CAUTION", "2021-08-01", 5),
    ("REFERRAL_ORDER", "2021-05-01", 7),
]
PROGRAMMES = [
    dict(
        programme_id=f"p{kind}{day}{i}",
        child_id=f"c{kind}{day}{i}",
        disposal_type=kind,
        referral_date=day,
        start_date=day,
    )
    for kind, day, n in STARTS
    for i in range(n)
]
CHILDREN = [child(p["child_id"], "2006-01-01", sex="female" if i % 2 else "male") for i, p in enumerate(PROGRAMMES)]
BOARD = Scope(("Testshire",), drill_down=False)


@pytest.fixture(scope="module")
def db(build_database):
    return build_database("lattice", children=CHILDREN, programmes=PROGRAMMES, as_of="2022-03-31")


def _withheld(result, *keys):
    return {
        tuple(r[k] for k in keys) for (_, r), hidden in zip(result.table.iterrows(), result.withheld["count"]) if hidden
    }


def test_a_small_count_takes_a_rectangle_of_quarters_and_types_with_it(db):
    """Youth cautions in Q2: 2 (primary). Its tier in Q2 (Pre-court: 2 and 5) then holds one withheld type,
    so the conditional cautions' 5 go; its year (6 and 2) holds one withheld quarter, so Q1's 6 go; the
    conditional cautions' year (5 and 5) then holds one, so their Q1 5 go. Every total now has two
    withheld parts or none, and the four cells move together (+1, -1, -1, +1): nothing more."""
    quarters = compute(db, "disposals", Filters(period="2021-22", by_quarter=True), scope=BOARD)
    assert _withheld(quarters, "period", "disposal_type") == {
        ("2021-22 Q1", "YOUTH_CAUTION"),
        ("2021-22 Q2", "YOUTH_CAUTION"),
        ("2021-22 Q1", "YOUTH_CONDITIONAL_CAUTION"),
        ("2021-22 Q2", "YOUTH_CONDITIONAL_CAUTION"),
    }
    year = compute(db, "disposals", Filters(period="2021-22"), scope=BOARD)
    assert _withheld(year, "disposal_type") == set()
    assert year.table.set_index("disposal_type")["count"].to_dict() == {
        "YOUTH_CAUTION": 8,
        "YOUTH_CONDITIONAL_CAUTION": 10,
        "REFERRAL_ORDER": 7,
    }
    tiers = compute(db, "disposals", Filters(period="2021-22", by_quarter=True), scope=BOARD, breakdown="tier")
    assert _withheld(tiers, "period", "tier") == set()
    assert tiers.table.set_index(["period", "tier"])["count"].to_dict()[("2021-22 Q2", "Pre-court")] == 7


def test_one_quarter_on_its_own_is_withheld_as_in_its_year(db):
    alone = compute(db, "disposals", Filters(period="2021-22 Q2"), scope=BOARD)
    assert _withheld(alone, "disposal_type") == {("YOUTH_CAUTION",), ("YOUTH_CONDITIONAL_CAUTION",)}


def test_the_numbers_are_the_unsuppressed_ones_where_shown(db):
    for filters in (Filters(period="2021-22", by_quarter=True), Filters(), Filters(sex="female")):
        shown = compute(db, "disposals", filters, scope=EVERYONE.scope)
        raw = compute(db, "disposals", filters, scope=EVERYONE.scope, suppressed=False)
        kept = ~shown.withheld["count"]
        assert shown.table.loc[kept, "count"].astype(int).tolist() == raw.table.loc[kept, "count"].tolist()


def test_the_command_lines_combined_filters_withhold_every_cell_the_web_withholds(db):
    """Sex and an ethnic group together are not a web view: their lattice is protected on top of the
    web's, so every cell the web withholds stays withheld in it. (A disposal type with either is one: the
    type is a value of the page's own breakdown.)"""
    filters = Filters(period="2021-22", sex="female", ethnicity_group="White")
    combined = compute(db, "disposals", filters, scope=EVERYONE.scope)
    raw = compute(db, "disposals", filters, scope=EVERYONE.scope, suppressed=False)
    assert raw.table["count"].sum() == 12 and combined.withheld["count"].any()  # the odd-numbered children
    options = {"years": [2021, 2022], "yjs": ["Testshire"]}
    resolved = dataclasses.replace(validate(db, "disposals", filters, scope=EVERYONE.scope), suppressed=True)
    # One service: the service is a fixed column (as lattice.located makes it).
    one = dataclasses.replace(
        disposals.CELLS,
        views=(("quarter", "disposal"),),
        fixed=("fy", "yjs"),
        dimensions=tuple(d for d in disposals.CELLS.dimensions if d.name != "yjs"),
    )
    web = lattice._protected(db, one, resolved, options, None)
    wider = lattice._protected(db, one, resolved, options, ("quarter", "disposal", "sex", "ethnicity_group"))
    assert len(wider.cells) > len(web.cells)
    found = wider.index.find(web.cells[wider.index.columns])
    assert (found >= 0).all()
    assert (wider.mask["count"].to_numpy()[found] >= web.mask["count"].to_numpy()).all()
    assert web.mask["count"].any()


class _OneSetAtATime:
    """The database as a worker short of memory sees it: a query of more than one grouping set is too
    large (as DuckDB's memory limit makes it for every service at national scale); nothing is kept."""

    def __init__(self, db):
        self.db, self.refused = db, 0

    @contextlib.contextmanager
    def snapshot(self):
        with self.db.snapshot() as snap:

            def run(sql, params):
                if "GROUPING SETS" in sql and sql.count("), (") > 0:
                    self.refused += 1
                    raise QueryTooLarge("Out of Memory Error")
                return snap.query(sql, params)

            yield Snapshot(run, Results(0), ("one set at a time", snap.version))

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_a_lattice_too_large_for_memory_is_counted_a_few_sets_at_a_time_with_the_same_cells(db):
    """Halving the grouping sets of a query the database refuses for memory changes no cell and no mark."""
    small = _OneSetAtATime(db)
    for scope in (BOARD, EVERYONE.scope):
        asked = Filters(period="2021-22", by_quarter=True)
        expected = compute(db, "disposals", asked, scope=scope)
        found = compute(small, "disposals", asked, scope=scope)
        pd.testing.assert_frame_equal(found.table, expected.table)
        pd.testing.assert_frame_equal(found.withheld, expected.withheld)
    assert small.refused > 0
