"""The app served and asked as a browser does, for the benchmark, the load test and the tests: gunicorn
on a socket the OS chose, and Dash callback requests as the renderer sends them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from dashboard.web import CALLBACK_PATH, SIGN_IN

__all__ = [
    "CALLBACK_PATH",
    "CannotSignIn",
    "browser_session",
    "callback_request",
    "image_request",
    "page_request",
    "serve",
]
ROOT = Path(__file__).resolve().parent.parent


def serve(
    location: str,
    workers: int = 2,
    stderr=subprocess.DEVNULL,
    within: float = 120,
    env: dict[str, str] | None = None,
    nice: int = 0,
):
    """gunicorn serving the app against the database at ``location`` (``env``: more DASHBOARD_* settings;
    ``nice``: how much lower its priority is than this process's); returns (process, url) once the app
    answers. The listening socket is made here on a port the OS picks and handed to gunicorn open
    (``fd://``), so no port is probed and released, and the first request simply waits in the socket's
    queue until a worker is up: the answer is the readiness signal."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "--threads",
            "4",
            "-b",
            f"fd://{listener.fileno()}",
            "app:server",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "DASHBOARD_DB": str(location)},
        pass_fds=[listener.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    listener.close()
    deadline = time.monotonic() + within
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=10).read()
            return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the app did not start") from None


class CannotSignIn(RuntimeError):
    """The dashboard asks for sign-in and no account was given, or the account was refused."""


def callback_request(key: str, inputs: list[dict]) -> dict:
    """The JSON body of POST /_dash-update-component for the callback ``key`` (as Dash names it:
    'id.prop' for one output, '..id.prop...id.prop..' for several; ids may be JSON objects)."""
    specs = []
    for part in key.strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        specs.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return {
        "output": key,
        "outputs": specs if key.startswith("..") else specs[0],
        "inputs": inputs,
        "state": [],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def page_request(key: str, search, screen: str | None = None) -> dict:
    """The body of a page's own callback (the address and the screen's width class in, every card out),
    as the renderer sends it: ``screen`` is None until the browser has said, else "narrow" or "wide"."""
    return callback_request(
        key,
        [{"id": "url", "property": "search", "value": search}, {"id": "screen", "property": "data", "value": screen}],
    )


def image_request(key: str, card: str, kind: str, search: str, path: str) -> dict:
    """The JSON body of a click on a chart card's PNG or SVG button (``kind``), for the image callback
    ``key``, on the page at ``path`` with the address's ``search``."""
    buttons = {k: {"card": card, "type": f"card-{k}"} for k in ("png", "svg")}
    return {
        "output": key,
        "outputs": [
            {"id": {"card": card, "type": f"card-{part}"}, "property": prop}
            for part, prop in (("image", "data"), ("image-status", "children"))
        ],
        "inputs": [{"id": buttons[k], "property": "n_clicks", "value": int(k == kind)} for k in ("png", "svg")],
        "state": [
            {"id": "url", "property": "search", "value": search},
            {"id": "url", "property": "pathname", "value": path},
        ],
        "changedPropIds": [json.dumps(buttons[kind], sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    }


def browser_session(base_url: str, account: tuple[str, str] | None = None, timeout: float = 30):
    """A ``requests`` session that has opened the dashboard as a browser does: signed in as ``account``
    (username, password) when the database asks for sign-in, holding the session and CSRF cookies and
    sending the token back as Dash's renderer does. The cookies are marked Secure; on a loopback test
    server (plain http) they are sent anyway, as a browser does for localhost."""
    import requests

    session = requests.Session()
    page = session.get(base_url + "/", timeout=timeout)
    page.raise_for_status()
    if urlsplit(page.url).path == SIGN_IN:
        if account is None:
            raise CannotSignIn("this database asks for sign-in: give an account to sign in as (--user NAME)")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = session.post(
            base_url + SIGN_IN,
            data={"username": account[0], "password": account[1], "csrf_token": token},
            allow_redirects=False,
            timeout=timeout,
        )
        if answer.status_code != 302:
            raise CannotSignIn(
                f"could not sign in as {account[0]} (HTTP {answer.status_code}): check the username and password"
            )
        session.get(base_url + "/", timeout=timeout).raise_for_status()  # the CSRF cookie, as signed in
    for cookie in session.cookies:
        cookie.secure = False
    session.headers["X-CSRFToken"] = session.cookies.get("_csrf_token", "")
    return session
