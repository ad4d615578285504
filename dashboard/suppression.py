"""Small-number suppression: the one place every screen, download and export withholds counts.

A count from 1 to 4 could identify a child, so it is withheld (shown ``c``, exported as null), and so
is every rate or ratio built on it. Where a reader could add up the other cells of a group and take
them from a total, one more cell of that group is withheld too (secondary suppression), the smallest
one, so the hidden cell cannot be recovered. Zeros are shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .config import SUPPRESSION_MAX


def is_small(values: pd.Series) -> pd.Series:
    return values.notna() & (values >= 1) & (values <= SUPPRESSION_MAX)


def withhold(table: pd.DataFrame, counts: Sequence[str], *, margins: Sequence[Sequence[str]] = (),
             dependents: Mapping[str, Sequence[str]] | None = None,
             eligible: pd.Series | None = None) -> pd.DataFrame:
    """Return a mask (same shape as ``table``) that is True for every cell to withhold.

    counts: columns of counts of children or events; 1-4 are withheld.
    margins: groups of rows whose counts add up to a total a reader can see (each a list of the
        columns that stay fixed within the group; [] means the whole table). Any group left with
        exactly one withheld cell loses its smallest other cell as well, until none is.
    dependents: count column -> columns computed from it (rates, ratios), withheld with it.
    eligible: rows whose counts may be withheld at all (e.g. not population rows).
    """
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    rows = eligible if eligible is not None else pd.Series(True, index=table.index)
    for column in counts:
        mask[column] = is_small(table[column]) & rows
    changed = True
    while changed:
        changed = False
        for column in counts:
            for margin in margins:
                victims = _second_cells(table.loc[rows], mask.loc[rows, column], column, list(margin))
                if len(victims):
                    mask.loc[victims, column] = True
                    changed = True
    for column, derived in (dependents or {}).items():
        for d in derived:
            mask[d] = mask[d] | mask[column]
    return mask


def _second_cells(table: pd.DataFrame, hidden: pd.Series, column: str, margin: list[str]) -> pd.Index:
    """For every group holding exactly one hidden cell, its smallest other cell (non-zero first)."""
    groups = table[margin] if margin else pd.DataFrame({"all": 0}, index=table.index)
    grouped = hidden.groupby([groups[c] for c in groups.columns], dropna=False, sort=False)
    lone = (grouped.transform("sum") == 1) & (grouped.transform("size") > 1)
    candidates = table.loc[lone & ~hidden & table[column].notna(), column]
    order = pd.DataFrame({"zero": candidates <= 0, "value": candidates}).sort_values(["zero", "value"], kind="stable")
    return order.index[~groups.loc[order.index].duplicated().to_numpy()]


def apply(table: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with withheld cells set to null (integers stay integers)."""
    out = table.copy()
    for column in table.columns:
        if mask[column].any():
            if pd.api.types.is_integer_dtype(out[column]):
                out[column] = out[column].astype("Int64")
            elif pd.api.types.is_bool_dtype(out[column]):
                out[column] = out[column].astype("boolean")
            out[column] = out[column].mask(mask[column])
    return out
