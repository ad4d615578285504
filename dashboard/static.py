"""A fast first load: compressed responses, and static files a browser keeps.

``speed_up(server)`` is called once by the app factory, after ``web.secure`` (whose security headers
keep ``Cache-Control: no-store`` on everything but the static paths below, which this module owns):

- **Static files** (Dash's component suites and ``/assets/``) are compressed once per worker, with
  brotli (or gzip for a browser without it), and kept in memory: they are the same bytes for every
  request, about 8 MB before compression. A URL that names its version (Dash's fingerprinted suites,
  ``/assets/...?m=<modified time>`` as Dash links them) is cached by the browser for a year,
  ``immutable``; any other static URL is revalidated each time (``no-cache``, with its ETag).
- **plotly.js**: Dash's renderer loads plotly.js when a page first draws a chart, from
  ``PLOTLY_URL``; this serves ``PARTIAL_PLOTLY`` there instead of the full 4.8 MB bundle: only the trace
  types the figures use (scatter, bar, choropleth; 1.4 MB, 0.44 MB compressed), made by
  ``scripts/build-plotly-bundle.sh`` from the plotly.js version the plotly package was made for.
- **Everything else** (the page, Dash's JSON answers) is compressed per response by Flask-Compress.

Nothing here changes what a response says, only how it travels.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import brotli
import flask
from dash.fingerprint import check_fingerprint
from flask_compress import Compress

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
#: Where Dash's renderer loads plotly.js from when the app serves its files itself (serve_locally).
PLOTLY_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"
PARTIAL_PLOTLY = Path(__file__).parent / "vendor" / "plotly-yjs.min.js"
#: The trace types in it: every figure builder draws only these (tests/figures checks).
PARTIAL_PLOTLY_TRACES = ("scatter", "bar", "choropleth")
COMPRESSIBLE = {
    "application/javascript",
    "text/javascript",
    "text/css",
    "application/json",
    "image/svg+xml",
    "application/geo+json",
    "text/plain",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
#: What Flask-Compress packs per response: the page, Dash's JSON, the map's boundaries (250 KB).
DYNAMIC_TYPES = ["text/html", "application/json", "application/geo+json", "text/plain"]
#: Brotli's quality for static files: 5 packs the 1.3 MB grid bundle in 0.06 s (quality 11: 6 s, 12%
#: smaller); it is paid once per file and worker.
BROTLI_QUALITY = 5
#: Compressed static files kept per worker; the app serves a few dozen, about 2 MB compressed in all.
MOST_KEPT = 256


def speed_up(server: flask.Flask) -> None:
    """Compress every response and let browsers keep the static files (once per app; later calls do nothing)."""
    if server.extensions.get("yjs-speed-up"):
        return
    server.extensions["yjs-speed-up"] = True
    server.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    server.config.setdefault("COMPRESS_MIMETYPES", DYNAMIC_TYPES)
    # Not registered by itself: one hook decides for every response, static files from the store.
    server.config["COMPRESS_REGISTER"] = False
    dynamic = Compress(server)
    static = _StaticFiles()
    # After web.secure's own checks (sign-in first), like the Dash route it stands in for.
    server.before_request(_partial_plotly)
    server.after_request(
        lambda response: (
            static.finish(response)
            if flask.request.path.startswith(STATIC_PREFIXES)
            else dynamic.after_request(response)
        )
    )


def _partial_plotly():
    """The partial plotly.js bundle, at the URL Dash would serve the full one from."""
    if flask.request.path == PLOTLY_URL:
        return flask.send_file(PARTIAL_PLOTLY, mimetype="text/javascript", conditional=True, etag=True, max_age=None)
    return None


class _StaticFiles:
    """Cache headers and stored compressed bodies for the static paths."""

    def __init__(self) -> None:
        self._kept: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    def finish(self, response: flask.Response) -> flask.Response:
        request = flask.request
        if request.method not in ("GET", "HEAD"):
            return response
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE if _versioned(request) else REVALIDATE
        encoding = _encoding(request.headers.get("Accept-Encoding", ""))
        if (
            response.status_code != 200
            or encoding is None
            or response.mimetype not in COMPRESSIBLE
            or "Content-Encoding" in response.headers
            or request.headers.get("Range")
        ):
            return response
        response.direct_passthrough = False
        etag, _ = response.get_etag()
        key = (request.path, request.query_string, etag, response.content_length, encoding)
        body = self._kept.get(key)
        if body is None:
            body = _compress(response.get_data(), encoding)
            with self._lock:
                if len(self._kept) >= MOST_KEPT:
                    self._kept.clear()
                self._kept[key] = body
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        if etag:
            response.set_etag(f"{etag}-{encoding}")
            response.make_conditional(request)  # a revalidation of the compressed file gets a 304
        return response


def _versioned(request: flask.Request) -> bool:
    """The URL changes whenever the file does: a fingerprinted suite, or an asset linked with ?m=."""
    if request.path.startswith("/assets/"):
        return bool(request.args.get("m"))
    return check_fingerprint(request.path.rsplit("/", 1)[-1])[1]


def _encoding(accepted: str) -> str | None:
    """brotli if the browser takes it, else gzip, else none (q=0 refuses an encoding)."""
    offered = {}
    for part in accepted.lower().split(","):
        name, _, quality = part.strip().partition(";q=")
        try:
            offered[name.strip()] = float(quality) if quality else 1.0
        except ValueError:
            continue
    for encoding in ("br", "gzip"):
        if offered.get(encoding, offered.get("*", 0)) > 0:
            return encoding
    return None


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=BROTLI_QUALITY)
    return gzip.compress(data, compresslevel=6)
