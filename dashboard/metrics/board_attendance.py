"""board-attendance (KPI 8): how often each partner came to the management board, and at the agreed
seniority. Not about children: nothing is withheld, and the cohort filters do not apply."""

from __future__ import annotations

import pandas as pd

from .. import config
from ..filters import Filters, Resolved
from .common import (
    Measure,
    Source,
    begun_periods,
    filter_conditions,
    label_periods,
    not_in_extract,
    period_columns,
    quarter_of,
    year_of,
)

COLUMNS = ["period", "yjs", "partner", "meetings", "attended", "senior", "attended_percent"]
BOARD_MEETINGS = Source("board_meeting", {"yjs": "yjs"})


def _services(db, resolved: Resolved, options: dict) -> list[str]:
    """The services asked for whose extract had board_meetings.csv."""
    asked = [resolved.filters.yjs] if resolved.filters.yjs else list(options["yjs"])
    having = set(db.query("SELECT yjs FROM extract_info WHERE has_board_meetings")["yjs"])
    return [s for s in asked if s in having]


def board_attendance(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per period, service and partner: meetings (a row each), attended, senior (attended and at the agreed
    seniority). Each partner the service's file names has a row in every period, 0 where no board met."""
    services = _services(db, resolved, options)
    conditions, params = filter_conditions(resolved, BOARD_MEETINGS.filters)
    params.update(start=resolved.start, end=resolved.end)
    counts = db.query(
        f"""
        SELECT {period_columns(resolved, year_of("meeting_date"), quarter_of("meeting_date"))}, yjs, partner,
               count(*) AS meetings, sum(CASE WHEN attended THEN 1 ELSE 0 END) AS attended,
               sum(CASE WHEN attended AND senior IS TRUE THEN 1 ELSE 0 END) AS senior
        FROM board_meeting WHERE {" AND ".join(["meeting_date BETWEEN :start AND :end", *conditions])}
        GROUP BY 1, 2, 3, 4""",
        params,
    )
    partners = db.query(
        f"""SELECT DISTINCT yjs, partner FROM board_meeting
                            WHERE {" AND ".join(conditions) or "1 = 1"}""",
        {k: v for k, v in params.items() if k not in ("start", "end")},
    )
    partners = partners[partners["yjs"].isin(services)]
    partners = partners.assign(order=partners["partner"].map(config.BOARD_PARTNERS.index))
    periods = begun_periods(resolved, options)
    periods["period"] = label_periods(periods)
    periods["period_order"] = range(len(periods))
    grid = periods.merge(partners, how="cross")
    grid["service_order"] = grid["yjs"].map(services.index)
    counts = counts.assign(
        fy=counts["fy"].astype("int64"), quarter=pd.to_numeric(counts["quarter"]).fillna(0).astype("int64")
    )
    table = grid.merge(counts, on=["fy", "quarter", "yjs", "partner"], how="left")
    table[["meetings", "attended", "senior"]] = table[["meetings", "attended", "senior"]].fillna(0).astype("int64")
    table["attended_percent"] = (table["attended"] / table["meetings"].where(table["meetings"] > 0) * 100).astype(
        "float64"
    )
    table = table.sort_values(["period_order", "service_order", "order"]).reset_index(drop=True)[COLUMNS]
    return table, pd.DataFrame(False, index=table.index, columns=table.columns)


def notes(db, filters: Filters, scope) -> list[str]:
    """The services whose extract had no board meetings file."""
    from ..access import scoped_options
    from . import filter_options, validate

    resolved = validate(db, "board-attendance", filters, scope=scope)
    options = scoped_options(filter_options(db), scope.services)
    asked = [resolved.filters.yjs] if resolved.filters.yjs else list(options["yjs"])
    without = [s for s in asked if s not in _services(db, resolved, options)]
    if not without:
        return []
    return [
        f"{not_in_extract(without, asked)}: there is no board meetings file (board_meetings.csv), so board "
        "attendance cannot be shown" + ("." if len(without) == len(asked) else " for them.")
    ]


MEASURES = [
    Measure(
        "board-attendance",
        tuple(COLUMNS),
        board_attendance,
        BOARD_MEETINGS.applies(),
        notes=notes,
        order=16,
        summary="management board meetings each partner attended, and at the agreed seniority",
    )
]
