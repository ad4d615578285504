"""The disclosure-control engine: masks worked out by hand, properties on random lattices, and the
attacks of issue 12 written as an attacker would write them.

The attackers here are written from the published rules only: they build their own lines from the
cells' coordinates and never call the engine to find out what it hides."""

from __future__ import annotations

import functools
import itertools
import pickle

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlalchemy
from scipy.optimize import linprog

from dashboard.disclosure import (
    ALL,
    AT_RISK_DAYS,
    Dimension,
    crossings,
    from_grouping_sets,
    grouping_columns,
    grouping_sets,
    lines,
    protect,
    protect_curve,
)
from dashboard.metrics.reoffending import CURVE_COLUMNS, kaplan_meier

from .attacker import feasible_range

ROW, COL = Dimension("row"), Dimension("col")


# --- Helpers: lattices from leaf counts, and an attacker's own view of the lines -----------------------


def cube(leaves: dict[tuple, int], dimensions: list[Dimension], fixed: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every cell of the full cross of ``leaves`` with all its margins and hierarchy levels: the sum
    of the leaves under it (a leaf is keyed by its fixed values, then one value per dimension)."""
    frame = pd.DataFrame([(*key, n) for key, n in leaves.items()], columns=[*fixed, *(d.name for d in dimensions), "n"])
    ladders = []
    for d in dimensions:
        depth = max((len(_ancestors(d, v)) for v in frame[d.name]), default=0)
        ladders.append(range(depth + 1))
    cells = []
    for climb in itertools.product(*ladders):
        keys = frame[list(fixed)].copy()
        for d, up in zip(dimensions, climb):
            keys[d.name] = [_lift(d, v, up) for v in frame[d.name]]
        summed = (
            pd.concat([keys, frame["n"]], axis=1)
            .groupby([*fixed, *(d.name for d in dimensions)], dropna=False, sort=False)["n"]
            .sum()
        )
        cells.append(summed.reset_index())
    out = pd.concat(cells, ignore_index=True).drop_duplicates(subset=[*fixed, *(d.name for d in dimensions)])
    return out.reset_index(drop=True).astype({d.name: object for d in dimensions})


def _ancestors(d: Dimension, value) -> list:
    chain = []
    while value is not ALL:
        value = d.parents.get(value, ALL)
        chain.append(value)
    return chain


def _lift(d: Dimension, value, up: int):
    """``value`` raised ``up`` levels (ALL once past the top)."""
    chain = [value, *_ancestors(d, value)]
    return chain[min(up, len(chain) - 1)]


def attacker_lines(cells: pd.DataFrame, dimensions: list[Dimension], fixed=()) -> dict[tuple, list]:
    """(dimension, parent label) -> child labels, found from the coordinates alone."""
    names = [*fixed, *(d.name for d in dimensions)]
    coordinates = [
        tuple("<missing>" if v is not ALL and pd.isna(v) else v for v in row)
        for row in cells[names].itertuples(index=False)
    ]
    where = dict(zip(coordinates, cells.index))
    found: dict[tuple, list] = {}
    for label, row in zip(cells.index, coordinates):
        for i, d in enumerate(dimensions):
            value = row[len(fixed) + i]
            if value is ALL:
                continue
            parent = list(row)
            parent[len(fixed) + i] = d.parents.get(value, ALL)
            if tuple(parent) in where:
                found.setdefault((d.name, where[tuple(parent)]), []).append(label)
    return found


def lone_withheld(cells, hidden: pd.Series, found: dict) -> list:
    """Lines a reader can subtract: exactly one withheld cell, the parent included."""
    return [(line, kids) for line, kids in found.items() if hidden[line[1]] + hidden[kids].sum() == 1]


def ranges(cells: pd.DataFrame, hidden: pd.Series, found: dict, column: str = "n") -> dict:
    """Each withheld cell's smallest and largest value given every shown cell and every line's sum,
    counts at least 0 (scipy's linear programming)."""
    unknown = list(cells.index[hidden.to_numpy()])
    at = {label: i for i, label in enumerate(unknown)}
    rows, rhs = [], []
    for (_, parent), kids in found.items():
        members = [(parent, 1.0), *((k, -1.0) for k in kids)]
        if not any(hidden[m] for m, _ in members):
            continue
        row, known = np.zeros(len(unknown)), 0.0
        for m, sign in members:
            if hidden[m]:
                row[at[m]] += sign
            else:
                known -= sign * cells.at[m, column]
        rows.append(row)
        rhs.append(known)
    return feasible_range(rows, rhs, unknown, at)


def labelled(cells: pd.DataFrame, mask: pd.Series, *columns) -> set:
    """The coordinates of the withheld cells, for comparing with a hand-made list."""
    return {tuple(cells.loc[i, c] for c in columns) for i in cells.index[mask.to_numpy()]}


def two_by_two() -> pd.DataFrame:
    #        c1  c2 | ALL
    #   r1    2  10 |  12
    #   r2   20  30 |  50
    #  ALL   22  40 |  62
    return cube({("r1", "c1"): 2, ("r1", "c2"): 10, ("r2", "c1"): 20, ("r2", "c2"): 30}, [ROW, COL])


# --- The margin marker and dimensions ------------------------------------------------------------------


def test_all_is_one_object_equal_to_no_real_value_and_kept_by_pickling():
    assert ALL != "All" and ALL is not None and repr(ALL) == "ALL"
    assert pickle.loads(pickle.dumps(ALL)) is ALL
    assert pickle.loads(pickle.dumps(pd.Series([ALL, "All"], dtype=object)))[0] is ALL


def test_a_dimension_refuses_a_value_that_is_its_own_ancestor():
    with pytest.raises(ValueError, match="its own ancestor"):
        Dimension("disposal", {"A": "T1", "T1": "A"})


# --- Lines ----------------------------------------------------------------------------------------------


def test_lines_of_a_two_by_two_table_with_margins():
    cells = two_by_two()
    at = {(r, c): i for i, r, c in zip(cells.index, cells["row"], cells["col"])}
    found = lines(cells, [ROW, COL])
    got = {(d, p, c) for d, p, c in found.itertuples(index=False)}
    expected = {("col", at[(r, ALL)], at[(r, c)]) for r in ("r1", "r2", ALL) for c in ("c1", "c2")} | {
        ("row", at[(ALL, c)], at[(r, c)]) for r in ("r1", "r2") for c in ("c1", "c2", ALL)
    }
    assert got == expected and len(found) == 12


def test_a_parent_missing_from_the_lattice_forms_no_line():
    cells = pd.DataFrame({"row": ["r1", "r2"], "n": [2, 9]}, dtype=object)  # no ALL cell
    assert lines(cells, [ROW]).empty
    assert protect(cells, [ROW], ["n"])["n"].tolist() == [True, False]


# --- Masks worked out by hand ---------------------------------------------------------------------------


def test_two_by_two_one_small_cell_withholds_the_rectangle_and_no_margin():
    # r1,c1 = 2 is primary. Row r1 then holds one withheld cell: its smallest other, 10, goes; column
    # c1 likewise loses 20; column c2 now holds one (10) and loses 30; row r2 then holds two.
    cells = two_by_two()
    mask = protect(cells, [ROW, COL], ["n"])
    assert labelled(cells, mask["n"], "row", "col") == {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")}
    assert not mask.drop(columns="n").to_numpy().any()


def test_a_three_level_hierarchy_withholds_the_parent_when_no_child_can_go():
    # A, B -> T1; C, D -> T2; T1, T2 -> ALL.  A = 3 is primary; B may not be withheld (say a published
    # figure), so the tier T1 (9) goes instead; ALL (24) is shown, so T2 (15) must go with T1; T2's own
    # line then holds only its parent and loses its smallest child, C (7). D and ALL stay shown.
    disposal = Dimension("disposal", {"A": "T1", "B": "T1", "C": "T2", "D": "T2"})
    cells = cube({("A",): 3, ("B",): 6, ("C",): 7, ("D",): 8}, [disposal])
    mask = protect(cells, [disposal], ["n"], eligible=cells["disposal"] != "B")
    assert labelled(cells, mask["n"], "disposal") == {("A",), ("T1",), ("T2",), ("C",)}
    assert cells.set_index("disposal").loc[[ALL, "T1", "T2"], "n"].tolist() == [24, 9, 15]


def test_quarters_of_a_year_tie_goes_to_the_first_quarter_and_years_do_not_add_up():
    # 2023: quarters 2, 7, 9, 7 (year 25): Q1 is primary, Q2 and Q4 tie for smallest, Q2 comes first.
    # 2024: 5, 6, 7, 8: nothing small; the two years are never added up (fixed), so nothing goes.
    quarter = Dimension("quarter")
    leaves = {
        (2023, 1): 2,
        (2023, 2): 7,
        (2023, 3): 9,
        (2023, 4): 7,
        (2024, 1): 5,
        (2024, 2): 6,
        (2024, 3): 7,
        (2024, 4): 8,
    }
    cells = cube(leaves, [quarter], fixed=("year",))
    expected = {(2023, 1), (2023, 2)}
    mask = protect(cells, [quarter], ["n"], fixed=["year"])
    assert labelled(cells, mask["n"], "year", "quarter") == expected
    shuffled = cells.sample(frac=1, random_state=4)
    again = protect(shuffled, [quarter], ["n"], fixed=["year"])
    assert labelled(shuffled, again["n"], "year", "quarter") == expected


def test_a_small_complement_forces_a_second_withheld_cell():
    # 40 children; recorded: White 20, Black 9, Asian 8. "Not recorded" (3) is never shown, but a
    # reader could take it as 40 - 37; it is in the lattice, so it counts: Asian (8) goes with it.
    ethnicity = Dimension("ethnicity")
    cells = cube({("White",): 20, ("Black",): 9, ("Asian",): 8, ("not recorded",): 3}, [ethnicity])
    mask = protect(cells, [ethnicity], ["n"])
    assert labelled(cells, mask["n"], "ethnicity") == {("not recorded",), ("Asian",)}
    without = cells[cells["ethnicity"] != "not recorded"]
    assert not protect(without, [ethnicity], ["n"])["n"].any()  # the leak the complement closes


def test_cells_no_view_shows_are_preferred_as_second_cells():
    # 20 children: suitable 6, unsuitable 13, not recorded 1. The 1 is withheld and its line needs one more.
    # By size that is suitable (6), the figure a board reads; "unsuitable" is shown nowhere (a reader could
    # only work it out), so when preferred it goes instead, and suitable stays.
    answer = Dimension("answer")
    cells = cube({("suitable",): 6, ("unsuitable",): 13, ("not recorded",): 1}, [answer])
    assert labelled(cells, protect(cells, [answer], ["n"])["n"], "answer") == {("not recorded",), ("suitable",)}
    preferred = protect(cells, [answer], ["n"], prefer=cells["answer"] == "unsuitable")["n"]
    assert labelled(cells, preferred, "answer") == {("not recorded",), ("unsuitable",)}
    assert lone_withheld(cells, preferred, attacker_lines(cells, [answer])) == []


@pytest.mark.parametrize(
    "lines, together",
    [
        ([[-1, -1]], True),  # two children of one line move against each other
        ([[1, -1]], True),  # a parent and its child move together
        ([[-1, -1, 0], [0, -1, -1]], True),  # a chain of ties: x = -y, y = -z
        ([[-1, -1, 0], [0, -1, -1], [-1, 0, -1]], False),  # round a loop the ties contradict each other
        ([[-1, -1, -1]], False),  # a line holding three: left to the linear programme
        ([[-1, -1, 0], [0, 0, 1]], False),  # a line holding one: no pattern at all
    ],
)
def test_groups_whose_lines_each_tie_two_cells_need_no_linear_programme(lines, together):
    from scipy import sparse

    from dashboard.disclosure import _moves_together

    block = sparse.csr_matrix(np.array(lines, dtype=float))
    assert _moves_together(block) is together
    if together:  # the pattern it stands for: the linear programme finds every cell moving by 1
        found = linprog(-np.ones(block.shape[1]), A_eq=block, b_eq=np.zeros(block.shape[0]), bounds=(-1, 1))
        assert np.allclose(np.abs(found.x), 1)


def test_a_zero_is_withheld_only_when_nothing_else_can_go():
    # A = 3, B = 0, and the total (3) may not be withheld: the only other cell of the line is the zero.
    area = Dimension("area")
    cells = cube({("A",): 3, ("B",): 0, ("C",): 0}, [area])
    mask = protect(cells, [area], ["n"], eligible=cells["area"] != ALL)
    assert labelled(cells, mask["n"], "area") == {("A",), ("B",)}  # B comes before C


def test_dependants_follow_their_count_and_a_sub_count_is_a_lattice_of_its_own():
    # fte: A 3, B 20, C 30 (53): A primary, B (smallest) second. Knife or weapon (a sub-count) inherits
    # A and B, and is protected itself: C's 2 is primary there, so knife C is withheld too. The rate
    # goes with fte only.
    service = Dimension("yjs")
    cells = cube({("A",): 3, ("B",): 20, ("C",): 30}, [service])
    knife = {"A": 0, "B": 1, "C": 2, ALL: 3}
    cells["knife"] = cells["yjs"].map(knife)
    cells["rate"] = cells["n"] / 100
    mask = protect(cells, [service], ["n", "knife"], dependants={"n": ["knife", "rate"]})
    assert labelled(cells, mask["n"], "yjs") == {("A",), ("B",)}
    assert labelled(cells, mask["rate"], "yjs") == {("A",), ("B",)}
    assert labelled(cells, mask["knife"], "yjs") == {("A",), ("B",), ("C",), (ALL,)}


def test_cells_withheld_already_stay_withheld():
    # The analysts' larger lattice protected on top of the web's mask shows no cell the web withholds.
    cells = two_by_two()
    already = pd.DataFrame({"n": (cells["row"] == "r1") & (cells["col"] == ALL)})
    mask = protect(cells, [ROW, COL], ["n"], already=already)
    assert mask["n"][already["n"]].all()
    assert lone_withheld(cells, mask["n"], attacker_lines(cells, [ROW, COL])) == []


@pytest.mark.parametrize(
    "cells, problem",
    [
        (pd.DataFrame({"row": ["a", "a"], "n": [1, 2]}), "the same coordinates"),
        (pd.DataFrame({"n": [1]}), "no column row"),
        (pd.DataFrame({"row": ["a"], "n": [-1]}), "missing or negative"),
        (pd.DataFrame({"row": ["a"], "n": [None]}, dtype=object), "missing or negative"),
    ],
)
def test_a_lattice_that_cannot_be_protected_is_refused_plainly(cells, problem):
    with pytest.raises(ValueError, match=problem):
        protect(cells, [ROW], ["n"])


def test_counts_depending_on_each_other_in_a_circle_are_refused():
    cells = pd.DataFrame({"row": ["a"], "n": [1], "m": [1]})
    with pytest.raises(ValueError, match="circle"):
        protect(cells, [ROW], ["n", "m"], dependants={"n": ["m"], "m": ["n"]})


def test_a_lattice_with_too_many_distinct_coordinates_to_index_is_refused():
    n = 7000  # 7,000 ** 5 coordinates do not fit in 62 bits
    cells = pd.DataFrame({f"d{i}": np.arange(n) for i in range(5)} | {"n": np.ones(n, dtype=int)})
    with pytest.raises(ValueError, match="too many distinct coordinates"):
        protect(cells, [Dimension(f"d{i}") for i in range(5)], ["n"])


# --- Properties on random lattices ----------------------------------------------------------------------

AGE = Dimension("age", {10: "10-14", 11: "10-14", 12: "10-14", 15: "15-17", 16: "15-17"})
SHAPES = {  # name -> (dimensions, values of each, fixed values)
    "2 x 5": ([ROW, COL], [["r1", "r2"], ["c1", "c2", "c3", "c4", "c5"]], ()),
    "3 x 3 x 3": ([ROW, COL, Dimension("sex")], [["r1", "r2", "r3"], ["c1", "c2", "c3"], ["m", "f", None]], ()),
    "age hierarchy x 3, two years": ([AGE, COL], [[10, 11, 12, 15, 16], ["c1", "c2", "c3"]], [2023, 2024]),
    "4 dimensions": (
        [ROW, COL, Dimension("sex"), Dimension("area")],
        [["r1", "r2"], ["c1", "c2", "c3"], ["m", "f"], ["All", "North"]],
        (),
    ),
}


def random_lattice(shape: str, seed: int) -> tuple[pd.DataFrame, list[Dimension], tuple]:
    """A full lattice whose leaves are drawn with many small counts and some zeros."""
    dimensions, values, years = SHAPES[shape]
    rng = np.random.default_rng(seed)
    fixed = ("year",) if years else ()
    leaves = {}
    for key in itertools.product(*([years] if years else []), *values):
        leaves[key] = int(rng.poisson(rng.choice([1.5, 4, 12])) * (rng.random() > 0.2))
    return cube(leaves, dimensions, fixed), dimensions, fixed


CASES = [(shape, seed) for shape in SHAPES for seed in range(10)]  # seeds 4, 5, 6 and 9 need closing


@pytest.mark.parametrize("shape, seed", CASES)
def test_random_lattices_keep_every_promise(shape, seed):
    cells, dimensions, fixed = random_lattice(shape, seed)
    mask = protect(cells, dimensions, ["n"], fixed=list(fixed))
    hidden, n = mask["n"], cells["n"]
    assert lone_withheld(cells, hidden, attacker_lines(cells, dimensions, fixed)) == []
    assert hidden[(n >= 1) & (n <= 4)].all()  # every primary cell
    assert not hidden[n == 0].any()  # no zero: something else could go
    assert protect(cells, dimensions, ["n"], fixed=list(fixed), already=mask[["n"]]).equals(mask)  # idempotent
    shuffled = cells.sample(frac=1, random_state=seed)
    assert protect(shuffled, dimensions, ["n"], fixed=list(fixed)).loc[cells.index].equals(mask)


@pytest.mark.parametrize("seed", [6, 14])  # two lattices that need closing
def test_a_year_gets_the_same_mask_alone_and_in_a_lattice_of_several_years(seed):
    cells, dimensions, _ = random_lattice("age hierarchy x 3, two years", seed)
    together = protect(cells, dimensions, ["n"], fixed=["year"])["n"]
    for _, year in cells.groupby("year"):
        assert protect(year, dimensions, ["n"], fixed=["year"])["n"].equals(together[year.index])


def test_highs_called_directly_answers_every_programme_as_scipys_linprog_does(monkeypatch):
    """The engine poses its programmes to HiGHS itself; linprog(method="highs") is the reference: each
    programme of the random lattices and of a curve's numbers at risk, solved both ways, has the same solution."""
    import dashboard.disclosure as disclosure

    solved, posed = disclosure._highs, []

    def both(columns, cost, row_lower, row_upper, col_lower, col_upper):
        found = solved(columns, cost, row_lower, row_upper, col_lower, col_upper)
        bounds = [(low, None if np.isinf(high) else high) for low, high in zip(col_lower, col_upper)]
        equal = row_lower == row_upper  # every row is an equality or an upper bound
        rows = columns.tocsr()
        reference = linprog(
            cost,
            A_ub=rows[np.flatnonzero(~equal)] if (~equal).any() else None,
            b_ub=row_upper[~equal] if (~equal).any() else None,
            A_eq=rows[np.flatnonzero(equal)] if equal.any() else None,
            b_eq=row_upper[equal] if equal.any() else None,
            bounds=bounds,
            method="highs",
        )
        posed.append((found, reference))
        return found

    monkeypatch.setattr(disclosure, "_PROGRAMMES", disclosure._Programmes())
    monkeypatch.setattr(disclosure, "_highs", both)
    for shape, seed in CASES:
        cells, dimensions, fixed = random_lattice(shape, seed)
        protect(cells, dimensions, ["n"], fixed=list(fixed))
    closing = len(posed)
    protect_curve(many_small_steps(3, 400))
    assert closing > 20 and len(posed) > closing  # closing's programmes, then the curve's
    for found, reference in posed:
        assert (found is None) == (reference.status != 0)  # none (a cheapest pattern not there) or optimal
        assert found is None or (np.array_equal(found[0], reference.x) and found[1] == reference.fun)
    assert any(found is not None for found, _ in posed[closing:])


def test_random_lattices_have_many_small_cells_to_protect():
    withheld = [protect(c, d, ["n"], fixed=list(f))["n"].sum() for c, d, f in (random_lattice(*case) for case in CASES)]
    assert min(withheld) >= 4 and sum(withheld) > 200


# --- Attacks ---------------------------------------------------------------------------------------------


def web_lattice(records: pd.DataFrame, breakdown: list[str], filters: list[str]) -> pd.DataFrame:
    """What the views of the web show: the breakdown with each filter on its own, every margin."""
    frames = []
    for group in [breakdown, *([*breakdown, f] for f in filters)]:
        for kept in itertools.product([True, False], repeat=len(group)):
            by = [c for c, k in zip(group, kept) if k]
            counted = records.groupby(by, dropna=False).size() if by else pd.Series([len(records)])
            frame = counted.rename("n").reset_index() if by else counted.rename("n").to_frame()
            for column in [*breakdown, *filters]:
                if column not in by:
                    frame[column] = ALL
            frames.append(frame[[*breakdown, *filters, "n"]])
    cells = pd.concat(frames, ignore_index=True)
    return (
        cells.loc[~cells.drop(columns="n").astype(str).duplicated()]
        .reset_index(drop=True)
        .astype(dict.fromkeys([*breakdown, *filters], object))
    )


def differencing_attack(cells: pd.DataFrame, hidden: pd.Series, dimensions: list[Dimension]) -> dict:
    """The tester's attack: a shown total minus its other shown parts, over every pair of views
    ("all minus boys minus girls", "tier minus its types"): label -> the value it gives back."""
    recovered = {}
    for (_, parent), kids in attacker_lines(cells, dimensions).items():
        members = [parent, *kids]
        secret = [m for m in members if hidden[m]]
        if len(secret) == 1:
            parts = sum(cells.at[k, "n"] for k in kids if k != secret[0])
            recovered[secret[0]] = parts if secret[0] == parent else cells.at[parent, "n"] - parts
    return recovered


@pytest.fixture(scope="module")
def children():
    """Children of a small service: quarter, sex (with a few not recorded) and ethnic group."""
    rng = np.random.default_rng(12)
    n = 400
    return pd.DataFrame(
        {
            "quarter": rng.integers(1, 5, n),
            "sex": rng.choice(["male", "female", None], n, p=[0.7, 0.28, 0.02]),
            "ethnicity": rng.choice(["White", "Black", "Asian", "Mixed", "Other"], n, p=[0.7, 0.1, 0.1, 0.06, 0.04]),
        }
    )


def test_differencing_views_recovers_nothing_from_the_lattice_and_did_from_views_suppressed_alone(children):
    dimensions = [Dimension("quarter"), Dimension("sex"), Dimension("ethnicity")]
    cells = web_lattice(children, ["quarter"], ["sex", "ethnicity"])
    # Before: each view (?sex=male, ?sex=female, ..., ?ethnicity=Black, ..., no filter) suppressed on
    # its own: its quarters against their year.
    view = cells["sex"].astype(str) + "|" + cells["ethnicity"].astype(str)
    alone = pd.concat([protect(part, [Dimension("quarter")], ["n"])["n"] for _, part in cells.groupby(view)])
    before = differencing_attack(cells, alone.reindex(cells.index), dimensions)
    true = cells["n"]
    assert any(true[k] == v and 1 <= v <= 4 for k, v in before.items())  # the attack worked then
    mask = protect(cells, dimensions, ["n"])
    assert differencing_attack(cells, mask["n"], dimensions) == {}
    assert mask["n"].sum() > 10


@pytest.mark.parametrize("shape, seed", CASES)
def test_linear_programming_pins_no_withheld_cell(shape, seed):
    cells, dimensions, fixed = random_lattice(shape, seed)
    hidden = protect(cells, dimensions, ["n"], fixed=list(fixed))["n"]
    found = ranges(cells, hidden, attacker_lines(cells, dimensions, fixed))
    narrow = {k: r for k, r in found.items() if r[1] - r[0] < 1 - 1e-6}
    assert narrow == {}
    assert all(low - 1e-6 <= cells.at[k, "n"] <= high + 1e-6 for k, (low, high) in found.items())


def test_the_single_line_rule_alone_can_pin_a_cell_and_protect_closes_it():
    #          c0  c1  c2 | ALL       The single-line rule, by hand: the primary cells (1 to 4) are
    #   r0      1   6   3 |  10       r0c0, r0c2, r1c1, r1-ALL, r2c2, ALL-c0, ALL-c2; column c1 then
    #   r1      0   3   0 |   3       holds one (r1c1) and loses its smallest, r2c1 (5); the ALL column
    #   r2      0   5   1 |   6       holds one (r1-ALL) and loses r2-ALL (6). Every line now holds 0 or
    #  ALL      1  14   4 |  19       at least 2. But ALL-c0 = r0c0 (the zeros), r0c0 + r0c2 = 4,
    #                                 ALL-c2 = r0c2 + r2c2 and ALL-c0 + ALL-c2 = 5 give r2c2 = 1.
    grid = [[1, 6, 3], [0, 3, 0], [0, 5, 1]]
    cells = cube({(f"r{i}", f"c{j}"): grid[i][j] for i in range(3) for j in range(3)}, [ROW, COL])
    single_line = {
        ("r0", "c0"),
        ("r0", "c2"),
        ("r1", "c1"),
        ("r1", ALL),
        ("r2", "c2"),
        (ALL, "c0"),
        (ALL, "c2"),
        ("r2", "c1"),
        ("r2", ALL),
    }
    by_hand = pd.Series([(r, c) in single_line for r, c in zip(cells["row"], cells["col"])], index=cells.index)
    found = attacker_lines(cells, [ROW, COL])
    assert lone_withheld(cells, by_hand, found) == []
    pinned = {
        (cells.at[k, "row"], cells.at[k, "col"])
        for k, (lo, hi) in ranges(cells, by_hand, found).items()
        if hi - lo < 1e-6
    }
    assert ("r2", "c2") in pinned
    hidden = protect(cells, [ROW, COL], ["n"])["n"]
    assert by_hand[by_hand].index.isin(hidden[hidden].index).all()
    assert all(hi - lo >= 1 for lo, hi in ranges(cells, hidden, found).values())


# --- One query for the whole lattice --------------------------------------------------------------------

DISPOSAL = Dimension("disposal", {"A": "T1", "B": "T1", "C": "T2"}, levels=("tier", "disposal_type"))


def test_grouping_sets_list_every_level_of_each_crossing_once():
    sql = grouping_sets(
        [Dimension("quarter"), DISPOSAL, Dimension("sex")], crossings(["quarter"], ["disposal", "sex"]), fixed=["fy"]
    )
    assert sql == (
        "GROUPING SETS ((fy), (fy, quarter), (fy, tier), (fy, disposal_type), (fy, quarter, tier), "
        "(fy, quarter, disposal_type), (fy, sex), (fy, quarter, sex))"
    )
    assert crossings(["quarter"], ["sex", "ethnicity_group"], combined=["sex", "ethnicity_group"])[-1] == (
        "quarter",
        "sex",
        "ethnicity_group",
    )
    assert (
        grouping_columns([DISPOSAL]) == "GROUPING(tier) AS grouping_tier, GROUPING(disposal_type) AS "
        "grouping_disposal_type"
    )


def test_grouping_sets_refuse_a_column_that_is_not_a_plain_name_or_a_dimension_not_given():
    with pytest.raises(ValueError, match="plain column name"):
        grouping_sets([Dimension("sex; DROP TABLE child")], [["sex; DROP TABLE child"]])
    with pytest.raises(ValueError, match="no dimension age"):
        grouping_sets([Dimension("sex")], [["sex", "age"]])


@pytest.fixture
def run_sql(backend, request):
    """Run a SELECT on an empty database of the backend, as a DataFrame."""
    if backend == "duckdb":
        connection = duckdb.connect()
        yield lambda sql: connection.execute(sql).df()
        connection.close()
    else:
        engine = sqlalchemy.create_engine(request.getfixturevalue("new_postgres_database")())
        with engine.connect() as connection:
            yield lambda sql: pd.DataFrame(connection.execute(sqlalchemy.text(sql)).mappings().all())
        engine.dispose()


def test_one_grouping_sets_query_gives_the_lattice_telling_margins_from_nulls(run_sql):
    # Localities: North (a boy, a girl), NULL (a girl), and one really called "All" (two boys).
    locality, sex = Dimension("locality"), Dimension("sex")
    dimensions = [locality, sex]
    rows = "('North', 'male'), ('North', 'female'), (NULL, 'female'), ('All', 'male'), ('All', 'male')"
    frame = run_sql(f"""
        WITH child(locality, sex) AS (VALUES {rows})
        SELECT locality, sex, count(*) AS n, {grouping_columns(dimensions)}
        FROM child GROUP BY {grouping_sets(dimensions, crossings(["locality"], ["sex"]))}""")
    cells = from_grouping_sets(frame, dimensions)
    got = {
        (None if v is not ALL and pd.isna(v) else v, s, int(n))
        for v, s, n in zip(cells["locality"], cells["sex"], cells["n"])
    }
    assert got == {
        (ALL, ALL, 5),
        ("North", ALL, 2),
        (None, ALL, 1),
        ("All", ALL, 2),
        (ALL, "male", 3),
        (ALL, "female", 2),
        ("North", "male", 1),
        ("North", "female", 1),
        (None, "female", 1),
        ("All", "male", 2),
    }
    assert list(cells.columns) == ["n", "locality", "sex"]
    assert protect(cells, dimensions, ["n"])["n"].sum() >= 2


# --- The Kaplan-Meier curve ------------------------------------------------------------------------------


def curve_of(days: list[tuple[int, int, int]], cohort: str = "2023-24") -> pd.DataFrame:
    """The spec's curve table from (day, events, censored) rows, day 0 included."""
    frame = pd.DataFrame(days, columns=["day", "events", "censored"])
    return kaplan_meier(frame).assign(cohort=cohort)[CURVE_COLUMNS]


def test_the_curve_shows_steps_of_five_rounded_numbers_at_risk_and_no_censoring():
    # 40 children. Steps: day 20 (2 + 3 events), day 40 (1 + 4), day 60 (6); day 95's one event is
    # never drawn. At risk: day 0 40; first rows on or after 91 and 182: day 95 (18 -> 20), day 200
    # (7 -> 5). Survival: 0.95 * 35/38 = 0.875; * 33/34 * 29/33 = 0.7463; * 18/24 = 0.5597.
    raw = curve_of(
        [(0, 0, 0), (10, 2, 0), (20, 3, 1), (30, 1, 0), (40, 4, 2), (50, 0, 3), (60, 6, 0), (95, 1, 10), (200, 0, 7)]
    )
    assert raw["at_risk"].tolist() == [40, 40, 38, 34, 33, 27, 24, 18, 7]
    shown, mask = protect_curve(raw)
    by_day = shown.set_index("day")
    assert by_day["survival"].dropna().to_dict() == {0: 1.0, 20: 0.875, 40: 0.746, 60: 0.56}
    assert by_day["reoffended"].dropna().to_dict() == {0: 0.0, 20: 0.125, 40: 0.254, 60: 0.44}
    assert by_day["events"].dropna().to_dict() == {20: 5, 40: 5, 60: 6}
    assert by_day["at_risk"].dropna().to_dict() == {0: 40, 95: 20, 200: 5}
    assert shown["censored"].isna().all() and mask["censored"].all()
    steps = raw["day"].isin([0, 20, 40, 60])
    assert (shown.loc[steps, "ci_high"] == raw.loc[steps, "ci_high"].round(3)).all()
    assert mask.equals(shown.isna()) and shown["day"].tolist() == raw["day"].tolist()


def many_small_steps(seed: int, children: int) -> pd.DataFrame:
    """A cohort whose children reoffend one or two a day, some followed for less than a year."""
    rng = np.random.default_rng(seed)
    reoffends = rng.random(children) < 0.4
    day = np.where(reoffends, rng.integers(1, 366, children), np.minimum(365, rng.integers(60, 700, children)))
    rows = pd.DataFrame({"day": day, "event": reoffends}).groupby("day")["event"].agg(["sum", "size"])
    days = [(0, 0, 0)] + [(d, int(s), int(n - s)) for d, (s, n) in rows.iterrows()]
    return curve_of(days, cohort=f"cohort {seed}")


@pytest.fixture(scope="module")
def curves():
    raw = pd.concat(
        [many_small_steps(seed, children) for seed, children in [(1, 60), (2, 150), (3, 400)]], ignore_index=True
    )
    return raw, *protect_curve(raw)


def test_the_test_curves_have_many_small_steps(curves):
    raw, _, _ = curves
    assert raw["events"].between(1, 4).sum() > 150 and raw["censored"].between(1, 4).sum() > 100


def withheld_events_recovered_by_differencing(table: pd.DataFrame, truth: pd.DataFrame) -> int:
    """events = at_risk(t) - at_risk(next) - censored(t), wherever all three are shown."""
    found = 0
    for _, rows in table.groupby("cohort"):
        now = rows["at_risk"].to_numpy(dtype=float, na_value=np.nan)
        guess = now - np.r_[now[1:], np.nan] - rows["censored"].to_numpy(dtype=float, na_value=np.nan)
        real = truth.loc[rows.index, "events"].to_numpy()
        found += int(((guess == real) & (real >= 1) & (real <= 4)).sum())
    return found


def test_differencing_numbers_at_risk_and_censored_recovers_no_event_count(curves):
    raw, shown, _ = curves
    assert withheld_events_recovered_by_differencing(raw, raw) > 100  # the attack
    assert withheld_events_recovered_by_differencing(shown, raw) == 0


def withheld_events_recovered_from_survival(table: pd.DataFrame, truth: pd.DataFrame) -> int:
    """The events between two drawn points = at risk * (1 - S / S before), the attacker even knowing
    the true number at risk; a recovery when that number of events is a withheld count (1 to 4)."""
    found = 0
    for _, rows in table.groupby("cohort"):
        drawn = rows.dropna(subset=["survival"])
        ratio = drawn["survival"].to_numpy() / drawn["survival"].shift(1).to_numpy()
        guess = np.round(truth.loc[drawn.index, "at_risk"].to_numpy() * (1 - ratio))
        real = np.diff(np.r_[0, truth.loc[rows.index, "events"].cumsum().loc[drawn.index].to_numpy()])
        found += int(((guess == real) & (real >= 1) & (real <= 4)).sum())
    return found


def test_survival_gives_back_no_event_count_and_carries_three_decimals_at_most(curves):
    raw, shown, _ = curves
    assert withheld_events_recovered_from_survival(raw, raw) > 100
    assert withheld_events_recovered_from_survival(shown, raw) == 0
    values = shown[["survival", "reoffended", "ci_low", "ci_high"]].stack()
    assert (values.round(3) == values).all() and len(values) > 50
    for _, rows in raw.assign(drawn=shown["survival"].notna()).groupby("cohort"):
        since = rows["events"].cumsum().to_numpy()[rows["drawn"].to_numpy() & (rows["day"] > 0).to_numpy()]
        assert (np.diff(np.r_[0, since]) >= 5).all()  # each step: 5 or more events


def _row(pairs, width: int) -> np.ndarray:
    """A constraint's coefficients from (column, value) pairs."""
    row = np.zeros(width)
    for column, value in pairs:
        row[column] += value
    return row


def attacker_range(shown: pd.DataFrame) -> dict:
    """For every row, the least and most events, censored and both together (children leaving follow-up)
    a reader can find consistent with what is shown: each row after day 0 has someone leaving
    follow-up; each shown step's events came after the previous step, fewer than 5 before the step's
    own day, fewer than 5 after the last step; a survival of 1 on day 0 means no event then; each
    number at risk is within 2 of the one shown."""
    found = {}
    for _, rows in shown.groupby("cohort"):
        rows = rows.sort_values("day")
        n, labels = len(rows), list(rows.index)
        events, censored = np.arange(n), np.arange(n, 2 * n)
        a_ub, b_ub, a_eq, b_eq = [], [], [], []
        row = functools.partial(_row, width=2 * n)
        for t in range(1, n):
            a_ub.append(row([(events[t], -1), (censored[t], -1)]))
            b_ub.append(-1)
        start = 0
        for t in np.flatnonzero(rows["events"].notna().to_numpy()):
            a_eq.append(row([(events[u], 1) for u in range(start, t + 1)]))
            b_eq.append(rows["events"].iat[t])
            a_ub.append(row([(events[u], 1) for u in range(start, t)]))
            b_ub.append(4)
            start = t + 1
        a_ub.append(row([(events[u], 1) for u in range(start, n)]))
        b_ub.append(4)
        if rows["survival"].iat[0] == 1:
            a_eq.append(row([(events[0], 1)]))
            b_eq.append(0)
        for t in np.flatnonzero(rows["at_risk"].notna().to_numpy()):
            left = row([(i, 1) for u in range(t, n) for i in (events[u], censored[u])])
            a_ub += [left, -left]
            b_ub += [rows["at_risk"].iat[t] + 2, -(rows["at_risk"].iat[t] - 2)]
        for t in range(n):
            for kind, columns in (
                ("events", [events[t]]),
                ("censored", [censored[t]]),
                ("leaving", [events[t], censored[t]]),
            ):
                target = np.zeros(2 * n)
                target[columns] = 1
                lo = linprog(target, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq or None, b_eq=b_eq or None, method="highs")
                hi = linprog(-target, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq or None, b_eq=b_eq or None, method="highs")
                found[(labels[t], kind)] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)  # 3: unbounded
    return found


def recovered(raw: pd.DataFrame, shown: pd.DataFrame) -> list:
    """The withheld counts (1 to 4) of each row a reader can pin down to their true value."""
    truth = raw.assign(leaving=raw["events"] + raw["censored"])
    found = attacker_range(shown)
    assert all(lo - 1e-6 <= truth.at[label, kind] <= hi + 1e-6 for (label, kind), (lo, hi) in found.items())
    return [
        (label, kind)
        for (label, kind), (lo, hi) in found.items()
        if 1 <= truth.at[label, kind] <= 4 and np.ceil(lo - 1e-6) >= np.floor(hi + 1e-6)
    ]


def test_rounded_numbers_at_risk_pin_no_withheld_count(curves):
    raw, shown, _ = curves
    small = raw["cohort"] == "cohort 1"  # 60 children: the hardest case
    assert recovered(raw[small], shown[small]) == []
    assert shown.loc[small, "at_risk"].notna().sum() >= 3


def test_a_number_at_risk_is_withheld_where_rounding_would_not_hide_who_left():
    # 42 children; one is censored on each of days 1 to 4, five reoffend on day 100, the rest leave on
    # day 200. At risk: day 0 42 (shown 40), day 100 38 (40), day 200 33 (35). A reader knows each of
    # days 1 to 4 has someone leaving: 42 - 38 <= 4 says exactly one each. So day 100's number goes.
    # Day 0 to 200 is not exact: at most 42 - 33 = 9 left, at least 5 (days 1 to 4, and day 100, where
    # someone reoffended since fewer than 5 did before it), so day 200's stays.
    raw = curve_of([(0, 0, 0), (1, 0, 1), (2, 0, 1), (3, 0, 1), (4, 0, 1), (100, 5, 0), (200, 0, 33)])
    assert raw["at_risk"].tolist() == [42, 42, 41, 40, 39, 38, 33]
    shown, _ = protect_curve(raw)
    assert shown.set_index("day")["at_risk"].dropna().to_dict() == {0: 40, 200: 35}
    assert recovered(raw, shown) == []
    shown_anyway = shown.assign(at_risk=pd.array([40, None, None, None, None, 40, 35], dtype="Int64"))
    assert len(recovered(raw, shown_anyway)) == 4  # days 1 to 4, one each


def test_numbers_at_risk_are_shown_only_where_the_page_reads_them(curves):
    _, shown, _ = curves
    for _, rows in shown.groupby("cohort"):
        read = {
            rows.index[np.searchsorted(rows["day"].to_numpy(), day)] for day in AT_RISK_DAYS if day <= rows["day"].max()
        }
        at_risk = rows["at_risk"].dropna()
        assert rows.index[0] in at_risk.index and set(at_risk.index) <= read and len(at_risk) >= 3
        assert (at_risk % 5 == 0).all()


def test_a_number_at_risk_exact_by_itself_is_withheld():
    # 7 children, one leaving follow-up on each of days 1 to 7: "5" at day 0 means 3 to 7, and seven
    # days each with someone leaving means at least 7, so exactly one each day.
    raw = curve_of([(0, 0, 0), *((d, 0, 1) for d in range(1, 8))])
    shown, _ = protect_curve(raw)
    assert shown["at_risk"].isna().all()
    assert recovered(raw, shown) == []
    shown_anyway = shown.assign(at_risk=pd.array([5, *[None] * 7], dtype="Int64"))
    assert len(recovered(raw, shown_anyway)) == 7


def test_the_benchmark_runs_and_writes_its_table(tmp_path):
    from benchmarks.disclosure import main

    out = tmp_path / "disclosure.md"
    assert main(["--sizes", "3000", "--repeat", "1", "--out", str(out)]) == 0
    table = out.read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert "| cells | primary |" in table and len(rows) == 1 and rows[0].count("|") == 12
