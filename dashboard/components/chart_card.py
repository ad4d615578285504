"""The chart card, written once: title, plain subtitle, the figure with a text caption, a table of
the same numbers (withheld cells shown as c), a CSV of exactly what is shown, PNG and SVG images of the
chart, and the source.

A page lays out ``chart_card(spec)`` for each of its views.CardSpec and fills them from its callback
with ``card_outputs(card_id)`` and ``card_values(card, figure)`` (or ``card_error(...)``: a plain
message and no data). ``register`` adds the callbacks every card shares to an app.
"""

from __future__ import annotations

import re

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Dash, Input, Output, State, dcc, html

from ..figures.theme import GRAPH_CONFIG, empty_figure
from ..views import Card, CardSpec, subtitle
from ..views.texts import heading, spreadsheet_safe
from .ids import card


def chart_card(spec: CardSpec, *, extra_controls=None) -> dbc.Card:
    card_id = spec.id
    return dbc.Card([
        dbc.CardHeader([html.H2(spec.title, className="card-title h4", id=card("title", card_id)),
                        html.P(id=card("subtitle", card_id), className="card-subtitle")]),
        dbc.CardBody([
            extra_controls or html.Div(),
            dcc.Loading(html.Div([
                html.Div(id=card("status", card_id), role="status"),
                html.Figure([
                    dcc.Graph(id=card("graph", card_id), figure=empty_figure(), config=GRAPH_CONFIG),
                    html.Figcaption(id=caption_id(card_id), className="visually-hidden"),
                ], id=card("figure", card_id), className="chart-figure"),
            ]), type="default", delay_show=300),
            dbc.Collapse(dag.AgGrid(id=card("grid", card_id), columnSize="responsiveSizeToFit",
                                    dashGridOptions={"domLayout": "autoHeight", "suppressMovableColumns": True,
                                                     # Every column in the page, always: the tables are
                                                     # small, and a screen reader (or a test) then finds
                                                     # each cell, not only those scrolled into view.
                                                     "suppressColumnVirtualisation": True},
                                    className="ag-theme-alpine chart-table"),
                         id=card("table", card_id), is_open=False),
            dcc.Store(id=card("filename", card_id)),
            dcc.Download(id=card("download", card_id)),
            dcc.Download(id=card("image", card_id)),
        ]),
        dbc.CardFooter([
            dbc.Button("Show table", id=card("toggle", card_id), color="secondary", outline=True, size="sm",
                       className="me-2", n_clicks=0),
            *[dbc.Button(f"Download {kind.upper()}", id=card(kind, card_id), color="secondary", outline=True,
                         size="sm", className="me-2", n_clicks=0, title=f"Download this chart's {described}")
              for kind, described in (("csv", "table as CSV"), ("png", "image as PNG"), ("svg", "image as SVG"))],
            html.Small(id=card("source", card_id), className="card-source d-block mt-2"),
        ]),
    ], className="chart-card mb-4", id=f"card-{card_id}")


CARD_PARTS = (("graph", "figure"), ("subtitle", "children"), ("caption", "children"), ("status", "children"),
              ("figure", "hidden"), ("grid", "rowData"), ("grid", "columnDefs"), ("filename", "data"),
              ("source", "children"))


def card_outputs(card_id: str) -> list[Output]:
    return [Output(caption_id(card_id) if part == "caption" else card(part, card_id), prop) for part, prop in CARD_PARTS]


def caption_id(card_id: str) -> str:
    """The figure's caption: a text summary of the chart, read out by screen readers (the chart itself
    stays interactive, so the figure is not marked as an image)."""
    return f"caption-{card_id}"


def card_values(rendered: Card, figure) -> tuple:
    """Everything a card shows, in ``card_outputs`` order, from a rendered card and its figure."""
    result = rendered.result
    table = rendered.table()
    if table.empty:
        return (empty_figure(), subtitle(result), rendered.spec.empty,
                dbc.Alert(rendered.spec.empty, color="light"), True, [], [], None, rendered.source)
    # No type inference: a withheld "c" must read as c, not "Invalid Number".
    column_defs = [{"field": c, "headerName": heading(c, result.metric), "cellDataType": False} for c in table.columns]
    return (figure, subtitle(result), rendered.caption, None, False, table.to_dict("records"), column_defs,
            rendered.filename, rendered.source)


def card_error(message: str) -> tuple:
    """A plain message and no data (bad filters, forged values, database trouble)."""
    return (empty_figure(), "", message, dbc.Alert(message, color="warning"), True, [], [], None, "")


def safe_filename(text: str, extension: str = "csv") -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-").lower()[:80] + "." + extension


def toggle_table(clicks):
    """Show or hide the table of the chart's numbers."""
    is_open = bool(isinstance(clicks, int) and clicks % 2 == 1)
    return is_open, "Hide table" if is_open else "Show table"


def download_csv(clicks, rows, columns, filename):
    """Exactly the table on screen (withheld cells as c), as CSV, text that a spreadsheet would run as a
    formula neutralised. It holds what the browser already has, so a forged request can only get back what
    it sent."""
    if not clicks or not isinstance(rows, list) or not rows or not isinstance(columns, list):
        return None
    columns = [c for c in columns if isinstance(c, dict) and isinstance(c.get("field"), str)]
    frame = pd.DataFrame(rows).reindex(columns=[c["field"] for c in columns]).map(spreadsheet_safe)
    # Headed as on screen; text, so a heading sent back like a formula is neutralised too.
    frame.columns = [spreadsheet_safe(str(c.get("headerName") or c["field"])) for c in columns]
    # CRLF rows (RFC 4180), so a cell holding a carriage return is quoted: unquoted, a spreadsheet would
    # start a new row there, and the text after it could be read as a formula.
    return dcc.send_data_frame(frame.to_csv, safe_filename(str(filename or "data")), index=False,
                               lineterminator="\r\n")


def register(app: Dash) -> None:
    """The callbacks every chart card shares (one each, for every card, by pattern-matching ids)."""
    app.callback(Output(card("table", MATCH), "is_open"), Output(card("toggle", MATCH), "children"),
                 Input(card("toggle", MATCH), "n_clicks"), prevent_initial_call=True)(toggle_table)
    app.callback(Output(card("download", MATCH), "data"), Input(card("csv", MATCH), "n_clicks"),
                 State(card("grid", MATCH), "rowData"), State(card("grid", MATCH), "columnDefs"),
                 State(card("filename", MATCH), "data"), prevent_initial_call=True)(download_csv)
