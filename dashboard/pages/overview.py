"""Overview: the board's headline figures, their change on last year and their trend."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, html

from dashboard.components.ids import URL
from dashboard.components.kpi_card import kpi_card
from dashboard.figures import sparkline
from dashboard.filters import period_label
from dashboard.pages._common import guarded, measure, options
from dashboard.state import parse_query, query_string

dash.register_page(__name__, path="/", name="Overview", order=0,
                   title="Overview - Youth justice partnership dashboard")
KPIS = "overview-kpis"


def layout(**_query):
    return html.Div([
        html.H1("Overview"),
        html.P("The partnership's key figures for the latest full financial year, compared with the year before. "
               "Each card says whether the change is better or worse.", className="lead"),
        html.Div(id=KPIS, **{"aria-live": "polite"}),
    ])


def _change(now, before, lower_is_better: bool, unit: str = "%") -> tuple[str, str]:
    """Plain words on the change, and whether it is better or worse for children."""
    if now is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
        return "No comparison with last year (figures withheld or missing).", "same"
    if unit == "points":
        diff = (now - before) * 100
        words = f"{abs(diff):.1f} percentage points {'up' if diff > 0 else 'down'} on last year"
    else:
        diff = (now - before) / before * 100
        words = f"{'Up' if diff > 0 else 'Down'} {abs(diff):.0f}% on last year"
    if abs(diff) < 0.5:
        return "About the same as last year.", "same"
    better = (diff < 0) == lower_is_better
    return f"{words}: {'better' if better else 'worse'}.", "better" if better else "worse"


def _by_year(frame: pd.DataFrame, value: str) -> pd.Series:
    return frame.set_index("period")[value]


def _fmt(value, pattern: str) -> str:
    return "c (withheld)" if value is None or pd.isna(value) else pattern.format(value)


#: The overview always compares the latest full year with the one before, so it drops these.
PERIOD_KEYS = ("period", "by_quarter")


@callback(Output(KPIS, "children"), Input(URL, "search"))
@guarded(lambda message: dbc.Alert(message, color="warning"))
def update(search):
    chosen = parse_query(search)
    search = query_string({k: v for k, v in chosen.items() if k not in PERIOD_KEYS})
    years = options()["years"]
    latest = options()["latest_complete_year"]
    this, last = period_label(latest), period_label(latest - 1)
    full_years = [period_label(y) for y in years if y <= latest]

    fte = _by_year(measure("fte", search, combine=True).table, "rate_per_100000").reindex(full_years)
    tiers = measure("disposals", search, breakdown="tier").table.pivot(index="period", columns="tier", values="count")
    custody = tiers.get("Custody", pd.Series(dtype="float64")).reindex(full_years)
    formal = tiers.drop(columns=["Prevention"], errors="ignore")
    share = (tiers.get("Diversion") / formal.sum(axis=1, min_count=len(formal.columns), skipna=False)).reindex(full_years)
    curve = measure("reoffending-curve", search).table
    within_year = (curve[curve["day"] <= 365].groupby("cohort")["reoffended"].last()
                   .reindex([period_label(y) for y in years if y <= latest - 1]))
    cards = [
        kpi_card("First-time entrants", _fmt(fte.get(this), "{:,.0f} per 100,000"),
                 *_change(fte.get(this), fte.get(last), lower_is_better=True),
                 trend=sparkline(fte.dropna(), fte.dropna().index), note=f"{this}, children aged 10 to 17"),
        kpi_card("Reoffended within 12 months", _fmt(within_year.get(last), "{:.0%}"),
                 *_change(within_year.get(last), within_year.get(period_label(latest - 2)), True, "points"),
                 trend=sparkline(within_year.dropna() * 100, within_year.dropna().index),
                 note=f"Children whose programme started in {last}; any recorded offence"),
        kpi_card("Custody", _fmt(custody.get(this), "{:,.0f} programmes"),
                 *_change(custody.get(this), custody.get(last), lower_is_better=True),
                 trend=sparkline(custody.dropna(), custody.dropna().index), note=f"Custodial sentences started, {this}"),
        kpi_card("Diversion", _fmt(share.get(this), "{:.0%} of outcomes"),
                 *_change(share.get(this), share.get(last), False, "points"),
                 trend=sparkline(share.dropna() * 100, share.dropna().index),
                 note=f"Community resolutions and Outcome 22 among all outcomes, {this}"),
        _disproportionality_card(search, this),
    ]
    note = [dbc.Alert("The overview always shows the latest full year against the year before: the period "
                      "you chose is used on the other pages.", color="light")] if set(chosen) & set(PERIOD_KEYS) else []
    return note + [dbc.Row([dbc.Col(c, xs=12, md=6, xl=4, className="mb-3") for c in cards])]


def _disproportionality_card(search, this):
    table = measure("disproportionality", search, period=this).table
    found = table[table["significant"].fillna(False).astype(bool) & (table["rri"] > 1)
                  & ~table["stage"].isin(["population"])].sort_values("rri", ascending=False)
    if found.empty:
        return kpi_card("Disproportionality", "No significant gap", "No group was significantly over-represented "
                        "at any stage.", "same", note=f"{this}, by ethnic group against White children")
    top = found.iloc[0]
    stage = {"pre_court": "a pre-court outcome", "court": "a court outcome", "custody": "custody",
             "offence": "an offence", "diversion": "diversion"}[top["stage"]]
    return kpi_card("Disproportionality", f"{top['rri']:.1f} times",
                    f"{top['group']} children were {top['rri']:.1f} times as likely as White children to reach "
                    f"{stage} (significant).", "worse",
                    note=f"{this}. {len(found)} significant gap(s) in all: see Disproportionality.")
