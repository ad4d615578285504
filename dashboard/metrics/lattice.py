"""One protected lattice per measure and viewer, from which every view of the measure takes its mask.

A measure declares its ``Cells``: the SQL giving one row per thing it counts, the breakdown a page
shows, and the group filters a viewer may choose. ``withheld`` then counts every cell the viewer could
form (every period, quarter, breakdown and filter value, one group filter at a time, with every
margin) in one GROUPING SETS query, protects them once with ``disclosure.protect``, keeps the result
in the snapshot's cache, and marks a view's table by looking its cells up. A cell is withheld in
every view or in none, so no view can be subtracted from another (docs/disclosure-control.md).

Adopting it in a measure (docs/architecture.md shows one):

    CELLS = Cells(rows=_rows, counts=("count",), dimensions=(Dimension("quarter"), Dimension("yjs")),
                  filters=SOURCE.group_filters())
    ...
    return table, lattice.withheld(db, CELLS, resolved, options, table, shows={"count": ("count",)})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from .. import disclosure
from ..db import in_parts
from ..disclosure import ALL, Dimension
from ..filters import Filters, Resolved

#: The fixed column telling apart the cells of filters whose groups do not add up (``Cells.apart``).
APART = "apart"


@dataclass(frozen=True)
class Cells:
    """What a measure counts, for its lattice.

    rows(resolved, ranked_by) -> (SQL, params): one row per thing counted, for the services and dates
        of ``resolved`` (its filters are never set), with columns for every ``fixed`` column, every level
        of every dimension, every filter of ``filters`` and ``apart`` (named as the filter) and every
        count (a number per row, summed). ``ranked_by`` names filters of ``apart``: the rows are then
        those counted when one value of each is chosen (a child's first programme of each disposal type).
    dimensions: the breakdown a page shows (``quarter``, ``yjs``, a hierarchy of disposals...).
    views: the sets of those dimensions one web view shows together (others are summed over); the
        command line may ask for others, protected on top (``already``).
    filters: group filters whose groups add up to everyone (a child has one sex); ``apart``: group
        filters whose groups need not (a child may have programmes of several disposal types): each
        value's cells are protected as a table of their own, never as parts of a total.
    dependants: as ``disclosure.protect``'s; fixed: columns that never add up (the financial year).
    per_period: the things counted depend on the period chosen (a cohort's first programme in it), so
        each period has its own lattice; otherwise one lattice holds every financial year.
    """

    rows: Callable[[Resolved, tuple[str, ...]], tuple[str, dict]]
    counts: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    views: tuple[tuple[str, ...], ...] = ()
    filters: tuple[str, ...] = ()
    apart: tuple[str, ...] = ()
    dependants: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    fixed: tuple[str, ...] = ("fy",)
    per_period: bool = False
    #: The measure settings ``rows`` reads (disproportionality's ``by``): each value has its own lattice.
    settings: tuple[str, ...] = ()
    #: Filters that choose a value of a dimension (a disposal type of the disposals): filter -> dimension.
    #: A filter named as a dimension (a locality both shown and chosen) is one already.
    slices: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: cells -> those that may be withheld (False: a total taken as shown, such as the remand cases that
    #: ended, which every share gives away); None: every cell.
    eligible: Callable[[pd.DataFrame], pd.Series] | None = None
    #: (db, resolved, options, cells) -> where another measure shows the same count as a cell (the same
    #: children, by definition): a frame of some of ``counts`` by the cells' index, 1.0 where that
    #: measure's lattice withholds it, 0.0 where it shows it, NaN where it has no such cell. Those cells
    #: take their marks from there (withheld with it, never withheld otherwise), so the count cannot be
    #: read across from one page to the other (disproportionality's custody stage and use-of-custody).
    follows: Callable[..., pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        if not self.views:
            object.__setattr__(self, "views", (tuple(d.name for d in self.dimensions),))


class _Index:
    """Where each cell of a lattice is, by its coordinates: each column's values numbered, the numbers
    made one integer key per cell (first column most significant), the keys sorted."""

    def __init__(self, coordinates: pd.DataFrame):
        self.columns = list(coordinates.columns)
        self.codes: list[dict] = []
        key = np.zeros(len(coordinates), dtype=np.int64)
        for column in self.columns:
            codes, uniques = pd.factorize(coordinates[column].to_numpy(dtype=object), use_na_sentinel=False)
            self.codes.append({_key(u): i for i, u in enumerate(uniques)})
            key = key * (len(uniques) + 1) + codes
        if sum(np.log2(len(c) + 1) for c in self.codes) >= 62:
            raise ValueError("the lattice has too many distinct coordinates to index")
        self.order = np.argsort(key, kind="stable")
        self.keys = key[self.order]

    def find(self, coordinates: pd.DataFrame) -> np.ndarray:
        """The row of each of ``coordinates``' cells in the lattice, -1 where it is absent."""
        key = np.zeros(len(coordinates), dtype=np.int64)
        absent = np.zeros(len(coordinates), dtype=bool)
        for column, codes in zip(self.columns, self.codes):
            found = np.array(
                [codes.get(_key(v), -1) for v in coordinates[column].to_numpy(dtype=object)], dtype=np.int64
            )
            absent |= found < 0
            key = key * (len(codes) + 1) + np.maximum(found, 0)
        at = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
        hit = ~absent & (self.keys[at] == key) if len(self.keys) else np.zeros(len(key), dtype=bool)
        return np.where(hit, self.order[at] if len(self.keys) else -1, -1)


@dataclass(frozen=True)
class Protected:
    """A lattice, its mask, and where each cell is."""

    cells: pd.DataFrame
    mask: pd.DataFrame
    index: _Index = field(hash=False, compare=False)


def withheld(
    db,
    cells: Cells,
    resolved: Resolved,
    options: dict,
    table: pd.DataFrame,
    shows: Mapping[str, Sequence[str]],
    *,
    period: str | None = "period",
    locate: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The mask of ``table`` (True = withheld): each row's cell looked up in the viewer's protected
    lattice. ``shows`` maps a column of the table to the counts it is withheld with (a count itself, a
    rate built on it). A row's coordinates: ``period`` (a label such as '2021-22 Q3') gives the
    financial year and quarter; a dimension named as a column of ``table`` takes its values; others
    take the chosen filter or ALL. ``locate(table)`` may give some coordinates itself (a frame with
    the table's index). A cell absent from the lattice is a zero: shown."""
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    if not resolved.suppressed or table.empty:
        return mask
    protected, found = located(db, cells, resolved, options, table, period=period, locate=locate)
    if protected.cells.empty:
        return mask  # nothing counted: every cell is a zero
    for column, counts in shows.items():
        hidden = protected.mask[list(counts)].to_numpy().any(axis=1)
        mask[column] = np.where(found >= 0, hidden[np.maximum(found, 0)], False)
    return mask


def withheld_with_children(
    db,
    events: tuple[Cells, str, str],
    children: Cells,
    resolved: Resolved,
    options: dict,
    table: pd.DataFrame,
    children_shows: Mapping[str, Sequence[str]],
    all_services: bool,
) -> pd.DataFrame:
    """The mask of a table counting events (custodial sentences, remands: ``events`` is their lattice,
    the table's column and the lattice's count) and the ``children`` they are of, from the children's own
    lattice (a year's row is the year's own cell: a child counts once in it). A child has at least one
    event, so the children of a withheld count of events are withheld too: shown, they would bound it from
    below. ``all_services``: the table's one row of every service is the lattice's cell of them all."""
    cells, column, count = events

    def services(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"yjs": ALL}, index=rows.index) if all_services else rows[[]]

    mask = withheld(db, cells, resolved, options, table, shows={column: (count,)}, locate=services)
    mask |= withheld(
        db,
        children,
        resolved,
        options,
        table,
        shows=children_shows,
        locate=lambda rows: services(rows).join(whole_years(rows)),
    )
    mask["children"] |= mask[column]
    return mask


def located(
    db,
    cells: Cells,
    resolved: Resolved,
    options: dict,
    table: pd.DataFrame,
    *,
    period: str | None = "period",
    locate=None,
) -> tuple[Protected, np.ndarray]:
    """The protected lattice holding ``table``'s cells, and the row of each (-1: absent, a zero);
    ``withheld`` reads the mask there, the tests check the counts there equal the table's."""
    coordinates = _coordinates(cells, resolved, table, period, locate)
    services = resolved.services if resolved.services is not None else tuple(options["yjs"])
    if len(services) == 1 and any(d.name == "yjs" for d in cells.dimensions):
        # One service: its total is every service's, so the service is a fixed column, not a dimension.
        cells = replace(
            cells,
            dimensions=tuple(d for d in cells.dimensions if d.name != "yjs"),
            views=tuple(tuple(n for n in view if n != "yjs") for view in cells.views),
            fixed=(*cells.fixed, "yjs"),
        )
        coordinates["yjs"] = services[0]
    chosen = {c for c in _names(cells) if coordinates[c].map(lambda v: v is not ALL).any()}
    protected = _protected(db, cells, resolved, options, _extra(cells, chosen, resolved.drill_down))
    return protected, protected.index.find(coordinates.reindex(columns=[*cells.fixed, APART, *_names(cells)]))


# --- Building and protecting a lattice ------------------------------------------------------------

#: The quarter of a year's own cell in a lattice of children (``children``): a child of two quarters is
#: one child of the year, so a year's children are not the sum of its quarters'.
WHOLE_YEAR = 0


def children(
    source, table: str, date: str, condition: str, params: dict, by: Sequence[str] = (), ranked: Sequence[str] = ()
) -> tuple[str, dict]:
    """Cells' rows for distinct children: one row per child in each quarter and (quarter WHOLE_YEAR) each
    financial year of ``table`` rows meeting ``condition``, at the child's first row there for each value
    of ``by`` (columns protected apart or fixed) and of ``ranked``. With ``fixed=("fy", "quarter", *by)``
    and ``locate=whole_years``, children add up over services and the child's own groups only."""
    filters = source.group_filters()
    partition = "".join(f", {source.filters.get(name, name)}" for name in (*by, *ranked))
    firsts = " UNION ALL ".join(
        f"""
        SELECT fy, {quarter} AS quarter, yjs, {"".join(f"{name}, " for name in by)}{source.columns(filters)},
               row_number() OVER (PARTITION BY yjs, child_id, fy{within}{partition} ORDER BY {date}) AS nth
        FROM {table} WHERE {condition}"""
        for quarter, within in ((str(WHOLE_YEAR), ""), ("quarter", ", quarter"))
    )
    return (
        f"""
        SELECT fy, quarter, yjs, {"".join(f"{name}, " for name in by)}{", ".join(filters)}, 1 AS children
        FROM ({firsts}) firsts WHERE nth = 1""",
        params,
    )


def whole_years(rows: pd.DataFrame, period: str = "period") -> pd.DataFrame:
    """``locate`` for a lattice of ``children``: a year's row is the year's own cell."""
    return pd.DataFrame({"quarter": [WHOLE_YEAR if q is ALL else q for q in quarters(rows[period])]}, index=rows.index)


def quarters(labels: pd.Series) -> list:
    """The quarter of each period label ('2021-22 Q3' -> 3), ALL for a whole year."""
    return [int(label[-1]) if " Q" in label else ALL for label in labels.astype(str)]


def _names(cells: Cells) -> list[str]:
    """Every coordinate of a cell but the fixed ones: dimensions, then filters (not slices)."""
    return list(
        dict.fromkeys(
            [*(d.name for d in cells.dimensions), *(f for f in (*cells.filters, *cells.apart) if f not in cells.slices)]
        )
    )


def _coordinates(cells: Cells, resolved: Resolved, table: pd.DataFrame, period: str | None, locate) -> pd.DataFrame:
    """Each row's cell: fixed columns, the apart filter ranked by, every dimension and filter."""
    out = pd.DataFrame(index=table.index)
    if period is not None:
        labels = table[period].astype(str)
        out["fy"] = labels.str[:4].astype("int64").to_numpy()
        out["quarter"] = quarters(labels)
    for name in _names(cells):
        if name in out:
            continue
        if name in table.columns:
            out[name] = table[name].to_numpy(dtype=object)
        else:
            value = getattr(resolved.filters, name, None)
            out[name] = [ALL if value is None else value] * len(table)
    for fixed in cells.fixed:
        if fixed not in out and fixed in table.columns:
            out[fixed] = table[fixed].to_numpy(dtype=object)
    if locate is not None:
        given = locate(table)
        for column in given.columns:
            out[column] = given[column].to_numpy(dtype=object)
    dimensions = {d.name: d for d in cells.dimensions}
    for name, dimension in cells.slices.items():
        value = getattr(resolved.filters, name, None)
        if value is not None:
            above = _ancestors(dimensions[dimension], value)
            out[dimension] = [value if v is ALL or v in above else v for v in out[dimension]]
    ranked = [f for f in cells.apart if (out[f].map(lambda v: v is not ALL)).any()]
    out[APART] = ",".join(ranked)
    return out


def _extra(cells: Cells, chosen: set[str], drill_down: bool) -> tuple[str, ...] | None:
    """The coordinates a view sets beyond what the web's lattice holds (the command line's combined
    filters or breakdowns), or None when the web's lattice holds the view."""
    filters = set(cells.filters) | set(cells.apart) if drill_down else set()
    for view in cells.views:
        rest = chosen - set(view)
        if not rest or (len(rest) == 1 and rest <= filters):
            return None
    return tuple(n for n in _names(cells) if n in chosen)


def _protected(db, cells: Cells, resolved: Resolved, options: dict, extra: tuple[str, ...] | None) -> Protected:
    """The viewer's protected lattice, remembered per (measure, services, drill-down, dates, extra)."""
    start, end = _dates(cells, resolved, options)
    base = replace(resolved, filters=Filters(), start=start, end=end)
    settings = tuple(getattr(resolved.settings, name) for name in cells.settings)
    key = ("lattice", cells, resolved.services, resolved.drill_down, start, end, settings, extra)

    def build() -> Protected:
        web = None if extra is None else _protected(db, cells, resolved, options, None)
        queries = _queries(cells, resolved.drill_down, extra)
        frame = pd.concat(
            [_query(db, cells, base, ranked, groups) for ranked, groups in queries.items()], ignore_index=True
        )
        names = [*cells.fixed, APART, *_names(cells)]
        frame = frame.drop_duplicates(subset=names).reset_index(drop=True)
        followed = None if cells.follows is None else cells.follows(db, resolved, options, frame)
        return _protect(cells, frame, web, followed)

    with db.snapshot() as snap:
        return snap.remember(key, build)


def _dates(cells: Cells, resolved: Resolved, options: dict) -> tuple[date, date]:
    """The lattice's dates: the period chosen for a per-period measure or a free date range (the
    command line's), else every financial year of the data."""
    if cells.per_period or resolved.filters.date_from or not options["years"]:
        return resolved.start, resolved.end
    years = options["years"]
    return date(years[0], 4, 1), date(years[-1] + 1, 3, 31)


def _queries(cells: Cells, drill_down: bool, extra: tuple[str, ...] | None) -> dict[tuple[str, ...], list]:
    """ranked_by -> the groups of dimensions to count that way: the web's views with one additive
    filter at a time; each apart filter's cells ranked by it; the view the command line asks for."""
    filters = [f for f in cells.filters if f not in cells.slices] if drill_down else ()
    queries = {(): _groups(cells, filters)}
    for name in cells.apart if drill_down else ():
        queries[(name,)] = _groups(cells, ())
    if extra is not None:
        ranked = tuple(f for f in cells.apart if f in extra)
        queries.setdefault(ranked, []).append(tuple(n for n in extra if n not in ranked))
    return queries


def _groups(cells: Cells, filters: Sequence[str]) -> list[tuple[str, ...]]:
    """The web's groups of dimensions: each view alone and with each filter it does not show."""
    groups: list[tuple[str, ...]] = []
    for view in cells.views:
        groups += disclosure.crossings(view, [f for f in filters if f not in view and cells.slices.get(f) not in view])
    return list(dict.fromkeys(groups))


#: Grouping sets per query: DuckDB holds a table per set, and a lattice has a few hundred sets.
SETS_PER_QUERY = 24


def _query(db, cells: Cells, base: Resolved, ranked: tuple[str, ...], groups: list) -> pd.DataFrame:
    """The cells of ``groups``, counted as ranked by ``ranked``: GROUPING SETS queries of at most
    SETS_PER_QUERY sets, fewer while the database refuses them for memory (``db.in_parts``)."""
    rows, params = cells.rows(base, ranked)
    fixed = [*cells.fixed, *ranked]
    sums = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in cells.counts)

    def counted(used: list, part: list) -> pd.DataFrame:
        levels = [level for d in used for level in d.levels if any(level in s for s in part)]
        grouping = [f"GROUPING({v}) AS {disclosure.GROUPING_PREFIX}{v}" for v in levels]
        frame = db.query(
            f"""
            SELECT {", ".join([*fixed, *levels, sums, *grouping])}
            FROM ({rows}) counted
            GROUP BY {disclosure.grouping_clause(part)}""",
            params,
        )
        for level in (level for d in used for level in d.levels if level not in levels):
            frame[level], frame[disclosure.GROUPING_PREFIX + level] = None, 1  # summed over in every set
        frame = disclosure.from_grouping_sets(frame, used)
        for name in _names(cells):
            frame[name] = frame[name].astype(object) if name in frame else np.full(len(frame), ALL, dtype=object)
        return frame

    frames = []
    for group in groups:
        used = [d for d in _dimensions(cells) if d.name in group]
        sets = disclosure.grouping_set_list(used, [group], fixed=fixed)
        frames += in_parts(lambda part, used=used: counted(used, part), sets, SETS_PER_QUERY)
    frame = pd.concat(frames, ignore_index=True)
    frame[APART] = ",".join(ranked)
    for count in cells.counts:
        frame[count] = frame[count].fillna(0).astype("int64")
    return frame


def _protect(
    cells: Cells, frame: pd.DataFrame, web: Protected | None, followed: pd.DataFrame | None = None
) -> Protected:
    """Protect the lattice (on top of the web's mask, for a larger one; with the marks of cells another
    measure shows, ``Cells.follows``) and index it."""
    names = [*cells.fixed, APART, *_names(cells)]
    frame = frame.drop_duplicates(subset=names).reset_index(drop=True)
    already = None
    if web is not None:
        found = web.index.find(frame[names])
        already = pd.DataFrame(
            {c: np.where(found >= 0, web.mask[c].to_numpy()[np.maximum(found, 0)], False) for c in cells.counts},
            index=frame.index,
        )
    eligible = None if cells.eligible is None else cells.eligible(frame)
    if followed is not None:
        followed = followed.reindex(index=frame.index, columns=list(cells.counts))
        elsewhere = followed.eq(1.0)
        already = elsewhere if already is None else already | elsewhere
        # A count shown elsewhere is never withheld here: withholding it would hide nothing.
        free = ~(followed.notna() & ~elsewhere).any(axis=1)
        eligible = free if eligible is None else eligible & free
    mask = disclosure.protect(
        frame,
        _dimensions(cells),
        list(cells.counts),
        fixed=[*cells.fixed, APART],
        dependants=cells.dependants,
        already=already,
        eligible=eligible,
    )
    return Protected(frame, mask[list(cells.counts)], _Index(frame[names]))


def _ancestors(dimension: Dimension, value: object) -> list:
    """The values ``value`` adds up to, nearest first (ALL not included)."""
    found = []
    while (value := dimension.parent(value)) is not ALL:
        found.append(value)
    return found


def _dimensions(cells: Cells) -> list[Dimension]:
    """The lattice's dimensions: the breakdown's, then one per filter that is not one of them."""
    names = {d.name for d in cells.dimensions}
    return [*cells.dimensions, *(Dimension(f) for f in _names(cells) if f not in names)]


def _key(value: object) -> object:
    """A value as a lattice key: every kind of missing value alike, numbers as plain numbers."""
    if value is ALL:
        return ALL
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
