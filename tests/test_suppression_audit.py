"""Suppression audit: every number a board member or a service manager can reach, and the outside
tester's attacks on them (issue 12, item 2), which must recover no withheld count.

A board member sees one service's whole-service figures (no drill-down); a manager may also choose one
group of children at a time. Both choose any financial year or quarter, by year or by quarter, on every
page, in hover text, tables and downloads (all of them show a measure's suppressed table; the figure
builders draw nothing else). The views are collected once per role, then attacked:
- the same cell is shown with one value everywhere, or withheld everywhere;
- complement across filter values: all children minus every other group of a filter;
- type against tier headline: a tier's total minus its other disposal types (each also shown on its
  own by ?disposal_type=), and the custody page's custodial sentences minus their types; remands to
  youth detention minus their other outcomes;
- quarter against year: a year minus its other quarters;
- curve arithmetic: a day's reoffences from consecutive numbers at risk less those censored, or from
  the fall in survival;
- a linear-programming attacker solving every total of a small set of views at once.
Each attack is also run on the same views protected one table at a time (the old method), where it
recovers counts: so the attacks can fail. The data is a small synthetic extract full of small counts.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from dashboard import config, suppression
from dashboard.access import Scope
from dashboard.db import Database
from dashboard.filters import Filters, period_label
from dashboard.ingest import build_demo
from dashboard.metrics import compute, filter_options

from .attacker import feasible_range

HIDDEN = "c"
#: (label, metric, page settings, row keys, counts, cells shown): the tables the pages show.
VIEWS = [
    ("fte", "fte", {}, ["yjs"], ["fte", "fte_knife_or_weapon"], ["fte", "fte_knife_or_weapon", "rate_per_100000"]),
    ("fte combined", "fte", {"combine": True}, [], ["fte"], ["fte", "rate_per_100000"]),
    ("disposals", "disposals", {}, ["disposal_type", "tier"], ["count"], ["count"]),
    ("tiers", "disposals", {"breakdown": "tier"}, ["tier"], ["count"], ["count"]),
    (
        "referrals by age",
        "referrals",
        {"breakdown": "referral_source,age"},
        ["referral_source", "age"],
        ["count"],
        ["count"],
    ),
    ("referrals by area", "referrals", {"breakdown": "locality"}, ["locality"], ["count"], ["count"]),
    ("completions", "completions", {}, ["tier"], ["ended", "completed"], ["ended", "completed"]),
    (
        "reoffending",
        "programme-reoffending",
        {},
        ["window"],
        ["children_at_risk", "children_offended"],
        ["children_at_risk", "children_offended", "offences"],
    ),
    (
        "custody",
        "use-of-custody",
        {},
        ["yjs"],
        ["custodial_sentences", "children"],
        ["custodial_sentences", "children", "rate_per_1000"],
    ),
    ("remands", "remands", {}, ["yjs", "remand_type"], ["remands", "children"], ["remands", "children"]),
    ("remand outcomes", "remand-outcomes", {}, ["yjs", "result"], ["remands"], ["remands", "percent"]),
    (
        "proven",
        "proven-reoffending",
        {},
        ["yjs", "index_tier"],
        ["children", "reoffenders"],
        ["children", "reoffenders", "binary_rate"],
    ),
    ("proven bands", "proven-reoffending-counts", {}, ["yjs", "reoffences"], ["reoffenders"], ["reoffenders"]),
]
#: Views by financial year only (a quarter or quarters are refused).
YEARLY = ("remand outcomes",)
#: Views whose cells add up over the groups of a filter but not over quarters (a child is in the cohort
#: of each quarter and of the year).
COHORTS = ("proven", "proven bands")
#: Views whose cells add up over quarters and over the groups of a filter.
ADDITIVE = (
    "fte",
    "fte combined",
    "disposals",
    "tiers",
    "referrals by age",
    "referrals by area",
    "completions",
    "custody",
    "remands",
    "remand outcomes",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit") / "small.duckdb"
    build_demo(path, children=700, progress=lambda message: None)
    # Every view of both roles stays remembered (the default 256 is a worker's memory bound): a quarter's and
    # a year's views share their lattices, and the curves' and the attacks' views come back for them.
    return Database.open(path, results_kept=100_000)


@pytest.fixture(scope="module")
def service(demo):
    return filter_options(demo)["yjs"][0]


def _groups(options: dict, service: str) -> dict[str, list]:
    """Every value a manager can choose for each group filter."""
    return {
        "sex": list(config.SEXES),
        "ethnicity_group": list(config.ETHNICITY_GROUPS),
        "age_band": list(config.AGE_BANDS),
        "disposal_type": list(config.DISPOSAL_TYPES),
        "locality": options["localities"].get(service, []),
        "programme": options["programmes_by_yjs"].get(service, []),
    }


#: The synthetic extract's busiest years (its first full ones): the most cells shown to attack.
YEARS = slice(1, 3)


def _periods(options: dict) -> list[tuple[str | None, bool]]:
    years = [period_label(y) for y in options["years"][YEARS]]
    return [
        (None, False),
        *((y, q) for y in years for q in (False, True)),
        *((f"{y} Q{q}", False) for y in years for q in (1, 2, 3, 4)),
    ]


class Seen:
    """Every cell a role saw: key -> values shown (HIDDEN when withheld), and the true value; the keys
    are (view, filter, filter value, period, *row keys, column)."""

    def __init__(self):
        self.shown: dict = defaultdict(set)
        self.truth: dict = {}
        #: (view, filter, value) -> the periods of the tables seen: a row absent from one is a zero.
        self.tables: dict = defaultdict(set)

    def add(self, view, group, value, result, raw, keys, columns, when):
        self.tables[(view, group, value)].update(result.table[when].astype(str))
        for i, row in result.table.iterrows():
            for column in columns:
                key = (view, group, value, row[when], *[row[k] for k in keys], column)
                hidden = result.withheld.at[i, column] or pd.isna(row[column])
                self.shown[key].add(HIDDEN if hidden else round(float(row[column]), 6))
                self.truth[key] = raw.at[i, column]

    def value(self, key):
        found = self.shown.get(key)
        return None if found is None else next(iter(found))

    def known(self, key) -> bool:
        """Shown, withheld, or a zero (absent from a table the reader saw)."""
        return key in self.shown or str(key[3]) in self.tables.get(key[:3], ())


def _seen(demo, scope: Scope, groups: dict) -> tuple[Seen, Seen, Seen]:
    """What ``scope`` sees on every view; the same views protected one table at a time instead
    (suppression.withhold over each table's periods: the old method); and with small counts withheld
    alone (no secondary suppression)."""
    options = filter_options(demo)
    seen, alone, primary = Seen(), Seen(), Seen()
    choices = [(None, None)] + ([(g, v) for g, values in groups.items() for v in values] if scope.drill_down else [])
    for label, metric, settings, keys, counts, columns in VIEWS:
        for period, by_quarter in _periods(options):
            if label in YEARLY and (by_quarter or (period and " Q" in period)):
                continue
            for group, value in choices:
                filters = Filters(period=period, by_quarter=by_quarter, **({group: value} if group else {}))
                raw = compute(demo, metric, filters, scope=scope, suppressed=False, **settings)
                result = compute(demo, metric, filters, scope=scope, **settings)
                periods = [[c for c in raw.table if c in ("period", "cohort")]]
                mask = suppression.withhold(
                    raw.table, counts, margins=periods, dependents={counts[0]: [c for c in columns if c != counts[0]]}
                )
                old = type(raw)(metric, suppression.apply(raw.table, mask), mask, raw.description)
                when = "cohort" if "cohort" in result.table else "period"
                # A reoffending cohort is each child's first programme in the period chosen: a different
                # group of children for each period chosen.
                view = f"{label} in {period}" if metric == "programme-reoffending" else label
                seen.add(view, group, value, result, raw.table, keys, columns, when)
                alone.add(view, group, value, old, raw.table, keys, columns, when)
                small = suppression.withhold(raw.table, counts, dependents={counts[0]: columns})
                primary.add(
                    view,
                    group,
                    value,
                    type(raw)(metric, suppression.apply(raw.table, small), small, ""),
                    raw.table,
                    keys,
                    columns,
                    when,
                )
    return seen, alone, primary


@pytest.fixture(scope="module", params=["board", "manager"])
def role(request, demo, service):
    scope = Scope((service,), drill_down=request.param == "manager")
    groups = _groups(filter_options(demo), service)
    seen, alone, primary = _seen(demo, scope, groups)
    return request.param, scope, groups, seen, alone, primary


def _recovered(seen: Seen, parent, parts, rest_hidden: bool = False) -> list:
    """Cells recovered from one total: the parent and its parts (keys; absent parts are zeros). With
    one withheld among them and the rest shown, it is the total less the others; ``rest_hidden``: the
    parts do not cover every child (a group no one can choose), so nothing follows but the rest."""
    if not all(seen.known(key) for key in [parent, *parts]):
        return []
    values = {key: seen.value(key) for key in [parent, *parts] if seen.value(key) is not None}
    hidden = [key for key, v in values.items() if v == HIDDEN]
    if parent not in values or len(hidden) != 1 or rest_hidden:
        return []
    key = hidden[0]
    known = sum(v for k, v in values.items() if k not in (key, parent))
    guess = values[parent] - known if key != parent else known
    return [key] if np.isclose(guess, seen.truth[key]) else []


def _small_rest(seen: Seen, parent, parts) -> list:
    """A total whose choosable parts are all shown: the rest (children of no choosable group, say an
    unrecorded area) is the total less the parts, and must not be a small count."""
    values = [seen.value(key) for key in [parent, *parts] if seen.value(key) is not None]
    if not all(seen.known(key) for key in parts) or seen.value(parent) in (None, HIDDEN) or HIDDEN in values:
        return []
    rest = seen.value(parent) - sum(v for v in values[1:])
    return [parent] if 1 <= rest <= config.SUPPRESSION_MAX else []


def _complements(seen: Seen, groups: dict) -> list:
    """All children minus every other group of a filter, for every cell of every additive view."""
    found = []
    for key in [k for k in seen.shown if k[1] is None and k[0] in (*ADDITIVE, *COHORTS)]:
        view, _, _, *rest = key
        for group, values in groups.items():
            parts = [(view, group, v, *rest) for v in values]
            if not any(p in seen.shown for p in parts):
                continue
            # Every sex and ethnic group can be chosen ("not recorded" too); a locality, programme or age
            # band may leave some children out (none recorded, or outside 10 to 17).
            complete = group in ("sex", "ethnicity_group", "disposal_type")
            found += _recovered(seen, key, parts, rest_hidden=not complete)
            if not complete:
                found += _small_rest(seen, key, parts)
    return found


def _quarters(seen: Seen) -> list:
    """A year's cell minus its other quarters."""
    found = []
    for key in seen.shown:
        when = key[3]
        if key[0] in ADDITIVE and isinstance(when, str) and " Q" not in when:
            found += _recovered(seen, key, [(*key[:3], f"{when} Q{q}", *key[4:]) for q in (1, 2, 3, 4)])
    return found


def _tiers(seen: Seen) -> list:
    """A tier's total (the headline) minus its other disposal types: from the types' table, and from
    each type shown on its own (?disposal_type=, which shows the type's tier row)."""
    found = []
    for key in [k for k in seen.shown if k[0] == "tiers" and k[1] is None]:
        _, _, _, when, tier, column = key
        types = [t for t, of in config.DISPOSAL_TIERS.items() if of == tier]
        found += _recovered(seen, key, [("disposals", None, None, when, t, tier, column) for t in types])
        found += _recovered(seen, key, [("tiers", "disposal_type", t, when, tier, column) for t in types])
    return found


def _custody_types(seen: Seen) -> list:
    """The custody page's headline (custodial sentences) minus its other custodial disposal types, each
    shown on its own by ?disposal_type= (the outside tester's 4 of 4)."""
    types = [t for t, tier in config.DISPOSAL_TIERS.items() if tier == "Custody"]
    found = []
    for key in [k for k in seen.shown if k[0] == "custody" and k[1] is None and k[-1] == "custodial_sentences"]:
        _, _, _, *rest = key
        found += _recovered(seen, key, [("custody", "disposal_type", t, *rest) for t in types])
    return found


def _remand_results(seen: Seen) -> list:
    """The remands to youth detention on the remands table minus the other results of their outcomes."""
    found = []
    for key in [k for k in seen.shown if k[0] == "remands" and k[5] == config.YOUTH_DETENTION and k[-1] == "remands"]:
        _, group, value, when, yjs, _, _ = key
        found += _recovered(
            seen,
            key,
            [("remand outcomes", group, value, when, yjs, result, "remands") for result in config.REMAND_RESULTS],
        )
    return found


def _proven_lines(seen: Seen) -> list:
    """A proven reoffending cohort less its other index tiers, and its reoffenders less their other bands."""
    found = []
    for key in [k for k in seen.shown if k[0] == "proven" and k[5] == "All"]:
        view, group, value, when, yjs, _, column = key
        found += _recovered(
            seen,
            key,
            [
                (view, group, value, when, yjs, tier, column)
                for tier in ("Pre-court", "First-tier", "Community", "Custody")
            ],
        )
        if column == "reoffenders":
            found += _recovered(
                seen,
                key,
                [("proven bands", group, value, when, yjs, band, "reoffenders") for band in ("1", "2", "3", "4", "5+")],
            )
    return found


def test_a_proven_cohort_less_its_tiers_or_bands_recovers_nothing(role):
    _, _, _, seen, _, _ = role
    assert _proven_lines(seen) == []


def test_remands_less_their_outcomes_recover_nothing(role):
    _, _, _, seen, _, _ = role
    assert _remand_results(seen) == []


def test_the_custody_headline_less_its_types_recovers_nothing(role):
    name, _, _, seen, _, _ = role
    if name == "board":
        return  # a board member chooses no disposal type
    assert _custody_types(seen) == []
    types = [k for k in seen.shown if k[0] == "custody" and k[1] == "disposal_type" and k[-1] == "custodial_sentences"]
    assert sum(HIDDEN in seen.shown[k] for k in types) > 5  # there were withheld types to find


def test_the_audit_sees_many_small_cells(role):
    _, _, _, seen, _, _ = role
    small = sum(1 for k, v in seen.truth.items() if k[-1] in ("fte", "count") and 1 <= v <= 4)
    assert small > 50 and sum(HIDDEN in v for v in seen.shown.values()) > 50


def test_every_cell_is_the_same_in_every_view(role):
    _, _, _, seen, _, _ = role
    assert {k: v for k, v in seen.shown.items() if len(v) > 1} == {}


def test_complements_across_filter_values_recover_nothing(role):
    name, _, groups, seen, alone, _ = role
    assert _complements(seen, groups) == []
    if name == "manager":
        assert len(_complements(alone, groups)) > 5  # the attack works on tables protected alone


def test_a_year_less_its_quarters_recovers_nothing(role):
    name, _, _, seen, alone, _ = role
    assert _quarters(seen) == []
    if name == "manager":
        assert len(_quarters(alone)) > 0


def test_a_tier_headline_less_its_types_recovers_nothing(role):
    _, _, _, seen, alone, _ = role
    assert _tiers(seen) == []
    assert len(_tiers(alone)) > 0


def _curves(demo, scope: Scope, groups: dict, suppressed: bool):
    options = filter_options(demo)
    choices = [{}] + ([{g: v} for g, values in groups.items() for v in values[:3]] if scope.drill_down else [])
    for period in [None, *(period_label(y) for y in options["years"][YEARS])]:
        for chosen in choices:
            filters = Filters(period=period, **chosen)
            raw = compute(demo, "reoffending-curve", filters, scope=scope, suppressed=False).table
            shown = compute(demo, "reoffending-curve", filters, scope=scope, suppressed=suppressed).table
            yield raw, shown


def _curve_recoveries(raw: pd.DataFrame, shown: pd.DataFrame) -> tuple[int, int]:
    """(withheld day counts of reoffences recovered, withheld day counts) from one curve table:
    events(t) = at_risk(t) - at_risk(next) - censored(t), and events(t) = at_risk(t) * (1 - S(t) / S(prev))."""
    recovered = withheld = 0
    for _, rows in shown.groupby("cohort"):
        truth = raw.loc[rows.index, "events"].to_numpy()
        hidden = rows["events"].isna().to_numpy() | (rows["events"].to_numpy(dtype=float, na_value=np.nan) != truth)
        risk = rows["at_risk"].to_numpy(dtype=float, na_value=np.nan)
        censored = rows["censored"].to_numpy(dtype=float, na_value=np.nan)
        survival = rows["survival"].to_numpy(dtype=float, na_value=np.nan)
        for i in np.flatnonzero(hidden & (truth > 0)):
            withheld += 1
            guesses = []
            if i + 1 < len(rows):
                guesses.append(risk[i] - risk[i + 1] - censored[i])
            if i > 0:
                guesses.append(risk[i] * (1 - survival[i] / survival[i - 1]))
            recovered += any(np.isfinite(g) and round(g) == truth[i] for g in guesses)
    return recovered, withheld


def test_curve_arithmetic_recovers_no_reoffence_count(role, demo):
    _, scope, groups, _, _, _ = role
    recovered = withheld = 0
    for raw, shown in _curves(demo, scope, groups, suppressed=True):
        got, of = _curve_recoveries(raw, shown)
        recovered, withheld = recovered + got, withheld + of
        assert shown.loc[shown["at_risk"].notna(), "at_risk"].mod(5).eq(0).all()  # rounded to 5
        assert shown["censored"].isna().all()
        assert shown["survival"].dropna().round(3).equals(shown["survival"].dropna())
    assert withheld > 20 and recovered == 0
    # The same tables unprotected (every count shown) give every day's reoffences back.
    unprotected = [_curve_recoveries(raw, raw.assign(events=pd.NA)) for raw, _ in _curves(demo, scope, groups, False)]
    assert sum(r for r, _ in unprotected) == sum(w for _, w in unprotected) > 20


def test_the_curve_figure_holds_no_unrounded_value(role, demo):
    from dashboard import figures

    scope = role[1]
    shown = compute(demo, "reoffending-curve", Filters(), scope=scope).table
    figure = figures.survival_curve(shown, withheld=True)
    values = [v for trace in figure.data for v in np.asarray(trace.y, dtype=float) if np.isfinite(v)]
    assert values and all(round(v, 3) == v for v in values)
    cohorts = figure.layout.annotations[0].text.split("<br>")[1:]  # "2021-22: 60 | c | 45 | ..."
    at_risk = [
        int(t.replace(",", ""))
        for line in cohorts
        if ": " in line
        for t in line.split(": ", 1)[1].split(" | ")
        if t.replace(",", "").isdigit()
    ]
    assert at_risk and all(n % 5 == 0 for n in at_risk)


def _ranges(seen: Seen, lines: list[tuple]) -> dict:
    """Each withheld cell's smallest and largest value given every shown cell and every line (a parent
    key and its part keys, absent parts zero), counts at least 0: scipy's linear programming."""
    unknown = sorted({k for line in lines for k in (line[0], *line[1]) if seen.value(k) == HIDDEN}, key=str)
    at = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for parent, parts in lines:
        if not all(seen.known(key) for key in (parent, *parts)):
            continue  # a view the reader never saw
        row, known = np.zeros(len(unknown)), 0.0
        for key, sign in [(parent, 1.0), *((p, -1.0) for p in parts)]:
            value = seen.value(key)
            if value == HIDDEN:
                row[at[key]] += sign
            elif value is not None:
                known -= sign * value
        if row.any():
            rows.append(row)
            rhs.append(known)
    return feasible_range(rows, rhs, unknown, at)


def _lines(groups: dict, year: str, service: str) -> list[tuple]:
    """Every total a manager can see of one year's first-time entrants and disposals: the year and its
    quarters; all children and each sex, or each ethnic group; a tier and its disposal types."""
    lines = []
    periods = [year, *(f"{year} Q{q}" for q in (1, 2, 3, 4))]
    by = ("sex", "ethnicity_group")
    choices = [(None, None), *((g, v) for g in by for v in groups[g])]
    cells = [
        *((("fte", (service,)), ("fte combined", ()))),
        *(("disposals", (t, tier)) for t, tier in config.DISPOSAL_TIERS.items()),
        *(("tiers", (tier,)) for tier in config.TIERS),
    ]
    for view, keys in cells:
        column = "fte" if view.startswith("fte") else "count"

        def cell(group, value, when, view=view, keys=keys, column=column):
            return (view, group, value, when, *keys, column)

        lines += [(cell(g, v, year), [cell(g, v, when) for when in periods[1:]]) for g, v in choices]
        lines += [(cell(None, None, when), [cell(g, v, when) for v in groups[g]]) for when in periods for g in by]
    for tier in config.TIERS:
        types = [t for t, of in config.DISPOSAL_TIERS.items() if of == tier]
        lines += [
            (("tiers", g, v, when, tier, "count"), [("disposals", g, v, when, t, tier, "count") for t in types])
            for when in periods
            for g, v in choices
        ]
    return lines


def test_a_linear_programming_attacker_pins_no_withheld_cell(role, demo, service):
    """A year of first-time entrants and disposals, its quarters, every sex and ethnic group of each, and
    every tier: solved all at once, no withheld count is pinned (its range is at least 1); the same views
    protected with small counts alone withheld pin some."""
    _, _, groups, seen, _, primary = role
    lines = _lines(groups, period_label(filter_options(demo)["years"][YEARS][0]), service)
    found = _ranges(seen, lines)
    assert found and all(high - low >= 1 - 1e-6 for low, high in found.values()), found
    unprotected = _ranges(primary, lines)
    assert any(high - low < 1 - 1e-6 for low, high in unprotected.values())
