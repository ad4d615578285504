"""The chart card, written once: title, plain subtitle, the figure with a text caption, a table of
the same numbers (withheld cells shown as c), a CSV of exactly what is shown, PNG and SVG images of the
chart, and the source.

A page lays out ``chart_card(spec)`` for each of its views.CardSpec and fills them from its callback
with ``card_outputs(card_id)`` and ``card_values(card, figure)`` (or ``card_error(...)``: a plain
message and no data). ``register`` adds the callbacks every card shares to an app.

Nothing is drawn twice or built before it is wanted: the graph arrives with its figure (a graph laid
out empty would be drawn empty first), and the table's grid is built in the browser the first time
the reader opens it, from the rows the card already holds (most tables are never opened).
"""

from __future__ import annotations

import json
import re

import dash_ag_grid  # noqa: F401  (the grid's scripts: the browser builds each grid from GRID below)
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Dash, Input, Output, State, dcc, html

from ..figures.theme import GRAPH_CONFIG
from ..views import Card, CardSpec, subtitle
from ..views.texts import heading, spreadsheet_safe
from .ids import card, dom_id

#: The table's grid, as the browser builds it (its rows and columns come from the card's rows store).
GRID = {
    "type": "AgGrid",
    "namespace": "dash_ag_grid",
    "props": {
        "columnSize": "responsiveSizeToFit",
        "className": "ag-theme-alpine chart-table",
        # Every column in the page, always: the tables are small, and a screen reader (or a test) then finds
        # each cell, not only those scrolled into view.
        "dashGridOptions": {
            "domLayout": "autoHeight",
            "suppressMovableColumns": True,
            "suppressColumnVirtualisation": True,
        },
    },
}
SHOW, HIDE = "Show table", "Hide table"


def download_button(label: str, button_id, title: str) -> dbc.Button:
    """A download button: the same small outlined button on every card and above every page."""
    return dbc.Button(
        label, id=button_id, color="secondary", outline=True, size="sm", className="me-2", n_clicks=0, title=title
    )


def chart_card(spec: CardSpec) -> dbc.Card:
    card_id = spec.id
    table_id = card("table", card_id)
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.H2(spec.title, className="card-title h4", id=card("title", card_id)),
                    html.P(id=card("subtitle", card_id), className="card-subtitle"),
                ]
            ),
            dbc.CardBody(
                [
                    dcc.Loading(
                        html.Div(
                            [
                                html.Div(id=card("status", card_id), role="status"),
                                html.Figure(
                                    [
                                        html.Div(id=card("graph", card_id), className="chart-graph"),
                                        html.Figcaption(id=caption_id(card_id), className="visually-hidden"),
                                    ],
                                    id=card("figure", card_id),
                                    className="chart-figure",
                                ),
                                html.Ul(id=card("notes", card_id), className="card-notes"),
                            ]
                        ),
                        type="default",
                        delay_show=300,
                    ),
                    html.Div(id=table_id, hidden=True, className="chart-table-holder"),
                    dcc.Store(id=card("rows", card_id)),
                    dcc.Store(id=card("filename", card_id)),
                    dcc.Download(id=card("download", card_id)),
                    dcc.Download(id=card("image", card_id)),
                ]
            ),
            dbc.CardFooter(
                [
                    html.Button(
                        SHOW,
                        id=card("toggle", card_id),
                        className="btn btn-outline-secondary btn-sm me-2",
                        n_clicks=0,
                        type="button",
                        **{"aria-expanded": "false", "aria-controls": dom_id(table_id)},
                    ),
                    *[
                        download_button(
                            f"Download {kind.upper()}", card(kind, card_id), f"Download this chart's {described}"
                        )
                        for kind, described in (
                            ("csv", "table as CSV"),
                            ("png", "image as PNG"),
                            ("svg", "image as SVG"),
                        )
                    ],
                    html.Span(id=card("image-status", card_id), role="status", className="small"),
                    html.Small(id=card("source", card_id), className="card-source d-block mt-2"),
                ]
            ),
        ],
        className="chart-card mb-4",
        id=f"card-{card_id}",
    )


CARD_PARTS = (
    ("graph", "children"),
    ("subtitle", "children"),
    ("caption", "children"),
    ("status", "children"),
    ("figure", "hidden"),
    ("rows", "data"),
    ("filename", "data"),
    ("source", "children"),
    ("notes", "children"),
)


def card_outputs(card_id: str) -> list[Output]:
    return [
        Output(caption_id(card_id) if part == "caption" else card(part, card_id), prop) for part, prop in CARD_PARTS
    ]


def caption_id(card_id: str) -> str:
    """The figure's caption: a text summary of the chart, read out by screen readers (the chart itself
    stays interactive, so the figure is not marked as an image)."""
    return f"caption-{card_id}"


def card_values(rendered: Card, figure) -> tuple:
    """Everything a card shows, in ``card_outputs`` order, from a rendered card and its figure."""
    result = rendered.result
    table = rendered.table()
    notes = [html.Li(note) for note in rendered.notes]
    if table.empty:
        return (
            None,
            subtitle(result),
            rendered.empty_message,
            dbc.Alert(rendered.empty_message, color="light"),
            True,
            None,
            None,
            rendered.source,
            notes,
        )
    # No type inference: a withheld "c" must read as c, not "Invalid Number".
    columns = [{"field": c, "headerName": heading(c, result.metric), "cellDataType": False} for c in table.columns]
    graph = dcc.Graph(figure=figure, config=GRAPH_CONFIG)
    return (
        graph,
        subtitle(result),
        rendered.caption,
        None,
        False,
        {"rows": table.to_dict("records"), "columns": columns},
        rendered.filename,
        rendered.source,
        notes,
    )


def card_error(message: str) -> tuple:
    """A plain message and no data (bad filters, forged values, database trouble)."""
    return (None, "", message, dbc.Alert(message, color="warning"), True, None, None, "", [])


def safe_filename(text: str, extension: str = "csv") -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-").lower()[:80] + "." + extension


#: Show or hide the table; its grid is built when it is first shown, and again when the card's rows
#: change while it is open (closed, a stale grid is dropped, so the next opening builds a fresh one).
TOGGLE_TABLE = (
    """function (clicks, table, hidden) {
    const opened = dash_clientside.callback_context.triggered_id?.type === "card-toggle";
    const open = opened ? hidden !== false : hidden === false;
    const grid = open && table && Array.isArray(table.rows)
        ? {...GRID, props: {...GRID.props, rowData: table.rows, columnDefs: table.columns}} : null;
    return [!open, open ? HIDE : SHOW, open ? "true" : "false",
            (opened && !open) ? dash_clientside.no_update : grid];
}""".replace("GRID", json.dumps(GRID))
    .replace("HIDE", json.dumps(HIDE))
    .replace("SHOW", json.dumps(SHOW))
)


def download_csv(clicks, table, filename):
    """Exactly the table on screen (withheld cells as c), headed as on screen, as CSV, text that a
    spreadsheet would run as a formula neutralised. It holds what the browser already has, so a forged
    request can only get back what it sent."""
    if (
        not clicks
        or not isinstance(table, dict)
        or not isinstance(table.get("rows"), list)
        or not table["rows"]
        or not isinstance(table.get("columns"), list)
    ):
        return None
    columns = [c for c in table["columns"] if isinstance(c, dict) and isinstance(c.get("field"), str)]
    frame = pd.DataFrame(table["rows"]).reindex(columns=[c["field"] for c in columns]).map(spreadsheet_safe)
    # Headed as on screen; text, so a heading sent back like a formula is neutralised too.
    frame.columns = [spreadsheet_safe(str(c.get("headerName") or c["field"])) for c in columns]
    # CRLF rows (RFC 4180), so a cell holding a carriage return is quoted: unquoted, a spreadsheet would
    # start a new row there, and the text after it could be read as a formula.
    return dcc.send_data_frame(frame.to_csv, safe_filename(str(filename or "data")), index=False, lineterminator="\r\n")


def register(app: Dash) -> None:
    """The callbacks every chart card shares (one each, for every card, by pattern-matching ids)."""
    app.clientside_callback(
        TOGGLE_TABLE,
        Output(card("table", MATCH), "hidden"),
        Output(card("toggle", MATCH), "children"),
        Output(card("toggle", MATCH), "aria-expanded"),
        Output(card("table", MATCH), "children"),
        Input(card("toggle", MATCH), "n_clicks"),
        Input(card("rows", MATCH), "data"),
        State(card("table", MATCH), "hidden"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(card("download", MATCH), "data"),
        Input(card("csv", MATCH), "n_clicks"),
        State(card("rows", MATCH), "data"),
        State(card("filename", MATCH), "data"),
        prevent_initial_call=True,
    )(download_csv)
