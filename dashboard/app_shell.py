"""The Dash app: built around one Settings and one Database, the shell every page sits in, and the
URL <-> controls sync.

Filters and each page's own settings live in the query string. One callback keeps the controls and
the URL in step: a change to a control writes the URL; opening a link (or back/forward) sets the
controls, and a link whose filters cannot be shown (unknown values, another service) says so and falls
back to the default view. The nav links carry the filters, so they follow the user between pages.
Sign-in, sessions and security headers are web.py's; the pages themselves pages.py's.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import duckdb
import flask
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from . import config, downloads, pages
from .access import ALL_SYNTHETIC, DEMO_VISITOR, NOBODY, is_demo
from .components import chart_card, ids
from .components.filter_bar import ANY, filter_bar
from .components.filter_bar import register as filter_bar_callbacks
from .db import Database, DatabaseUnavailable
from .edge import page_at
from .filters import FIELDS, GROUP_FILTERS, InvalidFilter, from_text, one_group, parse_query, query_string
from .ingest.public import BOUNDARIES
from .metrics import validate
from .settings import Settings
from .static import PLOTLY_URL, speed_up
from .storage import is_server_url
from .views import PAGES, Context, setting_keys
from .views.texts import SERVICE_NAME
from .web import SIGN_OUT, request_viewer, secure

log = logging.getLogger(__name__)

#: The page every address serves. plotly.js is fetched from the start (Dash would ask for it only once
#: the first chart arrives, after the page's callback), so it is ready when the figures are.
INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}<link rel="preload" href="PLOTLY" as="script"></head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>""".replace("PLOTLY", PLOTLY_URL)


def ensure_database(location: str) -> None:
    """Build the demo database on first start when there is none, or when it was built by another
    version of the dashboard (a DuckDB file only; a real extract is never touched)."""
    if is_server_url(location):
        return
    path = Path(location)
    if path.exists() and not _outdated_demo(path):
        return
    from .ingest import build_demo

    log.warning(
        "%s at %s: building the demo database (synthetic data)",
        "An older demo database" if path.exists() else "No database",
        location,
    )
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


def create_app(settings: Settings | None = None, db: Database | None = None) -> Dash:
    """The dashboard for ``settings`` (default: read from the environment), on its own database
    (``db``, or the one the settings name)."""
    settings = settings or Settings()
    if db is None:
        ensure_database(settings.db)
        db = Database.from_settings(settings)
    # suppress_callback_exceptions: Dash builds its layout check on a worker's first request without a
    # lock, so a second thread could serve a page with half a check and the browser log false errors.
    # The page tests check every callback's components instead.
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(config.PROJECT_ROOT / "assets"),
        title=SERVICE_NAME,
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
    )
    app.index_string = INDEX
    pages.register(app)
    downloads.register(app, settings)
    chart_card.register(app)
    filter_bar_callbacks(app)
    _register_sync(app)
    app.layout = shell
    secure(app, settings, db)
    speed_up(app.server)

    @app.server.route(config.BOUNDARIES_URL)
    def boundaries():
        """The map's boundary file, fetched once by the browser instead of sent in every figure."""
        return flask.send_file(BOUNDARIES, mimetype="application/geo+json", max_age=86400)

    pages_at = {page["relative_path"] for page in dash.page_registry.values() if page["module"] != pages.NOT_FOUND}

    @app.server.after_request
    def not_found_status(response):
        """Dash answers any address with its page (whose router then shows "page not found"): an address
        no page has is a 404 all the same, so links checkers and browsers know."""
        if (
            flask.request.method == "GET"
            and response.status_code == 200
            and response.mimetype == "text/html"
            and flask.request.path not in pages_at
            and not flask.request.path.startswith(("/sign-", "/_"))
        ):
            response.status_code = 404
        return response

    return app


def shell():
    """The frame of every page: skip link, header, nav, banner, filters, page, footer."""
    viewer = request_viewer()
    banner = filters = None
    try:
        if flask.g.get("db") is not None:  # none while Dash sets itself up, outside any request
            context = Context(flask.g.db, viewer)
            banner = (
                dbc.Alert(
                    [
                        html.Strong("Demonstration data. "),
                        "Every service, place and child here is fictional.",
                        " Open without sign-in on this computer only." if viewer is DEMO_VISITOR else "",
                    ],
                    color="info",
                    className="demo-banner mb-0 rounded-0",
                )
                if is_demo(context.db)
                else None
            )
            filters = filter_bar(context.options, drill_down=viewer.scope.drill_down)
    except DatabaseUnavailable as exc:
        log.error("database unavailable: %s", exc)
        banner, filters = (
            dbc.Alert(
                "The data cannot be read at the moment. Please try again shortly.",
                color="danger",
                className="mb-0 rounded-0",
            ),
            None,
        )
    nav = dbc.Nav(
        [
            dbc.NavLink(
                page["name"],
                href=page["relative_path"],
                active="exact",
                id={"type": ids.NAV_LINK, "path": page["relative_path"]},
            )
            for page in dash.page_registry.values()
            if page["module"] != pages.NOT_FOUND
        ],
        pills=True,
        className="site-nav",
    )
    return html.Div(
        [
            html.A("Skip to main content", href="#main", className="skip-link"),
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.SCREEN),
            html.Header(
                dbc.Container(
                    [
                        html.Div(
                            [html.P(SERVICE_NAME, className="service-name mb-1 me-auto"), _account(viewer)],
                            className="d-flex flex-wrap align-items-center",
                        ),
                        nav,
                    ],
                    fluid=True,
                ),
                className="site-header",
            ),
            banner,
            dbc.Container(
                [
                    filters,
                    html.Div(id=ids.LINK_PROBLEM, role="alert"),
                    html.Main(dash.page_container, id="main", tabIndex="-1", **{"aria-live": "polite"}),
                ],
                fluid=True,
                className="pt-2",
            ),
            html.Footer(
                dbc.Container(
                    [
                        html.P(
                            [
                                "Youth Justice Board published data: Open Government Licence v3.0. ",
                                dcc.Link("About the data", href="/about"),
                            ],
                            className="mb-0",
                        ),
                    ],
                    fluid=True,
                ),
                className="site-footer",
            ),
        ]
    )


def _account(viewer):
    """Who is signed in, and the sign-out button (a form: it must carry the CSRF token)."""
    if viewer in (DEMO_VISITOR, NOBODY):
        return None
    from flask_wtf.csrf import generate_csrf

    return html.Form(
        [
            html.Span(f"Signed in as {viewer.name} ({viewer.role})", className="me-2"),
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button("Sign out", type="submit", className="btn btn-sm btn-light"),
        ],
        action=SIGN_OUT,
        method="post",
        className="account mb-1",
    )


CONTROLS = [ids.filter_control(f) for f in ids.FILTER_FIELDS]
#: Every key the address may hold: the filters, then the pages' own settings.
QUERY_KEYS = (*FIELDS, *setting_keys())


def check_link(context: Context, values: dict, path: str | None) -> dict[str, str]:
    """The page's settings from a link, once the viewer can be shown its filters and settings: raises
    InvalidFilter (or AccessDenied) otherwise. The checks the measures make, run once for the page."""
    validate(context.db, "referrals", one_group(from_text(values)), scope=context.viewer.scope)  # takes every filter
    spec = page_at(path)
    return spec.read_settings(values, context.options) if spec else {}


def sync_filters_and_url(search, settings_values, control_values, setting_ids, path):
    """Controls -> URL when a control changed; URL -> controls on load and back/forward. A link the
    viewer cannot be shown is replaced by the default view, saying why.

    A page setting whose choices hang on another (PageSetting.depends_on) leaves the address when that one
    changes, and its control goes back to its default with the choices that now apply, in the same answer
    (Dash does not run a callback again for the address it has just written)."""
    triggered = ctx.triggered_id
    keys = [i["key"] for i in setting_ids]
    unchanged = [no_update] * len(setting_ids)
    context = Context(flask.g.db, request_viewer())
    if triggered in CONTROLS or (isinstance(triggered, dict) and triggered.get("type") == ids.PAGE_SETTING):
        try:
            kept = parse_query(search, QUERY_KEYS)
        except InvalidFilter:
            kept = {}
        chosen = {
            **kept,
            **{f: _as_query(v) for f, v in zip(ids.FILTER_FIELDS, control_values)},
            **{key: _as_query(v) for key, v in zip(keys, settings_values)},
        }
        replaced = _one_group_kept(chosen, triggered)
        spec = page_at(path)
        reset = _resets(context, spec, triggered, kept, chosen)
        for key in reset:
            chosen.pop(key, None)
        new = query_string(chosen, QUERY_KEYS)
        values, options = unchanged, unchanged
        if reset:
            try:
                shown = spec.read_settings({k: v for k, v in chosen.items() if v}, context.options)
                values, options = _setting_controls(context, path, keys, shown, only=reset)
            except (InvalidFilter, DatabaseUnavailable):
                pass  # the page's callback says what is wrong with the address
        # The address as it is when nothing changed (a page's controls arriving with a link's settings): the
        # page's own callback waits on this one's answer, and would never run on no_update.
        return new, None, values, options, *[ANY if field in replaced else no_update for field in ids.FILTER_FIELDS]
    try:
        chosen = parse_query(search, QUERY_KEYS)
        shown = check_link(context, chosen, path)
    except InvalidFilter as exc:
        problem = dbc.Alert(
            f"This link's filters cannot be shown ({exc}), so the page shows all the data you can see instead.",
            color="warning",
        )
        values, options = _setting_controls(context, path, keys, {})
        return "", problem, values, options, *[_as_field(field, None) for field in ids.FILTER_FIELDS]
    except DatabaseUnavailable:
        return no_update, None, unchanged, unchanged, *[no_update] * len(CONTROLS)
    values, options = _setting_controls(context, path, keys, shown)
    return (no_update, None, values, options, *[_as_field(field, chosen.get(field)) for field in ids.FILTER_FIELDS])


def _resets(context: Context, spec, triggered, kept: dict, chosen: dict) -> set[str]:
    """The settings to put back to their defaults: those hanging on the page setting that fired, if its value
    really differs from the address's (a page's controls arriving with the address's values change nothing)."""
    if spec is None or not isinstance(triggered, dict):
        return set()
    key = triggered.get("key")
    try:
        before = spec.read_settings(kept, context.options).get(key)
    except (InvalidFilter, DatabaseUnavailable):
        before = None
    return spec.resets(key) if (chosen.get(key) or "") != (before or "") else set()


def _setting_controls(
    context: Context, path, keys: list[str], shown: dict[str, str], only: set[str] | None = None
) -> tuple[list, list]:
    """The value of each page-setting control (those in ``only``, when given) for the settings ``shown`` (the
    defaults when empty), and the choices of those whose choices hang on other settings (no_update for the rest)."""
    spec = page_at(path)
    if spec is None:
        return [no_update] * len(keys), [no_update] * len(keys)
    shown = shown or spec.read_settings({}, context.options)
    settings = {s.key: s for s in spec.settings}
    wanted = [key in settings and (only is None or key in only) for key in keys]
    values = [_as_control(shown.get(key)) if want else no_update for key, want in zip(keys, wanted)]
    options = [
        pages.setting_choices(settings[key], context.options, shown) if want and settings[key].depends_on else no_update
        for key, want in zip(keys, wanted)
    ]
    return values, options


def _one_group_kept(chosen: dict, triggered) -> set[str]:
    """One group of children at a time: a group filter just chosen replaces any other (cleared in
    ``chosen``); the fields cleared, for their controls."""
    field = next((f for f, c in zip(ids.FILTER_FIELDS, CONTROLS) if c == triggered), None)
    if field not in GROUP_FILTERS or not chosen.get(field):
        return set()
    replaced = {f for f in GROUP_FILTERS if f != field and chosen.get(f)}
    for other in replaced:
        chosen[other] = None
    return replaced


def _as_query(value) -> str | None:
    if value is True:
        return "1"
    return value if isinstance(value, str) and value and value != ANY else None


def _as_field(field: str, value: str | None):
    if field == "by_quarter":
        return value in ("1", "true", "yes")
    return _as_control(value)


def _as_control(value: str | None) -> str:
    return value or ANY


def carry_filters(search, links):
    """Nav links keep the current filters (not a page's own settings)."""
    try:
        query = query_string(parse_query(search))
    except InvalidFilter:
        query = ""
    return [link["path"] + query for link in links]


#: Below this width (Bootstrap's "small") charts are laid out for a phone.
NARROW_BELOW = 576
#: The screen's width class, set once the page opens and again only when it crosses NARROW_BELOW
#: (a phone turned on its side), so the charts are redrawn only then.
SCREEN_CLASS = (
    """function (_path, known) {
    const query = window.matchMedia("(max-width: BELOWpx)");
    const now = () => query.matches ? "NARROW" : "wide";
    if (!window.__screenWatched) {
        window.__screenWatched = true;
        query.addEventListener("change", () => dash_clientside.set_props("SCREEN", {data: now()}));
    }
    return known === now() ? dash_clientside.no_update : now();
}""".replace("BELOW", str(NARROW_BELOW - 1))
    .replace("NARROW", ids.NARROW)
    .replace("SCREEN", ids.SCREEN)
)


def _register_sync(app: Dash) -> None:
    setting = ids.page_setting(ALL)
    app.clientside_callback(
        SCREEN_CLASS, Output(ids.SCREEN, "data"), Input(ids.URL, "pathname"), State(ids.SCREEN, "data")
    )

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.LINK_PROBLEM, "children"),
        Output(setting, "value"),
        Output(setting, "options"),
        *[Output(c, "value") for c in CONTROLS],
        Input(ids.URL, "search"),
        Input(setting, "value"),
        *[Input(c, "value") for c in CONTROLS],
        State(setting, "id"),
        State(ids.URL, "pathname"),
    )
    def sync(search, settings_values, *rest):
        *control_values, setting_ids, path = rest
        return sync_filters_and_url(search, settings_values or [], control_values, setting_ids or [], path)

    app.callback(
        Output({"type": ids.NAV_LINK, "path": ALL}, "href"),
        Input(ids.URL, "search"),
        State({"type": ids.NAV_LINK, "path": ALL}, "id"),
    )(carry_filters)


__all__ = ["PAGES", "create_app", "shell"]
