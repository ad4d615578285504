"""Component ids shared across pages."""

import json

from ..filters import FIELDS

URL = "url"
LINK_PROBLEM = "link-problem"
NAV_LINK = "nav-link"
#: The filter bar's controls: one per filter, in the address's order.
FILTER_FIELDS = FIELDS
PAGE_SETTING = "page-setting"
#: The filter bar's button on a narrow screen, and the controls it shows and hides.
FILTER_TOGGLE, FILTER_CONTROLS = "filter-toggle", "filter-controls"
#: The screen's width class, set in the browser: NARROW (a phone held upright) or "wide".
SCREEN, NARROW = "screen", "narrow"


def filter_control(field: str) -> str:
    return f"filter-{field.replace('_', '-')}"


def card(part: str, card_id: str) -> dict:
    """A pattern-matching id for one part of a chart card, so one callback serves every card."""
    return {"type": f"card-{part}", "card": card_id}


def page_setting(key) -> dict:
    """A page's own control (e.g. "Compare by"), kept in the address like the filters."""
    return {"type": PAGE_SETTING, "key": key}


def dom_id(component_id: dict) -> str:
    """The id a pattern-matching component has in the page, as Dash writes it (for a label's ``for``)."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def headline_figures(page: str) -> str:
    """A page's headline figures (each page its own: one output belongs to one callback)."""
    return f"headline-figures-{page}"
