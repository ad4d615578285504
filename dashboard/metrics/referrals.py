"""referrals: programmes referred in each period, by locality, referral source and age."""

from __future__ import annotations

import pandas as pd

from ..disclosure import ALL as MARGIN
from ..disclosure import Dimension
from ..filters import InvalidFilter, Resolved
from . import lattice
from .common import Measure, label_periods, period_columns, where
from .sources import AGE_BAND_AT_REFERRAL, PROGRAMME_REFERRALS

COLUMNS = ["period", "locality", "referral_source", "age", "count"]
ALL = "All"
SPLITS = {
    "locality": "coalesce(locality, 'Unknown')",
    "referral_source": "coalesce(referral_source, 'Unknown')",
    "age": "age_at_referral",
}


#: Ages on the day of referral add up to their band (sources.AGE_BAND_AT_REFERRAL), bands to everyone.
OUTSIDE_BANDS = "outside 10-17"
AGES = Dimension(
    "age",
    {age: "10-14" if 10 <= age <= 14 else "15-17" if 15 <= age <= 17 else OUTSIDE_BANDS for age in range(0, 120)},
    ("age_band", "age"),
)


def _referred(resolved: Resolved, ranked: tuple[str, ...]) -> tuple[str, dict]:
    """One row per programme referred, for the lattice."""
    clause, params = where(resolved, "referral_date", PROGRAMME_REFERRALS)
    filters = [f for f in PROGRAMME_REFERRALS.group_filters() if f not in (*SPLITS, "age_band")]
    return (
        f"""
        SELECT referral_fy AS fy, referral_quarter AS quarter, yjs,
               {", ".join(f"{e} AS {c}" for c, e in SPLITS.items())},
               coalesce({AGE_BAND_AT_REFERRAL}, '{OUTSIDE_BANDS}') AS age_band,
               {PROGRAMME_REFERRALS.columns(filters)}, 1 AS count
        FROM programme_fact WHERE {clause}""",
        params,
    )


#: The web shows referrals by source and age, and by area; a locality chosen is a slice of the areas.
CELLS = lattice.Cells(
    rows=_referred,
    counts=("count",),
    dimensions=(Dimension("quarter"), Dimension("yjs"), Dimension("locality"), Dimension("referral_source"), AGES),
    views=(("quarter", "yjs", "referral_source", "age"), ("quarter", "yjs", "locality")),
    filters=PROGRAMME_REFERRALS.group_filters(),
    slices={"age_band": "age"},
)


def referrals(db, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    clause, params = where(resolved, "referral_date", PROGRAMME_REFERRALS)
    split = [c for c in SPLITS if c in resolved.settings.breakdown.split(",")]
    if not split:
        raise InvalidFilter(f"breakdown must name some of: {', '.join(SPLITS)}")
    selected = ", ".join(f"{SPLITS[c]} AS {c}" for c in split)
    groups = ", ".join(str(n) for n in range(1, len(split) + 3))
    table = db.query(
        f"""
        SELECT {period_columns(resolved, "referral_fy", "referral_quarter")}, {selected}, count(*) AS count
        FROM programme_fact WHERE {clause}
        GROUP BY {groups} ORDER BY {groups}""",
        params,
    )
    table["period"] = label_periods(table)
    for column in SPLITS:
        if column not in split:
            table[column] = ALL
    table = table[COLUMNS].astype({"count": "int64"}).reset_index(drop=True)
    if "age" in split:
        table["age"] = table["age"].astype("int64")

    def locate(rows: pd.DataFrame) -> pd.DataFrame:
        """A column not split by is summed over ('All'), or the locality chosen."""
        return pd.DataFrame(
            {
                c: resolved.filters.locality if c == "locality" and resolved.filters.locality else MARGIN
                for c in SPLITS
                if c not in split
            },
            index=rows.index,
        )

    return table, lattice.withheld(db, CELLS, resolved, options, table, shows={"count": ("count",)}, locate=locate)


MEASURES = [
    Measure(
        "referrals",
        tuple(COLUMNS),
        referrals,
        PROGRAMME_REFERRALS.applies(),
        frozenset({"breakdown"}),
        summary="programmes referred, by area, referral source and age",
        order=3,
    )
]
