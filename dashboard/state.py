"""What the pages share: the database of this process, and filters to and from the URL.

Filter state lives in the query string (``?period=2021-22&yjs=Northvale``) so a copied link
reproduces the view. Everything read from it is checked: unknown keys are ignored, and a value that
is not text or not a valid choice raises InvalidFilter (pages then show an error and no data).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from urllib.parse import parse_qs, urlencode

from .db import Database
from .filters import APPLIES, Filters, InvalidFilter, resolve

#: Query-string keys, in the order they are written. Periods are financial years and quarters only:
#: free date ranges (the CLI's --from/--to) could be differenced day by day to reveal small counts.
QUERY_KEYS = ("period", "by_quarter", "yjs", "locality", "sex", "ethnicity_group", "age_band",
              "disposal_type", "programme", "region", "by", "base")
MAX_VALUE_LENGTH = 200

_database: Database | None = None
_lock = threading.Lock()


def database() -> Database:
    """This process's read-only database, opened on first use (after gunicorn forks)."""
    global _database
    with _lock:
        if _database is None:
            _database = Database.open()
        return _database


def parse_query(search: str | None) -> dict[str, str]:
    """The known keys of a query string; a key given twice or a value too long is an error."""
    if search is not None and not isinstance(search, str):
        raise InvalidFilter("the address is not valid")
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    chosen = {}
    for key in QUERY_KEYS:
        if key in values:
            if len(values[key]) > 1 or len(values[key][0]) > MAX_VALUE_LENGTH:
                raise InvalidFilter(f"the address gives '{key}' more than once or too long")
            chosen[key] = values[key][0]
    return chosen


def filters_from_query(search: str | None, **overrides) -> Filters:
    """Filters from the URL (plus page settings such as ``by``); values are checked later by compute."""
    chosen = parse_query(search)
    chosen.update({k: v for k, v in overrides.items() if v})
    if "by_quarter" in chosen:
        chosen["by_quarter"] = chosen["by_quarter"] in ("1", "true", "yes")
    return Filters(**chosen)


def query_string(values: dict[str, str | None]) -> str:
    """'?key=value&...' for the chosen values, in a stable order; '' when nothing is chosen."""
    pairs = [(k, values[k]) for k in QUERY_KEYS if values.get(k)]
    return "?" + urlencode(pairs) if pairs else ""


def check_link(search: str | None, viewer) -> None:
    """Raise InvalidFilter (or AccessDenied) if ``viewer`` cannot be shown the link's filters: the
    same checks the measures make, run once for the whole page."""
    from .metrics import filter_options
    chosen = filters_from_query(search).chosen()
    everything = filter_options(database())
    for metric, keys in (("referrals", APPLIES["referrals"]), ("disproportionality", {"by", "base"}),
                         ("areas", {"region"})):
        subset = replace(Filters(), **{k: v for k, v in chosen.items() if k in keys})
        # The published tables (areas) are the same for everyone, as in metrics.compute.
        restricted, options = (subset, everything) if metric == "areas" else viewer.restrict(subset, everything)
        resolve(restricted, metric, options)
