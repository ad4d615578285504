"""What every page's callbacks share: read the URL, run a measure, turn any failure into a message.

Modules starting with an underscore are not pages (Dash's page registry skips them).
"""

from __future__ import annotations

import functools
import logging

from dashboard.access import AccessDenied, scoped_options
from dashboard.components.chart_card import YJB_SOURCE, card_error
from dashboard.db import DatabaseUnavailable
from dashboard.filters import InvalidFilter, period_label
from dashboard.metrics import MeasureResult, compute, filter_options
from dashboard.state import database, filters_from_query
from dashboard.web import UNAVAILABLE, current_viewer, refuse

log = logging.getLogger(__name__)


def measure(metric: str, search: str | None, **settings) -> MeasureResult:
    """One measure for the filters in the URL plus page settings, as the signed-in viewer may see it;
    raises InvalidFilter for bad values and AccessDenied outside the viewer's view."""
    return compute(database(), metric, filters_from_query(search, **settings), viewer=current_viewer())


def options() -> dict:
    """The filter options the viewer may see."""
    return scoped_options(filter_options(database()), current_viewer().services)


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
                log.warning("refused access in %s for %s: %s", render.__name__, current_viewer().name, exc)
                refuse(403, f"Your account cannot see this: {exc}.")
            except InvalidFilter as exc:
                log.info("refused filters in %s: %s", render.__name__, exc)
                refuse(400, f"These filters cannot be shown: {exc}.")
            except DatabaseUnavailable as exc:
                log.error("database unavailable in %s: %s", render.__name__, exc)
                return error_values(UNAVAILABLE)
            except Exception:
                log.exception("error in %s", render.__name__)
                return error_values("Something went wrong showing this page. The error has been logged.")
        return run
    return wrap


def card_errors(cards: int):
    """The error state for a callback filling ``cards`` chart cards."""
    return lambda message: card_error(message) * cards


def as_of():
    """The date the loaded data runs to (the latest extract's)."""
    return max(options()["as_of"].values())


def extract_source() -> str:
    """The source line for figures from the loaded extract, with its date."""
    return YJB_SOURCE.format(as_of=f"{as_of():%-d %B %Y}")


def part_year() -> str | None:
    """The latest financial year's label when the extract stops inside it, else None."""
    found = options()
    if not found["years"] or found["latest_complete_year"] == found["years"][-1]:
        return None
    return period_label(found["years"][-1])


def withheld(result: MeasureResult, *columns: str) -> bool:
    return bool(result.withheld[list(columns)].any().any())
