"""Disclosure control over every cell a viewer can form, so no view can be differenced against another.

Suppressing each table on its own fails once a reader can choose filters: "all children minus boys
minus girls" gives back a withheld cell of another view. So a measure puts every cell a viewer can
reach for one scope of services and one period into one *lattice* (its margins included), and
``protect`` withholds cells over the whole lattice at once. Every view then shows cells of the same
mask, and none can be differenced against another. The method, its proof and its limits are in
docs/disclosure-control.md.

A lattice is a DataFrame of cells. A *dimension* column holds a value or ``ALL`` (the margin over that
dimension); a dimension may be a hierarchy (disposal type -> tier -> ALL). *Fixed* columns never add
up (the financial year, a stage). A *line* is a cell and its children along one dimension; the
parent's count is the sum of its children's, and a reader knows it. The reader also knows that cells
absent from the lattice are zeros. Counts of 1 to ``SUPPRESSION_MAX`` are withheld (primary); then,
until nothing changes, every line holding exactly one withheld cell loses one more (secondary); then
linear programmes check that the lines taken together pin no withheld cell either (closing).
``protect_curve`` does the same job for the Kaplan-Meier curve, whose cells are not a lattice.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import numbers
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Self

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .config import SUPPRESSION_MAX

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Prefix of the GROUPING(level) columns that ``grouping_columns`` selects and ``from_grouping_sets`` reads.
GROUPING_PREFIX = "grouping_"
#: Survival, reoffended and its interval are shown to this many decimals on the curve.
CURVE_DECIMALS = 3
#: Numbers at risk on the curve are shown rounded to a multiple of this.
AT_RISK_BASE = 5


class _Margin:
    """The type of ``ALL``: one instance, equal only to itself, that survives pickling (the result
    cache and background jobs pickle tables)."""

    _instance: _Margin | None = None

    def __new__(cls) -> Self:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL"

    def __reduce__(self):
        return (_Margin, ())


#: The margin marker: a cell whose dimension holds ``ALL`` counts every value of that dimension. It is
#: an object of its own, not a string or a null, so it can never be mistaken for a real value (a
#: locality called "All", a missing ethnic group). Columns holding it have dtype object.
ALL = _Margin()


@dataclass(frozen=True)
class Dimension:
    """A dimension of a lattice: ``parents`` maps a value to the value it adds up to (a disposal type
    to its tier); values without a parent add up to ALL. ``levels`` are the SQL columns the dimension
    is read from, coarsest first (``("tier", "disposal_type")``); by default its own name."""

    name: str
    parents: Mapping[object, object] = field(default_factory=dict, hash=False)
    levels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.levels:
            object.__setattr__(self, "levels", (self.name,))
        for value in self.parents:
            seen = {value}
            while (value := self.parents.get(value, ALL)) is not ALL:
                if value in seen:
                    raise ValueError(f"dimension {self.name}: {value!r} is its own ancestor")
                seen.add(value)

    def parent(self, value: object) -> object:
        return self.parents.get(value, ALL)


# --- The lattice: cells in a canonical order, and each cell's parent along each dimension ----------


@dataclass(frozen=True)
class _Lattice:
    rows: np.ndarray  # canonical position -> row position in ``cells``
    up: tuple[np.ndarray, ...]  # per dimension: each cell's parent (canonical position) or -1

    @functools.cached_property
    def children(self) -> tuple[np.ndarray, ...]:
        """Per dimension: the cells that have a parent along it."""
        return tuple(np.flatnonzero(u >= 0) for u in self.up)

    @functools.cached_property
    def kids(self) -> tuple[np.ndarray, ...]:
        """Per dimension: each cell's number of children along it (0: it is the parent of no line)."""
        return tuple(np.bincount(u[c], minlength=len(self.rows)) for u, c in zip(self.up, self.children))

    @functools.cached_property
    def matrix(self) -> sparse.csr_matrix:
        """One row per line: +1 for its parent, -1 for each child (a line's row times the counts is 0)."""
        rows, columns, signs, lines_before = [], [], [], 0
        for u, child in zip(self.up, self.children):
            parents, line = np.unique(u[child], return_inverse=True)
            rows += [line + lines_before, np.arange(len(parents)) + lines_before]
            columns += [child, parents]
            signs += [np.full(len(child), -1.0), np.ones(len(parents))]
            lines_before += len(parents)
        if not rows:
            return sparse.csr_matrix((0, len(self.rows)))
        return sparse.csr_matrix(
            (np.concatenate(signs), (np.concatenate(rows), np.concatenate(columns))),
            shape=(lines_before, len(self.rows)),
        )

    @functools.cached_property
    def lines_of(self) -> sparse.csr_matrix:
        """The lines each cell is in: ``matrix`` by cell."""
        return self.matrix.T.tocsr()


def _value_key(value: object) -> tuple:
    """A total order over any values a column may hold: ALL, numbers, text, others, missing."""
    if value is ALL:
        return (0,)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return (4,)
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, type(value).__name__, str(value))


def _codes(column: pd.Series) -> tuple[np.ndarray, list]:
    """Codes 0..k-1 for a column's values, numbered in ``_value_key`` order (so the same values get
    the same codes whatever the row order), and the values themselves in that order."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    uniques = list(uniques)
    order = sorted(range(len(uniques)), key=lambda i: _value_key(uniques[i]))
    renumber = np.empty(len(uniques), dtype=np.int64)
    renumber[order] = np.arange(len(uniques))
    return renumber[codes], [uniques[i] for i in order]


def _index(cells: pd.DataFrame, dimensions: Sequence[Dimension], fixed: Sequence[str]) -> _Lattice:
    """Sort the cells by their coordinates and find each one's parent along every dimension.

    A cell's coordinates become one integer key (mixed radix, first column most significant), so
    finding a parent is arithmetic on the key and one binary search, for all cells at once."""
    names = [d.name for d in dimensions]
    missing = [c for c in [*names, *fixed] if c not in cells.columns]
    if missing:
        raise ValueError(f"the lattice has no column {', '.join(missing)}")
    coded = [_codes(cells[c]) for c in [*names, *fixed]]
    sizes = [max(len(values), 1) for _, values in coded]
    if sum(math.log2(s) for s in sizes) >= 62:
        raise ValueError("the lattice has too many distinct coordinates to index (more than 2**62)")
    strides = np.cumprod([1, *sizes[:0:-1]])[::-1].astype(np.int64)
    key = np.zeros(len(cells), dtype=np.int64)
    for (codes, _), stride in zip(coded, strides):
        key += codes * stride
    rows = np.argsort(key, kind="stable")
    key = key[rows]
    same = np.flatnonzero(key[1:] == key[:-1])
    if same.size:
        first, second = cells.index[rows[same[0]]], cells.index[rows[same[0] + 1]]
        raise ValueError(f"cells {first!r} and {second!r} have the same coordinates")
    up = []
    for dimension, (codes, values), stride in zip(dimensions, coded, strides):
        parent_code = _parent_codes(dimension, values)
        own = codes[rows]
        parent = parent_code[own]
        has = np.flatnonzero(parent >= 0)
        target = key[has] + (parent[has] - own[has]) * stride
        found = np.minimum(np.searchsorted(key, target), len(key) - 1)
        hit = key[found] == target if len(key) else np.zeros(0, dtype=bool)
        line = np.full(len(cells), -1, dtype=np.int64)
        line[has[hit]] = found[hit]
        up.append(line)
    return _Lattice(rows=rows, up=tuple(up))


def _parent_codes(dimension: Dimension, values: list) -> np.ndarray:
    """For each of a column's ``values`` (in code order), the code of its parent: -1 for ALL itself,
    or for a parent that is not in the column (that line has no parent cell, so no constraint)."""
    index = {v: i for i, v in enumerate(values) if v is not ALL}
    margin = next((i for i, v in enumerate(values) if v is ALL), -1)
    codes = [
        -1 if v is ALL else margin if dimension.parent(v) is ALL else index.get(dimension.parent(v), -1) for v in values
    ]
    return np.array(codes or [-1], dtype=np.int64)


def lines(cells: pd.DataFrame, dimensions: Sequence[Dimension], fixed: Sequence[str] = ()) -> pd.DataFrame:
    """Every line of the lattice, one row per child: ``dimension``, ``parent`` and ``child`` (labels of
    ``cells``' index). A line's parent is the sum of its children, cells absent from ``cells`` being
    zeros; a parent with no child in the lattice forms no line."""
    lattice = _index(cells, dimensions, fixed)
    parts = []
    for dimension, up in zip(dimensions, lattice.up):
        child = np.flatnonzero(up >= 0)
        parts.append(
            pd.DataFrame(
                {
                    "dimension": dimension.name,
                    "parent": cells.index[lattice.rows[up[child]]],
                    "child": cells.index[lattice.rows[child]],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["dimension", "parent", "child"])


# --- Getting a lattice from SQL ---------------------------------------------------------------------


def crossings(breakdown: Sequence[str], filters: Sequence[str], combined: Sequence[str] = ()) -> list[tuple[str, ...]]:
    """The groups of dimensions whose cells a viewer can form: on the web, the page's breakdown with
    one group filter at a time; at the analysts' command line, also the filters it combines."""
    groups = [tuple(breakdown), *((*breakdown, f) for f in filters)]
    if combined:
        groups.append((*breakdown, *combined))
    return list(dict.fromkeys(groups))


def grouping_sets(dimensions: Sequence[Dimension], crossed: Sequence[Sequence[str]], fixed: Sequence[str] = ()) -> str:
    """``GROUPING SETS (...)`` for a GROUP BY giving every cell of the lattice in one query: for each
    group in ``crossed`` (see ``crossings``), every choice of one level or the margin for each of its
    dimensions, with the ``fixed`` columns always. Column names are checked to be plain identifiers
    (they come from the measure's own constants)."""
    return grouping_clause(grouping_set_list(dimensions, crossed, fixed))


def grouping_set_list(
    dimensions: Sequence[Dimension], crossed: Sequence[Sequence[str]], fixed: Sequence[str] = ()
) -> list[tuple[str, ...]]:
    """The grouping sets of ``grouping_sets``, each a tuple of columns, checked the same way (to
    split them over several queries: DuckDB holds a table per set, so hundreds at once need memory)."""
    by_name = {d.name: d for d in dimensions}
    unknown = {name for group in crossed for name in group} - set(by_name)
    if unknown:
        raise ValueError(f"no dimension {', '.join(sorted(unknown))}")
    for column in [*fixed, *(level for d in dimensions for level in d.levels)]:
        if not _IDENTIFIER.match(column):
            raise ValueError(f"not a plain column name: {column!r}")
    sets: dict[tuple[str, ...], None] = {}
    for group in crossed:
        options = [[(), *((level,) for level in by_name[name].levels)] for name in group]
        for choice in itertools.product(*options):
            sets[(*fixed, *itertools.chain.from_iterable(choice))] = None
    return list(sets)


def grouping_clause(sets: Sequence[Sequence[str]]) -> str:
    """``GROUPING SETS ((a, b), (a), ...)`` from sets of ``grouping_set_list``."""
    return "GROUPING SETS (" + ", ".join(f"({', '.join(s)})" for s in sets) + ")"


def grouping_columns(dimensions: Sequence[Dimension]) -> str:
    """The SELECT items telling each level's margin from a real missing value:
    ``GROUPING(level) AS grouping_level`` (1 in the rows where the level is summed over)."""
    return ", ".join(f"GROUPING({level}) AS {GROUPING_PREFIX}{level}" for d in dimensions for level in d.levels)


def from_grouping_sets(frame: pd.DataFrame, dimensions: Sequence[Dimension]) -> pd.DataFrame:
    """The lattice from a GROUPING SETS query's rows: one column per dimension holding its finest
    level not summed over, or ALL; the level and grouping columns dropped. A real NULL stays null."""
    levels = [level for d in dimensions for level in d.levels]
    cells = frame.drop(columns=[*levels, *(GROUPING_PREFIX + level for level in levels)])
    for dimension in dimensions:
        value = np.full(len(frame), ALL, dtype=object)
        for level in dimension.levels:
            here = frame[GROUPING_PREFIX + level].to_numpy() == 0
            value[here] = frame[level].to_numpy(dtype=object)[here]
        cells[dimension.name] = value
    return cells


# --- Withholding ------------------------------------------------------------------------------------


def protect(
    cells: pd.DataFrame,
    dimensions: Sequence[Dimension],
    counts: Sequence[str],
    *,
    fixed: Sequence[str] = (),
    dependants: Mapping[str, Sequence[str]] | None = None,
    eligible: pd.Series | None = None,
    already: pd.DataFrame | None = None,
    prefer: pd.Series | None = None,
) -> pd.DataFrame:
    """A mask the shape of ``cells`` (True = withheld), the same for every view of the lattice.

    counts: columns of counts of children or events. Each is protected on its own: a count of 1 to
        SUPPRESSION_MAX is withheld; then every line left with exactly one withheld cell loses its
        smallest shown non-zero child (ties: the child whose coordinates sort first; the parent only
        if no child can go, a zero child only if the parent cannot either), until none is; then
        *closing* withholds more where the lines taken together would still pin a withheld cell
        (``_close``; groups of up to CLOSING_LIMIT connected withheld cells).
    dependants: count -> columns built on it (rates; sub-counts such as "of which knife or weapon"),
        withheld with it. A dependant that is itself in ``counts`` starts from those cells and is
        then protected as its own lattice.
    eligible: cells that may be withheld at all, by the labels of ``cells``' index (False: e.g.
        population estimates, always shown).
    already: cells withheld before (a bool frame with some of ``counts``, by label), kept withheld:
        a larger lattice (the analysts' crossed filters) protected on top of the web's mask shows no
        cell the web withholds.
    prefer: cells to choose first as second cells (by label), where a line has one: those no view shows
        by itself (a complement such as "unsuitable", which a reader could only work out), so withholding
        them costs the reader nothing. Among them, and then among the rest, the usual order holds.
    The result does not depend on the order of the rows. A line that cannot be protected (every
    other cell ineligible) is left as it is; ``lines`` lets an audit find it.
    """
    dependants = dict(dependants or {})
    missing = {*counts, *(c for built in dependants.values() for c in built)} - set(cells.columns)
    if missing:
        raise ValueError(f"the lattice has no column {', '.join(sorted(missing))}")
    lattice = _index(cells, dimensions, fixed)
    rows = lattice.rows
    allowed = (
        np.ones(len(cells), dtype=bool) if eligible is None else eligible.loc[cells.index].to_numpy(dtype=bool)[rows]
    )
    first = np.zeros(len(cells), dtype=bool) if prefer is None else prefer.loc[cells.index].to_numpy(dtype=bool)[rows]
    mask = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    settled: dict[str, np.ndarray] = {}
    for column in _in_dependency_order(counts, dependants):
        values = cells[column].to_numpy(dtype="float64", na_value=np.nan)[rows]
        if np.isnan(values).any() or (values < 0).any():
            raise ValueError(f"count column {column} has missing or negative values")
        hidden = allowed & (values >= 1) & (values <= SUPPRESSION_MAX)
        if already is not None and column in already:
            hidden |= already.loc[cells.index, column].to_numpy(dtype=bool)[rows]
        for source, built in dependants.items():
            if column in built and source in settled:
                hidden |= settled[source]
        hidden = _settle(lattice, values, allowed, hidden, first)
        settled[column] = _close(lattice, values, allowed, hidden)
    for column, hidden in settled.items():
        for target in [column, *dependants.get(column, ())]:
            mask.iloc[rows[hidden], mask.columns.get_loc(target)] = True
    return mask


def _in_dependency_order(counts: Sequence[str], dependants: Mapping[str, Sequence[str]]) -> list[str]:
    """The count columns, each after every count it depends on."""
    ordered: list[str] = []
    waiting = list(counts)
    while waiting:
        ready = [c for c in waiting if not any(c in dependants.get(s, ()) for s in waiting if s != c)]
        if not ready:
            raise ValueError(f"count columns depend on each other in a circle: {', '.join(waiting)}")
        ordered += ready
        waiting = [c for c in waiting if c not in ready]
    return ordered


def _settle(
    lattice: _Lattice, values: np.ndarray, allowed: np.ndarray, hidden: np.ndarray, first: np.ndarray | None = None
) -> np.ndarray:
    """Secondary suppression to a fixed point, on cells in canonical order.

    Only lines touched by a newly withheld cell are looked at again: a line's count of withheld
    cells is kept per dimension and updated as cells are withheld."""
    hidden = hidden.copy()
    first = np.zeros(len(values), dtype=bool) if first is None else first
    up, children, kids = lattice.up, lattice.children, lattice.kids
    withheld_kids = [np.bincount(u[c[hidden[c]]], minlength=len(values)) for u, c in zip(up, children)]
    pending = [[_touched(u, k, np.flatnonzero(hidden))] for u, k in zip(up, kids)]
    while any(p for p in pending):
        for d, u in enumerate(up):
            touched = np.unique(np.concatenate(pending[d])) if pending[d] else np.zeros(0, dtype=np.int64)
            pending[d] = []
            need = touched[(withheld_kids[d][touched] + hidden[touched] == 1) & (kids[d][touched] > 0)]
            if not need.size:
                continue
            picked = _second_cells(u, children[d], need, values, allowed, hidden, first)
            if not picked.size:
                continue
            hidden[picked] = True
            for e, v in enumerate(up):
                parents = v[picked]
                np.add.at(withheld_kids[e], parents[parents >= 0], 1)
                pending[e].append(_touched(v, kids[e], picked))
    return hidden


def _touched(up: np.ndarray, kids: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The lines along one dimension that hold any of ``cells``: as a child, or as the parent."""
    parents = up[cells]
    return np.concatenate([parents[parents >= 0], cells[kids[cells] > 0]])


def _second_cells(
    up: np.ndarray,
    children: np.ndarray,
    need: np.ndarray,
    values: np.ndarray,
    allowed: np.ndarray,
    hidden: np.ndarray,
    first: np.ndarray,
) -> np.ndarray:
    """For each line in ``need`` (given by its parent), the cell to withhold next: its smallest shown
    non-zero child, else its parent, else its first zero child, cells in ``first`` before the others at
    each step; the first in canonical order on a tie."""
    in_need = np.zeros(len(values), dtype=bool)
    in_need[need] = True
    kids = children[in_need[up[children]]]
    kids = kids[allowed[kids] & ~hidden[kids]]
    parents = need[allowed[need] & ~hidden[need]]
    cell = np.concatenate([kids, parents])
    line = np.concatenate([up[kids], parents])
    rank = np.concatenate([np.where(values[kids] > 0, 0, 4), np.full(len(parents), 2, dtype=np.int64)])
    rank = rank + ~first[cell]
    order = np.lexsort((cell, values[cell], rank, line))
    line = line[order]
    first = np.flatnonzero(np.r_[True, line[1:] != line[:-1]]) if len(line) else np.zeros(0, dtype=np.int64)
    return np.unique(cell[order[first]])


# --- Closing: no withheld cell pinned by several lines taken together -------------------------------

#: An entry of a linear programme's solution smaller than this is a zero.
_TOLERANCE = 1e-6
#: Closing works on groups of connected withheld cells of at most this many cells (and looks this far
#: for a pattern): its linear programmes grow faster than the group. Larger groups (an administrator's
#: view of every service) keep the single-line rule only: docs/disclosure-control.md.
CLOSING_LIMIT = 5_000
#: The work closing may do for one count of one lattice: the cells of its linear programmes, summed,
#: each programme counting PROGRAMME_WORK more, spent in a fixed order (so a lattice is always withheld
#: alike). A page's first view waits for it (a programme of 1,000 cells takes about 20 ms, the smallest
#: about 2). Cells left unchecked when it runs out keep the single-line rule only
#: (docs/disclosure-control.md).
CLOSING_WORK = 40_000
PROGRAMME_WORK = 100


class _Programmes:
    """Linear programmes solved by HiGHS (the solver scipy's ``linprog(method="highs")`` wraps, the same
    version and options, so the same answers), each solved once per process: the same small programme
    recurs across a lattice's periods and across lattices (about 44% of a cold KPI view's). Called
    directly, HiGHS takes a third of linprog's time per programme, most of which was linprog's own."""

    #: Solutions kept (each a few thousand numbers at most); all forgotten at once past this.
    KEPT = 50_000

    def __init__(self) -> None:
        self._solved: dict[bytes, tuple[np.ndarray, float] | None] = {}
        self._lock = threading.Lock()

    def minimise(self, cost, matrix, row_lower, row_upper, col_lower, col_upper) -> tuple[np.ndarray, float] | None:
        """The solution and objective of: minimise ``cost @ x`` with ``row_lower <= matrix @ x <= row_upper``
        and ``col_lower <= x <= col_upper`` (infinite where unbounded); None when there is no optimum."""
        columns = sparse.csc_array(matrix)
        parts = [np.asarray(p, dtype=float) for p in (cost, row_lower, row_upper, col_lower, col_upper)]
        key = hashlib.blake2b(repr(columns.shape).encode(), digest_size=20)
        for part in (columns.indptr, columns.indices, columns.data, *parts):
            key.update(np.ascontiguousarray(part).tobytes())
            key.update(b"|")
        name = key.digest()
        with self._lock:
            if name in self._solved:
                return self._solved[name]
        found = _highs(columns, *parts)
        with self._lock:
            if len(self._solved) >= self.KEPT:
                self._solved.clear()
            self._solved[name] = found
        return found


def _highs(columns: sparse.csc_array, cost, row_lower, row_upper, col_lower, col_upper):
    """One programme, posed to HiGHS as linprog(method="highs") poses it (presolve on, dual simplex)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = columns.shape[1], columns.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lower, col_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = columns.shape[1], columns.shape[0]
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = columns.indptr, columns.indices, columns.data
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("simplex_strategy", int(highspy.simplex_constants.SimplexStrategy.kSimplexStrategyDual))
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.array(solver.getSolution().col_value), solver.getInfo().objective_function_value


_PROGRAMMES = _Programmes()


class _Budget:
    """What is left of CLOSING_WORK."""

    def __init__(self, work: int):
        self.left = work

    def spend(self, cells: int) -> bool:
        """A programme of ``cells`` more, if it fits in what is left."""
        if cells + PROGRAMME_WORK > self.left:
            self.left = 0
            return False
        self.left -= cells + PROGRAMME_WORK
        return True


def _close(lattice: _Lattice, values: np.ndarray, allowed: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Withhold more cells until no withheld cell can be worked out from all the lines together.

    A withheld cell is safe when some change to the withheld cells, leaving every line's sum as it is,
    moves it by at least half as much as it moves any other (a *pattern*): a reader then cannot tell
    its value from values up to one more or less (every withheld cell is at least 1). Patterns are
    found by linear programming; a cell without one gets the cheapest pattern through it that the
    shown cells could form (cost: the counts newly withheld), and those cells are withheld. Lines
    each keep two or more withheld cells, so the single-line rule still holds."""
    cells = np.flatnonzero(hidden & (values > 0))
    if not cells.size or not lattice.up:
        return hidden
    group = _groups(lattice, cells)
    small = np.bincount(group)[group] <= CLOSING_LIMIT
    cells, group = cells[small], group[small]
    if not cells.size:
        return hidden
    matrix = lattice.matrix
    budget = _Budget(CLOSING_WORK)
    safe = _in_patterns(matrix, cells, group, len(values), budget)
    hidden = hidden.copy()
    for cell in cells[~safe[cells]]:
        if budget.left <= 0:
            break
        if safe[cell]:
            continue
        pattern = _cheapest_pattern(matrix, lattice.lines_of, cell, values, allowed, hidden, budget)
        if pattern is not None:
            hidden[np.flatnonzero(pattern)] = True
            safe |= np.abs(pattern) >= 0.5 - _TOLERANCE
    return hidden


def _groups(lattice: _Lattice, cells: np.ndarray) -> np.ndarray:
    """For each of ``cells``, a number naming its group: cells joined by lines they share. A line is
    named by its dimension and its parent, so this needs no line matrix."""
    n, ends, lines = len(lattice.rows), [], []
    for d, (u, kids) in enumerate(zip(lattice.up, lattice.kids)):
        child = np.flatnonzero(u[cells] >= 0)
        parent = np.flatnonzero(kids[cells] > 0)
        ends += [child, parent]
        lines += [u[cells[child]] + d * n, cells[parent] + d * n]
    ends, lines = np.concatenate(ends), np.concatenate(lines)
    names, line = np.unique(lines, return_inverse=True)
    size = len(cells) + len(names)
    graph = sparse.coo_matrix((np.ones(len(ends)), (ends, line + len(cells))), shape=(size, size))
    _, group = connected_components(graph, directed=False)
    return np.unique(group[: len(cells)], return_inverse=True)[1]


def _in_patterns(
    matrix: sparse.csr_matrix, cells: np.ndarray, group: np.ndarray, n: int, budget: _Budget
) -> np.ndarray:
    """Which withheld ``cells`` are already in a pattern of withheld cells: for each group, linear
    programmes maximising a random weighting of its cells not yet in a pattern, until one finds no
    more. The weights are drawn afresh for each group (a fixed seed), so a group gets the same answer
    whatever else is in the lattice (another year, say)."""
    safe = np.zeros(n, dtype=bool)
    order = np.argsort(group, kind="stable")
    by_column = matrix.tocsc()  # once: slicing columns out of the row-wise matrix per group is slow
    for members in np.split(order, np.flatnonzero(np.diff(group[order])) + 1):
        columns = cells[members]
        block = by_column[:, columns].tocsr()
        block = block[np.diff(block.indptr) > 0]
        if _moves_together(block):
            safe[columns] = True
            continue
        random = np.random.default_rng(0)
        covered = np.zeros(len(columns), dtype=bool)
        while not covered.all() and budget.spend(len(columns)):
            weights = np.where(covered, 0.0, random.uniform(1, 2, len(columns)))
            zeros, ones = np.zeros(block.shape[0]), np.ones(len(columns))
            x, _ = _PROGRAMMES.minimise(-weights, block, zeros, zeros, -ones, ones)  # x = 0 is always feasible
            new = (np.abs(x) >= 0.5 - _TOLERANCE) & ~covered
            if not new.any():
                break
            covered |= new
        safe[columns[covered]] = True
    return safe


def _moves_together(block: sparse.csr_matrix) -> bool:
    """Whether a group's withheld cells form one pattern by themselves, found without a linear programme:
    when every line through them holds exactly two, each line ties its two (a parent and its child move
    together, two children against each other), and moving every cell by 1 in the directions the ties
    give keeps every sum, unless the ties contradict each other round a loop. Most groups are so: a
    complement and the figure withheld with it."""
    if not block.shape[0] or (np.diff(block.indptr) != 2).any():
        return False
    rows = block.tocoo()
    order = np.lexsort((rows.col, rows.row))
    ends, signs = rows.col[order].reshape(-1, 2), rows.data[order].reshape(-1, 2)
    tie = -signs[:, 0] * signs[:, 1]  # x[second] = tie * x[first]
    n = block.shape[1]
    graph = sparse.coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
    if connected_components(graph, directed=False)[0] != 1:
        return False
    direction = np.zeros(n)
    direction[0] = 1
    neighbours = [[] for _ in range(n)]
    for (a, b), t in zip(ends.tolist(), tie.tolist()):
        neighbours[a].append((b, t))
        neighbours[b].append((a, t))
    waiting = [0]
    while waiting:
        cell = waiting.pop()
        for other, t in neighbours[cell]:
            if direction[other] == 0:
                direction[other] = t * direction[cell]
                waiting.append(other)
    return bool(np.all(direction[ends[:, 1]] == tie * direction[ends[:, 0]]))


def _cheapest_pattern(
    matrix: sparse.csr_matrix,
    lines_of: sparse.csr_matrix,
    cell: int,
    values: np.ndarray,
    allowed: np.ndarray,
    hidden: np.ndarray,
    budget: _Budget,
) -> np.ndarray | None:
    """The pattern moving ``cell`` by 1 that costs least: every other cell moves by at most 1, only
    withheld cells (free) and shown non-zero cells that may be withheld (cost: their count) move, and
    every line's sum stays the same. Looked for among the cells two lines away, then one line further
    at a time; None when none is found among CLOSING_LIMIT cells."""
    usable = (hidden | allowed) & (values > 0)
    near = np.zeros(len(values), dtype=bool)
    near[cell] = True
    frontier, hops = np.array([cell]), 0
    while frontier.size and near.sum() <= CLOSING_LIMIT:
        reached = np.unique(matrix[np.unique(lines_of[frontier].indices)].indices)
        frontier = reached[usable[reached] & ~near[reached]]
        near[frontier] = True
        hops += 1
        if hops < 2 and frontier.size:
            continue
        columns = np.flatnonzero(near)
        block = matrix[:, columns].tocsr()
        block = block[np.diff(block.indptr) > 0]
        cost = np.where(hidden[columns], 0.0, values[columns])
        bounds = np.column_stack([np.zeros(2 * len(columns)), np.ones(2 * len(columns))])
        if not budget.spend(len(columns)):
            return None
        at = np.searchsorted(columns, cell)
        bounds[at], bounds[len(columns) + at] = (1, 1), (0, 0)
        zeros = np.zeros(block.shape[0])
        found = _PROGRAMMES.minimise(
            np.r_[cost, cost], sparse.hstack([block, -block]), zeros, zeros, bounds[:, 0], bounds[:, 1]
        )
        if found is not None:
            x = found[0]
            change = x[: len(columns)] - x[len(columns) :]
            keep = np.abs(change) > _TOLERANCE
            pattern = np.zeros(len(values))
            pattern[columns[keep]] = change[keep]
            return pattern
    return None


# --- The Kaplan-Meier curve -------------------------------------------------------------------------

#: A step of the curve is drawn once this many children have reoffended since the last one drawn.
STEP_EVENTS = SUPPRESSION_MAX + 1
#: Numbers at risk are shown on the first row on or after these days (0, 3, 6, 9 and 12 months).
AT_RISK_DAYS = (0, 91, 182, 273, 365)
_CURVE_VALUES = ("survival", "reoffended", "ci_low", "ci_high")


def protect_curve(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the reoffending curve may show, and the mask of what it withholds (True), for one or more
    cohorts' curves (the spec's columns, a row per day with an event or censoring, plus day 0).

    No count withheld can be worked out from what is shown:
    - a *step* is the row where the children reoffending since the previous step reach STEP_EVENTS
      (5). Survival, reoffended and the interval are shown on steps only (and on day 0 when no one
      reoffended that day), to CURVE_DECIMALS decimals; ``events`` on a step is the number who
      reoffended since the previous step, that day included (so at least 5); elsewhere withheld;
    - ``censored`` is withheld on every row;
    - ``at_risk`` is shown on the first row on or after each of AT_RISK_DAYS, rounded to the nearest
      AT_RISK_BASE, when 5 or more; a later one is withheld where the reader could tell exactly how
      many children left follow-up between two shown ones (``_exact_drop``).
    Withheld cells are null in the table returned (counts as Int64)."""
    shown = table.copy()
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for _, rows in table.groupby("cohort", sort=False):
        rows = rows.sort_values("day")
        at = rows.index
        events = rows["events"].to_numpy(dtype=np.int64)
        steps = _steps(events)
        span_events = np.diff(np.r_[0, np.cumsum(events)[steps]])
        drawn = np.zeros(len(rows), dtype=bool)
        drawn[steps] = True
        drawn[0] |= events[0] == 0
        counted = np.zeros(len(rows), dtype=np.int64)
        counted[steps] = span_events
        shown.loc[at, "events"] = counted
        mask.loc[at, "events"] = ~np.isin(np.arange(len(rows)), steps)
        mask.loc[at, "censored"] = True
        for column in _CURVE_VALUES:
            shown.loc[at, column] = rows[column].round(CURVE_DECIMALS).to_numpy()
            mask.loc[at, column] = ~drawn
        shown.loc[at, "reoffended"] = (1 - shown.loc[at, "survival"]).round(CURVE_DECIMALS)
        risk = _at_risk_rows(rows, steps, span_events)
        shown.loc[at, "at_risk"] = _rounded(rows["at_risk"].to_numpy())
        mask.loc[at, "at_risk"] = ~np.isin(np.arange(len(rows)), risk)
    for column in table.columns:
        if mask[column].any():
            if pd.api.types.is_integer_dtype(shown[column]):
                shown[column] = shown[column].astype("Int64")
            shown[column] = shown[column].mask(mask[column])
    return shown, mask


def _steps(events: np.ndarray) -> np.ndarray:
    """Positions of the rows where the events since the previous step (or the start) reach STEP_EVENTS."""
    total = np.cumsum(events)
    steps, reached = [], 0
    while True:
        at = int(np.searchsorted(total, reached + STEP_EVENTS))
        if at >= len(total):
            return np.array(steps, dtype=np.int64)
        steps.append(at)
        reached = int(total[at])


def _rounded(at_risk: np.ndarray) -> np.ndarray:
    """To the nearest AT_RISK_BASE, halves up (so the true number is within AT_RISK_BASE // 2)."""
    return (at_risk + AT_RISK_BASE // 2) // AT_RISK_BASE * AT_RISK_BASE


def _at_risk_rows(rows: pd.DataFrame, steps: np.ndarray, span_events: np.ndarray) -> list[int]:
    """The rows whose rounded number at risk is shown: the first on or after each of AT_RISK_DAYS
    with 5 or more at risk, less any that would give away an exact number leaving follow-up (the
    later of the two; the one shown when it is exact itself, since everyone leaves in the end)."""
    day, at_risk = rows["day"].to_numpy(), rows["at_risk"].to_numpy()
    chosen = sorted({int(np.searchsorted(day, d)) for d in AT_RISK_DAYS} - {len(day)})
    chosen = [i for i in chosen if at_risk[i] > SUPPRESSION_MAX]
    quiet_day_0 = rows["events"].iat[0] == 0
    while (
        pair := _exact_drop(len(day), steps, span_events, quiet_day_0, chosen, _rounded(at_risk[chosen]))
    ) is not None:
        chosen.remove(pair[1] if pair[1] < len(day) else pair[0])
    return chosen


def _exact_drop(
    n: int, steps: np.ndarray, span_events: np.ndarray, quiet_day_0: bool, chosen: list[int], rounded: np.ndarray
) -> tuple[int, int] | None:
    """The first pair of rows with a shown number at risk between which a reader can tell exactly
    how many children left follow-up (the second being ``n`` for the end of the curve, when a shown
    number at risk is exact), or None.

    What a reader knows, as a linear programme over each row's children leaving (``x``, at least 1
    after day 0: the row exists) and reoffending (``e``, at most ``x``): each step's events, and that
    fewer than STEP_EVENTS came before the step row within its span and after the last step; no
    event on day 0 when its survival is shown as 1; each shown number at risk to within rounding."""
    x, e = np.arange(n), np.arange(n, 2 * n)
    upper, upper_bound, equal, equal_value = [], [], [], []
    for row in range(n):  # e <= x
        upper.append({e[row]: 1, x[row]: -1})
        upper_bound.append(0)
    start = 0
    for step, total in zip(steps, span_events):
        equal.append({e[t]: 1 for t in range(start, step + 1)})
        equal_value.append(total)
        upper.append({e[t]: 1 for t in range(start, step)})
        upper_bound.append(STEP_EVENTS - 1)
        start = step + 1
    upper.append({e[t]: 1 for t in range(start, n)})
    upper_bound.append(STEP_EVENTS - 1)
    if quiet_day_0:
        equal.append({e[0]: 1})  # day 0 shown with survival 1
        equal_value.append(0)
    half = AT_RISK_BASE // 2
    for row, value in zip(chosen, rounded):
        left = {x[t]: 1 for t in range(row, n)}
        upper += [left, {k: -v for k, v in left.items()}]
        upper_bound += [value + half, -(value - half)]
    matrix = sparse.vstack([_rows(upper, 2 * n), _rows(equal, 2 * n)])
    row_lower = np.r_[np.full(len(upper), -np.inf), equal_value]
    row_upper = np.r_[upper_bound, equal_value]
    col_lower = np.r_[0, np.ones(n - 1), np.zeros(n)]  # day 0's row is there anyway
    col_upper = np.full(2 * n, np.inf)
    for first, second in itertools.combinations([*chosen, n], 2):
        objective = np.zeros(2 * n)
        objective[x[first:second]] = 1
        _, low = _PROGRAMMES.minimise(objective, matrix, row_lower, row_upper, col_lower, col_upper)
        _, high = _PROGRAMMES.minimise(-objective, matrix, row_lower, row_upper, col_lower, col_upper)
        if math.ceil(low - _TOLERANCE) >= math.floor(-high + _TOLERANCE):
            return first, second
    return None


def _rows(rows: list[dict[int, float]], width: int) -> sparse.csr_matrix:
    """A sparse matrix from rows given as {column: value}."""
    data = [(r, c, v) for r, row in enumerate(rows) for c, v in row.items()]
    r, c, v = zip(*data) if data else ((), (), ())
    return sparse.csr_matrix((v, (r, c)), shape=(len(rows), width))
