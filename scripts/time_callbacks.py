"""Time each page's main callback through Dash's HTTP endpoint (in-process), on a database.

    DASHBOARD_DB=path python scripts/time_callbacks.py [REPEATS]

Prints the median and worst time of each callback over REPEATS requests with varied filters.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import create_app  # noqa: E402

SEARCHES = ["", "?period=2023-24", "?sex=female", "?period=2022-23&ethnicity_group=Black", "?age_band=15-17"]
PAGES = {  # a component the callback writes -> extra inputs it takes
    "overview-kpis.children": [],
    "caption-fte-rate.children": [],
    "caption-disposals.children": [{"id": "disposals-view", "property": "value", "value": "count"}],
    "caption-referrals-age.children": [],
    "caption-dp-rri.children": [{"id": "dp-by", "property": "value", "value": "ethnicity_group"},
                                {"id": "dp-base", "property": "value", "value": "population"}],
    "caption-reoffending-windows.children": [],
    "caption-areas-ranked.children": [{"id": "areas-year", "property": "value", "value": "2021-22"},
                                      {"id": "areas-region", "property": "value", "value": ""},
                                      {"id": "areas-highlight", "property": "value", "value": "Leeds"}],
}


def outputs(key):
    specs = []
    for part in key.strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        specs.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return specs


def main(repeats: int = 10) -> None:
    app = create_app()
    client = app.server.test_client()
    client.get("/")
    for marker, extra in PAGES.items():
        key = next(k for k in app.callback_map if marker in k)
        times = []
        for i in range(repeats):
            url = [] if "areas" in marker else [{"id": "url", "property": "search", "value": SEARCHES[i % len(SEARCHES)]}]
            inputs = [*url, *extra]
            payload = {"output": key, "outputs": outputs(key) if key.startswith("..") else outputs(key)[0],
                       "inputs": inputs, "state": [],
                       "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
            started = time.perf_counter()
            response = client.post("/_dash-update-component", json=payload)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"{marker.split('.')[0]:32s} median {statistics.median(times):6.0f} ms   worst {max(times):6.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
