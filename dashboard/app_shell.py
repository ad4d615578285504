"""The Dash app: page registry, the shell every page sits in, and the URL <-> filter bar sync.

Filters live in the query string. One callback keeps the filter bar and the URL in step: a
change to a control writes the URL; opening a link (or back/forward) sets the controls. The nav
links carry the query string, so filters follow the user between pages.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import flask
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, callback, ctx, dcc, html, no_update

from . import config
from .components import ids
from .components.filter_bar import ANY, filter_bar
from .db import DatabaseUnavailable, is_server_url
from .filters import InvalidFilter
from .ingest.public import BOUNDARIES
from .metrics import filter_options
from .state import database, parse_query, query_string

SERVICE_NAME = "Youth justice partnership dashboard"
log = logging.getLogger(__name__)

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def ensure_database() -> None:
    """Build the demo database on first start when there is none (a DuckDB file only)."""
    location = config.database_location()
    if not is_server_url(location) and not Path(location).exists():
        from .cli import build_demo
        log.warning("No database at %s: building the demo database (synthetic data)", location)
        build_demo(Path(location))


def create_app() -> Dash:
    ensure_database()
    app = Dash(__name__, use_pages=True, pages_folder=str(Path(__file__).parent / "pages"),
               assets_folder=str(config.PROJECT_ROOT / "assets"), title=SERVICE_NAME, update_title=None,
               serve_locally=True)
    app.index_string = INDEX
    app.layout = shell

    @app.server.route(config.BOUNDARIES_URL)
    def boundaries():
        """The map's boundary file, fetched once by the browser instead of sent in every figure."""
        return flask.send_file(BOUNDARIES, mimetype="application/geo+json", max_age=86400)
    return app


def _is_demo() -> bool:
    described = database().query("SELECT description FROM extract_info")["description"]
    return bool(described.fillna("").str.contains("Synthetic").any())


def shell():
    """The frame of every page: skip link, header, nav, banner, filters, page, footer."""
    try:
        options = filter_options(database())
        banner = dbc.Alert([html.Strong("Demonstration data. "), "Every service, place and child here is fictional."],
                           color="info", className="demo-banner mb-0 rounded-0") if _is_demo() else None
        filters = filter_bar(options)
    except DatabaseUnavailable as exc:
        log.error("database unavailable: %s", exc)
        banner, filters = dbc.Alert("The data cannot be read at the moment. Please try again shortly.",
                                    color="danger", className="mb-0 rounded-0"), None
    nav = dbc.Nav([dbc.NavLink(page["name"], href=page["relative_path"], active="exact",
                               id={"type": ids.NAV_LINK, "path": page["relative_path"]})
                   for page in dash.page_registry.values()], pills=True, className="site-nav")
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        dcc.Location(id=ids.URL, refresh=False),
        html.Header(dbc.Container([html.P(SERVICE_NAME, className="service-name mb-1"), nav], fluid=True),
                    className="site-header"),
        banner,
        dbc.Container([
            filters,
            html.Main(dash.page_container, id="main", tabIndex="-1", **{"aria-live": "polite"}),
        ], fluid=True, className="pt-3"),
        html.Footer(dbc.Container([
            html.P(["Youth Justice Board published data: Open Government Licence v3.0. ",
                    dcc.Link("About the data", href="/about")], className="mb-0"),
        ], fluid=True), className="site-footer"),
    ])


CONTROLS = [ids.filter_control(f) for f in ids.FILTER_FIELDS]


@callback(Output(ids.URL, "search"), *[Output(c, "value") for c in CONTROLS],
          Input(ids.URL, "search"), *[Input(c, "value") for c in CONTROLS])
def sync_filters_and_url(search, *values):
    """Controls -> URL when a control changed; URL -> controls on load and back/forward."""
    if ctx.triggered_id in CONTROLS:
        try:
            kept = parse_query(search)
        except InvalidFilter:
            kept = {}
        chosen = {**kept, **{f: _as_query(v) for f, v in zip(ids.FILTER_FIELDS, values)}}
        new = query_string(chosen)
        return (new if new != (search or "") else no_update), *[no_update] * len(CONTROLS)
    try:
        chosen = parse_query(search)
    except InvalidFilter:
        chosen = {}
    return no_update, *[_as_control(field, chosen.get(field)) for field in ids.FILTER_FIELDS]


def _as_query(value) -> str | None:
    if value is True:
        return "1"
    return value if isinstance(value, str) and value and value != ANY else None


def _as_control(field: str, value: str | None):
    if field == "by_quarter":
        return value in ("1", "true", "yes")
    return value or ANY


@callback(Output({"type": ids.NAV_LINK, "path": ALL}, "href"), Input(ids.URL, "search"),
          State({"type": ids.NAV_LINK, "path": ALL}, "id"))
def carry_filters(search, links):
    """Nav links keep the current filters."""
    try:
        query = query_string(parse_query(search))
    except InvalidFilter:
        query = ""
    return [link["path"] + query for link in links]
