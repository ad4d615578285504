"""disproportionality: children at each stage by group, their rates and relative rate index (RRI).

The RRI compares a group's rate with the reference group's (White by default). Its 95% interval
uses the log method of the spec, so a large ratio on a handful of children is shown as uncertain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import config
from ..disclosure import ALL, Dimension
from ..filters import GROUPS, Filters, Resolved, parse_period, period_label
from . import custody, lattice, remands
from .common import Measure, rate, where
from .population import population_10_17
from .remands import covered, notes_for, remand_stage_left_out
from .sources import STAGE_EVENT

COLUMNS = ["stage", "group", "count", "base", "rate_per_1000", "rri", "ci_low", "ci_high", "significant"]
Z_95 = 1.96


def _stage_counts(db, resolved: Resolved) -> pd.DataFrame:
    """Distinct children per stage and group; a child's group by age is their age at the stage's
    first event in the period, so each child counts once per stage."""
    clause, params = where(resolved, "event_date", STAGE_EVENT)
    group = STAGE_EVENT.filters[resolved.settings.by]
    return db.query(
        f"""
        WITH firsts AS (
            SELECT stage, {group} AS grp,
                   row_number() OVER (PARTITION BY yjs, child_id, stage ORDER BY event_date) AS nth
            FROM stage_event WHERE {clause}
        )
        SELECT stage, grp, count(*) AS count FROM firsts WHERE nth = 1 AND grp IS NOT NULL
        GROUP BY 1, 2""",
        params,
    )


def _stage_children(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per child and stage, at the child's first event at the stage in the period (within an
    age band when ``ranked`` by it, as the page counts them when a band is chosen), for the lattice."""
    clause, params = where(resolved, "event_date", STAGE_EVENT)
    group = STAGE_EVENT.filters[resolved.settings.by]
    by = "".join(f", {STAGE_EVENT.filters[name]}" for name in ranked)
    return (
        f"""
        SELECT stage, grp, yjs, {", ".join(STAGE_EVENT.group_filters())}, 1 AS count FROM (
            SELECT stage, {group} AS grp, yjs, {STAGE_EVENT.columns(STAGE_EVENT.group_filters())},
                   row_number() OVER (PARTITION BY yjs, child_id, stage{by} ORDER BY event_date) AS nth
            FROM stage_event WHERE {clause}) firsts
        WHERE nth = 1 AND grp IS NOT NULL""",
        params,
    )


#: The stages whose children another page shows, counted alike: the custody stage's are use-of-custody's
#: children sentenced to custody, the remand stage's remands' children remanded to youth detention. Each
#: is a lattice of children by their own groups (one at a time) and age band (apart), per year and quarter;
#: the stage's cells that are cells of it take their withheld marks from it (``_elsewhere``), and from the
#: page's lattice of sentences (remands), whose withheld counts withhold their children there too.
ELSEWHERE = {
    "custody": ((custody.CHILDREN, custody.SENTENCES), {}),
    "remand": ((remands.CHILDREN, remands.REMANDS_CELLS), {"remand_type": config.YOUTH_DETENTION}),
}
#: A child's own groups, which those lattices hold one at a time.
CHILD_GROUPS = ("locality", "sex", "ethnicity_group")


def _same_children(cell: dict, by: str, drill_down: bool) -> dict | None:
    """The cell of those lattices counting the same children as a stage's ``cell`` (its group filters ->
    values), or None where they have none. A group by sex or ethnic group is the child's, so it is that
    filter; a group by age band is the band at the child's first event at the stage, which they do not
    count (children in a band are those with any event in it), nor its total (children aged 10 to 17 at
    their first event). A cell ranked by an age band counts the children with an event in the band."""
    chosen = {name: cell[name] for name in CHILD_GROUPS if cell[name] is not ALL}
    group = cell["grp"]
    if cell[lattice.APART]:
        band = cell["age_band"]
        if chosen or not (group is ALL or (by == "age_band" and group == band)):
            return None
        return {"age_band": band} if drill_down else None
    if by == "age_band":
        return None
    if group is not ALL:
        if chosen.get(by, group) != group:
            return None
        chosen[by] = group
    if len(chosen) > 1 or (chosen and not drill_down):
        return None
    return chosen


def _elsewhere(db, resolved: Resolved, options: dict, cells: pd.DataFrame) -> pd.DataFrame:
    """1.0 where the stage's children are withheld on the page that also shows them,
    0.0 where shown there, NaN for a cell no other page shows. Only for a financial year or a quarter (the
    periods those lattices hold), not the command line's free dates."""
    out = pd.DataFrame(np.nan, index=cells.index, columns=["count"])
    if resolved.filters.date_from or len(resolved.periods) != 1:
        return out
    label = period_label(*resolved.periods[0])
    if parse_period(label)[:2] != (resolved.start, resolved.end):
        return out
    plain = replace(resolved, filters=Filters())
    names = (*CHILD_GROUPS, "age_band", "disposal_type")
    for stage, (lattices, fixed) in ELSEWHERE.items():
        rows = cells[cells["stage"] == stage]
        by, drill_down = resolved.settings.by, resolved.drill_down
        same = {i: _same_children(cell, by, drill_down) for i, cell in zip(rows.index, rows.to_dict("records"))}
        same = {i: found for i, found in same.items() if found is not None}
        for at, table in _views_of(cells, same, names, ("yjs",), period=label, **fixed):
            children, counted = lattices
            protected, found = lattice.located(db, children, plain, options, table, locate=lattice.whole_years)
            if protected.cells.empty:
                continue
            hidden = _marks(protected, found, children.counts[0])
            # The page withholds a cell's children with its sentences (remands): at least one each.
            events, where_found = lattice.located(db, counted, plain, options, table)
            if not events.cells.empty:
                hidden |= _marks(events, where_found, counted.counts[0])
            out.loc[at, "count"] = np.where(found >= 0, hidden.astype("float64"), np.nan)
    return out


def _views_of(cells: pd.DataFrame, same: dict, names, copied: tuple[str, ...], **columns) -> Iterator:
    """``same`` (a row of ``cells`` -> the groups of the cell of another lattice counting the same children)
    as one table per set of groups chosen, so each look-up is a view of that lattice (one group at a time):
    (the rows, their table: each of ``names``, ALL where not chosen; the ``copied`` columns of ``cells``;
    ``columns``)."""
    for chosen in {tuple(sorted(found)) for found in same.values()}:
        at = [i for i, found in same.items() if tuple(sorted(found)) == chosen]
        table = pd.DataFrame(
            {
                **columns,
                **{name: [same[i].get(name, ALL) for i in at] for name in names},
                **{column: cells.loc[at, column].to_numpy(dtype=object) for column in copied},
            },
            index=at,
        )
        yield at, table


def _marks(protected, found: np.ndarray, count: str) -> np.ndarray:
    """Whether the lattice withholds ``count`` of each found cell (False where absent: a zero)."""
    return protected.mask[count].to_numpy()[np.maximum(found, 0)] & (found >= 0)


#: The grouping whose lattice another follows where both count the same children: the Black girls at a
#: stage are a cell of the page by sex (its girls, among the Black children) and of the page by ethnic
#: group (its Black children, among girls). Every child has a sex and an ethnic group ("unknown" among
#: them), so a cell's children are those of its groups however they are split. An age band is the child's
#: at their first event at the stage, a different count, so the page by age band follows neither.
LEADS = {"sex": "ethnicity_group"}


def _led_cell(cell: dict, by: str, leading: str, drill_down: bool) -> dict | None:
    """The cell of the lattice by ``leading`` counting the same children as ``cell`` of the lattice by
    ``by`` (its groups and group filters -> values), or None where that lattice has none (two filters)."""
    chosen = {name: cell[name] for name in CELLS.filters if cell[name] is not ALL}
    if cell[lattice.APART]:
        return {"grp": ALL, "age_band": cell["age_band"]} if cell["grp"] is ALL and not chosen else None
    if cell["grp"] is not ALL:
        if chosen.get(by, cell["grp"]) != cell["grp"]:
            return None
        chosen[by] = cell["grp"]
    group = chosen.pop(leading, ALL)
    if len(chosen) > 1 or (chosen and not drill_down):
        return None
    return {"grp": group, **chosen}


def _led(db, resolved: Resolved, options: dict, cells: pd.DataFrame) -> pd.DataFrame:
    """1.0 where the lattice of the grouping this one follows (``LEADS``) withholds the same children,
    0.0 where it shows them, NaN elsewhere (and for a grouping that follows none)."""
    out = pd.DataFrame(np.nan, index=cells.index, columns=["count"])
    by = resolved.settings.by
    if by not in LEADS:
        return out
    leading = replace(resolved, filters=Filters(), settings=replace(resolved.settings, by=LEADS[by]))
    same = {
        i: found
        for i, cell in zip(cells.index, cells.to_dict("records"))
        if (found := _led_cell(cell, by, LEADS[by], resolved.drill_down)) is not None
    }
    names = ("grp", *CELLS.filters, *CELLS.apart)
    for at, table in _views_of(cells, same, names, ("stage", "yjs")):
        protected, found = lattice.located(db, CELLS, leading, options, table, period=None)
        if protected.cells.empty:
            continue
        out.loc[at, "count"] = np.where(found >= 0, _marks(protected, found, "count").astype("float64"), np.nan)
    return out


def _followed(db, resolved: Resolved, options: dict, cells: pd.DataFrame) -> pd.DataFrame:
    """``Cells.follows``: the marks of the same children on the custody and remands pages and in the
    leading grouping's lattice; withheld where either withholds them."""
    return np.fmax(_elsewhere(db, resolved, options, cells), _led(db, resolved, options, cells))


#: A child has one sex, ethnic group and area, but may be in both age bands within a period (a birthday):
#: the children of each band are protected apart, never as parts of a total. The custody and remand
#: stages' children are shown by use-of-custody and remands too: withheld there and here alike; and the
#: page by sex withholds the children the page by ethnic group withholds (``LEADS``).
CELLS = lattice.Cells(
    rows=_stage_children,
    counts=("count",),
    dimensions=(Dimension("grp"), Dimension("yjs")),
    filters=tuple(f for f in STAGE_EVENT.group_filters() if f != "age_band"),
    apart=("age_band",),
    fixed=("stage",),
    per_period=True,
    settings=("by",),
    follows=_followed,
)


def _population(db, resolved: Resolved) -> pd.Series:
    """Each group's 10-17 population: the mean over the financial years the period covers."""
    rows = population_10_17(db, resolved, group_by=resolved.settings.by)
    if rows.empty:
        return pd.Series(dtype="float64")
    per_year = rows.groupby(["grp", "year"])["population"].sum()
    return per_year.groupby(level="grp").mean().round()


def disproportionality(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = resolved.settings
    groups = list(GROUPS[f.by])
    counts = _stage_counts(db, resolved).set_index(["stage", "grp"])["count"]
    population = _population(db, resolved)
    # Remands are an optional file: the stage is shown only when every service chosen has it, never as 0.
    stages = [s for s in config.STAGES if s != "remand" or not covered(db, resolved, options)[1]]
    rows = []
    for stage in stages:
        for group in groups:
            count = population.get(group, np.nan) if stage == "population" else counts.get((stage, group), 0)
            rows.append({"stage": stage, "group": group, "count": count})
    table = pd.DataFrame(rows)
    table["count"] = table["count"].astype("Int64")
    mask = lattice.withheld(
        db,
        CELLS,
        resolved,
        options,
        table,
        shows={"count": ("count",)},
        period=None,
        locate=lambda rows: rows[["group"]].rename(columns={"group": "grp"}),
    )

    # The base is the group's population, or its count at the stage before (withheld with it).
    if f.base == "population":
        table["base"] = table["group"].map(population).astype("Int64")
        base_hidden = pd.Series(False, index=table.index)
    else:
        previous = table.set_index(["stage", "group"])["count"]
        previous_hidden = mask.set_index(table.set_index(["stage", "group"]).index)["count"]
        keys = list(zip(table["stage"].map(config.PREVIOUS_STAGE), table["group"]))
        table["base"] = pd.array([previous.get(k) if k[0] else pd.NA for k in keys], dtype="Int64")
        base_hidden = pd.Series([bool(previous_hidden.get(k, False)) for k in keys], index=table.index)
    table["rate_per_1000"] = rate(table["count"], table["base"], 1000)

    reference = table[table["group"] == f.reference].set_index("stage")
    ref_count = table["stage"].map(reference["count"]).astype("float64")
    ref_base = table["stage"].map(reference["base"]).astype("float64")
    ref_rate = table["stage"].map(reference["rate_per_1000"])
    a, n1 = table["count"].astype("float64"), table["base"].astype("float64")
    table["rri"] = (table["rate_per_1000"] / ref_rate.where(ref_rate > 0)).where(table["group"] != "Unknown")
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = 1 / a - 1 / n1 + 1 / ref_count - 1 / ref_base
        spread = Z_95 * np.sqrt(variance.where(variance >= 0))
        log_rri = np.log(table["rri"].where(table["rri"] > 0))
    table["ci_low"] = np.exp(log_rri - spread)
    table["ci_high"] = np.exp(log_rri + spread)
    table["significant"] = pd.array(
        [None if pd.isna(lo) else bool(lo > 1 or hi < 1) for lo, hi in zip(table["ci_low"], table["ci_high"])],
        dtype="boolean",
    )
    for column in ("rate_per_1000", "rri", "ci_low", "ci_high"):
        table[column] = table[column].astype("float64")
    table = table[COLUMNS]

    mask = mask.reindex(columns=COLUMNS, fill_value=False)
    mask["base"] = base_hidden
    mask["rate_per_1000"] = mask["count"] | base_hidden
    is_reference = table["group"] == f.reference
    reference_hidden = table["stage"].map(
        pd.Series(mask.loc[is_reference, "rate_per_1000"].values, index=table.loc[is_reference, "stage"].values)
    )
    for column in ("rri", "ci_low", "ci_high", "significant"):
        mask[column] = mask["rate_per_1000"] | reference_hidden.fillna(False).astype(bool)
    return table, mask


MEASURES = [
    Measure(
        "disproportionality",
        tuple(COLUMNS),
        disproportionality,
        STAGE_EVENT.applies() - {"by_quarter"},
        frozenset({"by", "base", "reference"}),
        default_period="latest",
        summary="children at each stage by group, rates and relative rate index",
        order=4,
        notes=notes_for("disproportionality", remand_stage_left_out),
    )
]
