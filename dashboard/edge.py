"""Where a request comes in: the address is parsed here, once, and the request's context built.

From here on a validated ``Filters``, the page's checked settings and a ``Context`` (this request's
database snapshot and viewer, both resolved by web.py as the request arrived) travel as arguments.
"""

from __future__ import annotations

import functools
import logging

import flask

from .access import DEMO_VISITOR, NOBODY, AccessDenied
from .db import DatabaseUnavailable
from .filters import FIELDS, InvalidFilter, from_text, one_group, parse_query
from .jobs import Owner
from .views import PAGES, Context, PageSpec
from .web import UNAVAILABLE, refuse, request_viewer

log = logging.getLogger(__name__)


def request_context() -> Context:
    """This request's database snapshot and viewer (web.py resolved both once, as the request came in)."""
    return Context(flask.g.db, request_viewer())


def request_owner() -> Owner:
    """Whom this request's image or board pack belongs to: the signed-in account and what it may see (on
    the open demo, everyone on this computer is one visitor)."""
    viewer = request_viewer()
    if viewer is NOBODY:
        raise AccessDenied("nobody is signed in")
    return Owner("demo" if viewer is DEMO_VISITOR else f"account:{viewer.name}", viewer.scope)


def page_at(path) -> PageSpec | None:
    """The page spec served at ``path``, if any."""
    return next((p for p in PAGES.values() if p.path == path), None)


def read_address(spec: PageSpec, search, context: Context):
    """The filters and the page's settings from the address, checked (InvalidFilter otherwise)."""
    values = parse_query(search, (*FIELDS, *(s.key for s in spec.settings)))
    filters = one_group(from_text(values)) if spec.uses_filters else from_text({})
    return filters, spec.read_settings(values, context.options)


#: What a card shows in place of its figures when working them out failed (the detail is logged).
FAULT = "Something went wrong showing this page. The error has been logged."


def guarded(error_values):
    """Wrap a callback so a value no control offers gets a 400 (403 outside the viewer's view) with
    a plain message, and an unreadable database or a fault ``error_values(message)`` (a plain message
    and no data); the detail goes to the log, never a stack trace to the browser."""

    def wrap(render):
        @functools.wraps(render)
        def run(*args):
            try:
                return render(*args)
            except AccessDenied as exc:
                log.warning("refused access in %s for %s: %s", render.__name__, request_viewer().name, exc)
                refuse(403, f"Your account cannot see this: {exc}.")
            except InvalidFilter as exc:
                log.info("refused filters in %s: %s", render.__name__, exc)
                refuse(400, f"These filters cannot be shown: {exc}.")
            except DatabaseUnavailable as exc:
                log.error("database unavailable in %s: %s", render.__name__, exc)
                return error_values(UNAVAILABLE)
            except Exception:
                log.exception("error in %s", render.__name__)
                return error_values(FAULT)

        return run

    return wrap
