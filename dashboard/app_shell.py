"""The Dash app: page registry, the shell every page sits in, and the URL <-> filter bar sync.

Filters live in the query string. One callback keeps the filter bar and the URL in step: a
change to a control writes the URL; opening a link (or back/forward) sets the controls, and a link
whose filters cannot be shown (unknown values, another service) says so and falls back to the
default view. The nav links carry the query string, so filters follow the user between pages.
Sign-in, sessions and security headers are web.py's.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dash
import duckdb
import flask
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, callback, ctx, dcc, html, no_update

from . import config
from .access import ALL_SYNTHETIC, DEMO_VISITOR, NOBODY, is_demo, scoped_options
from .components import ids
from .components.filter_bar import ANY, filter_bar
from .db import DatabaseUnavailable, is_server_url
from .filters import InvalidFilter
from .ingest.public import BOUNDARIES
from .metrics import filter_options
from .state import check_link, database, parse_query, query_string
from .web import SIGN_OUT, current_viewer, secure

SERVICE_NAME = config.SERVICE_NAME
log = logging.getLogger(__name__)

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def ensure_database(location: str | None = None) -> None:
    """Build the demo database on first start when there is none, or when it was built by another
    version of the dashboard (a DuckDB file only; a real extract is never touched)."""
    location = location or config.database_location()
    if is_server_url(location):
        return
    path = Path(location)
    if path.exists() and not _outdated_demo(path):
        return
    from .cli import build_demo
    log.warning("%s at %s: building the demo database (synthetic data)",
                "An older demo database" if path.exists() else "No database", location)
    fresh = path.with_name(f"{path.name}.demo-{os.getpid()}")
    build_demo(fresh)
    os.replace(fresh, path)


def _outdated_demo(path: Path) -> bool:
    """Whether the file is a demo database (by its demo mark) of another version; a database without
    the mark, real data or a demo from before the mark existed, is never rebuilt."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            version = con.execute("SELECT max(version) FROM schema_info").fetchone()[0]
            synthetic = con.execute(ALL_SYNTHETIC).fetchone()[0]
    except duckdb.Error:
        return False
    return version != config.SCHEMA_VERSION and bool(synthetic)


def create_app() -> Dash:
    ensure_database()
    # suppress_callback_exceptions: Dash builds its layout check on a worker's first request without a
    # lock, so a second thread could serve a page with half a check and the browser log false errors.
    # The page tests check every callback's components instead.
    app = Dash(__name__, use_pages=True, pages_folder=str(Path(__file__).parent / "pages"),
               assets_folder=str(config.PROJECT_ROOT / "assets"), title=SERVICE_NAME, update_title=None,
               serve_locally=True, suppress_callback_exceptions=True)
    app.index_string = INDEX
    app.layout = shell
    secure(app)

    @app.server.route(config.BOUNDARIES_URL)
    def boundaries():
        """The map's boundary file, fetched once by the browser instead of sent in every figure."""
        return flask.send_file(BOUNDARIES, mimetype="application/geo+json", max_age=86400)
    return app


def shell():
    """The frame of every page: skip link, header, nav, banner, filters, page, footer."""
    viewer = current_viewer()
    try:
        options = scoped_options(filter_options(database()), viewer.services)
        banner = dbc.Alert([html.Strong("Demonstration data. "), "Every service, place and child here is fictional.",
                            " Open without sign-in on this computer only." if viewer is DEMO_VISITOR else ""],
                           color="info", className="demo-banner mb-0 rounded-0") if is_demo(database()) else None
        filters = filter_bar(options, drill_down=viewer.drill_down)
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
        html.Header(dbc.Container([
            html.Div([html.P(SERVICE_NAME, className="service-name mb-1 me-auto"), _account(viewer)],
                     className="d-flex flex-wrap align-items-center"),
            nav], fluid=True), className="site-header"),
        banner,
        dbc.Container([
            filters,
            html.Div(id=ids.LINK_PROBLEM, role="alert"),
            html.Main(dash.page_container, id="main", tabIndex="-1", **{"aria-live": "polite"}),
        ], fluid=True, className="pt-3"),
        html.Footer(dbc.Container([
            html.P(["Youth Justice Board published data: Open Government Licence v3.0. ",
                    dcc.Link("About the data", href="/about")], className="mb-0"),
        ], fluid=True), className="site-footer"),
    ])


def _account(viewer):
    """Who is signed in, and the sign-out button (a form: it must carry the CSRF token)."""
    if viewer in (DEMO_VISITOR, NOBODY):
        return None
    from flask_wtf.csrf import generate_csrf
    return html.Form([
        html.Span(f"Signed in as {viewer.name} ({viewer.role})", className="me-2"),
        dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
        html.Button("Sign out", type="submit", className="btn btn-sm btn-light"),
    ], action=SIGN_OUT, method="post", className="account mb-1")


CONTROLS = [ids.filter_control(f) for f in ids.FILTER_FIELDS]


@callback(Output(ids.URL, "search"), Output(ids.LINK_PROBLEM, "children"), *[Output(c, "value") for c in CONTROLS],
          Input(ids.URL, "search"), *[Input(c, "value") for c in CONTROLS])
def sync_filters_and_url(search, *values):
    """Controls -> URL when a control changed; URL -> controls on load and back/forward. A link the
    viewer cannot be shown is replaced by the default view, saying why."""
    if ctx.triggered_id in CONTROLS:
        try:
            kept = parse_query(search)
        except InvalidFilter:
            kept = {}
        chosen = {**kept, **{f: _as_query(v) for f, v in zip(ids.FILTER_FIELDS, values)}}
        new = query_string(chosen)
        return (new if new != (search or "") else no_update), None, *[no_update] * len(CONTROLS)
    try:
        check_link(search, current_viewer())
        chosen = parse_query(search)
    except InvalidFilter as exc:
        problem = dbc.Alert(f"This link's filters cannot be shown ({exc}), so the page shows all the data "
                            "you can see instead.", color="warning")
        return "", problem, *[_as_control(field, None) for field in ids.FILTER_FIELDS]
    except DatabaseUnavailable:
        return no_update, None, *[no_update] * len(CONTROLS)
    return no_update, None, *[_as_control(field, chosen.get(field)) for field in ids.FILTER_FIELDS]


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
