"""Disproportionality: which groups are over-represented at which stage, and is the gap real."""

from __future__ import annotations

import pandas as pd

from .charts import RelativeRates, StageRates
from .spec import CardSpec, PackSection, PageSetting, PageSpec
from .texts import SHOWN_FROM

EXPLAINED = (
    "The relative rate index (RRI) divides a group's rate by the reference group's rate at the "
    "same stage: 2 means twice as likely. The line shows the range the true value probably lies in "
    "(95% confidence interval). A result is marked significant when that whole range is above or "
    "below 1, so the difference is unlikely to be chance. A large ratio on a few children is usually "
    "not significant: read it with care."
)
STAGE_WORDS = {
    "pre_court": "a pre-court outcome",
    "court": "a court outcome",
    "custody": "custody",
    "offence": "an offence",
    "diversion": "diversion",
    "remand": "a remand to youth detention",
}
EMPTY = "No children at these stages in this period for this cohort."


def significant_gaps(result) -> pd.DataFrame:
    """Groups significantly over-represented at a stage (the reference group never is), largest first."""
    table = result.table
    found = table[
        table["significant"].fillna(False).astype(bool)
        & (table["rri"] > 1)
        & (table["group"] != result.settings.reference)
        & (table["stage"] != "population")
    ]
    return found.sort_values("rri", ascending=False)


def _caption(card) -> str:
    found = significant_gaps(card.result)
    return "Chart of relative rate index by stage and group with confidence intervals. " + (
        "; ".join(
            f"{r.group} at {r.stage.replace('_', '-')}: {r.rri:.1f} times (significant)" for r in found.itertuples()
        )
        or "No group is significantly over-represented."
    )


def gaps_reading(result) -> str:
    """The significant gaps of a period in words, for the board pack."""
    found = significant_gaps(result)
    period = result.description.split(",")[0]
    reference = result.settings.reference
    table = result.table
    if not (table["rri"].notna() & (table["group"] != reference) & (table["stage"] != "population")).any():
        return f"In {period}, too few children in each group to compare them with {reference} children (withheld)."
    if found.empty:
        return f"In {period}, no group was significantly more likely than {reference} children to reach any stage."
    listed = "; ".join(
        f"{r.group} children at {STAGE_WORDS[r.stage]}: {r.rri:.1f} times as likely" for r in found.itertuples()
    )
    gaps = "1 significant gap" if len(found) == 1 else f"{len(found)} significant gaps"
    return f"In {period}, {gaps} against {reference} children: {listed}. Other differences could be chance."


def _notes(card) -> list[str]:
    """The measure's notes (the remand stage, where a service has no remands file)."""
    return card.context.notes("disproportionality", card.filters)


def _pack_table(cards, context) -> pd.DataFrame:
    card = cards["dp-rri"]
    table = card.result.table
    return card.table()[table["rri"].notna() & (table["stage"] != "population")]


PAGE = PageSpec(
    key="disproportionality",
    path="/disproportionality",
    name="Disproportionality",
    heading="Disproportionality",
    order=4,
    lead="Children at each stage (offence, diversion, pre-court, remand to youth detention, court, custody) by "
    "group, and how their rates compare.",
    definition=EXPLAINED,
    explainer=EXPLAINED,
    settings=(
        PageSetting(
            "by",
            "Compare by",
            (
                ("ethnicity_group", "Ethnic group (against White children)"),
                ("sex", "Sex (against girls)"),
                ("age_band", "Age band (against 10 to 14)"),
            ),
            "ethnicity_group",
        ),
        PageSetting(
            "base",
            "Rate out of",
            (("population", "All children aged 10 to 17 in the area"), ("previous", "Children at the stage before")),
            "population",
        ),
    ),
    cards=(
        CardSpec(
            "dp-rri",
            "How much more or less likely each group is, at each stage",
            "disproportionality",
            RelativeRates(),
            _caption,
            settings=lambda page: {"by": page["by"], "base": page["base"]},
            notes=_notes,
            empty=EMPTY,
            filename="disproportionality",
        ),
        CardSpec(
            "dp-rates",
            "Children per 1,000 at each stage, by group",
            "disproportionality",
            StageRates(),
            lambda card: "Bar chart of children per 1,000 at each stage by group.",
            settings=lambda page: {"by": page["by"], "base": page["base"]},
            columns=("stage", "group", "count", "base", "rate_per_1000"),
            notes=_notes,
            empty=EMPTY,
            filename="stage-rates",
        ),
    ),
    pack=PackSection(
        "dp-rri",
        lambda cards, context: gaps_reading(cards["dp-rri"].result),
        _pack_table,
        note=f"Groups whose figures are withheld at a stage (fewer than {SHOWN_FROM} children) are left "
        "out; the workbook on the Disproportionality page has every row.",
    ),
)
