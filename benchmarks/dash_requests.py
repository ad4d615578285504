"""Dash callback requests as the browser sends them, for the benchmark, the load test and the tests."""

from __future__ import annotations

import json

from dashboard.web import CALLBACK_PATH

__all__ = ["CALLBACK_PATH", "browser_session", "callback_request"]


def callback_request(key: str, inputs: list[dict]) -> dict:
    """The JSON body of POST /_dash-update-component for the callback ``key`` (as Dash names it:
    'id.prop' for one output, '..id.prop...id.prop..' for several; ids may be JSON objects)."""
    specs = []
    for part in key.strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        specs.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return {"output": key, "outputs": specs if key.startswith("..") else specs[0], "inputs": inputs, "state": [],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}


def browser_session(base_url: str, timeout: float = 30):
    """A ``requests`` session that has opened the dashboard as a browser does: it holds the session
    and CSRF cookies and sends the token back as Dash's renderer does. The cookies are marked Secure;
    on a loopback test server (plain http) they are sent anyway, as a browser does for localhost."""
    import requests
    session = requests.Session()
    session.get(base_url + "/", timeout=timeout).raise_for_status()
    for cookie in session.cookies:
        cookie.secure = False
    session.headers["X-CSRFToken"] = session.cookies.get("_csrf_token", "")
    return session
