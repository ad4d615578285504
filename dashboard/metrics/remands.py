"""remands and remand-outcomes: bail and remand decisions, and how the cases of children remanded to
youth detention ended (indicators.md).

``remand-outcomes`` splits the remands to youth detention of a period by how the case ended, and the
page splits them again by ethnic group, sex and age band (``remand-outcomes-by-group``). Those figures
add up in many directions: the four results to the service's remands to youth detention (shown by
``remands``), the three ended results to the ended total (which any shown share gives away), types to
every remand, quarters to their year, services to all of them, groups to everyone. So every remand
figure a viewer can see is a cell of one lattice (``REMANDS_CELLS``, metrics/lattice.py), protected
once: a split by group is the cells of that group filter, and none can be taken from another.

A service whose extract has no remands.csv has no rows here: its figures are "not in this extract"
(``notes``), never 0.
"""

from __future__ import annotations

import pandas as pd

from .. import config
from ..access import scoped_options
from ..disclosure import ALL, Dimension
from ..filters import GROUPS, Filters, InvalidFilter, Resolved
from . import lattice
from .common import Measure, label_periods, period_columns, period_frame, rate, where
from .population import ALL_SERVICES, combined
from .sources import REMANDS

REMAND_COLUMNS = ["period", "yjs", "remand_type", "remands", "children"]
OUTCOME_COLUMNS = ["period", "yjs", "result", "remands", "percent"]
BY_GROUP_COLUMNS = ["period", "yjs", "group", "result", "remands", "percent"]
#: The ended results add up to ENDED (any shown share gives that total away), ENDED and the open ones to
#: every remand to youth detention (shown by ``remands``).
ENDED = "ended"
RESULT = Dimension("result", dict.fromkeys(config.ENDED_RESULTS, ENDED), ("ended_or_not", "result"))
#: The result of a remand of another type (only remands to youth detention are followed to an outcome).
NO_RESULT = "not followed"


def _remands(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per remand, for the lattice: remands add up over quarters, services, types, results (the
    ended ones to ENDED first) and every group of children (a remand has one age band, on its date)."""
    clause, params = where(resolved, "remand_date", REMANDS)
    ended = {f"ended_{i}": result for i, result in enumerate(config.ENDED_RESULTS)}
    return (
        f"""
        SELECT fy, quarter, yjs, remand_type, {", ".join(REMANDS.group_filters())}, followed AS result,
               CASE WHEN followed IN ({", ".join(":" + name for name in ended)}) THEN :ended ELSE followed END
                   AS ended_or_not, 1 AS remands
        FROM (SELECT fy, quarter, yjs, remand_type, {REMANDS.columns(REMANDS.group_filters())},
                     CASE WHEN remand_type = :detention THEN result ELSE :none END AS followed
              FROM remand_fact WHERE {clause}) remands""",
        {**params, **ended, "ended": ENDED, "detention": config.YOUTH_DETENTION, "none": NO_RESULT},
    )


def _children(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """Children remanded in each quarter and year, by type, for the lattice (``lattice.children``)."""
    clause, params = where(resolved, "remand_date", REMANDS)
    return lattice.children(REMANDS, "remand_fact", "remand_date", clause, params, by=("remand_type",), ranked=ranked)


def _not_ended(cells: pd.DataFrame) -> pd.Series:
    """The ended total is taken as shown (a share and its count give it away): never withheld, so a share
    is withheld only with its count. A small open count then withholds every remand's total instead."""
    return ~cells["result"].map(lambda v: v == ENDED)


#: Every remand figure: by type and quarter (``remands``), and by result within the year (the outcomes).
REMANDS_CELLS = lattice.Cells(
    rows=_remands,
    counts=("remands",),
    dimensions=(Dimension("quarter"), Dimension("yjs"), Dimension("remand_type"), RESULT),
    views=(("quarter", "yjs", "remand_type"), ("yjs", "remand_type", "result")),
    filters=REMANDS.group_filters(),
    eligible=_not_ended,
)
#: The children remanded, by type: they add up over services and the child's own groups only.
CHILDREN = lattice.Cells(
    rows=_children,
    counts=("children",),
    dimensions=(Dimension("yjs"),),
    fixed=("fy", "quarter", "remand_type"),
    filters=tuple(f for f in REMANDS.group_filters() if f != "age_band"),
    apart=("age_band",),
)


# -- Which services have remands at all ------------------------------------------------------------


def _with_remands(db) -> frozenset[str]:
    """The services whose extract had remands.csv."""
    with db.snapshot() as snap:
        return snap.remember(
            "services with remands",
            lambda: frozenset(snap.query("SELECT yjs FROM extract_info WHERE has_remands")["yjs"]),
        )


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
        return [
            f"Remands are not in this extract ({_listed(missing)} loaded no remands file), so {what} cannot be shown."
        ]
    return [
        f"Remands are not in this extract for {_listed(missing)} (no remands file was loaded): {what} "
        f"cover {_listed(having)} only."
    ]


def remand_stage_left_out(having: list[str], missing: list[str]) -> list[str]:
    """Disproportionality's sentence: the remand stage is left out unless every service chosen has remands
    (pooled with services that have none, its rates would be too low)."""
    if not missing:
        return []
    if not having:
        return [
            f"Remands are not in this extract ({_listed(missing)} loaded no remands file), so the remand "
            "stage is not shown."
        ]
    return [
        f"Remands are not in this extract for {_listed(missing)} (no remands file was loaded), so the remand "
        "stage is not shown: choose a service whose extract has them."
    ]


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
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, "fy", "quarter")}, yjs, remand_type, count(*) AS remands,
               count(DISTINCT child_id) AS children
        FROM remand_fact WHERE {clause}
        GROUP BY 1, 2, 3, 4""",
        params,
    )
    counts["period"] = label_periods(counts)
    services = _services(resolved, having)
    if combined(resolved):
        # A child belongs to one service: children add up over services.
        counts = (
            counts.assign(yjs=ALL_SERVICES)
            .groupby(["period", "yjs", "remand_type"], as_index=False)[["remands", "children"]]
            .sum()
        )
    grid = _grid(resolved, services, "remand_type", config.REMAND_TYPES)
    table = grid.merge(
        counts[["period", "yjs", "remand_type", "remands", "children"]], on=["period", "yjs", "remand_type"], how="left"
    )
    table[["remands", "children"]] = table[["remands", "children"]].fillna(0).astype("int64")
    table = table[REMAND_COLUMNS]

    mask = lattice.withheld_with_children(
        db,
        (REMANDS_CELLS, "remands", "remands"),
        CHILDREN,
        resolved,
        options,
        table,
        {"children": ("children",)},
        combined(resolved),
    )
    return table, mask


def _services(resolved: Resolved, having: list[str]) -> list[str]:
    """The rows' services: those with remands, or all of them as one (none when no service has them)."""
    if not having:
        return []
    return [ALL_SERVICES] if combined(resolved) else having


def _grid(resolved: Resolved, services: list[str], column: str, values) -> pd.DataFrame:
    """Every period, service and value of ``column``, in order, so a period with none shows 0."""
    grid = period_frame(resolved).merge(pd.DataFrame({"yjs": pd.Series(services, dtype="object")}), how="cross")
    return grid.merge(pd.DataFrame({column: pd.Series(list(values), dtype="object")}), how="cross")


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
    clause, params = where(resolved, "remand_date", REMANDS)
    group = f"{REMANDS.filters[split]} AS grp, " if split else ""
    counts = db.query(
        f"""
        SELECT fy, yjs, {group}result, count(*) AS remands
        FROM remand_fact WHERE remand_type = :detention AND {clause}
        GROUP BY fy, yjs, {"grp, " if split else ""}result""",
        {**params, "detention": config.YOUTH_DETENTION},
    )
    counts = counts.rename(columns={"grp": "group"}).assign(quarter=None)
    counts["period"] = label_periods(counts)
    if combined(resolved):
        counts = counts.assign(yjs=ALL_SERVICES).groupby([*keys, "result"], as_index=False)["remands"].sum()
    table = grid.merge(counts[[*keys, "result", "remands"]], on=[*keys, "result"], how="left")
    table["remands"] = table["remands"].fillna(0).astype("int64")
    is_ended = table["result"].isin(config.ENDED_RESULTS)
    ended = table[is_ended].groupby(keys, as_index=False)["remands"].sum().rename(columns={"remands": "ended"})
    table = table.merge(ended, on=keys, how="left")
    table["percent"] = rate(table["remands"], table["ended"], 100).where(is_ended.to_numpy())
    columns = BY_GROUP_COLUMNS if split else OUTCOME_COLUMNS
    table = table[columns].reset_index(drop=True)

    def cells(rows: pd.DataFrame) -> pd.DataFrame:
        """Each row's cell: the remands to youth detention, of its group (the split's filter)."""
        at = pd.DataFrame({"remand_type": config.YOUTH_DETENTION}, index=rows.index)
        if combined(resolved):
            at["yjs"] = ALL
        if split:
            at[split] = rows["group"]
        return at

    mask = lattice.withheld(db, REMANDS_CELLS, resolved, options, table, shows={"remands": ("remands",)}, locate=cells)
    # The ended total is never withheld (``_not_ended``): a share goes with its count.
    mask["percent"] = mask["remands"] & table["result"].isin(config.ENDED_RESULTS)
    return table, mask


def remand_outcomes(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _outcomes(db, resolved, options, None)


def remand_outcomes_by_group(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _outcomes(db, resolved, options, resolved.settings.by)


MEASURES = [
    Measure(
        "remands",
        tuple(REMAND_COLUMNS),
        remands,
        REMANDS.applies(),
        frozenset({"combine"}),
        summary="bail and remand decisions, by type",
        order=10,
        notes=_notes("remands"),
    ),
    Measure(
        "remand-outcomes",
        tuple(OUTCOME_COLUMNS),
        remand_outcomes,
        REMANDS.applies() - {"by_quarter"},
        frozenset({"combine"}),
        summary="remands to youth detention by how the case ended",
        order=11,
        notes=_notes("remand-outcomes"),
    ),
    Measure(
        "remand-outcomes-by-group",
        tuple(BY_GROUP_COLUMNS),
        remand_outcomes_by_group,
        REMANDS.applies() - {"by_quarter"},
        frozenset({"by", "combine"}),
        default_period="latest",
        summary="remands to youth detention by how the case ended, by ethnic group, sex or age band",
        order=12,
        notes=_notes("remand-outcomes-by-group"),
    ),
]
