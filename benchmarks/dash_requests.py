"""Dash callback requests as the browser sends them, for the benchmark and the page tests."""

from __future__ import annotations

import json


def callback_request(key: str, inputs: list[dict]) -> dict:
    """The JSON body of POST /_dash-update-component for the callback ``key`` (as Dash names it:
    'id.prop' for one output, '..id.prop...id.prop..' for several; ids may be JSON objects)."""
    specs = []
    for part in key.strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        specs.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return {"output": key, "outputs": specs if key.startswith("..") else specs[0], "inputs": inputs, "state": [],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
