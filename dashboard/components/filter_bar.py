"""The one filter bar every page shares: period, locality and cohort, as labelled native selects."""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from .. import config
from ..filters import has_begun, period_label
from . import ids

#: The value of every "All ..." choice (an empty value would show as a blank select).
ANY = "all"


def _select(field: str, label: str, options: list[tuple[str, str]], everything: str, shown: bool = True) -> dbc.Col:
    control = ids.filter_control(field)
    return dbc.Col(
        [
            dbc.Label(label, html_for=control, className="filter-label"),
            dbc.Select(
                id=control,
                options=[{"label": everything, "value": ANY}]
                + [{"label": text, "value": value} for value, text in options],
                value=ANY,
            ),
        ],
        xs=12,
        sm=6,
        md=3,
        lg=True,
        className="filter-field" if shown else "d-none",
    )


def _readable(code: str) -> str:
    return code.replace("_", " ").capitalize()


SEXES = [("male", "Boys"), ("female", "Girls"), ("unknown", "Not recorded")]
ETHNIC_GROUPS = [(g, g) for g in config.ETHNICITY_GROUPS]
AGE_BANDS = [(b, f"{b} years") for b in config.AGE_BANDS]
DISPOSALS = [(d, _readable(d)) for d in config.DISPOSAL_TYPES]


def filter_bar(options: dict, drill_down: bool = True) -> html.Section:
    """Controls filled from the data's own values (``metrics.filter_options``, limited to what the
    viewer may see); without ``drill_down`` (board members) the group-of-children filters are hidden.

    One group filter is chosen at a time (app_shell replaces the first with the second), as the note says.
    One row on a laptop, so a page's figures start near the top; on a tablet or a phone the controls fold
    away behind one button that says how many filters are chosen (``register`` keeps it up to date).

    One group filter is chosen at a time (app_shell replaces the first with the second), as the note says."""
    periods = []
    taken = max(options["as_of"].values(), default=None)
    for year in reversed(options["years"]):
        periods.append((period_label(year), period_label(year)))
        periods += [
            (period_label(year, q), f"{period_label(year)} quarter {q}")
            for q in (1, 2, 3, 4)
            if taken and has_begun(year, q, taken)
        ]
    return html.Section(
        [
            html.H2("Filters", className="visually-hidden"),
            html.Button(
                "Filters",
                id=ids.FILTER_TOGGLE,
                type="button",
                n_clicks=0,
                className="btn filter-toggle",
                **{"aria-expanded": "false", "aria-controls": ids.FILTER_CONTROLS},
            ),
            html.Div(
                [
                    dbc.Row(
                        [
                            _select("period", "Period", periods, "All years"),
                            _select("yjs", "Service", [(y, y) for y in options["yjs"]], "All services"),
                            _select(
                                "locality",
                                "Area",
                                [(loc, loc) for loc in options["all_localities"]],
                                "All areas",
                                drill_down,
                            ),
                            _select("sex", "Sex", SEXES, "All", drill_down),
                            _select("ethnicity_group", "Ethnic group", ETHNIC_GROUPS, "All", drill_down),
                            _select("age_band", "Age", AGE_BANDS, "All ages", drill_down),
                            _select("disposal_type", "Disposal", DISPOSALS, "All", drill_down),
                            _select(
                                "programme",
                                "Programme",
                                [(p, p) for p in options["programmes"]],
                                "All programmes",
                                drill_down,
                            ),
                            dbc.Col(
                                dbc.Checkbox(id=ids.filter_control("by_quarter"), label="Show quarters", value=False),
                                xs=12,
                                xl="auto",
                                className="filter-field filter-quarters",
                            ),
                        ],
                        className="g-2",
                    ),
                    html.P(
                        "Choose one group of children at a time (area, sex, ethnic group, age, disposal or programme): "
                        "choosing another replaces it. This keeps small numbers from being worked out.",
                        className="filter-note mb-0 mt-1",
                    )
                    if drill_down
                    else None,
                ],
                id=ids.FILTER_CONTROLS,
                className="filter-controls",
            ),
        ],
        className="filter-bar",
        **{"aria-label": "Filters"},
    )


#: Open or close the filters on a tablet or a phone, and say on the button how many are chosen (read from
#: the address: the filters in it, and nothing else, are chosen).
TOGGLE_FILTERS = """function (clicks, search, expanded) {
    const fields = FIELDS;
    const query = new URLSearchParams(search || "");
    const chosen = fields.filter(f => query.get(f)).length;
    // Clicked, even when the address changed in the same round (Dash then names only one trigger).
    const clicked = dash_clientside.callback_context.triggered.some(t => t.prop_id === "TOGGLE.n_clicks");
    const open = clicked ? expanded !== "true" : expanded === "true";
    return ["Filters (" + (chosen || "none") + " chosen)", open ? "true" : "false",
            "filter-controls" + (open ? " open" : "")];
}"""


def register(app) -> None:
    """The filter button of a tablet or a phone (in the browser: it only shows and hides the controls)."""
    app.clientside_callback(
        TOGGLE_FILTERS.replace("FIELDS", json.dumps(list(ids.FILTER_FIELDS))).replace("TOGGLE", ids.FILTER_TOGGLE),
        Output(ids.FILTER_TOGGLE, "children"),
        Output(ids.FILTER_TOGGLE, "aria-expanded"),
        Output(ids.FILTER_CONTROLS, "className"),
        Input(ids.FILTER_TOGGLE, "n_clicks"),
        Input(ids.URL, "search"),
        State(ids.FILTER_TOGGLE, "aria-expanded"),
    )
