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
    """One line per series across periods; ``names`` gives series codes their words (others stand)."""

    x: str
    y: str
    series: str
    y_title: str
    #: How a value reads on hover (plotly's d3 format), e.g. two decimals for small rates.
    hover: str = "%{y:,.1f}"
    names: tuple[tuple[str, str], ...] = ()


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
class RemandOutcomes:
    """How the remands to youth detention that ended were dealt with: a bar per ``row`` (period or group)
    split into the shares of each ended result, with the cases still open beside it."""

    row: str = "period"


@dataclass(frozen=True)
class Benchmarks:
    """One service against England (a line), its region and its statistical neighbours: dots ranked by value,
    with 95% intervals (the benchmarks measure's rows for one indicator and period)."""

    x_title: str
    #: How a value is written ("{:,.0f}"), on hover and beside England's line.
    number: str
    #: The published service whose statistical neighbours these are, when the service is compared as another.
    neighbours_of: str | None = None


@dataclass(frozen=True)
class RankedAreas:
    """Services as dots ranked lowest first in their quartile bands, with 95% intervals where the source
    gives counts, and the national figure as a line (the compare-areas measure's rows for one period)."""

    x_title: str
    number: str
    highlight: str | None = None
    #: Services of this region are written in bold.
    region: str | None = None


@dataclass(frozen=True)
class RankedRegions:
    """The regions as dots ranked lowest first, the chosen one picked out, and the national figure as a line."""

    x_title: str
    number: str
    region: str | None = None


@dataclass(frozen=True)
class Funnel:
    """Each service's rate against its population, inside 95% and 99.8% limits around the national rate."""

    y_title: str
    number: str
    #: The rate's multiplier (per 1,000: 1000).
    per: float
    #: The national figure the limits are drawn around: its name and rate.
    reference: tuple[str, float]
    #: The limits at populations across the funnel (intervals.funnel_limits).
    limits: pd.DataFrame = field(compare=False)
    highlight: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class IndicatorMap:
    """A published indicator drawn on every authority each service covers (``areas``: yjs -> authority codes)."""

    areas: pd.DataFrame = field(compare=False)
    #: The colour bar's title: the unit, in words.
    unit: str
    number: str
    highlight: str | None = None


@dataclass(frozen=True)
class AreaTrend:
    """The national figure, a region, its services and the highlighted service across periods."""

    y_title: str
    number: str
    highlight: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class CohortLines:
    """Proven reoffending across cohorts, one line per column (column -> legend label), or per index tier
    of ``by_tier``'s column. Complete cohorts are solid; open ones hollow and dotted, each labelled with
    how far it has been followed (``progress``: (cohort, words, short words for the axis), filled in per
    request). Cohorts still ``forming`` (no child followed a month yet) are not drawn. ``interval``: the
    binary rate's 95% Wilson interval as error bars."""

    columns: tuple[tuple[str, str], ...] = ()
    by_tier: str | None = None
    y_title: str = ""
    interval: bool = False
    progress: tuple[tuple[str, str, str], ...] = ()
    forming: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReoffenceCounts:
    """One cohort's reoffenders by how many proven reoffences they had (1, 2, 3, 4, 5 or more), and what
    share of all its reoffences the 5+ group committed (words, or None when it cannot be shown)."""

    cohort: str | None = None
    share: str | None = None


@dataclass(frozen=True)
class Tracker:
    """Each open cohort's binary rate so far beside the last complete cohort's at the same point."""


@dataclass(frozen=True)
class Panels:
    """Small charts of a long table's figures across periods (kpis: a row per period, kpi and measure).

    ``panels``: (title, unit, lines), each line (kpi, measure, label). ``unit`` is '%' (a share, drawn on
    0 to 100, so a quarter's wobble is not drawn as a cliff) or the words of a rate ('per 10,000')."""

    panels: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...]


@dataclass(frozen=True)
class PathwaySteps:
    """Each step of a pathway for the latest period (a need found, help offered, taken up), a bar per step
    with its share of the step before: ``groups`` are (title, steps), each step (kpi, measure, 'count' or
    'base', label)."""

    groups: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...]


@dataclass(frozen=True)
class NotRecorded:
    """The share of each figure's base with its answer not recorded, for the latest period, a bar each
    (``labels``: (kpi, measure) -> words)."""

    labels: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class AttendanceGrid:
    """Board attendance: partners down, the latest periods across, each cell how many meetings the partner
    came to (``partners``: code -> words)."""

    partners: tuple[tuple[str, str], ...]


ComparisonChart = Benchmarks | RankedAreas | RankedRegions | Funnel | IndicatorMap | AreaTrend
KpiChart = Panels | PathwaySteps | NotRecorded | AttendanceGrid
ChartSpec = (
    Lines
    | GroupedBars
    | StackedDisposals
    | Bars
    | RelativeRates
    | StageRates
    | ReoffendingWindows
    | SurvivalCurve
    | RemandOutcomes
    | ComparisonChart
    | CohortLines
    | ReoffenceCounts
    | Tracker
    | KpiChart
)
