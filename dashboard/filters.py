"""The filters every measure and page takes: period, locality and cohort; and the measures' own settings.

- ``Filters`` holds a person's choices: the period and the group of children. One codec
  (``from_text`` / ``to_text``) reads and writes them for the address bar, the filter bar and the
  command line's flags alike; ``parse_query`` reads a query string once, at the edge.
- ``MeasureSettings`` holds what a page or command asks of one measure (``by``, ``base``,
  ``breakdown``...): not a choice of children, so not a filter.
- ``resolve`` checks each value against the values the data holds (an unknown value is an error
  naming the valid choices, never an empty result) and turns the period into dates; ``describe`` says
  in plain words what was chosen, for subtitles and exports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from urllib.parse import parse_qs, urlencode

from . import config

FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4}-\d{2}) Q([1-4])$")
#: Dates outside these years are refused as absurd rather than queried.
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
#: The longest value the address may give (names and codes are far shorter).
MAX_VALUE_LENGTH = 200


class InvalidFilter(ValueError):
    """A filter value that is not one of the valid choices; the message names them."""


@dataclass(frozen=True)
class Filters:
    """The period and the group of children chosen (in the address, the filter bar or as CLI flags)."""

    period: str | None = None  # '2021-22' or '2021-22 Q4'
    by_quarter: bool = False
    yjs: str | None = None
    locality: str | None = None
    sex: str | None = None
    ethnicity_group: str | None = None
    age_band: str | None = None
    disposal_type: str | None = None
    programme: str | None = None
    #: The command line's free date range (never from the address: see ``from_text``).
    date_from: date | None = None
    date_to: date | None = None

    def chosen(self) -> dict[str, object]:
        """The filters set away from their defaults."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}


#: The filters people choose, in the order the address and the filter bar give them. Periods on the
#: web are financial years and quarters only: free date ranges (the CLI's --from/--to) could be
#: differenced day by day to reveal small counts.
FIELDS = ("period", "by_quarter", "yjs", "locality", "sex", "ethnicity_group", "age_band", "disposal_type", "programme")
#: Filters that pick out a group of children or a part of the area: a drill-down.
GROUP_FILTERS = ("locality", "sex", "ethnicity_group", "age_band", "disposal_type", "programme")
PERIOD_FILTERS = ("period", "date_from", "date_to", "by_quarter")
TRUE_WORDS = ("1", "true", "yes")


def from_text(values: Mapping[str, str]) -> Filters:
    """Filters from text values keyed by field (the address's, or the CLI's flags); unknown keys are
    not filters (a page's own settings share the address) and are left alone."""
    chosen: dict[str, object] = {}
    for key in FIELDS:
        value = values.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise InvalidFilter(f"{key.replace('_', ' ')} must be text")
        chosen[key] = value.lower() in TRUE_WORDS if key == "by_quarter" else value
    return Filters(**chosen)


def one_group(filters: Filters) -> Filters:
    """``filters`` if they choose at most one group of children; InvalidFilter otherwise. The web shows
    one group filter at a time, so every cell it shows is protected in one lattice
    (docs/disclosure-control.md); the analysts' command line may combine them."""
    chosen = [name.replace("_", " ") for name in GROUP_FILTERS if getattr(filters, name)]
    if len(chosen) > 1:
        raise InvalidFilter(
            f"choose one group of children at a time (area, sex, ethnic group, age, disposal or "
            f"programme), not {' and '.join(chosen)}"
        )
    return filters


def to_text(filters: Filters) -> dict[str, str]:
    """The address's values for ``filters`` (only those chosen), in FIELDS order."""
    out = {}
    for key in FIELDS:
        value = getattr(filters, key)
        if value:
            out[key] = "1" if value is True else str(value)
    return out


def flag(field: str) -> str:
    """The command line's option for a filter: by_quarter -> --by-quarter."""
    return "--" + field.replace("_", "-")


def to_flags(filters: Filters) -> list[str]:
    """``filters`` as the command line's options (``--yjs=VALUE``, so no value reads as an option)."""
    chosen = to_text(filters)
    return [f"{flag(key)}={value}" for key, value in chosen.items() if key != "by_quarter"] + (
        ["--by-quarter"] if "by_quarter" in chosen else []
    )


def parse_query(search: str | None, known: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """The ``known`` keys of a query string ('?period=2021-22&yjs=...'); a key given twice or a value
    too long is an error. Read once where a request comes in."""
    if search is not None and not isinstance(search, str):
        raise InvalidFilter("the address is not valid")
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    chosen = {}
    for key in known:
        if key in values:
            if len(values[key]) > 1 or len(values[key][0]) > MAX_VALUE_LENGTH:
                raise InvalidFilter(f"the address gives '{key}' more than once or too long")
            chosen[key] = values[key][0]
    return chosen


def query_string(values: Mapping[str, str | None], order: tuple[str, ...] = FIELDS) -> str:
    """'?key=value&...' for the chosen values, in ``order``; '' when nothing is chosen."""
    pairs = [(k, values[k]) for k in order if values.get(k)]
    return "?" + urlencode(pairs) if pairs else ""


@dataclass(frozen=True)
class MeasureSettings:
    """What a page or command asks of one measure, beyond the filters; each measure says which it takes."""

    by: str = "ethnicity_group"  # disproportionality: ethnicity_group | sex | age_band
    base: str = "population"  # disproportionality: population | previous
    reference: str | None = None  # disproportionality: defaults per `by`
    combine: bool = False  # fte: all services as one row (the overview's headline)
    breakdown: str = "locality,referral_source,age"  # referrals: the columns to split by (others read
    # 'All'); disposals: 'tier' for tier totals
    region: str | None = None  # areas
    level: str = "yjs"  # areas: yjs | region | national
    indicator: str | None = None  # compare-areas: a published measure (default: the first published)

    def chosen(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}


def measure_settings(values: Mapping[str, object]) -> MeasureSettings:
    """MeasureSettings from keyword values; a name no measure takes is an error, not ignored."""
    known = {f.name for f in fields(MeasureSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidFilter(f"unknown setting {', '.join(unknown)}; valid settings: {', '.join(sorted(known))}")
    return MeasureSettings(**{k: v for k, v in values.items() if v is not None})


DEFAULT_REFERENCE = {"ethnicity_group": config.REFERENCE_GROUP, "sex": "female", "age_band": "10-14"}
GROUPS = {"ethnicity_group": config.ETHNICITY_GROUPS, "sex": config.SEXES, "age_band": config.AGE_BANDS}


def financial_year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def period_label(start_year: int, quarter: int | None = None) -> str:
    return financial_year_label(start_year) + (f" Q{quarter}" if quarter else "")


def financial_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def covered_years(first: date | None, as_of: date | None) -> tuple[list[int], int | None]:
    """The financial years from the one holding ``first`` (the first case record) to the one holding
    ``as_of``, and the latest of them that is complete (as_of on its 31 March or later)."""
    if first is None or as_of is None:
        return [], None
    last = financial_year_of(as_of)
    latest_complete = last if (as_of.month, as_of.day) == (3, 31) else last - 1
    return list(range(financial_year_of(first), last + 1)), latest_complete


def first_case_record(first_record: Mapping[str, Mapping[str, date]], as_of: Mapping[str, date]) -> date | None:
    """The earliest case record (``first_record``: record table -> service -> first date) of the services
    ``as_of`` names: where the years their extracts cover start."""
    return min((day for dates in first_record.values() for yjs, day in dates.items() if yjs in as_of), default=None)


def has_begun(year: int, quarter: int | None, as_of: date) -> bool:
    """Whether the period starts on or before ``as_of``: a quarter after the extract was taken has no
    data, so it is neither offered nor shown."""
    start = date(year, 4, 1) if quarter is None else parse_period(period_label(year, quarter))[0]
    return start <= as_of


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


def pick(name: str, value: str | None, choices, label: str | None = None) -> str | None:
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
    """Validated filters and settings plus the dates and period labels a measure groups by."""

    filters: Filters
    settings: MeasureSettings
    start: date
    end: date
    by_quarter: bool
    periods: tuple[tuple[int, int | None], ...]  # (financial year start, quarter or None), in order
    ignored: tuple[str, ...]
    #: The services the viewer may see (None: every one); a measure limits its rows to them.
    services: tuple[str, ...] | None = None
    #: Whether the viewer may choose groups of children (the cells their lattice holds: metrics/lattice.py).
    drill_down: bool = True
    #: False for the analysts' unsuppressed figures: a measure then need not work out what to withhold.
    suppressed: bool = True

    def labels(self) -> list[str]:
        return [period_label(y, q) for y, q in self.periods]


def resolve(
    filters: Filters,
    applies: frozenset[str],
    options: dict,
    *,
    settings: MeasureSettings = MeasureSettings(),
    takes: frozenset[str] = frozenset(),
    published: bool = False,
    default_period: str = "all",
    services: tuple[str, ...] | None = None,
) -> Resolved:
    """Check every filter and setting against ``options`` (from metrics.filter_options) and fix the period.

    ``applies``: the filters the measure honours (any other chosen is reported as ignored); ``takes``:
    the settings it takes (checked here).
    ``published``: the measure reads the published tables (their services, regions and years).
    ``default_period`` is 'all' (every financial year in the data) or 'latest' (the latest complete
    financial year, for measures that pool one window)."""
    ignored = tuple(name for name in filters.chosen() if name not in applies)
    f, s = filters, settings
    if published:
        f = replace(f, yjs=pick("yjs", f.yjs, options["published_yjs"], "YJS"))
        s = replace(
            s,
            region=pick("region", s.region, options["regions"]),
            level=pick("level", s.level, ("yjs", "region", "national")),
        )
        if "indicator" in takes:
            published_measures = tuple(options["indicator_periods"])
            s = replace(
                s,
                indicator=pick(
                    "indicator", s.indicator or next(iter(published_measures), None), published_measures, "measure"
                ),
            )
        years = options["published_years"]
    else:
        f = replace(
            f,
            yjs=pick("yjs", f.yjs, options["yjs"], "YJS"),
            sex=pick("sex", f.sex, config.SEXES),
            ethnicity_group=pick("ethnicity_group", f.ethnicity_group, config.ETHNICITY_GROUPS, "ethnicity group"),
            age_band=pick("age_band", f.age_band, config.AGE_BANDS, "age band"),
            disposal_type=pick("disposal_type", f.disposal_type, config.DISPOSAL_TYPES, "disposal type"),
            programme=pick("programme", f.programme, options["programmes"]),
        )
        localities = options["localities"].get(f.yjs) if f.yjs else options["all_localities"]
        f = replace(f, locality=pick("locality", f.locality, localities or ()))
        if "by" in takes:
            by = pick("by", s.by, tuple(GROUPS))
            groups = [g for g in GROUPS[by] if g != "Unknown"]
            s = replace(
                s,
                by=by,
                base=pick("base", s.base, ("population", "previous")),
                reference=pick("reference", s.reference or DEFAULT_REFERENCE[by], groups, "reference group"),
            )
        years = options["years"]
    start, end, by_quarter = _period_dates(f, years, options.get("latest_complete_year"), default_period)
    if published and by_quarter:
        raise InvalidFilter("the published tables are by financial year only; choose a year like 2021-22")
    # The extract's last day: a quarter starting after it has no data, so it is not a period at all.
    taken = None if published else _taken(f.yjs, options)
    if taken and f.period and start > taken:
        raise InvalidFilter(f"period '{f.period}' starts after the data, which runs to {taken:%-d %B %Y}")
    by_quarter = by_quarter or (f.by_quarter and "by_quarter" in applies)
    first, last = financial_year_of(start), financial_year_of(end)
    if by_quarter:
        if not (f.period or f.date_from) and options.get("as_of"):
            # Every quarter in the data: none that has not begun by the latest extract's date (the default
            # period runs to the end of its financial year, and "to 2025-26 Q4" would claim a year of data).
            end = min(end, max(options["as_of"].values()))
        periods = tuple(
            (y, q)
            for y in range(first, last + 1)
            for q in (1, 2, 3, 4)
            if _quarter_overlaps(y, q, start, end) and (taken is None or has_begun(y, q, taken))
        )
    else:
        periods = tuple((y, None) for y in range(first, last + 1))
    return Resolved(f, s, start, end, by_quarter, periods, ignored, services)


def _taken(yjs: str | None, options: dict) -> date | None:
    """The as-of date of the chosen service's extract, else the latest of those the options hold."""
    dates = options.get("as_of") or {}
    return dates.get(yjs) if yjs else max(dates.values(), default=None)


def _quarter_overlaps(year: int, quarter: int, start: date, end: date) -> bool:
    q_start, q_end, _ = parse_period(f"{financial_year_label(year)} Q{quarter}")
    return q_start <= end and q_end >= start


def _period_dates(
    f: Filters, years: list[int], latest_complete: int | None, default_period: str
) -> tuple[date, date, bool]:
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


SEX_WORDS = {"male": "boys", "female": "girls", "unknown": "sex not recorded"}


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
    if resolved.settings.region:
        parts.append(resolved.settings.region)
    if f.sex:
        parts.append(SEX_WORDS[f.sex])
    if f.ethnicity_group:
        parts.append(f"{f.ethnicity_group} children" if f.ethnicity_group != "Unknown" else "ethnicity not recorded")
    if f.age_band:
        parts.append(f"aged {f.age_band}")
    if f.disposal_type:
        parts.append(f.disposal_type.replace("_", " ").capitalize())
    if f.programme:
        parts.append(f"programme: {f.programme}")
    return ", ".join(parts)
