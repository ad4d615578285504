"""The 10-17 population a rate is taken over: the mid-year that starts each financial year."""

from __future__ import annotations

import pandas as pd

from ..filters import Resolved
from .common import filter_conditions
from .sources import POPULATION


def population_10_17(db, resolved: Resolved, group_by: str | None = None) -> pd.DataFrame:
    """Rows of yjs, year, [grp,] population for the years the period covers, filtered like the cohort.

    A YJS or year missing from population.csv has no row, so its rate stays null."""
    years = sorted({fy for fy, _ in resolved.periods})
    conditions, params = filter_conditions(resolved, POPULATION.filters)
    conditions += ["year BETWEEN :first_year AND :last_year", "age BETWEEN 10 AND 17"]
    params.update(first_year=years[0], last_year=years[-1])
    group = f", {POPULATION.filters[group_by]} AS grp" if group_by else ""
    return db.query(f"""
        SELECT yjs, year{group}, sum(population) AS population
        FROM population WHERE {' AND '.join(conditions)}
        GROUP BY yjs, year{', grp' if group_by else ''}""", params)
