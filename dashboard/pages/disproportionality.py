"""Disproportionality: which groups are over-represented at which stage, and is the gap real."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, callback, html

from dashboard.components.chart_card import card_outputs, card_values, chart_card
from dashboard.components.ids import URL
from dashboard.figures import relative_rates, stage_rates
from dashboard.pages._common import card_errors, extract_source, guarded, measure, withheld

dash.register_page(__name__, path="/disproportionality", name="Disproportionality", order=4,
                   title="Disproportionality - Youth justice partnership dashboard")
BY, BASE = "dp-by", "dp-base"
EXPLAINED = ("The relative rate index (RRI) divides a group's rate by the reference group's rate at the same "
             "stage: 2 means twice as likely. The line shows the range the true value probably lies in (95% "
             "confidence interval). A result is marked significant when that whole range is above or below 1, "
             "so the difference is unlikely to be chance. A large ratio on a few children is usually not "
             "significant: read it with care.")


def layout(**_query):
    controls = dbc.Row([
        dbc.Col([dbc.Label("Compare by", html_for=BY), dbc.Select(id=BY, value="ethnicity_group", options=[
            {"label": "Ethnic group (against White children)", "value": "ethnicity_group"},
            {"label": "Sex (against girls)", "value": "sex"},
            {"label": "Age band (against 10 to 14)", "value": "age_band"}])], md=6),
        dbc.Col([dbc.Label("Rate out of", html_for=BASE), dbc.Select(id=BASE, value="population", options=[
            {"label": "All children aged 10 to 17 in the area", "value": "population"},
            {"label": "Children at the stage before", "value": "previous"}])], md=6),
    ], className="mb-3")
    return html.Div([
        html.H1("Disproportionality"),
        html.P("Children at each stage (offence, diversion, pre-court, court, custody) by group, and how their "
               "rates compare.", className="lead"),
        controls,
        dbc.Alert(EXPLAINED, color="light", className="plain-words"),
        chart_card("dp-rri", "How much more or less likely each group is, at each stage"),
        chart_card("dp-rates", "Children per 1,000 at each stage, by group"),
    ])



@callback(*card_outputs("dp-rri"), *card_outputs("dp-rates"), Input(URL, "search"), Input(BY, "value"),
          Input(BASE, "value"))
@guarded(card_errors(2))
def update(search, by, base):
    result = measure("disproportionality", search, by=by, base=base)
    reference = result.table.loc[result.table["rri"].eq(1.0), "group"]
    reference = reference.iloc[0] if len(reference) else "the reference group"
    source = extract_source()
    significant = result.table[result.table["significant"].fillna(False).astype(bool) & (result.table["rri"] > 1)
                               & (result.table["group"] != reference)]
    caption = ("Chart of relative rate index by stage and group with confidence intervals. " +
               ("; ".join(f"{r.group} at {r.stage.replace('_', '-')}: {r.rri:.1f} times (significant)"
                          for r in significant.itertuples()) or "No group is significantly over-represented."))
    empty = "No children at these stages in this period for this cohort."
    return (card_values(result, relative_rates(result.table, reference=reference,
                                               withheld=withheld(result, "rri")), caption, filename="disproportionality",
                        empty_message=empty, source=source) +
            card_values(result, stage_rates(result.table, withheld=withheld(result, "rate_per_1000")),
                        "Bar chart of children per 1,000 at each stage by group.", filename="stage-rates",
                        columns=["stage", "group", "count", "base", "rate_per_1000"], empty_message=empty,
                        source=source))
