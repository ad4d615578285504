"""The Dash pages, made from the views registry: one generic layout and one callback per page.

``register(app)`` registers every ``views.PAGES`` entry with Dash's page registry, gives each its
callback (the address in, every card out), and adds the About page (its definitions come from the
registry too) and the page for addresses that lead nowhere. The address is parsed here, once: from
then on a validated ``Filters`` and the page's checked settings travel, with a ``Context`` (this
request's database snapshot and viewer).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from functools import partial

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from . import figures
from .components import ids
from .components.chart_card import card_error, card_outputs, card_values, chart_card
from .components.filter_bar import ANY
from .components.kpi_card import kpi_card
from .db import DatabaseUnavailable
from .downloads import page_downloads
from .edge import guarded, read_address, request_context
from .figures import sparkline
from .filters import InvalidFilter, parse_query, query_string
from .views import PAGES, Context, PageSetting, PageSpec, headline_figures, render_page
from .views.texts import SERVICE_NAME, SMALL_NUMBERS

log = logging.getLogger(__name__)
NOT_FOUND = "not_found_404"
ABOUT = "about"


def setting_choices(setting: PageSetting, options: dict, chosen: dict) -> list[dict]:
    """A setting's choices as its control lists them (the '' choice as ANY: an empty value shows blank)."""
    return [{"label": label, "value": choice or ANY} for choice, label in setting.choices_for(options, chosen)]


def _setting_control(setting: PageSetting, options: dict, value: str, chosen: dict):
    control_id = ids.page_setting(setting.key)
    choices = setting_choices(setting, options, chosen)
    if setting.control == "radio":
        control = dbc.RadioItems(id=control_id, options=choices, value=value or ANY, inline=True)
    else:
        control = dbc.Select(id=control_id, options=choices, value=value or ANY)
    return dbc.Col([dbc.Label(setting.label, html_for=ids.dom_id(control_id), className="fw-bold"), control], md=4)


def layout(spec: PageSpec, **query):
    """The page for the address's query (Dash passes it; every argument may be missing or forged)."""
    context = request_context()
    try:
        values = {k: v for k, v in query.items() if isinstance(v, str)}
        try:
            settings = spec.read_settings(values, context.options)
        except InvalidFilter:  # the sync callback says why and goes to the default view
            settings = spec.read_settings({}, context.options)
    except (DatabaseUnavailable, AttributeError):
        settings = {}
    body = [
        html.Div([html.H1(spec.heading), page_downloads(spec.key)], className="page-heading"),
        html.P(spec.lead, className="lead"),
    ]
    # Headline figures first: the page's settings and explainer are about the charts below them.
    if spec.kpis:
        body.append(html.Div(id=ids.headline_figures(spec.key), **{"aria-live": "polite"}))
    if spec.settings:
        with suppress(DatabaseUnavailable, AttributeError):
            body.append(
                dbc.Row(
                    [_setting_control(s, context.options, settings.get(s.key, ""), settings) for s in spec.settings],
                    className="mb-3 page-settings",
                )
            )
    if spec.explainer:
        body.append(dbc.Alert(spec.explainer, color="light", className="plain-words"))
    return html.Div(body + sections(spec))


def sections(spec: PageSpec) -> list:
    """The page's cards in their sections (a heading and a sentence where a card starts one), cards of
    less than the whole width side by side on a wide screen."""
    parts, row = [], []
    for card in spec.cards:
        if card.section:
            parts += [dbc.Row(row)] if row else []
            heading, lead = card.section
            parts += [html.H2(heading, className="h3 mt-4 page-section"), html.P(lead)]
            row = []
        row.append(dbc.Col(chart_card(card), lg=card.width))
    return parts + ([dbc.Row(row)] if row else [])


def card_contents(context: Context, spec: PageSpec, filters, settings, narrow: bool = False) -> tuple:
    """Every card of the page, filled: the outputs of ``card_outputs`` for each card, in order; the
    charts laid out for a phone when ``narrow``."""
    values = []
    for card in render_page(context, spec, filters, settings):
        values += card_values(card, figures.draw_card(card, narrow=narrow))
    return tuple(values)


#: Headline figures up to this many share one row on a wide screen.
FIVE_ACROSS = 5


def headline_cards(context: Context, spec: PageSpec, filters, search) -> list:
    """The page's headline figures as cards, each linking to the page it comes from (with the filters), the
    date the data is as at, and the page's note when they do not show the period exactly as chosen."""
    query = query_string(parse_query(search))
    cards = [
        kpi_card(
            k,
            trend=sparkline(k.trend, k.trend.index, k.scale) if k.trend is not None and len(k.trend) else None,
            href=PAGES[k.page].path + query if k.page else None,
            link_text=f"See {PAGES[k.page].name.lower()}" if k.page else "",
        )
        for k in headline_figures(context, spec, filters)
    ]
    said = spec.headline_note(context, filters) if spec.headline_note else ""
    note = [dbc.Alert(said, color="light")] if said else []
    as_of = html.P(f"Data as at {context.as_of:%-d %B %Y}.", className="data-as-at")
    # Up to five in one row on a laptop (the overview's, on the first screen); more (the scorecard) in threes.
    across = "kpi-col" if len(cards) <= FIVE_ACROSS else ""
    return [
        as_of,
        *note,
        dbc.Row([dbc.Col(c, xs=12, sm=6, lg=4, className=across) for c in cards], className="g-2 mb-3"),
    ]


def _register_callback(app: Dash, spec: PageSpec) -> None:
    """The page's one callback: the address in, every card (and headline figure) out."""
    outputs = [o for card in spec.cards for o in card_outputs(card.id)]
    if spec.kpis:
        outputs.append(Output(ids.headline_figures(spec.key), "children"))

    def errors(message):
        return (
            *[v for _ in spec.cards for v in card_error(message)],
            *([dbc.Alert(message, color="warning")] if spec.kpis else []),
        )

    @guarded(errors)
    def update(search, screen=None):
        context = request_context()
        filters, settings = read_address(spec, search, context)
        values = card_contents(context, spec, filters, settings, narrow=screen == ids.NARROW)
        if spec.kpis:
            values += (headline_cards(context, spec, filters, search),)
        return values if len(outputs) > 1 else values[0]

    update.__name__ = f"update_{spec.key.replace('-', '_')}"
    # The screen's width class is an input, so the first drawing already fits it (Dash runs the shell's
    # callback setting it first); a request without it (the load test, a script) gets wide charts.
    app.callback(*outputs, Input(ids.URL, "search"), Input(ids.SCREEN, "data"))(update)


def about(**_query):
    """About the data: each page's definition, the as-of dates, small numbers and credits."""
    try:
        dates = request_context().options["as_of"]
    except (DatabaseUnavailable, AttributeError):
        dates = {}
    sections = [[html.H3(p.name, className="h5"), html.P(p.definition)] for p in PAGES.values() if p.definition]
    return html.Div(
        [
            html.H1("About the data"),
            html.H2("Data as at", className="h4"),
            html.Ul([html.Li(f"{service}: extract taken {day:%-d %B %Y}") for service, day in dates.items()]),
            html.H2("What the figures mean", className="h4"),
            *[part for section in sections for part in section],
            html.H2("Small numbers", className="h4"),
            html.P(SMALL_NUMBERS + " Downloads hold exactly what is on screen."),
            dcc.Markdown(CREDITS, className="about-text"),
        ]
    )


CREDITS = """
## Sources and credits

- Your service's figures: the case management extract it loaded (see the dates above).
- Source: Youth Justice Board for England and Wales, Youth Justice Statistics. Contains public sector
  information licensed under the Open Government Licence v3.0.
- Comparisons with other areas: Department for Education, Local Authority Interactive Tool (first-time
  entrants, reoffending, children cautioned or sentenced 2024-25) and children's services statistical
  neighbours (2025); Trafford Data Lab (children cautioned or sentenced, 2014-15 to 2024-25, from the Youth
  Justice Board's and ONS figures). Open Government Licence v3.0.
- Population: Office for National Statistics mid-year estimates.
- Boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0.
  Contains OS data © Crown copyright and database right 2019.
"""


def not_found(**_query):
    return html.Div(
        [
            html.H1("Page not found"),
            html.P("There is no page at this address."),
            html.P(dcc.Link("Go to the overview", href="/")),
        ]
    )


def register(app: Dash) -> None:
    """Every page of the registry, the About page and the not-found page, with their callbacks."""
    for spec in PAGES.values():
        dash.register_page(
            spec.key,
            path=spec.path,
            name=spec.name,
            order=spec.order,
            title=f"{spec.name} - {SERVICE_NAME}",
            layout=partial(layout, spec),
        )
        _register_callback(app, spec)
    dash.register_page(
        ABOUT, path="/about", name="About the data", order=99, title=f"About the data - {SERVICE_NAME}", layout=about
    )
    dash.register_page(
        NOT_FOUND, path="/_not-found", name="Page not found", title=f"Page not found - {SERVICE_NAME}", layout=not_found
    )
