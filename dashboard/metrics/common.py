"""Pieces every measure shares: the result type, the WHERE clause of the filters, period labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..filters import Filters, Resolved, period_label


@dataclass(frozen=True)
class MeasureResult:
    """A measure's rows, exactly the spec's columns, with withheld cells null and marked in ``withheld``."""

    metric: str
    table: pd.DataFrame
    withheld: pd.DataFrame
    description: str
    ignored: tuple[str, ...] = ()
    #: disproportionality: the group every RRI is against, as resolved (the default or --reference).
    reference: str | None = None


def where(resolved: Resolved, date_column: str, columns: Mapping[str, str]) -> tuple[str, dict]:
    """The WHERE clause for the period and every chosen filter."""
    conditions, params = filter_conditions(resolved.filters, columns)
    params.update(start=resolved.start, end=resolved.end)
    return " AND ".join([f"{date_column} BETWEEN :start AND :end", *conditions]), params


def filter_conditions(filters: Filters, columns: Mapping[str, str]) -> tuple[list[str], dict]:
    """One condition per chosen filter, and the viewer's services when no one service is chosen.
    ``columns`` maps a filter to this measure's column; only those columns (our own constants) and
    generated placeholder names reach the SQL text, every value is bound."""
    conditions, params = [], {}
    for name, column in columns.items():
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{column} = :{name}")
            params[name] = value
    if filters.services is not None and filters.yjs is None:
        names = [f"service_{i}" for i in range(len(filters.services))]
        conditions.append(f"{columns['yjs']} IN ({', '.join(':' + n for n in names)})")
        params.update(zip(names, filters.services))
    return conditions, params


def period_columns(resolved: Resolved, year: str, quarter: str) -> str:
    """SELECT list items naming each row's financial year and, by quarter, its quarter."""
    return f"{year} AS fy, " + (f"{quarter} AS quarter" if resolved.by_quarter else "CAST(NULL AS INTEGER) AS quarter")


def label_periods(frame: pd.DataFrame) -> pd.Series:
    """'2021-22' or '2021-22 Q4' from the fy and quarter columns of aggregated rows (each label
    made once: a curve has a row per day)."""
    quarters = pd.to_numeric(frame["quarter"]).fillna(0).astype("int64")
    pairs = list(zip(frame["fy"].astype("int64").tolist(), quarters.tolist()))
    labels = {pair: period_label(pair[0], pair[1] or None) for pair in set(pairs)}
    return pd.Series([labels[pair] for pair in pairs], index=frame.index, dtype="object")


def period_frame(resolved: Resolved) -> pd.DataFrame:
    """Every period the filters cover, in order, so periods with nothing in them still show 0."""
    frame = pd.DataFrame(resolved.periods, columns=["fy", "quarter"])
    frame["period"] = label_periods(frame)
    frame["period_order"] = range(len(frame))
    return frame[["period", "period_order"]]


def rate(numerator: pd.Series, denominator: pd.Series, per: float) -> pd.Series:
    """numerator / denominator * per; null where the denominator is missing or zero."""
    denominator = denominator.astype("float64")
    result = numerator.astype("float64") / denominator.where(denominator > 0) * per
    return result.astype("float64")
