"""remands and remand-outcomes: bail and remand decisions, and how the cases of children remanded to
youth detention ended (indicators.md).

``remand-outcomes`` splits the remands to youth detention of a period by how the case ended, and the
page splits them again by ethnic group, sex and age band (``remand-outcomes-by-group``). Those figures
add up in many directions: the four results to the service's remands to youth detention (shown by
``remands``), the three ended results to the ended total (which any shown share gives away), services
to all of them, groups to everyone. So the remands to youth detention of one
set of filters are protected as one lattice (dashboard/disclosure.py): each of those views shows cells
of the same mask, and none can be taken from another. The other remand types add up to no total
anyone sees and are withheld table by table, as the other measures are.

A service whose extract has no remands.csv has no rows here: its figures are "not in this extract"
(``notes``), never 0.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pandas as pd

from .. import config, suppression
from ..access import scoped_options
from ..disclosure import ALL, Dimension, protect
from ..filters import GROUPS, Filters, InvalidFilter, Resolved
from .common import Measure, Quarters, label_periods, period_columns, period_frame, rate, where
from .population import ALL_SERVICES, combined
from .sources import REMANDS

REMAND_COLUMNS = ["period", "yjs", "remand_type", "remands", "children"]
OUTCOME_COLUMNS = ["period", "yjs", "result", "remands", "percent"]
BY_GROUP_COLUMNS = ["period", "yjs", "group", "result", "remands", "percent"]
#: The characteristics the outcomes are split by (each is also a filter).
SPLITS = tuple(GROUPS)
#: The ended results add up to ENDED (any shown share gives that total away), ENDED and the open ones to
#: every remand to youth detention (shown by ``remands``).
ENDED = "ended"
RESULT = Dimension("result", dict.fromkeys(config.ENDED_RESULTS, ENDED))
#: The lattice of the outcomes: services add up to all of them, results as RESULT; with a split, groups
#: to everyone (the group dimension). Years never add up (fixed): outcomes are by financial year.
DIMENSIONS = (Dimension("yjs"), RESULT)
GROUP = Dimension("group")


# -- Which services have remands at all ------------------------------------------------------------

def _with_remands(db) -> frozenset[str]:
    """The services whose extract had remands.csv."""
    with db.snapshot() as snap:
        return snap.remember("services with remands", lambda: frozenset(
            snap.query("SELECT yjs FROM extract_info WHERE has_remands")["yjs"]))


def covered(db, resolved: Resolved, options: dict) -> tuple[list[str], list[str]]:
    """The services a measure covers for these filters whose extract had remands.csv, and those whose
    had not (their remand figures are not in the extract)."""
    services = [resolved.filters.yjs] if resolved.filters.yjs else options["yjs"]
    found = _with_remands(db)
    return [s for s in services if s in found], [s for s in services if s not in found]


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def not_in_extract(having: list[str], missing: list[str], what: str) -> list[str]:
    """The sentence saying which services' remands are not in the extract, and what that leaves out."""
    if not missing:
        return []
    if not having:
        return [f"Remands are not in this extract ({_listed(missing)} loaded no remands file), so {what} "
                "cannot be shown."]
    return [f"Remands are not in this extract for {_listed(missing)} (no remands file was loaded): {what} "
            f"cover {_listed(having)} only."]


def remand_stage_left_out(having: list[str], missing: list[str]) -> list[str]:
    """Disproportionality's sentence: the remand stage is left out unless every service chosen has remands
    (pooled with services that have none, its rates would be too low)."""
    if not missing:
        return []
    if not having:
        return [f"Remands are not in this extract ({_listed(missing)} loaded no remands file), so the remand "
                "stage is not shown."]
    return [f"Remands are not in this extract for {_listed(missing)} (no remands file was loaded), so the remand "
            "stage is not shown: choose a service whose extract has them."]


def notes_for(metric: str, sentences):
    """A measure's notes: ``sentences(having, missing)`` for the services its filters and scope cover."""
    def notes(db, filters: Filters, scope, **_about) -> list[str]:
        from . import filter_options, validate
        resolved = validate(db, metric, filters, scope=scope)
        return sentences(*covered(db, resolved, scoped_options(filter_options(db), resolved.services)))
    return notes


def _notes(metric: str):
    return notes_for(metric, lambda having, missing: not_in_extract(having, missing, "the remand figures"))


# -- remands ---------------------------------------------------------------------------------------

def remands(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remands with remand_date in the period by type, and the distinct children they were of, for each
    service whose extract had remands.csv (all of them as one row with ``combine``)."""
    having, _ = covered(db, resolved, options)
    clause, params = where(resolved, "remand_date", REMANDS)
    counts = db.query(f"""
        SELECT {period_columns(resolved, 'fy', 'quarter')}, yjs, remand_type, count(*) AS remands,
               count(DISTINCT child_id) AS children
        FROM remand_fact WHERE {clause}
        GROUP BY 1, 2, 3, 4""", params)
    counts["period"] = label_periods(counts)
    services = _services(resolved, having)
    if combined(resolved):
        # A child belongs to one service: children add up over services.
        counts = counts.assign(yjs=ALL_SERVICES).groupby(["period", "yjs", "remand_type"], as_index=False)[
            ["remands", "children"]].sum()
    grid = _grid(resolved, services, "remand_type", config.REMAND_TYPES)
    table = grid.merge(counts[["period", "yjs", "remand_type", "remands", "children"]],
                       on=["period", "yjs", "remand_type"], how="left")
    table[["remands", "children"]] = table[["remands", "children"]].fillna(0).astype("int64")
    table = table[REMAND_COLUMNS]
    detention = (table["remand_type"] == config.YOUTH_DETENTION).to_numpy()
    hidden = pd.Series(False, index=table.index)
    # By quarter, a quarter is withheld with its year (Quarters), whose remands to youth detention are
    # withheld as the remand-outcomes lattice withholds its totals.
    lattice = outcome_lattice(db, resolved) if detention.any() and not resolved.by_quarter else pd.DataFrame()
    if not lattice.empty:
        totals = _cells(lattice, resolved, result=ALL)
        found = table[detention][["period", "yjs"]].merge(totals, on=["period", "yjs"], how="left")["hidden"]
        hidden[detention] = found.astype("boolean").fillna(False).to_numpy(dtype=bool)
    # Services add up to all of them together (shown on the page). A child has at least one remand, so the
    # children of a withheld count are withheld too: shown, they would bound it from below.
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    mask["remands"] = _withhold(table, "remands", hidden)
    mask["children"] = _withhold(table, "children", mask["remands"])
    return table, mask


def _withhold(table: pd.DataFrame, column: str, already: pd.Series) -> pd.Series:
    """``column`` withheld by the usual rule with the services of a period and type as a margin, the cells
    in ``already`` withheld from the start (given as a small count, which any withheld count may be)."""
    given = table.assign(**{column: table[column].where(~already, 1)})
    return suppression.withhold(given, [column], margins=[["period", "remand_type"]])[column]


def _services(resolved: Resolved, having: list[str]) -> list[str]:
    """The rows' services: those with remands, or all of them as one (none when no service has them)."""
    if not having:
        return []
    return [ALL_SERVICES] if combined(resolved) else having


def _grid(resolved: Resolved, services: list[str], column: str, values) -> pd.DataFrame:
    """Every period, service and value of ``column``, in order, so a period with none shows 0."""
    grid = period_frame(resolved).merge(pd.DataFrame({"yjs": pd.Series(services, dtype="object")}), how="cross")
    return grid.merge(pd.DataFrame({column: pd.Series(list(values), dtype="object")}), how="cross")


# -- The lattice of remands to youth detention ----------------------------------------------------

def outcome_lattice(db, resolved: Resolved, split: str | None = None) -> pd.DataFrame:
    """Every cell of the remands to youth detention that a view of these filters can show in its years
    (each service and all of them, each result, the ended and every remand; with ``split``, each group
    of it and everyone), with ``hidden``: withheld. Worked out once per filters, split and database
    version; a year's cells are the same alone or with other years."""
    cohort = replace(resolved.filters, period=None, by_quarter=False)
    key = ("remand-outcome lattice", cohort, resolved.services, resolved.start, resolved.end, split)
    with db.snapshot() as snap:
        return snap.remember(key, lambda: _outcome_lattice(snap, resolved, split))


def _outcome_lattice(db, resolved: Resolved, split: str | None) -> pd.DataFrame:
    """The lattice, protected. A split's lattice holds everyone's cells too, withheld exactly as in the
    lattice without it (which the page shows beside it): those shown there are shown here, so only the
    groups' own cells are withheld to protect them, and the groups never give away a total withheld there."""
    clause, params = where(resolved, "remand_date", REMANDS)
    group = f", {REMANDS.filters[split]} AS grp" if split else ""
    finest = db.query(f"""
        SELECT fy, yjs, result{group}, count(*) AS remands
        FROM remand_fact WHERE remand_type = :detention AND {clause}
        GROUP BY fy, yjs, result{', grp' if split else ''}""", {**params, "detention": config.YOUTH_DETENTION})
    dimensions = (*DIMENSIONS, GROUP) if split else DIMENSIONS
    cells = _every_cell(finest.rename(columns={"grp": "group"}), dimensions)
    if cells.empty:
        return cells.assign(hidden=pd.Series(dtype=bool))
    # The ended total is taken as shown (a share and its count give it away): never withheld, so a share
    # is withheld only with its count. A small open count then withholds every remand's total instead.
    ended = cells["result"].map(lambda v: v == ENDED)
    if not split:
        cells["hidden"] = protect(cells, dimensions, ["remands"], fixed=["fy"], eligible=~ended)["remands"]
        return cells
    everyone = cells["group"].map(lambda v: v is ALL)
    alone = outcome_lattice(db, resolved)[["fy", *(d.name for d in DIMENSIONS), "hidden"]]
    withheld = cells.merge(alone, on=["fy", *(d.name for d in DIMENSIONS)], how="left")["hidden"]
    withheld = withheld.where(everyone.to_numpy(), False).fillna(False).astype(bool).set_axis(cells.index)
    cells["hidden"] = protect(cells, dimensions, ["remands"], fixed=["fy"], eligible=~ended & (~everyone | withheld),
                              already=withheld.to_frame("remands"))["remands"]
    return cells


def _every_cell(finest: pd.DataFrame, dimensions) -> pd.DataFrame:
    """The lattice from its finest cells: for every dimension each value or its margin (ALL), and for the
    result the ended total too. Summed here rather than by GROUPING SETS, which DuckDB holds in memory a
    set at a time (those of a split overran a worker's 128 MB)."""
    names = [d.name for d in dimensions]
    ended = finest[finest["result"].isin(config.ENDED_RESULTS)].assign(result=ENDED)
    parts = []
    for levels in itertools.product(*[("each", "ended", "all") if n == "result" else ("each", "all") for n in names]):
        keys = ["fy", *(n for n, level in zip(names, levels) if level != "all")]
        rows = ended if "ended" in levels else finest
        part = rows.groupby(keys, dropna=False, sort=False, as_index=False)["remands"].sum()
        parts.append(part.assign(**{n: ALL for n in names if n not in keys}))
    cells = pd.concat(parts, ignore_index=True)
    return cells.astype(dict.fromkeys(names, object))[["fy", *names, "remands"]]


def _cells(lattice: pd.DataFrame, resolved: Resolved, *, result=None, split: bool = False) -> pd.DataFrame:
    """The lattice's cells one view shows: its services (each, or all as one), ``result`` (a value or
    ALL; None: each result) and, ``split``, each group (else everyone); with ``period`` and ``yjs`` in
    the measures' words."""
    def each(column):
        return lattice[column].map(lambda v: v is not ALL)

    def margin(column):
        return lattice[column].map(lambda v: v is ALL)

    keep = margin("yjs") if combined(resolved) else each("yjs")
    keep &= each("result") if result is None else lattice["result"].map(lambda v: v is result if result is ALL
                                                                           else v == result)
    if "group" in lattice:
        keep &= each("group") if split else margin("group")
    cells = lattice[keep].assign(quarter=None)
    cells["period"] = label_periods(cells)
    cells["yjs"] = cells["yjs"].map(lambda v: ALL_SERVICES if v is ALL else v)
    return cells


# -- remand-outcomes -------------------------------------------------------------------------------

def _outcomes(db, resolved: Resolved, options: dict, split: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remands to youth detention by how the case ended, each result's share of those ended, from the
    lattice; ``split``: by each group of a characteristic too. By financial year only, as the YJB
    publishes them: a service has a handful of remands to youth detention a quarter, most cases still open."""
    if resolved.by_quarter:
        raise InvalidFilter("remand outcomes are counted by financial year: choose a year like 2023-24")
    having, _ = covered(db, resolved, options)
    keys = ["period", "yjs", *(["group"] if split else [])]
    grid = _grid(resolved, _services(resolved, having), "result", config.REMAND_RESULTS)
    if split:
        grid = grid.merge(pd.DataFrame({"group": pd.Series(GROUPS[split], dtype="object")}), how="cross")
        grid = grid[["period", "period_order", "yjs", "group", "result"]]
    lattice = outcome_lattice(db, resolved, split) if having else pd.DataFrame()
    if lattice.empty:
        table = grid.assign(remands=0, ended=0, hidden=False)
    else:
        results = _cells(lattice, resolved, split=bool(split))[[*keys, "result", "remands", "hidden"]]
        ended = _cells(lattice, resolved, result=ENDED, split=bool(split))[[*keys, "remands"]]
        table = (grid.merge(results, on=[*keys, "result"], how="left")
                     .merge(ended.rename(columns={"remands": "ended"}), on=keys, how="left"))
        table[["remands", "ended"]] = table[["remands", "ended"]].fillna(0)
        table["hidden"] = table["hidden"].astype("boolean").fillna(False).astype(bool)
    table["remands"] = table["remands"].astype("int64")
    is_ended = table["result"].isin(config.ENDED_RESULTS)
    table["percent"] = rate(table["remands"], table["ended"], 100).where(is_ended)
    columns = BY_GROUP_COLUMNS if split else OUTCOME_COLUMNS
    mask = pd.DataFrame(False, index=table.index, columns=columns)
    mask["remands"] = table["hidden"].to_numpy()
    # The ended total is never withheld (see _outcome_lattice): a share goes with its count.
    mask["percent"] = (table["hidden"] & is_ended).to_numpy()
    return table[columns].reset_index(drop=True), mask.reset_index(drop=True)


def remand_outcomes(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _outcomes(db, resolved, options, None)


def remand_outcomes_by_group(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _outcomes(db, resolved, options, resolved.settings.by)


MEASURES = [
    Measure("remands", tuple(REMAND_COLUMNS), remands, REMANDS.applies(), frozenset({"combine"}),
            quarters=Quarters("period", ("yjs", "remand_type"), ("remands", "children")),
            summary="bail and remand decisions, by type", order=10,
            notes=_notes("remands")),
    Measure("remand-outcomes", tuple(OUTCOME_COLUMNS), remand_outcomes, REMANDS.applies() - {"by_quarter"},
            frozenset({"combine"}),
            summary="remands to youth detention by how the case ended", order=11,
            notes=_notes("remand-outcomes")),
    Measure("remand-outcomes-by-group", tuple(BY_GROUP_COLUMNS), remand_outcomes_by_group,
            REMANDS.applies() - {"by_quarter"}, frozenset({"by", "combine"}), default_period="latest",
            summary="remands to youth detention by how the case ended, by ethnic group, sex or age band",
            order=12, notes=_notes("remand-outcomes-by-group")),
]
