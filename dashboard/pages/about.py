"""About the data: definitions in plain words, sources, credits, as-of dates and suppression."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.pages._common import options

dash.register_page(__name__, path="/about", name="About the data", order=9,
                   title="About the data - Youth justice partnership dashboard")

DEFINITIONS = """
## What the figures mean

**First-time entrants** are children aged 10 to 17 who receive their first youth caution, youth conditional
caution or court conviction. Community resolutions and Outcome 22 are *diversion*, so they do not count.
Rates are per 100,000 children aged 10 to 17, using the population in the middle of the year the
financial year starts in (mid-2021 for 2021-22). The national tables moved from financial years to years
ending December in the 2019/20 edition: national and local figures are not always comparable.

**Disposals** are programmes of work started in the year, grouped in tiers: prevention (voluntary work with
children not charged with anything), diversion (community resolution, Outcome 22), pre-court (youth caution,
youth conditional caution), first-tier (referral order, fine, discharge, reparation order), community
(youth rehabilitation order) and custody (detention and training order, sections 250, 254 and 259).

**Referrals** are programmes referred to the service in the period, by area, who referred the child and the
child's age on the day of referral.

**Disproportionality** compares groups at each stage. The *relative rate index* divides a group's rate by the
White group's rate at the same stage. Its 95% confidence interval shows the range the true value probably
lies in; a result is *significant* when the whole interval is above or below 1. Rates can be out of all
children aged 10 to 17 or out of the children at the stage before.

**Reoffending** here counts every recorded offence, proven or not, around each child's first programme in the
period: in the year before, during, and in each 3 months of the year after it ends (only children followed up
for long enough count). The national *proven* reoffending measure is different: it follows a cohort for
12 months plus 6 months for cases to be proven. The time-to-reoffend chart is a Kaplan-Meier curve, which
allows for children not yet followed for a full year.

**Compare areas** uses the Youth Justice Board's published tables: children cautioned or sentenced per 1,000
children aged 10 to 17, 2013-14 to 2021-22. Some services cover several local authorities (for example West
Mercia, Bury and Rochdale): the map colours every authority a service covers with that service's rate.

## Small numbers

Counts from 1 to 4 are withheld and shown as **c**, with every rate built on them. Where a withheld count could
be worked out from a total, another count is withheld too. Zeros are shown. Downloads hold exactly what is on
screen.

## Sources and credits

- Your service's figures: the case management extract it loaded (see the dates below).
- Source: Youth Justice Board for England and Wales, Youth Justice Statistics. Contains public sector
  information licensed under the Open Government Licence v3.0.
- Population: Office for National Statistics mid-year estimates.
- Boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0.
  Contains OS data © Crown copyright and database right 2019.
"""


def layout(**_query):
    dates = options()["as_of"]
    return html.Div([
        html.H1("About the data"),
        html.H2("Data as at", className="h4"),
        html.Ul([html.Li(f"{service}: extract taken {day:%-d %B %Y}") for service, day in dates.items()]),
        dcc.Markdown(DEFINITIONS, className="about-text"),
    ])
