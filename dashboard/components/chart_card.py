"""The chart card, written once: title, plain subtitle, the figure with a text caption, a table of
the same numbers (withheld cells shown as c), a CSV of exactly what is shown, PNG and SVG images of the
chart, and the source.

A page lays out ``chart_card(card_id, title)`` and fills it from its callback with
``card_outputs(card_id)`` and ``card_values(chart)`` (or ``card_error(...)``: a plain message and no data).
"""

from __future__ import annotations

import re

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, callback, dcc, html

from .. import config
from ..exports import spreadsheet_safe
from ..figures.theme import empty_figure
from ..metrics import MeasureResult
from .ids import card

YJB_SOURCE = ("Source: the service's case management extract, as at {as_of}. "
              "Counts of 1 to 4 are withheld (c), with any other cell that would reveal them.")
PUBLISHED_SOURCE = ("Source: Youth Justice Board for England and Wales, Youth Justice Statistics; ONS population "
                    "estimates. Contains public sector information licensed under the Open Government Licence v3.0.")


def chart_card(card_id: str, title: str, *, extra_controls=None) -> dbc.Card:
    return dbc.Card([
        dbc.CardHeader([html.H2(title, className="card-title h4", id=card("title", card_id)),
                        html.P(id=card("subtitle", card_id), className="card-subtitle")]),
        dbc.CardBody([
            extra_controls or html.Div(),
            dcc.Loading(html.Div([
                html.Div(id=card("status", card_id), role="status"),
                html.Figure([
                    dcc.Graph(id=card("graph", card_id), figure=empty_figure(), config={
                        "displaylogo": False, "responsive": True, "topojsonURL": "/assets/topojson/",
                        "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}),
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
            dcc.Store(id=card("made-by", card_id)),
            dcc.Download(id=card("download", card_id)),
            dcc.Download(id=card("image", card_id)),
        ]),
        dbc.CardFooter([
            dbc.Button("Show table", id=card("toggle", card_id), color="secondary", outline=True, size="sm",
                       className="me-2", n_clicks=0),
            *[dbc.Button(f"Download {kind.upper()}", id=card(kind, card_id), color="secondary", outline=True,
                         size="sm", className="me-2", n_clicks=0, title=f"Download this chart's {words}")
              for kind, words in (("csv", "table as CSV"), ("png", "image as PNG"), ("svg", "image as SVG"))],
            html.Small(id=card("source", card_id), className="card-source d-block mt-2"),
        ]),
    ], className="chart-card mb-4", id=f"card-{card_id}")


def card_outputs(card_id: str) -> list[Output]:
    parts = [("graph", "figure"), ("subtitle", "children"), ("caption", "children"), ("status", "children"),
             ("figure", "hidden"), ("grid", "rowData"), ("grid", "columnDefs"), ("filename", "data"),
             ("made-by", "data"), ("source", "children")]
    return [Output(caption_id(card_id) if part == "caption" else card(part, card_id), prop) for part, prop in parts]


def caption_id(card_id: str) -> str:
    """The figure's caption: a text summary of the chart, read out by screen readers (the chart itself
    stays interactive, so the figure is not marked as an image)."""
    return f"caption-{card_id}"


def shown_table(result: MeasureResult, columns: list[str] | None = None) -> pd.DataFrame:
    """The result's table as people read it: withheld cells as c, rates rounded."""
    columns = columns or list(result.table.columns)
    shown = result.table[columns].astype(object).where(result.table[columns].notna(), "")
    for column in columns:
        if pd.api.types.is_float_dtype(result.table[column]):
            shown[column] = result.table[column].round(3).astype(object).where(result.table[column].notna(), "")
        shown.loc[result.withheld[column], column] = config.SUPPRESSED_MARK
    return shown


def subtitle(result: MeasureResult) -> str:
    """The filters applied, in words, and any chosen filter the measure does not use."""
    return result.description + (f". Not used here: {', '.join(_words(f) for f in result.ignored)}"
                                 if result.ignored else "")


def card_values(chart) -> tuple:
    """Everything a card shows, from one ``pages._charts.Chart``; ``made-by`` lets the image download
    rebuild the same chart on the server."""
    result, made_by = chart.result, {"page": chart.page, "settings": chart.settings}
    table = shown_table(result, chart.columns)
    if table.empty:
        return (empty_figure(), subtitle(result), chart.empty_message,
                dbc.Alert(chart.empty_message, color="light"), True, [], [], None, None, chart.source)
    # No type inference: a withheld "c" must read as c, not "Invalid Number".
    column_defs = [{"field": c, "headerName": _words(c).capitalize(), "cellDataType": False} for c in table.columns]
    rows = table.to_dict("records")
    return (chart.figure, subtitle(result), chart.caption, None, False, rows, column_defs, chart.filename, made_by,
            chart.source)


def card_error(message: str) -> tuple:
    """A plain message and no data (bad filters, forged values, database trouble)."""
    return (empty_figure(), "", message, dbc.Alert(message, color="warning"), True, [], [], None, None, "")


def _words(name: str) -> str:
    return name.replace("_", " ")


def safe_filename(text: str, extension: str = "csv") -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-").lower()[:80] + "." + extension


@callback(Output(card("table", MATCH), "is_open"), Output(card("toggle", MATCH), "children"),
          Input(card("toggle", MATCH), "n_clicks"), prevent_initial_call=True)
def toggle_table(clicks):
    """Show or hide the table of the chart's numbers."""
    is_open = bool(isinstance(clicks, int) and clicks % 2 == 1)
    return is_open, "Hide table" if is_open else "Show table"


@callback(Output(card("download", MATCH), "data"), Input(card("csv", MATCH), "n_clicks"),
          State(card("grid", MATCH), "rowData"), State(card("grid", MATCH), "columnDefs"),
          State(card("filename", MATCH), "data"), prevent_initial_call=True)
def download_csv(clicks, rows, columns, filename):
    """Exactly the table on screen (withheld cells as c), as CSV, text that a spreadsheet would run as a
    formula neutralised. It holds what the browser already has, so a forged request can only get back what
    it sent."""
    if not clicks or not isinstance(rows, list) or not rows or not isinstance(columns, list):
        return None
    fields = [c.get("field") for c in columns if isinstance(c, dict)]
    frame = pd.DataFrame(rows).reindex(columns=fields).map(spreadsheet_safe)
    # CRLF rows (RFC 4180), so a cell holding a carriage return is quoted: unquoted, a spreadsheet would
    # start a new row there, and the text after it could be read as a formula.
    return dcc.send_data_frame(frame.to_csv, safe_filename(str(filename or "data")), index=False,
                               lineterminator="\r\n")
