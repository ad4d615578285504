"""The 10-17 population a rate is taken over: the mid-year that starts each financial year."""

from __future__ import annotations

import pandas as pd

from ..db import Database
from ..filters import Resolved
from .common import filter_conditions

AGE_BAND_OF_AGE = "CASE WHEN age BETWEEN 10 AND 14 THEN '10-14' ELSE '15-17' END"
#: Filters the population table can honour, and its column for each.
COLUMNS = {"yjs": "yjs", "locality": "locality", "sex": "sex", "ethnicity_group": "ethnicity_group",
           "age_band": AGE_BAND_OF_AGE}
GROUP_COLUMNS = {"ethnicity_group": "ethnicity_group", "sex": "sex", "age_band": AGE_BAND_OF_AGE}


def population_10_17(db: Database, resolved: Resolved, group_by: str | None = None) -> pd.DataFrame:
    """Rows of yjs, year, [grp,] population for the years the period covers, filtered like the cohort.

    A YJS or year missing from population.csv has no row, so its rate stays null."""
    years = sorted({fy for fy, _ in resolved.periods})
    conditions, params = filter_conditions(resolved.filters, COLUMNS)
    conditions += ["year BETWEEN :first_year AND :last_year", "age BETWEEN 10 AND 17"]
    params.update(first_year=years[0], last_year=years[-1])
    group = f", {GROUP_COLUMNS[group_by]} AS grp" if group_by else ""
    return db.query(f"""
        SELECT yjs, year{group}, sum(population) AS population
        FROM population WHERE {' AND '.join(conditions)}
        GROUP BY yjs, year{', grp' if group_by else ''}""", params)
