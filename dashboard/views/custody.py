"""Custody and remand: children sentenced to custody, bail and remand decisions, and what happened to the
children remanded to youth detention (the board's "reducing the use of custody and remands")."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .. import config
from .charts import GroupedBars, Lines, RemandOutcomes
from .readings import by_period, full_periods, latest_lines, latest_point, recent, year_on_year
from .render import only
from .spec import CardSpec, PackSection, PageSetting, PageSpec

#: The remand types the page follows: those where the YJS supports or supervises the child, or the child
#: is held. Unconditional and conditional bail are in the measure (and the command line's export).
REMAND_WORDS = {
    "BAIL_SUPERVISION_AND_SUPPORT": "Bail with supervision and support",
    "ISS_BAIL": "Bail with intensive supervision and surveillance",
    "REMAND_TO_LOCAL_AUTHORITY": "Remand to local authority accommodation",
    config.YOUTH_DETENTION: "Remand to youth detention accommodation",
}
NATIONALLY = (
    "Nationally, about six in ten children remanded to youth detention do not go on to a custodial "
    "sentence (Youth Justice Statistics 2023-24 and 2024-25)."
)
NOT_IN_EXTRACT = "Remands are not in this extract."


def not_followed_by_custody(result) -> pd.Series:
    """By period (and group), the share of the ended remands to youth detention not followed by a
    custodial sentence: 1 - the custodial share; null where that share is withheld or none ended."""
    table = result.table
    keys = ["period", "group"] if "group" in table else ["period"]
    custodial = table[table["result"] == "custodial_sentence"].set_index(keys)["percent"]
    return (1 - custodial.astype("float64") / 100).rename("not_followed_by_custody")


def _by_year(filters, settings):
    """Remand outcomes are counted by financial year: a quarter chosen shows its whole year."""
    return replace(filters, period=filters.period[:7]) if filters.period and " Q" in filters.period else filters


def _remand_notes(card) -> list[str]:
    return card.context.notes(card.spec.measure, card.filters)


def _remands_empty(card) -> str:
    return NOT_IN_EXTRACT if card.notes else "No remands in this period for these children."


def _rate_caption(card) -> str:
    return latest_point(
        card,
        "rate_per_1000",
        "Line chart of children sentenced to custody per 1,000 aged 10 to 17, by year.",
        "{:.2f} per 1,000",
        empty="Line chart of children sentenced to custody per 1,000 aged 10 to 17. No rate can be shown.",
    )


def _remands_caption(card) -> str:
    return latest_lines(
        card,
        "remands",
        "Line chart of remands by type, by year.",
        lambda r: f"{REMAND_WORDS[r.remand_type]}: {r.remands:,} in {r.period}",
        empty="Line chart of remands by type. No figure can be shown for these filters.",
    )


def _shares_in_words(shares: pd.Series) -> str:
    return "; ".join(f"{period}: {share:.0%}" for period, share in shares.dropna().items())


def _outcomes_caption(card) -> str:
    shares = not_followed_by_custody(card.result)
    return (
        "Bar chart of how the remands to youth detention that ended were dealt with, by year. Share not "
        "followed by a custodial sentence: " + (_shares_in_words(shares) or "withheld in every year") + "."
    )


def _latest_share(card) -> str:
    """The share not followed by custody in the latest full year, in words."""
    shares = full_periods(not_followed_by_custody(card.result), card.context.part_year)
    if shares.empty:
        return ""
    period, share = shares.index[-1], shares.iloc[-1]
    if pd.isna(share):
        return f"In {period}, too few remands to youth detention ended to show how they were dealt with."
    return (
        f"In {period}, {share:.0%} of the remands to youth detention that ended were not followed by a "
        "custodial sentence."
    )


def _outcomes_notes(card) -> list[str]:
    return [said for said in (_latest_share(card), NATIONALLY) if said] + _remand_notes(card)


def _group_caption(card) -> str:
    shares = not_followed_by_custody(card.result).droplevel("period")
    return (
        "Bar chart of how the remands to youth detention that ended were dealt with, by group. Share not "
        "followed by a custodial sentence: "
        + ("; ".join(f"{group}: {share:.0%}" for group, share in shares.dropna().items()) or "withheld")
        + "."
    )


def _reading(cards, context) -> str:
    """Custody and remands to youth detention year on year (the outcomes card's notes, printed under it,
    give the share not followed by custody)."""
    custody, remands = cards["custody-count"].result, cards["remands"].result
    said = [
        year_on_year(by_period(custody, "children"), "Children sentenced to custody", "{:,.0f}", context.part_year),
        year_on_year(
            by_period(custody, "rate_per_1000"),
            "The rate per 1,000 children aged 10 to 17",
            "{:.2f}",
            context.part_year,
        ),
    ]
    if remands.table.empty:
        return " ".join([*said, NOT_IN_EXTRACT])
    detention = remands.table[remands.table["remand_type"] == config.YOUTH_DETENTION]
    said.append(
        year_on_year(
            detention.set_index("period")["remands"], "Remands to youth detention", "{:,.0f}", context.part_year
        )
    )
    return " ".join(said)


def _pack_table(cards, context) -> pd.DataFrame:
    """The latest years: sentences, children and the rate; remands to youth detention and the share of those
    ended not followed by custody."""
    table = cards["custody-count"].table()[["period", "custodial_sentences", "children", "rate_per_1000"]]
    remands = cards["remands"]
    if not remands.result.table.empty:
        shown = remands.table()
        detention = shown[shown["remand_type"] == config.YOUTH_DETENTION].set_index("period")["remands"]
        outcomes = cards["remand-outcomes"].table()
        custodial = outcomes[outcomes["result"] == "custodial_sentence"].set_index("period")["percent"]
        share = custodial.map(lambda v: v if v in (config.SUPPRESSED_MARK, "") else 1 - v / 100)
        table = table.assign(
            remands_to_youth_detention=table["period"].map(detention),
            not_followed_by_custody=table["period"].map(share),
        )
    return recent(table)


PAGE = PageSpec(
    key="custody",
    path="/custody-and-remand",
    name="Custody and remand",
    heading="Custody and remand",
    order=8,
    lead="Children sentenced to custody, the bail and remand decisions made for children, and what happened to "
    "the children remanded to youth detention accommodation. Lower custody and remand figures are better.",
    definition="Custodial sentences are outcomes of the custody tier (detention and training orders and sentences "
    "under sections 250, 254 and 259) dated in the year; the rate is the children sentenced to custody "
    "per 1,000 children aged 10 to 17 (ONS mid-year estimates). Remands are the bail and remand "
    "decisions dated in the year, from the extract's remands file. A remand to youth detention is "
    "counted by how its case ended: a custodial sentence, a non-custodial sentence (another caution or "
    "sentence), no conviction (the case ended with no outcome, or with a community resolution or "
    "Outcome 22), or still open; shares are of the cases that ended. Lower is better.",
    settings=(
        PageSetting(
            "by",
            "Show remand outcomes by",
            (("ethnicity_group", "Ethnic group"), ("sex", "Sex"), ("age_band", "Age band")),
            "ethnicity_group",
        ),
    ),
    cards=(
        CardSpec(
            "custody-rate",
            "Children sentenced to custody per 1,000 aged 10 to 17",
            "use-of-custody",
            Lines(x="period", y="rate_per_1000", series="yjs", y_title="Per 1,000 aged 10-17", hover="%{y:.2f}"),
            _rate_caption,
            empty="No custodial sentences in this period for these children.",
            filename="custody-rate",
        ),
        CardSpec(
            "custody-count",
            "Custodial sentences, and the children given them",
            "use-of-custody",
            GroupedBars(
                x="period",
                bars=(("custodial_sentences", "Custodial sentences"), ("children", "Children sentenced to custody")),
                y_title="Number",
            ),
            lambda card: (
                "Bar chart of custodial sentences and children sentenced to custody by year; the table "
                "gives the numbers."
            ),
            settings={"combine": True},
            empty="No custodial sentences in this period for these children.",
            filename="custodial-sentences",
        ),
        CardSpec(
            "remands",
            "Remands with support, supervision or accommodation, by type",
            "remands",
            Lines(
                x="period",
                y="remands",
                series="remand_type",
                y_title="Remands",
                names=tuple(REMAND_WORDS.items()),
                hover="%{y:,.0f}",
            ),
            _remands_caption,
            settings={"combine": True},
            rows=lambda card: only(card.result, card.result.table["remand_type"].isin(REMAND_WORDS)),
            notes=lambda card: (
                ["Unconditional and conditional bail, which need no work from the service, are left out."]
                + _remand_notes(card)
            ),
            empty=_remands_empty,
            filename="remands",
        ),
        CardSpec(
            "remand-outcomes",
            "What happened after a remand to youth detention",
            "remand-outcomes",
            RemandOutcomes("period"),
            _outcomes_caption,
            settings={"combine": True},
            filters=_by_year,
            notes=_outcomes_notes,
            empty=_remands_empty,
            filename="remand-outcomes",
        ),
        CardSpec(
            "remand-outcomes-by-group",
            "What happened after a remand to youth detention, by group",
            "remand-outcomes-by-group",
            RemandOutcomes("group"),
            _group_caption,
            settings=lambda page: {"by": page["by"], "combine": True},
            filters=_by_year,
            notes=_remand_notes,
            empty=_remands_empty,
            filename="remand-outcomes-by-group",
        ),
    ),
    pack=PackSection(
        "remand-outcomes",
        _reading,
        _pack_table,
        title="Custody and remand",
        note="All the services chosen together.",
        percent=("not_followed_by_custody",),
    ),
)
