"""The filters every measure and page takes: period, locality and cohort.

``Filters`` holds raw choices; ``resolve`` checks each against the values the data holds (an
unknown value is an error naming the valid choices, never an empty result) and turns the period
into dates. ``describe`` says in plain words what was chosen, for subtitles and exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date

from . import config

FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4}-\d{2}) Q([1-4])$")
#: Dates outside these years are refused as absurd rather than queried.
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100


class InvalidFilter(ValueError):
    """A filter value that is not one of the valid choices; the message names them."""


@dataclass(frozen=True)
class Filters:
    period: str | None = None           # '2021-22' or '2021-22 Q4'
    date_from: date | None = None
    date_to: date | None = None
    by_quarter: bool = False
    yjs: str | None = None
    locality: str | None = None
    sex: str | None = None
    ethnicity_group: str | None = None
    age_band: str | None = None
    disposal_type: str | None = None
    programme: str | None = None
    region: str | None = None           # areas only
    level: str = "yjs"                  # areas: yjs | region | national
    by: str = "ethnicity_group"         # disproportionality: ethnicity_group | sex | age_band
    base: str = "population"            # disproportionality: population | previous
    reference: str | None = None        # disproportionality: defaults per `by`
    combine: bool = False               # fte: all services as one row (the overview's headline)
    breakdown: str = "locality,referral_source,age"   # referrals: the columns to split by; others read 'All';
                                                      # disposals: 'tier' for tier totals
    services: tuple[str, ...] | None = None   # set by access.Viewer only: the services the viewer may see

    def chosen(self) -> dict[str, object]:
        """The filters set away from their defaults (the viewer's services are not a choice)."""
        defaults = Filters()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "services" and getattr(self, f.name) != getattr(defaults, f.name)}


COHORT_FILTERS = ("yjs", "locality", "sex", "ethnicity_group", "age_band", "disposal_type", "programme")
PERIOD_FILTERS = ("period", "date_from", "date_to", "by_quarter")

#: Which filters each measure honours; any other filter chosen is reported as not applying.
APPLIES = {
    "fte": {*PERIOD_FILTERS, "yjs", "locality", "sex", "ethnicity_group", "age_band", "disposal_type", "combine"},
    "disposals": {*PERIOD_FILTERS, *COHORT_FILTERS, "breakdown"},
    "referrals": {*PERIOD_FILTERS, *COHORT_FILTERS, "breakdown"},
    "disproportionality": {"period", "date_from", "date_to", "yjs", "locality", "sex", "ethnicity_group",
                           "age_band", "by", "base", "reference"},
    "programme-reoffending": {*PERIOD_FILTERS, *COHORT_FILTERS},
    "reoffending-curve": {*PERIOD_FILTERS, *COHORT_FILTERS},
    "areas": {"period", "date_from", "date_to", "yjs", "region", "level"},
}

DEFAULT_REFERENCE = {"ethnicity_group": config.REFERENCE_GROUP, "sex": "female", "age_band": "10-14"}
GROUPS = {"ethnicity_group": config.ETHNICITY_GROUPS, "sex": config.SEXES, "age_band": config.AGE_BANDS}


def financial_year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def period_label(start_year: int, quarter: int | None = None) -> str:
    return financial_year_label(start_year) + (f" Q{quarter}" if quarter else "")


def financial_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def parse_period(text: str) -> tuple[date, date, bool]:
    """'2021-22' -> 1 Apr 2021..31 Mar 2022; '2021-22 Q4' -> 1 Jan..31 Mar 2022 (by quarter)."""
    text = text.strip()
    quarter = QUARTER.match(text)
    year_text = quarter.group(1) if quarter else text
    year = FINANCIAL_YEAR.match(year_text)
    if not year or (int(year.group(1)) + 1) % 100 != int(year.group(2)):
        raise InvalidFilter(f"period '{text}' is not a financial year like 2021-22 or a quarter like 2021-22 Q4")
    start_year = int(year.group(1))
    if not EARLIEST_YEAR <= start_year <= LATEST_YEAR:
        raise InvalidFilter(f"period '{text}' is out of range ({EARLIEST_YEAR} to {LATEST_YEAR})")
    if not quarter:
        return date(start_year, 4, 1), date(start_year + 1, 3, 31), False
    q = int(quarter.group(2))
    first_month = (3 * q + 1) if q < 4 else 1
    first_year = start_year if q < 4 else start_year + 1
    last_month = first_month + 2
    next_month = date(first_year + (last_month == 12), last_month % 12 + 1, 1)
    return date(first_year, first_month, 1), date.fromordinal(next_month.toordinal() - 1), True


def _pick(name: str, value: str | None, choices, label: str | None = None) -> str | None:
    """The canonical spelling of ``value`` among ``choices`` (case-insensitive), or InvalidFilter."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidFilter(f"{label or name} must be text")
    lookup = {str(c).lower(): c for c in choices}
    found = lookup.get(value.strip().lower())
    if found is None:
        shown = ", ".join(map(str, choices)) or "(none in the data)"
        raise InvalidFilter(f"unknown {label or name} '{value}'; valid choices: {shown}")
    return found


@dataclass(frozen=True)
class Resolved:
    """Validated filters plus the dates and period labels a measure groups by."""

    filters: Filters
    start: date
    end: date
    by_quarter: bool
    periods: tuple[tuple[int, int | None], ...]   # (financial year start, quarter or None), in order
    ignored: tuple[str, ...]

    def labels(self) -> list[str]:
        return [period_label(y, q) for y, q in self.periods]


def resolve(filters: Filters, metric: str, options: dict, default_period: str = "all") -> Resolved:
    """Check every filter against ``options`` (from metrics.filter_options) and fix the period.

    ``default_period`` is 'all' (every financial year in the data) or 'latest' (the latest complete
    financial year, for measures that pool one window)."""
    applies = APPLIES[metric]
    chosen = filters.chosen()
    ignored = tuple(name for name in chosen if name not in applies)
    f = filters
    if metric == "areas":
        f = replace(f, yjs=_pick("yjs", f.yjs, options["published_yjs"], "YJS"),
                    region=_pick("region", f.region, options["regions"]),
                    level=_pick("level", f.level, ("yjs", "region", "national")))
        years = options["published_years"]
    else:
        f = replace(
            f,
            yjs=_pick("yjs", f.yjs, options["yjs"], "YJS"),
            sex=_pick("sex", f.sex, config.SEXES),
            ethnicity_group=_pick("ethnicity_group", f.ethnicity_group, config.ETHNICITY_GROUPS, "ethnicity group"),
            age_band=_pick("age_band", f.age_band, config.AGE_BANDS, "age band"),
            disposal_type=_pick("disposal_type", f.disposal_type, config.DISPOSAL_TYPES, "disposal type"),
            programme=_pick("programme", f.programme, options["programmes"]),
            by=_pick("by", f.by, tuple(GROUPS)),
            base=_pick("base", f.base, ("population", "previous")),
        )
        localities = options["localities"].get(f.yjs) if f.yjs else options["all_localities"]
        f = replace(f, locality=_pick("locality", f.locality, localities or ()))
        if metric == "disproportionality":
            groups = [g for g in GROUPS[f.by] if g != "Unknown"]
            reference = _pick("reference", f.reference or DEFAULT_REFERENCE[f.by], groups, "reference group")
            f = replace(f, reference=reference)
        years = options["years"]
    start, end, by_quarter = _period_dates(f, years, options.get("latest_complete_year"), default_period)
    if metric == "areas" and by_quarter:
        raise InvalidFilter("the published tables are by financial year only; choose a year like 2021-22")
    by_quarter = by_quarter or (f.by_quarter and "by_quarter" in applies)
    first, last = financial_year_of(start), financial_year_of(end)
    if by_quarter:
        periods = tuple((y, q) for y in range(first, last + 1) for q in (1, 2, 3, 4)
                        if _quarter_overlaps(y, q, start, end))
    else:
        periods = tuple((y, None) for y in range(first, last + 1))
    return Resolved(f, start, end, by_quarter, periods, ignored)


def _quarter_overlaps(year: int, quarter: int, start: date, end: date) -> bool:
    q_start, q_end, _ = parse_period(f"{financial_year_label(year)} Q{quarter}")
    return q_start <= end and q_end >= start


def _period_dates(f: Filters, years: list[int], latest_complete: int | None,
                  default_period: str) -> tuple[date, date, bool]:
    valid = ", ".join(financial_year_label(y) for y in years) or "(no data loaded)"
    if f.period and (f.date_from or f.date_to):
        raise InvalidFilter("choose either a period or --from/--to dates, not both")
    if f.period:
        try:
            start, end, by_quarter = parse_period(f.period)
        except InvalidFilter as exc:
            raise InvalidFilter(f"{exc}; valid financial years: {valid}") from None
        if financial_year_of(start) not in years:
            raise InvalidFilter(f"unknown period '{f.period}'; valid financial years: {valid}")
        return start, end, by_quarter
    if f.date_from or f.date_to:
        if not (f.date_from and f.date_to):
            raise InvalidFilter("give both --from and --to dates")
        for d in (f.date_from, f.date_to):
            if not isinstance(d, date) or not EARLIEST_YEAR <= d.year <= LATEST_YEAR:
                raise InvalidFilter(f"date {d} is out of range ({EARLIEST_YEAR} to {LATEST_YEAR})")
        if f.date_from > f.date_to:
            raise InvalidFilter(f"--from {f.date_from} is after --to {f.date_to}")
        return f.date_from, f.date_to, False
    if not years:
        raise InvalidFilter("the database holds no data yet: load an extract first")
    if default_period == "latest":
        year = latest_complete if latest_complete in years else years[-1]
        return date(year, 4, 1), date(year + 1, 3, 31), False
    return date(years[0], 4, 1), date(years[-1] + 1, 3, 31), False


def describe(resolved: Resolved) -> str:
    """The filters in plain words: '2021-22, Northvale (West), girls, Black children, aged 15-17'."""
    f = resolved.filters
    if f.period:
        when = f.period
    elif f.date_from:
        when = f"{f.date_from:%-d %B %Y} to {f.date_to:%-d %B %Y}"
    else:
        labels = resolved.labels()
        when = labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"
    parts = [when]
    if f.yjs:
        parts.append(f.yjs + (f" ({f.locality})" if f.locality else ""))
    elif f.locality:
        parts.append(f.locality)
    if f.region:
        parts.append(f.region)
    if f.sex:
        parts.append({"male": "boys", "female": "girls", "unknown": "sex not recorded"}[f.sex])
    if f.ethnicity_group:
        parts.append(f"{f.ethnicity_group} children" if f.ethnicity_group != "Unknown" else "ethnicity not recorded")
    if f.age_band:
        parts.append(f"aged {f.age_band}")
    if f.disposal_type:
        parts.append(f.disposal_type.replace("_", " ").capitalize())
    if f.programme:
        parts.append(f"programme: {f.programme}")
    return ", ".join(parts)
