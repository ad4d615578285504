"""Sign-in, sessions and the HTTP hardening around the Dash app.

- Every request passes ``_admit``: a signed-in user, or the demonstration database opened from this
  machine, or nothing (a page load goes to the sign-in page, anything else gets 401). Only the sign-in
  page, Dash's favicon and the static files under /assets/ are open, each by its exact route.
- Every request reads one snapshot of the database (``g.db``), opened here and closed when the
  request ends, so every card of an answer comes from the same version; the viewer is resolved here,
  once, and passed on from the page callbacks (edge.py).
- The session cookie (Flask's signed cookie: HttpOnly, SameSite=Lax, Secure unless
  ``DASHBOARD_COOKIE_SECURE=0`` for plain-http testing) names a server-side session (sessions.py),
  looked up on every request: signing out, a new password or a removed account ends it at once, on
  every worker. The session also carries the account's password stamp, checked against the account.
- CSRF (Flask-WTF) guards every POST: the sign-in and sign-out forms carry the token, and Dash's
  renderer sends it back as ``X-CSRFToken`` from the ``_csrf_token`` cookie set here.
- Sign-in attempts are limited per account and address, with a ceiling per address, counted in the
  store every worker shares (sessions.py). After signing in, the browser goes back only to a path on
  this site.
- A callback request must be one the browser makes: a server callback's own inputs, state and outputs,
  JSON no deeper than ``MAX_JSON_DEPTH`` and no larger than ``MAX_REQUEST_BYTES``.
- Security headers on every response, a Content-Security-Policy the app works under (Dash's inline
  script allowed by its hash), errors as plain messages, never tracebacks.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import math
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import flask
from dash import Dash
from flask import g, redirect, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException

from . import accounts, config, sessions, views
from .access import DEMO_VISITOR, NOBODY, Viewer, is_demo, viewer_for
from .db import Database, DatabaseUnavailable
from .settings import Settings

log = logging.getLogger(__name__)
SIGN_IN, SIGN_OUT = "/sign-in", "/sign-out"
#: Reachable without signing in, exactly these paths: the sign-in page and Dash's favicon; and the
#: static files (those answered by a route under STATIC, never the pages' catch-all) the sign-in page uses.
OPEN_PATHS = (SIGN_IN, "/_favicon.ico")
STATIC = "/assets/"
CALLBACK_PATH = "/_dash-update-component"
MAX_REQUEST_BYTES = 1_000_000
#: The deepest JSON the renderer sends is 6 levels (the workbook download's chart settings, as state).
MAX_JSON_DEPTH = 20
UNAVAILABLE = "The data cannot be read at the moment. Please try again in a minute."


@dataclass(frozen=True)
class Served:
    """What one app serves: its settings and its database (kept on the app, not in a module), and which
    viewers' first views it has started working out, per database version."""

    settings: Settings
    db: Database
    warmed: set = field(default_factory=set)
    warming: threading.Lock = field(default_factory=threading.Lock)

    def warm(self, viewer: Viewer, version) -> threading.Thread | None:
        """Work out every page's first view for ``viewer`` in the background, once per scope and database
        version, so their lattices are ready when they click (a manager's first views take seconds). With
        the shared results (db.py) this worker reads what the load's preparation or another worker
        already worked out, and works out only the rest, once for every worker."""
        key = (version, viewer.scope)
        with self.warming:
            if not self.settings.warm or key in self.warmed:
                return None
            self.warmed.add(key)
        thread = threading.Thread(target=self._warm, args=(viewer,), name="warm", daemon=True)
        thread.start()
        return thread

    def _warm(self, viewer: Viewer) -> None:
        try:
            with self.db.snapshot() as snap:
                views.warm(views.Context(snap, viewer))
        except Exception:  # a page that cannot be shown now says so when asked; never a crash here
            log.exception("working out first views in the background failed")


def served() -> Served:
    """The settings and database of the app handling this request."""
    return flask.current_app.extensions["dashboard"]


def secure(app: Dash, settings: Settings, db: Database) -> None:
    """Put sign-in, CSRF, the sign-in limit, request checks, headers and error pages around ``app``,
    serving ``db``."""
    server = app.server
    server.extensions["dashboard"] = Served(settings, db)
    server.config.update(
        SECRET_KEY=session_secret(settings),
        SESSION_COOKIE_NAME="yjs_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        WTF_CSRF_TIME_LIMIT=None,
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    server.session_interface = _SessionCookies()
    CSRFProtect(server)
    # First of all: Dash's own start-up step builds the layout, which needs to know the viewer.
    server.before_request_funcs.setdefault(None, []).insert(0, _admit)
    server.teardown_request(_close_snapshot)
    server.before_request(lambda: _check_callback_request(app))
    server.add_url_rule(SIGN_IN, "sign_in", sign_in, methods=["GET", "POST"])
    server.add_url_rule(SIGN_OUT, "sign_out", sign_out, methods=["POST"])
    server.register_error_handler(HTTPException, _plain_error)
    server.register_error_handler(CSRFError, _plain_error)
    server.register_error_handler(Exception, _unexpected_error)
    _set_up_now(app)
    # After set-up, so Dash's inline scripts are all known: the policy is the same for every response.
    policy = _content_security_policy(app)
    server.after_request(lambda response: _harden(policy, response))


def _set_up_now(app: Dash) -> None:
    """Dash finishes setting up (its callbacks, the page router) on a worker's first request, without a
    lock, so a second request arriving meanwhile finds no callbacks. Make that first request now."""
    with app.server.test_request_context("/"):
        g.setting_up = True
        app.server.preprocess_request()


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag decided per request (``_cookies_secure``)."""

    def get_cookie_secure(self, app) -> bool:
        return _cookies_secure(app)


def _cookies_secure(app) -> bool:
    """Secure, except over plain http from this computer (the demo on http://127.0.0.1, which never
    leaves the machine, and which some browsers would otherwise not let keep its cookies)."""
    return app.config["SESSION_COOKIE_SECURE"] and (request.is_secure or not _is_loopback(request.remote_addr))


def session_secret(settings: Settings) -> str:
    """``DASHBOARD_SECRET_KEY``, else a random key kept beside the data (one for every worker)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.secret_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: the first worker's key wins, the others read it
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def request_viewer() -> Viewer:
    """Who is asking, as ``_admit`` found them for this request (resolved once, at the edge); nobody
    (who sees nothing) on the open paths."""
    return getattr(g, "viewer", None) or NOBODY


def viewer_of(session_data, remote_addr: str | None, db, open_demo: bool = True) -> Viewer | None:
    """Who a session belongs to (None if no one: a session ended or run out, or an account since removed
    or given a new password, whose session is then ended), or the demo visitor for the demonstration
    database opened from this computer."""
    session_id = session_data.get("sid")
    if session_id:
        signed_in = _store().find(session_id)
        if signed_in is None:
            return None
        user = accounts.find_user(db, signed_in.username)
        if user is None or not hmac.compare_digest(signed_in.stamp, user.session_stamp):
            _store().end(session_id)
            return None
        return viewer_for(user, db)
    if open_demo and is_demo(db) and _is_loopback(remote_addr):
        return DEMO_VISITOR
    return None


def _store() -> sessions.Store:
    """The sessions and sign-in counts shared by every worker serving this database."""
    return sessions.store_for(_location())


def _location() -> str:
    """The database this app serves."""
    return served().db.location


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _admit():
    """Open this request's snapshot of the database, find the viewer, or turn the request away."""
    if _is_open() or g.get("setting_up"):
        return None
    app = served()
    try:
        snapshot = app.db.snapshot()
        g.db = snapshot.__enter__()
        g.db_snapshot = snapshot
        g.viewer = viewer_of(session, request.remote_addr, g.db, app.settings.open_demo)
    except DatabaseUnavailable as exc:
        log.error("database unavailable: %s", exc)
        return _message_response(503, UNAVAILABLE)
    if g.viewer is not None:
        app.warm(g.viewer, g.db.version)
        return None
    if session.get("sid"):
        session.clear()
    if request.method == "GET" and not request.path.startswith("/_dash"):
        return redirect(f"{SIGN_IN}?next={quote(_safe_next(request.full_path), safe='/')}")
    return _message_response(401, "Please sign in.")


def _close_snapshot(error=None) -> None:
    """The request's snapshot ends with it (ingest's old file is closed once no request reads it)."""
    snapshot = g.pop("db_snapshot", None)
    if snapshot is not None:
        g.pop("db", None)
        snapshot.__exit__(None, None, None)


def _is_open() -> bool:
    """The few things anyone may fetch: exact paths, and static files (a route under STATIC answers)."""
    rule = request.url_rule
    return request.path in OPEN_PATHS or (
        request.path.startswith(STATIC) and rule is not None and rule.rule.startswith(STATIC)
    )


def _safe_next(target: str | None) -> str:
    """A path on this site to go back to after signing in, else '/'. Browsers drop tabs and newlines
    from a URL and read a backslash as a slash, so '/(tab)/evil.example' would leave the site: any control
    character or backslash, or a second slash at the start, means '/' (no open redirect)."""
    target = (target or "/").rstrip("?")
    unsafe = (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    )
    return "/" if unsafe else target


def sign_in():
    """The sign-in form. Past the limit of failed attempts (for this account from this address, or from
    this address in all) the password is not even checked; the message is the same for every username."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        username, password = request.form.get("username", ""), request.form.get("password", "")
        address = request.remote_addr
        try:
            wait = _store().try_sign_in(username, address)
            user = None if wait else _check_password(username, password, address)
            if user is not None:
                if session.get("sid"):
                    _store().end(session["sid"])  # whoever was signed in here before
                session.clear()
                session.permanent = True
                session["sid"] = _store().start(user.username, user.session_stamp)
                log.info("signed in: %s (%s)", user.username, user.role)
                return redirect(_safe_next(request.args.get("next")))
        except DatabaseUnavailable as exc:
            log.error("database unavailable at sign-in: %s", exc)
            return _message_response(503, UNAVAILABLE)
        if wait:
            log.warning("sign-in refused, too many attempts: %r from %s", username[:64], address)
            minutes = math.ceil(wait / 60)
            error, status = (
                (
                    f"There have been too many attempts to sign in. Wait {minutes} minute"
                    f"{'s' if minutes > 1 else ''} and try again."
                ),
                429,
            )
            headers["Retry-After"] = str(wait)
        else:
            log.warning("failed sign-in for %r from %s", username[:64], address)
            error, status = "The username or password is not right.", 401
    signed_out = request.args.get("signed-out") is not None
    return (
        render_template("sign_in.html", error=error, signed_out=signed_out, service=config.SERVICE_NAME),
        status,
        headers,
    )


def _check_password(username: str, password: str, address: str | None):
    """The account if the password is right, else None. Only a wrong password stays counted as a failure."""
    try:
        user = accounts.authenticate(served().db, username, password)
    except DatabaseUnavailable:
        _store().forget_attempt(username, address)
        raise
    if user is not None:
        _store().forget_attempt(username, address)
    return user


def sign_out():
    """End the session here and on the server: the cookie is of no use to anyone afterwards."""
    try:
        if session.get("sid"):
            _store().end(session["sid"])
    except DatabaseUnavailable as exc:
        log.error("database unavailable at sign-out: %s", exc)
        return _message_response(503, UNAVAILABLE)
    session.clear()
    return redirect(f"{SIGN_IN}?signed-out")


def _check_callback_request(app: Dash):
    """A Dash update must be one the browser makes: a server callback the app has, with exactly that
    callback's inputs, state and outputs, and JSON of bounded depth. Anything else is forged."""
    if request.path != CALLBACK_PATH:
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # deeper than Python's parser goes
        body = None
    if not _is_dash_request(app.callback_map, body):
        log.warning("refused a malformed callback request from %s", request.remote_addr)
        return _message_response(400, "This request is not one the dashboard makes.")
    return None


def _is_dash_request(callbacks: dict, body) -> bool:
    if not isinstance(body, dict) or _json_depth(body) > MAX_JSON_DEPTH or not isinstance(body.get("output"), str):
        return False
    spec = callbacks.get(body["output"])
    if spec is None or "callback" not in spec:  # clientside callbacks are not the server's to run
        return False
    declared = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
    # The renderer sends a list for several outputs (their key starts '..'), else the one output.
    outputs = body.get("outputs") if body["output"].startswith("..") else [body.get("outputs")]
    inputs, state = body.get("inputs"), body.get("state", [])
    changed = body.get("changedPropIds", [])
    return (
        _all_match([output.to_dict() for output in declared], outputs)
        and _all_match(spec["inputs"], inputs)
        and _all_match(spec["state"], state)
        and isinstance(changed, list)
        and all(_changed_input(c, inputs) for c in changed)
    )


def _all_match(declared: list[dict], given) -> bool:
    """``given`` holds, in order, what the browser sends for each declared {id, property}."""
    return (
        isinstance(given, list)
        and len(given) == len(declared)
        and all(_matches(d["id"], d["property"], sent) for d, sent in zip(declared, given))
    )


def _matches(component: str, prop: str, sent) -> bool:
    """One declared dependency: an {id, property} for a plain id or a MATCH pattern, a list of them for
    an ALL or ALLSMALLER pattern (whose ids have the pattern's keys and its fixed values)."""
    pattern = json.loads(component) if component.startswith("{") else component
    wildcards = {k for k, v in pattern.items() if isinstance(v, list)} if isinstance(pattern, dict) else set()
    many = any(pattern[k] != ["MATCH"] for k in wildcards)
    items = sent if many else [sent]
    return isinstance(items, list) and all(
        isinstance(item, dict) and item.get("property") == prop and _id_fits(pattern, wildcards, item.get("id"))
        for item in items
    )


def _id_fits(pattern, wildcards: set, given) -> bool:
    if not isinstance(pattern, dict):
        return given == pattern
    return (
        isinstance(given, dict)
        and given.keys() == pattern.keys()
        and all(
            isinstance(given[k], (str, int, float, bool)) if k in wildcards else given[k] == pattern[k] for k in pattern
        )
    )


def _changed_input(prop_id, inputs: list) -> bool:
    """A 'changed' property names one of the inputs sent (Dash tells the callback which fired from it)."""
    if not isinstance(prop_id, str) or "." not in prop_id:
        return False
    component, prop = prop_id.rsplit(".", 1)
    try:
        wanted = json.loads(component) if component.startswith("{") else component
    except ValueError:
        return False
    sent = [item for given in inputs for item in (given if isinstance(given, list) else [given])]
    return any(item.get("id") == wanted and item.get("property") == prop for item in sent)


def _json_depth(value) -> int:
    """How deeply ``value`` nests (without recursion), stopping once past MAX_JSON_DEPTH."""
    deepest, todo = 0, [(value, 1)]
    while todo and deepest <= MAX_JSON_DEPTH:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            todo.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _harden(policy: str, response: flask.Response) -> flask.Response:
    headers = response.headers
    headers["Content-Security-Policy"] = policy
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith((STATIC, "/_favicon.ico", "/_dash-component-suites/")):
        headers["Cache-Control"] = "no-store"
    if getattr(g, "viewer", None) is not None and not request.path.startswith("/_dash"):
        # Dash's renderer reads this cookie and sends it back as X-CSRFToken on every update.
        response.set_cookie(
            "_csrf_token", generate_csrf(), secure=_cookies_secure(flask.current_app), samesite="Strict", httponly=False
        )
    return response


def _content_security_policy(app: Dash) -> str:
    scripts = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    return (
        "default-src 'self'; "
        f"script-src 'self' {scripts}; "
        "style-src 'self' 'unsafe-inline'; "  # plotly and the grid set styles inline
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def _wants_json() -> bool:
    """Dash's requests get JSON; pages and forms a plain page."""
    return request.path.startswith("/_dash")


def _message_response(status: int, message: str):
    if _wants_json():
        return flask.jsonify(message=message), status
    return render_template("message.html", message=message, service=config.SERVICE_NAME), status


def _plain_error(error: HTTPException):
    messages = {
        400: "This request cannot be answered.",
        401: "Please sign in.",
        403: "Your account cannot see this.",
        404: "There is no page at this address.",
        413: "This request is too large.",
    }
    status = error.code or 400
    if isinstance(error, CSRFError):
        message = "This form has expired. Go back, reload the page and try again."
    else:
        message = (
            error.description
            if status in (400, 403) and _is_ours(error)
            else messages.get(status, "This request cannot be answered.")
        )
    return _message_response(status, message)


def _is_ours(error: HTTPException) -> bool:
    """Messages we wrote (plain words for the user) rather than werkzeug's defaults."""
    return bool(getattr(error, "plain", False))


def _unexpected_error(error: Exception):
    log.exception("unexpected error on %s", request.path)
    return _message_response(500, "Something went wrong. The error has been logged.")


def refuse(status: int, message: str):
    """Stop this request with ``status`` (400 or 403) and a message in plain words for the user."""
    error = {400: BadRequest, 403: Forbidden}[status](message)
    error.plain = True
    raise error
