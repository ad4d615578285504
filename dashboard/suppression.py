"""Small-number suppression: the one place every screen, download and export withholds counts.

A count from 1 to 4 could identify a child, so it is withheld (shown ``c``, exported as null), and so
is every rate or ratio built on it. Where a reader could add up the other cells of a group and take
them from a total, one more cell of that group is withheld too (secondary suppression), the smallest
one, so the hidden cell cannot be recovered. Zeros are shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .config import SUPPRESSION_MAX


def is_small(values: pd.Series) -> pd.Series:
    return values.notna() & (values >= 1) & (values <= SUPPRESSION_MAX)


def withhold(
    table: pd.DataFrame,
    counts: Sequence[str],
    *,
    margins: Sequence[Sequence[str]] = (),
    dependents: Mapping[str, Sequence[str]] | None = None,
    eligible: pd.Series | None = None,
) -> pd.DataFrame:
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
    # Tables here have tens to hundreds of rows: plain Python on lists beats pandas' per-call cost.
    positions = np.flatnonzero(rows.to_numpy(dtype=bool))
    groupings = [_group_keys(table, list(margin), positions) for margin in margins]
    for column in counts:
        small = (is_small(table[column]) & rows).to_numpy()
        values = table[column].to_numpy(dtype="float64", na_value=np.nan)[positions].tolist()
        small[positions] = _settle(values, small[positions].tolist(), groupings)
        mask[column] = small
    for column, derived in (dependents or {}).items():
        for d in derived:
            mask[d] = mask[d] | mask[column]
    return mask


def _settle(values: list[float], hidden: list[bool], groupings: list[list[tuple]]) -> list[bool]:
    """Withhold second cells until no group of any grouping is left with exactly one withheld cell."""
    changed = True
    while changed:
        changed = False
        for keys in groupings:
            for victim in _second_cells(values, hidden, keys):
                hidden[victim] = changed = True
    return hidden


def _group_keys(table: pd.DataFrame, margin: list[str], positions: np.ndarray) -> list[tuple]:
    """Each eligible row's group: its values in the margin's columns (all missing values alike)."""
    columns = [table[c].to_numpy(dtype=object)[positions].tolist() for c in margin]
    return (
        [tuple(None if pd.isna(v) else v for v in key) for key in zip(*columns)] if columns else [()] * len(positions)
    )


def _second_cells(values: list[float], hidden: list[bool], keys: list[tuple]) -> list[int]:
    """For every group holding exactly one hidden cell (and others), its smallest other shown cell,
    non-zero first, the first in table order on a tie."""
    size, hidden_in = Counter(keys), Counter(k for k, h in zip(keys, hidden) if h)
    best: dict[tuple, tuple] = {}
    for i, (key, value, withheld) in enumerate(zip(keys, values, hidden)):
        if withheld or value != value or hidden_in[key] != 1 or size[key] < 2:
            continue
        rank = (value <= 0, value)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, i)
    return [i for _, i in best.values()]


def nest_quarters(
    table: pd.DataFrame,
    mask: pd.DataFrame,
    years: pd.DataFrame,
    years_mask: pd.DataFrame,
    *,
    period: str,
    keys: Sequence[str],
    cells: Sequence[str],
    totals: Sequence[str] = (),
) -> pd.DataFrame:
    """Withhold quarters so they cannot be taken from the yearly figures a reader also sees.

    ``table``/``mask``: a measure by quarter, every quarter of its years; ``years``/``years_mask``: the
    same measure by year. The four quarters of a row (``keys``) in a year are shown or withheld
    together: withheld when any of them is, or when that year's figure is. Where a year would then
    hold one withheld row, its smallest other row goes too, so no year is left with one unknown; the
    same within each of the ``totals`` keys (say a tier) whose yearly totals a reader sees as well."""
    if table.empty:
        return mask
    year = table[period].str[:7]
    hidden = mask[list(cells)].any(axis=1)
    blocks = pd.DataFrame(
        {**{k: table[k] for k in keys}, "year": year, "hidden": hidden, "size": table[cells[0]].fillna(0)}
    )
    yearly = pd.DataFrame(
        {
            **{k: years[k].astype(table[k].dtype) for k in keys},
            "year": years[period].astype(object),
            "year_hidden": years_mask[list(cells)].any(axis=1),
        }
    )
    blocks = (
        blocks.groupby([*keys, "year"], dropna=False, sort=False)
        .agg(hidden=("hidden", "any"), size=("size", "sum"))
        .reset_index()
    )
    blocks = blocks.merge(yearly, on=[*keys, "year"], how="left")
    hidden = (blocks["hidden"] | blocks["year_hidden"].fillna(False).astype(bool)).tolist()
    everywhere = np.arange(len(blocks))
    groupings = [_group_keys(blocks, margin, everywhere) for margin in (["year"], *(["year", t] for t in totals))]
    blocks["hidden"] = _settle(blocks["size"].to_numpy(dtype="float64").tolist(), hidden, groupings)
    withheld = (
        table[list(keys)]
        .assign(year=year)
        .merge(blocks[[*keys, "year", "hidden"]], on=[*keys, "year"], how="left")["hidden"]
        .to_numpy()
    )
    out = mask.copy()
    for column in cells:
        out[column] = out[column].to_numpy() | withheld
    return out


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
