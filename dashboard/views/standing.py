"""Where a service stands on a published indicator, in one sentence for a headline card and the board pack:
"Northvale, 2024 (calendar year): 124 per 100,000: higher than England (98), similar to the East Midlands
(98), 6th lowest of 11 with its statistical neighbours."

``standing(context, filters, indicator)`` reads the benchmarks measure for one service and one of its
indicators (metrics.benchmarks.INDICATORS): the latest period with a figure of the service's own (from
its extract, else its published one), read against England and the region by its 95% interval where it
has one (otherwise the figures are given side by side, untested), and its rank among its DfE statistical
neighbours, lowest first. Any headline figure with published comparators can call it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..filters import Filters
from ..metrics.benchmarks import NATIONAL, comparison
from ..metrics.intervals import compared_with
from .indicators import INDICATORS, ordinal, region_words

CHOOSE_ONE = "Choose one service in the filters to see how it compares with England, its region and similar areas."
READINGS = {"higher": "higher than", "lower": "lower than", "similar": "similar to"}


@dataclass(frozen=True)
class Standing:
    """A service's standing on one indicator, in words."""

    text: str
    #: The period compared, with its basis ("2024 (calendar year)"); None when nothing could be compared.
    period: str | None = None


def compared_service(context, filters: Filters) -> str | None:
    """The one service a comparison is for: the one chosen, or the only one the viewer sees."""
    if filters.yjs:
        return filters.yjs
    services = context.options["yjs"]
    return services[0] if len(services) == 1 else None


def standing(context, filters: Filters, indicator: str) -> Standing:
    """Where the service chosen stands on ``indicator`` (a benchmarks measure code), in words."""
    service = compared_service(context, filters)
    if service is None:
        return Standing(CHOOSE_ONE)
    words = INDICATORS[indicator]
    result = context.measure("benchmarks", Filters(yjs=service))
    table, withheld = result.table, result.withheld
    period = latest_compared(table, indicator, service)
    if period is None:
        return Standing(f"No published {words.name.lower()} figures to compare {service} with.")
    here = table[(table["measure"] == indicator) & (table["period"] == period)]
    rows = here[here["area_type"] == "service"]
    row = rows.iloc[0] if not rows.empty else here[(here["area_type"] == "published_service")].iloc[0]
    when = words.period(period)
    if withheld.loc[row.name, "value"]:
        return Standing(f"{service}, {when}: too few to compare (withheld).", when)
    said = [_against(row, here[here["area_type"].isin(NATIONAL)], row["compared_with_england"], words)]
    region = here[here["area_type"] == "region"]
    if not region.empty:
        said.append(
            _against(
                row,
                region,
                compared_with(row["ci_low"], row["ci_high"], region.iloc[0]["value"]),
                words,
                region_words(region.iloc[0]["area"]),
            )
        )
    said.append(
        _among_neighbours(
            row["value"],
            here[here["area_type"] == "neighbour"]["value"].dropna(),
            comparison(context.db, service)[0],
            service,
        )
    )
    said = [part for part in said if part]
    return Standing(
        f"{service}, {when}: {words.value(row['value'])}"
        + (f": {', '.join(said)}." if said else ". No published figures to compare it with."),
        when,
    )


def latest_compared(table: pd.DataFrame, indicator: str, service: str) -> str | None:
    """The latest period of ``indicator`` in a benchmarks table with a figure of the service's own: from its
    extract, or published under its name (a service compared as another has only the other's published)."""
    own = (table["measure"] == indicator) & (
        (table["area_type"] == "service") | ((table["area_type"] == "published_service") & (table["area"] == service))
    )
    return max(table.loc[own, "period"]) if own.any() else None


def _against(row, others: pd.DataFrame, reading, words, name: str | None = None) -> str:
    """'higher than England (98)' from a tested reading, else 'England 98' side by side."""
    if others.empty or pd.isna(others.iloc[0]["value"]):
        return ""
    other = others.iloc[0]
    shown = words.number.format(other["value"])
    if isinstance(reading, str) and reading in READINGS:
        return f"{READINGS[reading]} {name or other['area']} ({shown})"
    return f"{other['area']} {shown}"


def _among_neighbours(value: float, neighbours: pd.Series, published: str | None, service: str) -> str:
    """'6th lowest of 11 with its statistical neighbours' (ties: 'joint'); lowest and highest said so."""
    if neighbours.empty:
        return ""
    rank, of = 1 + int((neighbours < value).sum()), 1 + len(neighbours)
    joint = "joint " if (neighbours == value).any() else ""
    place = (
        "highest"
        if rank == of and not joint
        else "lowest"
        if rank == 1 and not joint
        else f"{joint}{ordinal(rank)} lowest"
    )
    whose = "its" if published in (None, service) else f"{published}'s"
    return f"{place} of {of} with {whose} statistical neighbours"
