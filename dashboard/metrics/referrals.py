"""referrals: programmes referred in each period, by locality, referral source and age."""

from __future__ import annotations

import pandas as pd

from .. import suppression
from ..db import Database
from ..filters import Resolved
from .common import label_periods, period_columns, where

COLUMNS = ["period", "locality", "referral_source", "age", "count"]
FILTER_COLUMNS = {
    "yjs": "yjs", "locality": "locality", "sex": "sex", "ethnicity_group": "ethnicity_group",
    "age_band": "CASE WHEN age_at_referral BETWEEN 10 AND 14 THEN '10-14' "
                "WHEN age_at_referral BETWEEN 15 AND 17 THEN '15-17' END",
    "disposal_type": "disposal_type", "programme": "programme_name",
}


def referrals(db: Database, resolved: Resolved, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    clause, params = where(resolved, "referral_date", FILTER_COLUMNS)
    table = db.query(f"""
        SELECT {period_columns(resolved, 'referral_fy', 'referral_quarter')},
               coalesce(locality, 'Unknown') AS locality, coalesce(referral_source, 'Unknown') AS referral_source,
               age_at_referral AS age, count(*) AS count
        FROM programme_fact WHERE {clause}
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5""", params)
    table["period"] = label_periods(table)
    table = table[COLUMNS].astype({"age": "int64", "count": "int64"}).reset_index(drop=True)
    mask = suppression.withhold(table, ["count"], margins=[["period", "locality", "referral_source"],
                                                           ["period", "locality", "age"],
                                                           ["period", "referral_source", "age"]])
    return table, mask
