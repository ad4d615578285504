"""The 10-17 population a rate is taken over (the mid-year that starts each financial year), and the
rows of a measure by period and service that a rate is worked out on."""

from __future__ import annotations

import pandas as pd

from ..filters import Resolved
from .common import filter_conditions, period_frame
from .sources import POPULATION

#: The service of a row counting every service chosen together (the ``combine`` setting).
ALL_SERVICES = "All services"


def population_10_17(db, resolved: Resolved, group_by: str | None = None) -> pd.DataFrame:
    """Rows of yjs, year, [grp,] population for the years the period covers, filtered like the cohort.

    A YJS or year missing from population.csv has no row, so its rate stays null."""
    years = sorted({fy for fy, _ in resolved.periods})
    conditions, params = filter_conditions(resolved, POPULATION.filters)
    conditions += ["year BETWEEN :first_year AND :last_year", "age BETWEEN 10 AND 17"]
    params.update(first_year=years[0], last_year=years[-1])
    group = f", {POPULATION.filters[group_by]} AS grp" if group_by else ""
    return db.query(
        f"""
        SELECT yjs, year{group}, sum(population) AS population
        FROM population WHERE {" AND ".join(conditions)}
        GROUP BY yjs, year{", grp" if group_by else ""}""",
        params,
    )


def combined(resolved: Resolved) -> bool:
    """Every service chosen as one row: asked for (``combine``) and no one service named."""
    return resolved.settings.combine and not resolved.filters.yjs


def by_service(db, resolved: Resolved, options: dict, counts: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A row for every period and service the filters cover (one for all of them when combined),
    ``counts``' ``columns`` on it (0 where there were none, so a trend has no holes) and the 10-17
    population of the mid-year that starts its financial year as ``population_10_17`` (null without
    one). ``counts`` has period, yjs and ``columns``, by service: a child belongs to one service, so counts
    of children add up over services too."""
    population = population_10_17(db, resolved)
    services = [resolved.filters.yjs] if resolved.filters.yjs else options["yjs"]
    if combined(resolved):
        services = [ALL_SERVICES]
        counts = counts.assign(yjs=ALL_SERVICES).groupby(["period", "yjs"], as_index=False)[columns].sum()
        population = population.assign(yjs=ALL_SERVICES).groupby(["yjs", "year"], as_index=False)["population"].sum()
    periods = period_frame(resolved)
    periods["year"] = [fy for fy, _ in resolved.periods]
    grid = periods.merge(pd.DataFrame({"yjs": services}), how="cross")
    table = (
        grid.merge(counts[["period", "yjs", *columns]], on=["period", "yjs"], how="left")
        .merge(population.rename(columns={"population": "population_10_17"}), on=["yjs", "year"], how="left")
        .sort_values(["period_order", "yjs"])
        .reset_index(drop=True)
    )
    table[columns] = table[columns].astype("float64").fillna(0).astype("int64")
    table["population_10_17"] = table["population_10_17"].astype("Int64")
    return table
