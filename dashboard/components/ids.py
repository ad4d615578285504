"""Component ids shared across pages (each page keeps its own ids in its module)."""

URL = "url"
LINK_PROBLEM = "link-problem"
FILTER_FIELDS = ("period", "by_quarter", "yjs", "locality", "sex", "ethnicity_group", "age_band",
                 "disposal_type", "programme")


def filter_control(field: str) -> str:
    return f"filter-{field.replace('_', '-')}"


def card(part: str, card_id: str) -> dict:
    """A pattern-matching id for one part of a chart card, so one callback serves every card."""
    return {"type": f"card-{part}", "card": card_id}


NAV_LINK = "nav-link"
