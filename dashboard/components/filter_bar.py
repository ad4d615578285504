"""The one filter bar every page shares: period, locality and cohort, as labelled native selects."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from .. import config
from ..filters import has_begun, period_label
from . import ids

#: The value of every "All ..." choice (an empty value would show as a blank select).
ANY = "all"


def _select(field: str, label: str, options: list[tuple[str, str]], everything: str, shown: bool = True) -> dbc.Col:
    control = ids.filter_control(field)
    return dbc.Col([
        dbc.Label(label, html_for=control, className="filter-label"),
        dbc.Select(id=control, options=[{"label": everything, "value": ANY}] +
                   [{"label": text, "value": value} for value, text in options], value=ANY),
    ], xs=12, sm=6, lg=3, xl=True, className="mb-2" if shown else "d-none")


def _readable(code: str) -> str:
    return code.replace("_", " ").capitalize()


def filter_bar(options: dict, drill_down: bool = True) -> html.Section:
    """Controls filled from the data's own values (``metrics.filter_options``, limited to what the
    viewer may see); without ``drill_down`` (board members) the group-of-children filters are hidden."""
    periods = []
    taken = max(options["as_of"].values(), default=None)
    for year in reversed(options["years"]):
        periods.append((period_label(year), period_label(year)))
        periods += [(period_label(year, q), f"{period_label(year)} quarter {q}") for q in (1, 2, 3, 4)
                    if taken and has_begun(year, q, taken)]
    return html.Section([
        html.H2("Filters", className="visually-hidden"),
        dbc.Row([
            _select("period", "Period", periods, "All years"),
            _select("yjs", "Youth Justice Service", [(y, y) for y in options["yjs"]], "All services"),
            _select("locality", "Area", [(loc, loc) for loc in options["all_localities"]], "All areas", drill_down),
            _select("sex", "Sex", [("male", "Boys"), ("female", "Girls"), ("unknown", "Not recorded")], "All", drill_down),
            _select("ethnicity_group", "Ethnic group", [(g, g) for g in config.ETHNICITY_GROUPS], "All", drill_down),
            _select("age_band", "Age", [(b, f"{b} years") for b in config.AGE_BANDS], "All ages", drill_down),
            _select("disposal_type", "Disposal", [(d, _readable(d)) for d in config.DISPOSAL_TYPES], "All", drill_down),
            _select("programme", "Programme", [(p, p) for p in options["programmes"]], "All programmes", drill_down),
        ], className="g-2"),
        dbc.Checkbox(id=ids.filter_control("by_quarter"), label="Show quarters", value=False, className="mt-1"),
    ], className="filter-bar", **{"aria-label": "Filters"})
