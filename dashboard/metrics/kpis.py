"""kpis: the YJB's key performance indicators (indicators.md); kpi-recording: how much of what each one
counts was not recorded.

KPIs 1 to 7 count the *ending cohort* of a period: every child with a programme ending in it, their
*ending* being the one with the latest end date (ties: the greatest programme_id, compared byte by byte
on both databases), and what its START and END assessments record. Serious violence counts children
with a serious offence proven in the period, per 10,000 aged 10 to 17; victims, those first contacted
in it. The cohort filters pick children by their ending (disposal, programme, area, age on the end
date), so they apply to KPIs 1 to 7; serious violence and victims take those about the child alone.

Every count a reader could see or work out is a cell of a lattice (dashboard/disclosure.py): each base,
each figure and its complements (unsuitable, no, not recorded), so a base minus its shown parts never
gives back a withheld count; for everyone and (a viewer who may drill down) for each value of each group
filter, one filter at a time, so all children minus the other groups of a filter never gives one back
either. The lattices are worked out once per viewer and period (``_cells``), and each view looks its
cells up. Each service's cells of each period are protected on their own, so a service's figures are the
same whoever looks (with the same drill-down) and whichever period is chosen; the services combined
("All services") are protected on top without changing any service's cells.

A KPI whose file is not in a service's extract has no rows for that service; ``notes`` say why.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .. import config
from ..db import in_parts
from ..disclosure import ALL, GROUPING_PREFIX, Dimension, grouping_clause, protect
from ..filters import Filters, Resolved
from .common import (
    Measure,
    Source,
    age_band,
    age_on,
    begun_periods,
    filter_conditions,
    label_periods,
    not_in_extract,
    period_columns,
    quarter_of,
    year_of,
)
from .population import ALL_SERVICES, combined, population_10_17

COLUMNS = ["period", "yjs", "kpi", "measure", "count", "base", "rate"]
RECORDING_COLUMNS = ["period", "yjs", "kpi", "measure", "not_recorded", "base", "percent_not_recorded"]
#: The KPIs in the spec's order, and the extract file each needs (beyond the required ones).
KPIS = (
    "accommodation",
    "ete",
    "send",
    "mental_health",
    "substance_misuse",
    "wider_services",
    "out_of_court",
    "serious_violence",
    "victims",
)
ASSESSED = ("accommodation", "ete", "send", "mental_health", "substance_misuse", "wider_services")
#: Endings out of court (the spec's list): diversion and cautions.
OUT_OF_COURT = ("COMMUNITY_RESOLUTION", "OUTCOME_22", "YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION")
SERIOUS_CATEGORIES = ("Violence against the person", "Robbery", "Drug offences")
SERIOUS_FROM = 5
#: Filters that pick a child's programme: they have no meaning for serious violence or victims.
PROGRAMME_FILTERS = ("disposal_type", "programme")

#: The ending of each child (alias e), with what the filters read.
ENDING = Source(
    "programme",
    {
        "yjs": "e.yjs",
        "locality": "e.locality",
        "sex": "e.sex",
        "ethnicity_group": "e.ethnicity_group",
        "age_band": "e.age_band",
        "disposal_type": "e.disposal_type",
        "programme": "e.programme_name",
    },
)
#: Offences (f) of children (c): their area, and their age on the offence date.
OFFENDING_CHILD = {
    "yjs": "f.yjs",
    "locality": "c.locality",
    "sex": "c.sex",
    "ethnicity_group": "c.ethnicity_group",
    "age_band": age_band(age_on("c.date_of_birth", "f.offence_date")),
}

YES, NO, NOT_RECORDED = "yes", "no", "not recorded"
SUITABLE, UNSUITABLE = "suitable", "unsuitable"


@dataclass(frozen=True)
class Cell:
    """A count of the lattice: where it sits (dimension -> value; the others are their margin, ALL) and
    the SQL condition a row meets to be counted in it (aliases of the query it belongs to; every value
    in it a bound parameter)."""

    at: tuple[tuple[str, str], ...]
    condition: str

    @property
    def key(self) -> str:
        return "&".join(f"{d}={v}" for d, v in self.at)


def _is(column: str) -> dict[str, str]:
    """A recorded-or-not boolean: yes, no, not recorded."""
    return {YES: f"{column} IS TRUE", NO: f"{column} IS FALSE", NOT_RECORDED: f"{column} IS NULL"}


def _suitable(column: str) -> dict[str, str]:
    return {SUITABLE: f"{column} = :suitable", UNSUITABLE: f"{column} = :unsuitable", NOT_RECORDED: f"{column} IS NULL"}


def _split(dimension: str, answers: dict[str, str], within: Cell | None = None) -> list[Cell]:
    """A cell for each answer, inside ``within`` (a cell of another dimension) or of the whole base."""
    at, condition = (within.at, within.condition + " AND ") if within else ((), "")
    return [Cell((*at, (dimension, value)), f"{condition}{test}") for value, test in answers.items()]


def _children_cells() -> tuple[list[Cell], dict[str, dict[str, str]]]:
    """The children lattice of the ending cohort (aliases: e the ending, st its START, en its END), and the
    hierarchies of its dimensions (value -> the value it adds up to)."""
    cells = [Cell((), "1 = 1")]
    for field in ("accommodation", "ete"):
        cells += _split(f"{field}_end", _suitable(f"en.{field}")) + _split(f"{field}_start", _suitable(f"st.{field}"))
    both = "en.ete_hours_offered IS NOT NULL AND en.ete_hours_attended IS NOT NULL"
    cells += _split("ete_hours", {"recorded": both, NOT_RECORDED: f"NOT ({both})"})
    send = _split("send", _is("en.send"))
    cells += send + [
        Cell(
            (("send", f"yes, plan {v}" if v != NOT_RECORDED else "yes, plan not recorded"),),
            f"{send[0].condition} AND {test}",
        )
        for v, test in _is("en.send_plan").items()
    ]
    for need, field in (("mental_health", "mental_health"), ("substance_misuse", "substance")):
        needs = _split(f"{need}_need", _is(f"en.{field}_need"))
        cells += needs
        for step in ("offered", "attending"):
            cells += _split(f"{need}_{step}", _is(f"en.{field}_{step}"), within=needs[0])
    for flag in config.WIDER_SERVICES:
        cells += _split(flag, _is(f"st.{flag}"))
    ooc = "e.disposal_type IN (" + ", ".join(f":ooc_{i}" for i in range(len(OUT_OF_COURT))) + ")"
    cells += [Cell((("out_of_court", "out of court"),), ooc), Cell((("out_of_court", "other"),), f"NOT ({ooc})")]
    cells += [
        Cell((("out_of_court", f"completed: {v}"),), f"{ooc} AND {test}") for v, test in _is("e.completed").items()
    ]
    hierarchies = {
        "send": {f"yes, plan {v}": YES for v in (YES, NO, NOT_RECORDED)},
        "out_of_court": {f"completed: {v}": "out of court" for v in (YES, NO, NOT_RECORDED)},
    }
    return cells, hierarchies


CHILDREN_CELLS, CHILDREN_HIERARCHIES = _children_cells()
#: Victims (v) first contacted in the period: consent, then restorative justice offered, then taken part.
VICTIM_CELLS = [
    Cell((), "1 = 1"),
    *_split("victim", {f"consent {k}": t for k, t in _is("v.consented").items()}),
    *[Cell((("victim", f"offered {k}"),), f"v.consented IS TRUE AND {t}") for k, t in _is("v.rj_offered").items()],
    *[
        Cell((("victim", f"took part {k}"),), f"v.consented IS TRUE AND v.rj_offered IS TRUE AND {t}")
        for k, t in _is("v.rj_participated").items()
    ],
]
VICTIM_HIERARCHY = {
    **{f"offered {k}": f"consent {YES}" for k in (YES, NO, NOT_RECORDED)},
    **{f"took part {k}": f"offered {YES}" for k in (YES, NO, NOT_RECORDED)},
}
#: Offences of the serious violence categories proven in the period, with a seriousness score or not.
OFFENCE_CELLS = [
    Cell((), "1 = 1"),
    Cell((("seriousness", "scored"),), "f.seriousness IS NOT NULL"),
    Cell((("seriousness", NOT_RECORDED),), "f.seriousness IS NULL"),
]


def _key(*at: tuple[str, str]) -> str:
    return Cell(at, "").key


def _rows() -> list[tuple[str, str, str, str, str]]:
    """The spec's rows: (kpi, measure, lattice, count cell, base cell); and for kpi-recording each row's
    not-recorded cell is found by ``_not_recorded``."""
    rows = []
    for kpi in ("accommodation", "ete"):
        rows += [
            (kpi, "suitable_at_end", "children", _key((f"{kpi}_end", SUITABLE)), ""),
            (kpi, "suitable_at_start", "children", _key((f"{kpi}_start", SUITABLE)), ""),
            (kpi, "not_recorded_at_end", "children", _key((f"{kpi}_end", NOT_RECORDED)), ""),
        ]
    rows.append(("ete", "hours_attended_percent", "hours", "attended", "offered"))
    rows += [
        ("send", "identified", "children", _key(("send", YES)), ""),
        ("send", "with_plan", "children", _key(("send", "yes, plan yes")), _key(("send", YES))),
    ]
    for kpi in ("mental_health", "substance_misuse"):
        need = (f"{kpi}_need", YES)
        rows += [
            (kpi, "need", "children", _key(need), ""),
            (kpi, "offered", "children", _key(need, (f"{kpi}_offered", YES)), _key(need)),
            (kpi, "attending", "children", _key(need, (f"{kpi}_attending", YES)), _key(need)),
        ]
    rows += [("wider_services", flag, "children", _key((flag, YES)), "") for flag in config.WIDER_SERVICES]
    rows.append(
        (
            "out_of_court",
            "completed",
            "children",
            _key(("out_of_court", "completed: yes")),
            _key(("out_of_court", "out of court")),
        )
    )
    rows.append(("serious_violence", "children", "serious", "", "population"))
    rows += [
        ("victims", "consented", "victims", _key(("victim", "consent yes")), ""),
        ("victims", "rj_offered", "victims", _key(("victim", "offered yes")), _key(("victim", "consent yes"))),
        ("victims", "rj_participated", "victims", _key(("victim", "took part yes")), _key(("victim", "offered yes"))),
    ]
    return rows


ROWS = _rows()


def _not_recorded(kpi: str, measure: str, lattice: str, count: str, base: str) -> tuple[str, str, str] | None:
    """kpi-recording's (lattice, not-recorded cell, base cell) for a kpis row: how many of the row's base
    had the answer it counts left empty; None for the not_recorded rows themselves."""
    if measure.startswith("not_recorded"):
        return None
    if lattice == "hours":
        return "children", _key(("ete_hours", NOT_RECORDED)), ""
    if lattice == "serious":
        return "offences", _key(("seriousness", NOT_RECORDED)), ""
    dimension, value = count.split("&")[-1].split("=")
    empty = {
        "yes, plan yes": "yes, plan not recorded",
        "completed: yes": "completed: not recorded",
        "consent yes": "consent not recorded",
        "offered yes": "offered not recorded",
        "took part yes": "took part not recorded",
    }.get(value, NOT_RECORDED)
    within = count.split("&")[:-1]
    return lattice, "&".join([*within, f"{dimension}={empty}"]), base


RECORDING_ROWS = [
    (kpi, measure, *found) for kpi, measure, *rest in ROWS if (found := _not_recorded(kpi, measure, *rest)) is not None
]
#: Each lattice's cells that some row of kpis or kpi-recording shows (the rest are complements).
SHOWN = {
    lattice: frozenset(cell for spec in [*ROWS, *RECORDING_ROWS] if spec[2] == lattice for cell in spec[3:])
    for lattice in ("children", "victims", "offences")
}


# --- Queries --------------------------------------------------------------------------------------------------

#: The group filters the ending cohort answers (KPIs 1 to 7), and those about the child alone (serious
#: violence and victims, which a programme filter does not apply to); in GROUP_FILTERS' order.
ENDING_FILTERS = ENDING.group_filters()
CHILD_FILTERS = tuple(f for f in ENDING_FILTERS if f not in PROGRAMME_FILTERS)
#: The columns every cell of every lattice has beside its dimensions: its period, its service, its cell.
FIXED = ["fy", "quarter", "yjs"]


def _services(resolved: Resolved, options: dict) -> list[str]:
    return [resolved.filters.yjs] if resolved.filters.yjs else list(options["yjs"])


def _flags(cells: Sequence[Cell]) -> str:
    """A column per cell: 1 where the row is counted in it."""
    return ", ".join(f"CASE WHEN {cell.condition} THEN 1 ELSE 0 END AS c{i}" for i, cell in enumerate(cells))


def _sums(cells: Sequence[Cell]) -> list[str]:
    return [f"sum(c{i}) AS c{i}" for i in range(len(cells))]


#: The values the children cells' conditions name (bound, as every value is).
ENDING_VALUES = {
    "suitable": "SUITABLE",
    "unsuitable": "UNSUITABLE",
    "start_point": "START",
    "end_point": "END",
    **{f"ooc_{i}": t for i, t in enumerate(OUT_OF_COURT)},
}
SERIOUS_VALUES = {
    **{f"category_{i}": c for i, c in enumerate(SERIOUS_CATEGORIES)},
    **{f"tier_{i}": t for i, t in enumerate(config.SUBSTANTIVE_TIERS)},
}


#: Groups of filters per query: each grouping set of the ending cohort's 70 counts holds a table of its own,
#: and an administrator's every service at once would need more memory than a worker's database may use.
SETS_PER_QUERY = 2


def _grouped(db, rows: str, params: dict, filters: Sequence[str], groups, sums: Sequence[str]) -> pd.DataFrame:
    """``rows`` (SQL giving one row per thing counted: fy, quarter, yjs, a column per filter of ``filters``,
    and what ``sums`` adds up) counted per period and service in each group of filters of ``groups`` at
    once (GROUPING SETS): a column per filter holding its value, or ALL where it is summed over (a real
    NULL, "not recorded", stays None); SETS_PER_QUERY groups a query, fewer while the database refuses them
    for memory (``db.in_parts``: two of the ending cohort's sets took some 50 MB at 3,000 children)."""

    def counted(part: list) -> pd.DataFrame:
        used = [f for f in filters if any(f in group for group in part)]
        flags = [f"GROUPING({f}) AS {GROUPING_PREFIX}{f}" for f in used]
        frame = db.query(
            f"""SELECT {", ".join([*FIXED, *used, *sums, *flags])} FROM ({rows}) counted
                GROUP BY {grouping_clause([(*FIXED, *group) for group in part])}""",
            params,
        )
        for name in filters:
            values = np.full(len(frame), ALL, dtype=object)
            if name in used:
                here = frame[GROUPING_PREFIX + name].to_numpy() == 0
                values[here] = [None if pd.isna(v) else v for v in frame[name].to_numpy(dtype=object)[here]]
            frame[name] = values
        return frame.drop(columns=[GROUPING_PREFIX + f for f in used])

    frames = in_parts(counted, list(groups), SETS_PER_QUERY)
    return pd.concat(frames, ignore_index=True)


def _endings(db, base: Resolved, groups) -> pd.DataFrame:
    """Per period, service and group of ``groups``, every children cell's count over the ending cohort, and
    the END hours offered and attended where both are recorded."""
    services, params = filter_conditions(base, {"yjs": "p.yjs"})
    params.update(**ENDING_VALUES, start=base.start, end=base.end)
    both = "en.ete_hours_offered IS NOT NULL AND en.ete_hours_attended IS NOT NULL"
    rows = f"""
        WITH ended AS (
            SELECT p.yjs, p.child_id, p.programme_id, p.disposal_type, p.programme_name, p.completed, p.end_date,
                   coalesce(p.locality, c.locality) AS locality, c.sex, c.ethnicity_group,
                   {age_band(age_on("c.date_of_birth", "p.end_date"))} AS age_band,
                   {period_columns(base, year_of("p.end_date"), quarter_of("p.end_date"))}
            FROM programme p JOIN child c ON c.yjs = p.yjs AND c.child_id = p.child_id
            WHERE {" AND ".join(["p.end_date BETWEEN :start AND :end", *services])}
        ), ranked AS (
            SELECT ended.*, row_number() OVER (PARTITION BY yjs, child_id, fy, quarter
                                               ORDER BY end_date DESC, programme_id COLLATE "C" DESC) AS nth
            FROM ended
        )
        SELECT e.fy, e.quarter, e.yjs, {ENDING.columns(ENDING_FILTERS)}, {_flags(CHILDREN_CELLS)},
               CASE WHEN {both} THEN en.ete_hours_offered ELSE 0 END AS hours_offered,
               CASE WHEN {both} THEN en.ete_hours_attended ELSE 0 END AS hours_attended
        FROM ranked e
        LEFT JOIN assessment st ON st.yjs = e.yjs AND st.programme_id = e.programme_id AND st.point = :start_point
        LEFT JOIN assessment en ON en.yjs = e.yjs AND en.programme_id = e.programme_id AND en.point = :end_point
        WHERE e.nth = 1"""
    hours = ["sum(hours_offered) AS hours_offered", "sum(hours_attended) AS hours_attended"]
    return _grouped(db, rows, params, ENDING_FILTERS, groups, [*_sums(CHILDREN_CELLS), *hours])


def _offending(db, base: Resolved, groups) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Serious violence: distinct children, and the offences of its categories by whether they have a
    seriousness score, per period (of the outcome), service and group of ``groups``."""
    conditions, params = filter_conditions(base, OFFENDING_CHILD)
    params.update(**SERIOUS_VALUES, start=base.start, end=base.end)
    categories = ", ".join(f":category_{i}" for i in range(len(SERIOUS_CATEGORIES)))
    tiers = ", ".join(f":tier_{i}" for i in range(len(config.SUBSTANTIVE_TIERS)))
    about = ", ".join(f"{OFFENDING_CHILD[f]} AS {f}" for f in CHILD_FILTERS)
    proven = f"""
        FROM offence f JOIN child c ON c.yjs = f.yjs AND c.child_id = f.child_id
        JOIN (SELECT DISTINCT yjs, offence_id, {
        period_columns(base, year_of("outcome_date"), quarter_of("outcome_date"))
    }
              FROM outcome WHERE outcome_date BETWEEN :start AND :end AND tier IN ({tiers})) o
          ON o.yjs = f.yjs AND o.offence_id = f.offence_id
        WHERE {" AND ".join([f"f.category IN ({categories})", *conditions])}"""
    # A child with serious offences at two ages is a child of each age band: the bands' children are
    # protected as if they added up to all children (they add up to at least as many).
    children = _grouped(
        db,
        f"SELECT o.fy, o.quarter, f.yjs, f.child_id, {about} {proven} AND f.seriousness >= :serious_from",
        {**params, "serious_from": SERIOUS_FROM},
        CHILD_FILTERS,
        groups,
        ["count(DISTINCT child_id) AS c0"],
    )
    offences = _grouped(
        db,
        f"SELECT o.fy, o.quarter, f.yjs, {about}, {_flags(OFFENCE_CELLS)} {proven}",
        params,
        CHILD_FILTERS,
        groups,
        _sums(OFFENCE_CELLS),
    )
    return children, offences


def _victims(db, base: Resolved, groups) -> pd.DataFrame:
    conditions, params = filter_conditions(base, {**OFFENDING_CHILD, "yjs": "v.yjs"})
    params.update(start=base.start, end=base.end)
    about = ", ".join(f"{OFFENDING_CHILD[f]} AS {f}" for f in CHILD_FILTERS)
    rows = f"""
        SELECT {period_columns(base, year_of("v.contact_date"), quarter_of("v.contact_date"))}, v.yjs AS yjs,
               {about}, {_flags(VICTIM_CELLS)}
        FROM victim v JOIN offence f ON f.yjs = v.yjs AND f.offence_id = v.offence_id
        JOIN child c ON c.yjs = v.yjs AND c.child_id = v.child_id
        WHERE {" AND ".join(["v.contact_date BETWEEN :start AND :end", *conditions])}"""
    return _grouped(db, rows, params, CHILD_FILTERS, groups, _sums(VICTIM_CELLS))


def _available(db, services: list[str]) -> dict[str, list[str]]:
    """For each KPI, the services whose extract holds what it needs, in ``services``' order: assessments.csv,
    victims.csv, or (serious violence) a seriousness score on any offence."""
    if not services:
        return {kpi: [] for kpi in KPIS}
    names = {f"service_{i}": s for i, s in enumerate(services)}
    listed = ", ".join(":" + n for n in names)
    flags = db.query(f"SELECT yjs, has_assessments, has_victims FROM extract_info WHERE yjs IN ({listed})", names)
    scored = set(
        db.query(
            f"""SELECT DISTINCT yjs FROM offence WHERE seriousness IS NOT NULL
                              AND yjs IN ({listed})""",
            names,
        )["yjs"]
    )
    assessed = set(flags.loc[flags["has_assessments"].fillna(False).astype(bool), "yjs"])
    victims = set(flags.loc[flags["has_victims"].fillna(False).astype(bool), "yjs"])
    return {
        **{kpi: [s for s in services if s in assessed] for kpi in ASSESSED},
        "out_of_court": list(services),
        "serious_violence": [s for s in services if s in scored],
        "victims": [s for s in services if s in victims],
    }


def _excluded(filters: Filters) -> list[str]:
    """KPIs a chosen filter cannot apply to (a programme filter to serious violence and victims)."""
    return ["serious_violence", "victims"] if any(getattr(filters, f) for f in PROGRAMME_FILTERS) else []


# --- Protection -----------------------------------------------------------------------------------------------


class _Level:
    """The combined cells of the services whose extract has a file, when some have it and some do not."""

    def __repr__(self) -> str:
        return "services with the file"


WITH_FILE = _Level()


def _groups(filters: Sequence[str], drill_down: bool, extra: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The groups of filters whose cells a viewer can form: everyone and, with drill-down, each filter on
    its own (the web's one group at a time); with ``extra`` (the command line's filters chosen together),
    every combination of them too."""
    groups = [(), *(((f,) for f in filters) if drill_down else ())]
    extra = [f for f in filters if f in extra]
    groups += [c for n in range(1, len(extra) + 1) for c in itertools.combinations(extra, n)]
    return tuple(dict.fromkeys(groups))


def _extra(resolved: Resolved) -> tuple[str, ...]:
    """The group filters chosen together beyond what the viewer's lattice holds (the command line's
    combined filters), or ()."""
    chosen = tuple(f for f in ENDING_FILTERS if getattr(resolved.filters, f) is not None)
    return chosen if len(chosen) > 1 or (chosen and not resolved.drill_down) else ()


def _grid(
    counts: pd.DataFrame, periods: pd.DataFrame, services: Sequence[str], columns: Sequence[str], filters: Sequence[str]
) -> pd.DataFrame:
    """Counts for every period and service in the margin of every filter (0 where the query found
    nothing), and the query's counts of each filter value in those periods (a value absent is a 0);
    quarter 0 for a year."""
    grid = periods.merge(pd.DataFrame({"yjs": pd.Series(list(services), dtype="object")}), how="cross")
    counts = counts.assign(
        fy=counts["fy"].astype("int64"), quarter=pd.to_numeric(counts["quarter"]).fillna(0).astype("int64")
    )
    margin = np.ones(len(counts), dtype=bool)
    for name in filters:
        margin &= np.array([v is ALL for v in counts[name].to_numpy(dtype=object)], dtype=bool)
    everyone = grid.merge(counts[margin].drop(columns=list(filters)), on=FIXED, how="left")
    for name in filters:
        everyone[name] = np.full(len(everyone), ALL, dtype=object)
    groups = counts[~margin].merge(grid, on=FIXED, how="inner")
    found = pd.concat([everyone, groups[everyone.columns]], ignore_index=True)
    found[list(columns)] = found[list(columns)].apply(pd.to_numeric).fillna(0).astype("int64")
    return found.astype(dict.fromkeys(filters, object))


def _lattice(counts: pd.DataFrame, cells: Sequence[Cell], filters: Sequence[str]) -> pd.DataFrame:
    """Long cells from a query's wide counts (c0, c1, ... per cell): fy, quarter, yjs, ``cell`` (its key),
    one column per dimension (the cells' own, then the filters; ALL where summed over) and ``n``."""
    dimensions = list(dict.fromkeys(d for cell in cells for d, _ in cell.at))
    parts = []
    for i, cell in enumerate(cells):
        placed = dict(cell.at)
        parts.append(
            counts[[*FIXED, *filters]].assign(
                cell=cell.key, n=counts[f"c{i}"], **{d: placed.get(d, ALL) for d in dimensions}
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.astype(dict.fromkeys([*dimensions, *filters], object))


def _withhold(
    frame: pd.DataFrame,
    axes: list,
    counts: list[str],
    fixed: list[str],
    eligible: pd.Series | None,
    already: pd.DataFrame | None,
    shown: frozenset[str],
) -> pd.DataFrame:
    """disclosure.protect, one table at a time (``fixed``: a period and service's cells, or a period's
    services combined, each with a closing budget of its own, so its cells are the same whatever else is
    protected with it), choosing second cells among those no row shows (the complements "unsuitable",
    "no"...) first: withholding one of them costs the reader nothing."""
    prefer = ~frame["cell"].isin(shown)
    masks = [
        protect(
            piece,
            axes,
            counts,
            fixed=fixed,
            eligible=None if eligible is None else eligible.loc[piece.index],
            already=None if already is None else already.loc[piece.index],
            prefer=prefer.loc[piece.index],
        )[counts]
        for _, piece in frame.groupby(fixed, sort=False, dropna=False)
    ]
    return pd.concat(masks).reindex(frame.index)


def _seen(web: dict | None, frame: pd.DataFrame, counts: Sequence[str], filters: Sequence[str]) -> pd.DataFrame:
    """The cells of ``frame`` the web's lattice (``web``: its lookup) withholds, per count."""
    found = pd.DataFrame(False, index=frame.index, columns=list(counts))
    if web is None:
        return found
    for i, (fy, quarter, service, chosen, cell) in enumerate(_keys(frame, filters)):
        group = web.get((service, chosen))
        for count, (_, withheld) in (group.get((fy, quarter, cell)) if group else {}).items():
            if withheld and count in found:
                found.iat[i, found.columns.get_loc(count)] = True
    return found


def _protected(
    frame: pd.DataFrame,
    hierarchies: dict,
    counts: Sequence[str],
    shown: frozenset[str],
    filters: Sequence[str],
    how: dict,
    with_file: Sequence[str] | None = None,
    primary: pd.Series | None = None,
) -> pd.DataFrame:
    """``frame`` with ``withheld_<count>`` columns: each service's cells of each period protected as one
    lattice over every cell and filter value (``primary``: cells withheld from the start; ``shown``: the
    cells some row shows). ``how``: ``suppressed`` (else nothing is withheld), ``web`` (the viewer's
    lattice whose withheld cells stay withheld, for the command line's combined filters) and
    ``combine``: the services' sums too (yjs ALL, over the cells every service has; and WITH_FILE over
    ``with_file``, when only some services have the file), protected on top: the services' own cells
    stay as they were."""
    counts = list(counts)
    dimensions = [c for c in frame.columns if c not in (*FIXED, "cell", *counts)]
    axes = [Dimension(d, hierarchies.get(d, {})) for d in dimensions]
    if frame.empty:
        return frame.assign(**{f"withheld_{c}": pd.Series(dtype=bool) for c in counts})
    already = _seen(how["web"], frame, counts, filters)
    if primary is not None:
        already = already | pd.DataFrame({c: primary.to_numpy() for c in counts}, index=frame.index)
    if how["suppressed"]:
        mask = _withhold(frame, axes, counts, FIXED, None, already, shown)
    else:
        mask = pd.DataFrame(False, index=frame.index, columns=counts)
    frame = frame.assign(**{f"withheld_{c}": mask[c].to_numpy(dtype=bool) for c in counts})
    if not how["combine"]:
        return frame
    services = list(dict.fromkeys(frame["yjs"]))
    levels = {ALL: services}
    if with_file is not None and 0 < len(with_file) < len(services):
        levels[WITH_FILE] = list(with_file)
    parts = [frame]
    others = [d for d in dimensions if d not in filters]
    for level, members in levels.items():
        own = frame[frame["yjs"].isin(members)]
        if level is ALL:
            having = own.groupby("cell")["yjs"].nunique()
            own = own[own["cell"].isin(having.index[having == len(members)])]
        summed = (
            own.groupby(["fy", "quarter", "cell", *filters], sort=False, dropna=False)
            .agg({**dict.fromkeys(counts, "sum"), **dict.fromkeys(others, "first")})
            .reset_index()
        )
        parts.append(summed.assign(yjs=[level] * len(summed), **{f"withheld_{c}": False for c in counts}))
    every = pd.concat(parts, ignore_index=True).astype(dict.fromkeys([*dimensions, "yjs"], object))
    if not how["suppressed"]:
        return every
    already = every[[f"withheld_{c}" for c in counts]].set_axis(counts, axis=1) | _seen(
        how["web"], every, counts, filters
    )
    joint = _withhold(
        every,
        [Dimension("yjs", dict.fromkeys(levels.get(WITH_FILE, ()), WITH_FILE)), *axes],
        counts,
        ["fy", "quarter"],
        ~every["yjs"].isin(services),
        already,
        shown,
    )
    return every.assign(**{f"withheld_{c}": joint[c].to_numpy(dtype=bool) for c in counts})


def _cells(db, resolved: Resolved, options: dict) -> dict:
    """Every lattice of the KPIs, protected, for this viewer (their services, or the one chosen, and
    drill-down) and period: every filter value's cells are in it, so any group chosen is a look-up. Worked
    out once per database version; kpis and kpi-recording read the same cells. Each service's cells are
    protected on their own, so they are the same alone or among others: one service of several is read
    from the viewer's lattice of every service (worked out once, usually prepared at the load)."""
    extra = _extra(resolved)
    if resolved.filters.yjs and len(options["yjs"]) > 1 and not extra:
        every = _cells(db, replace(resolved, filters=replace(resolved.filters, yjs=None)), options)
        return _of_service(every, resolved.filters.yjs)
    base = replace(
        resolved,
        filters=Filters(
            period=resolved.filters.period,
            by_quarter=resolved.filters.by_quarter,
            date_from=resolved.filters.date_from,
            date_to=resolved.filters.date_to,
        ),
        settings=replace(resolved.settings, combine=combined(resolved)),
        services=tuple(_services(resolved, options)),
        ignored=(),
    )
    key = ("kpi-cells", base, extra)
    chosen = replace(base.filters, yjs=resolved.filters.yjs)
    web = None if not extra else _cells(db, replace(resolved, filters=chosen), options)
    return db.remember(key, lambda: _work_out(db, base, options, extra, web))


def _work_out(db, base: Resolved, options: dict, extra: tuple[str, ...], web: dict | None) -> dict:
    services = list(base.services)
    periods = begun_periods(base, options)
    available = _available(db, services)
    how = {
        "suppressed": base.suppressed,
        "combine": bool(base.settings.combine),
        "web": None,
    }
    looked = lambda name: {**how, "web": None if web is None else web["lattices"].get(name)}
    assessed = available["accommodation"]
    ending_groups = _groups(ENDING_FILTERS, base.drill_down, extra)
    child_groups = _groups(CHILD_FILTERS, base.drill_down, extra)
    sums = [f"c{i}" for i in range(len(CHILDREN_CELLS))]
    endings = _grid(
        _endings(db, base, ending_groups), periods, services, [*sums, "hours_offered", "hours_attended"], ENDING_FILTERS
    )
    children = _lattice(endings, CHILDREN_CELLS, ENDING_FILTERS)
    question = ~children["cell"].isin(
        ["", *(c.key for c in CHILDREN_CELLS if c.at[:1] and c.at[0][0] == "out_of_court")]
    )
    children = children[~question | children["yjs"].isin(assessed)].reset_index(drop=True)
    lattices = {
        "children": _protected(
            children, CHILDREN_HIERARCHIES, ["n"], SHOWN["children"], ENDING_FILTERS, looked("children"), assessed
        )
    }
    recorded = CHILDREN_CELLS.index(next(c for c in CHILDREN_CELLS if c.key == _key(("ete_hours", "recorded"))))
    hours = endings[endings["yjs"].isin(assessed)].reset_index(drop=True)
    hours = hours[[*FIXED, *ENDING_FILTERS]].assign(
        cell="hours", attended=hours["hours_attended"], offered=hours["hours_offered"]
    )
    # The hours of one to four children are theirs: withheld, however many hours they add up to.
    few = endings.loc[endings["yjs"].isin(assessed), f"c{recorded}"].between(1, config.SUPPRESSION_MAX)
    lattices["hours"] = _protected(
        hours,
        {},
        ["attended", "offered"],
        frozenset({"hours"}),
        ENDING_FILTERS,
        looked("hours"),
        primary=few.reset_index(drop=True),
    )
    if available["serious_violence"]:
        scored = available["serious_violence"]
        serious, offences = _offending(db, base, child_groups)
        lattices["serious"] = _protected(
            _lattice(_grid(serious, periods, scored, ["c0"], CHILD_FILTERS), [Cell((), "")], CHILD_FILTERS),
            {},
            ["n"],
            frozenset({""}),
            CHILD_FILTERS,
            looked("serious"),
        )
        lattices["offences"] = _protected(
            _lattice(
                _grid(offences, periods, scored, [f"c{i}" for i in range(len(OFFENCE_CELLS))], CHILD_FILTERS),
                OFFENCE_CELLS,
                CHILD_FILTERS,
            ),
            {},
            ["n"],
            SHOWN["offences"],
            CHILD_FILTERS,
            looked("offences"),
        )
    if available["victims"]:
        counted = _grid(
            _victims(db, base, child_groups),
            periods,
            available["victims"],
            [f"c{i}" for i in range(len(VICTIM_CELLS))],
            CHILD_FILTERS,
        )
        lattices["victims"] = _protected(
            _lattice(counted, VICTIM_CELLS, CHILD_FILTERS),
            {"victim": VICTIM_HIERARCHY},
            ["n"],
            SHOWN["victims"],
            CHILD_FILTERS,
            looked("victims"),
        )
    about_child = ("serious", "offences", "victims")
    filters = {name: CHILD_FILTERS if name in about_child else ENDING_FILTERS for name in lattices}
    return {
        "lattices": {name: _lookup(frame, filters[name]) for name, frame in lattices.items()},
        "filters": filters,
        "available": available,
        "periods": periods,
        "combine": how["combine"],
        "services": services,
    }


# --- The rows -------------------------------------------------------------------------------------------------


def _values(column: pd.Series) -> list:
    """A filter's values as keys: every kind of missing value (a "not recorded" group) alike, None."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values.tolist()


def _keys(frame: pd.DataFrame, filters: Sequence[str]):
    """Each cell's key: (fy, quarter, yjs, the filters' values, cell)."""
    chosen = zip(*(_values(frame[f]) for f in filters)) if filters else iter(lambda: (), None)
    return zip(frame["fy"].tolist(), frame["quarter"].tolist(), frame["yjs"].tolist(), chosen, frame["cell"].tolist())


class _Group:
    """One service's cells for one choice of filters, (fy, quarter, cell) -> {count: (value, withheld)}:
    kept as a frame, which the shared results read back quickly (a look-up of every cell of a national
    lattice took seconds to unpickle in each worker), and made a look-up when first read."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._found: dict | None = None

    def __getstate__(self) -> dict:
        return {"frame": self.frame}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["frame"])

    def get(self, key: tuple) -> dict:
        if self._found is None:
            frame = self.frame
            counts = [c.removeprefix("withheld_") for c in frame.columns if c.startswith("withheld_")]
            values = zip(*(zip(frame[c].tolist(), frame[f"withheld_{c}"].tolist()) for c in counts))
            keys = zip(frame["fy"].tolist(), frame["quarter"].tolist(), frame["cell"].tolist())
            self._found = {key: dict(zip(counts, found)) for key, found in zip(keys, values)}
        return self._found.get(key, {})


def _lookup(frame: pd.DataFrame, filters: Sequence[str]) -> dict[tuple, _Group]:
    """(yjs, filter values) -> that service's cells for those values (a view reads one choice of filters)."""
    groups = pd.Series([(service, chosen) for _, _, service, chosen, _ in _keys(frame, filters)], dtype=object)
    codes, found = pd.factorize(groups)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(found) + 1))
    counts = [c.removeprefix("withheld_") for c in frame.columns if c.startswith("withheld_")]
    kept = ["fy", "quarter", "cell", *counts, *(f"withheld_{c}" for c in counts)]
    return {
        key: _Group(frame.iloc[order[starts[i] : starts[i + 1]]][kept].reset_index(drop=True))
        for i, key in enumerate(found)
    }


def _of_service(cells: dict, service: str) -> dict:
    """The viewer's cells of one of their services (each service's are protected on their own)."""
    return {
        **cells,
        "lattices": {
            name: {k: g for k, g in groups.items() if k[0] == service} for name, groups in cells["lattices"].items()
        },
        "available": {kpi: [s for s in members if s == service] for kpi, members in cells["available"].items()},
        "combine": False,
        "services": [service],
    }


def _cell(cells: dict, view: dict, lattice: str, at: tuple, column: str = "n") -> tuple[int, bool]:
    """A cell's count and whether it is withheld: ``at`` is (fy, quarter, yjs, cell) and the view's filters
    give the rest. A cell the lattice does not hold (no one of that group) is a 0, shown."""
    fy, quarter, service, cell = at
    picked = [view["chosen"].get(f) for f in cells["filters"][lattice]]
    chosen = tuple(ALL if value is None else value for value in picked)
    group = cells["lattices"][lattice].get((service, chosen))
    value, withheld = (group.get((fy, quarter, cell)) if group else {}).get(column, (0, False))
    return int(value), bool(withheld)


def _population(view: dict, fy: int, service, members: Sequence[str]) -> int | None:
    """The 10-17 population of a service (or the services combined, when every one of them has one)."""
    found = [view["population"].get((s, fy)) for s in ([service] if isinstance(service, str) else members)]
    return None if not found or None in found else sum(found)


def _view(db, cells: dict, resolved: Resolved, population: bool) -> dict:
    """What one view adds to the viewer's lattices: the filters chosen, the KPIs they leave out, the
    services shown, and (``population``) the 10-17 population serious violence is a rate of."""
    excluded = _excluded(resolved.filters)
    found = pd.DataFrame(columns=["yjs", "year", "population"])
    if population and "serious_violence" not in excluded and cells["available"]["serious_violence"]:
        found = population_10_17(db, resolved)
    return {
        "chosen": {f: getattr(resolved.filters, f) for f in ENDING_FILTERS},
        "excluded": excluded,
        "services": cells["services"],
        "population": {(r.yjs, int(r.year)): int(r.population) for r in found.itertuples()},
    }


def _table(cells: dict, view: dict, specs: Sequence[tuple], columns: list[str], per_row) -> tuple:
    """The rows of ``specs`` for every period and service (or the services combined), in order, and their mask."""
    rows, hidden = [], []
    periods = cells["periods"].copy()
    periods["period"] = label_periods(periods)
    services = [ALL] if cells["combine"] else view["services"]
    for period in periods.itertuples():
        for service in services:
            for spec in specs:
                kpi = spec[0]
                members = cells["available"][kpi]
                if kpi in view["excluded"] or not members or (service is not ALL and service not in members):
                    continue
                level = service
                if (
                    service is ALL
                    and spec[2] == "children"
                    and kpi in ASSESSED
                    and len(members) < len(cells["services"])
                ):
                    level = WITH_FILE
                values, withheld = per_row(cells, view, (period.fy, period.quarter, level), spec, members)
                rows.append([period.period, ALL_SERVICES if service is ALL else service, kpi, spec[1], *values])
                hidden.append([False] * 4 + withheld)
    table = pd.DataFrame(rows, columns=columns)
    table = table.astype({columns[4]: "Int64", columns[5]: "Int64", columns[6]: "float64"})
    return table, pd.DataFrame(hidden, columns=columns, dtype=bool)


def _kpi_row(cells: dict, view: dict, where: tuple, spec: tuple, members: Sequence[str]) -> tuple[list, list]:
    """count, base and rate of one kpis row, and which are withheld (the rate with either)."""
    _, _, lattice, count_cell, base_cell = spec
    if lattice == "hours":
        (count, a), (base, b) = (_cell(cells, view, "hours", (*where, "hours"), c) for c in ("attended", "offered"))
        count_hidden = base_hidden = a or b
        per = 100
    elif lattice == "serious":
        count, count_hidden = _cell(cells, view, "serious", (*where, ""))
        base, base_hidden, per = _population(view, where[0], where[2], members), False, 10_000
    else:
        count, count_hidden = _cell(cells, view, lattice, (*where, count_cell))
        base, base_hidden = _cell(cells, view, lattice, (*where, base_cell))
        per = 100
    value = None if not base else count / base * per
    return [count, base, value], [count_hidden, base_hidden, count_hidden or base_hidden]


def _recording_row(cells: dict, view: dict, where: tuple, spec: tuple, members: Sequence[str]) -> tuple[list, list]:
    _, _, lattice, empty_cell, base_cell = spec
    empty, empty_hidden = _cell(cells, view, lattice, (*where, empty_cell))
    base, base_hidden = _cell(cells, view, lattice, (*where, base_cell))
    return [empty, base, empty / base * 100 if base else None], [empty_hidden, base_hidden, empty_hidden or base_hidden]


def kpis(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    cells = _cells(db, resolved, options)
    return _table(cells, _view(db, cells, resolved, population=True), ROWS, COLUMNS, _kpi_row)


def kpi_recording(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each kpis figure, how many of its base had the answer it counts not recorded (for serious
    violence: the offences of its categories without a seriousness score; for ETE hours: the children
    without both hours)."""
    cells = _cells(db, resolved, options)
    view = _view(db, cells, resolved, population=False)
    return _table(cells, view, RECORDING_ROWS, RECORDING_COLUMNS, _recording_row)


# --- Why a KPI has no figures ---------------------------------------------------------------------------------

KPI_WORDS = {
    "accommodation": "accommodation",
    "ete": "education, training and employment",
    "send": "SEND",
    "mental_health": "mental health",
    "substance_misuse": "substance misuse",
    "wider_services": "wider services",
    "out_of_court": "out-of-court outcomes",
    "serious_violence": "serious violence",
    "victims": "victims",
}


def reasons(db, filters: Filters, scope) -> dict[str, str]:
    """Why a KPI has no figures, or none for some of the services asked, in plain words: {kpi: sentence}.
    A KPI that is not here has figures for every service asked."""
    from ..access import scoped_options
    from . import filter_options, validate

    resolved = validate(db, "kpis", filters, scope=scope)
    services = _services(resolved, scoped_options(filter_options(db), scope.services))
    available = _available(db, services)
    found = {}
    for kpi in _excluded(resolved.filters):
        found[kpi] = (
            f"{KPI_WORDS[kpi].capitalize()} is not about a child's programme, so it is not shown when "
            "a disposal or programme is chosen."
        )
    files = dict.fromkeys(ASSESSED, "no assessments file (assessments.csv)") | {
        "victims": "no victims file (victims.csv)",
        "serious_violence": "no seriousness score on any offence (the seriousness column of offences.csv)",
    }
    for kpi, missing in files.items():
        without = [s for s in services if s not in available[kpi]]
        if kpi in found or not without:
            continue
        found[kpi] = f"{not_in_extract(without, services)}: there is {missing}, so {KPI_WORDS[kpi]} " + (
            "cannot be shown." if len(without) == len(services) else "has no figures for them."
        )
    return found


def notes(db, filters: Filters, scope) -> list[str]:
    return list(dict.fromkeys(reasons(db, filters, scope).values()))


FILTERS = ENDING.applies()
MEASURES = [
    Measure(
        "kpis",
        tuple(COLUMNS),
        kpis,
        FILTERS,
        frozenset({"combine"}),
        notes=notes,
        order=14,
        summary="the YJB's key performance indicators: each figure with its count and base",
    ),
    Measure(
        "kpi-recording",
        tuple(RECORDING_COLUMNS),
        kpi_recording,
        FILTERS,
        frozenset({"combine"}),
        notes=notes,
        order=15,
        summary="for each key performance indicator, how much of its base was not recorded",
    ),
]
