"""The kinds of chart a card can show, as data: what to draw, not how (dashboard/figures draws them).

A card names one of these with its columns and labels; anything that depends on the request (the
highlighted service, the share view) is filled in by the card's own function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: More years (cohorts, periods) drawn side by side than this cannot be told apart: charts show the
#: latest, the table has them all.
MOST_CURVES = 4


@dataclass(frozen=True)
class Lines:
    """One line per series across periods."""

    x: str
    y: str
    series: str
    y_title: str


@dataclass(frozen=True)
class GroupedBars:
    """Side-by-side bars, one per column (column -> legend label)."""

    x: str
    bars: tuple[tuple[str, str], ...]
    y_title: str


@dataclass(frozen=True)
class StackedDisposals:
    """Programmes started, stacked by tier (six colours that can be told apart), from the measure's tier
    breakdown (``tiers``, whose totals are suppressed as totals); ``share``: as a share of each period."""

    tiers: object = field(compare=False)
    share: bool = False


@dataclass(frozen=True)
class Bars:
    """Simple bars, optionally split by ``colour``; ``highlight`` picks out one bar."""

    x: str
    y: str
    y_title: str
    colour: str | None = None
    x_title: str = ""
    horizontal: bool = False
    highlight: str | None = None
    barmode: str = "stack"
    #: Sort the rows by ``y``, largest first (a ranking).
    ranked: bool = False
    #: Columns whose codes are shown as words (e.g. referral sources).
    as_words: tuple[str, ...] = ()
    #: Height grows with the rows (a long ranking), in pixels per row.
    row_height: int | None = None
    #: The bars lie down on a phone, so every name along ``x`` (an area) is written out whole.
    sideways_when_narrow: bool = False


@dataclass(frozen=True)
class RelativeRates:
    """Relative rate index by stage and group, with intervals, against the measure's reference group."""


@dataclass(frozen=True)
class StageRates:
    """Rate per 1,000 at each stage, a bar per group."""


@dataclass(frozen=True)
class ReoffendingWindows:
    """Share offending in each window, a bar per cohort."""


@dataclass(frozen=True)
class SurvivalCurve:
    """Kaplan-Meier: share reoffended by days since the programme ended (the latest MOST_CURVES cohorts)."""


@dataclass(frozen=True)
class AreaMap:
    """Rates drawn on every authority a service covers (``areas``: yjs -> authority codes)."""

    areas: pd.DataFrame = field(compare=False)
    highlight: str | None = None


ChartSpec = Lines | GroupedBars | StackedDisposals | Bars | RelativeRates | StageRates | ReoffendingWindows | \
    SurvivalCurve | AreaMap
