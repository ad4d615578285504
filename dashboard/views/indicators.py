"""The published comparators in words (metrics.benchmarks.INDICATORS): what each measures, its unit,
how its values are written and the basis of its periods, so a rate per 10,000 is always shown per 10,000
and every period says whether it is a calendar or a financial year."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One published comparator, as people read it."""

    #: What is measured ("First-time entrants").
    name: str
    #: The unit after a value ("per 100,000"), "%" for a percentage.
    per: str
    #: The unit in full, for axes and the map ("per 100,000 children aged 10 to 17").
    unit: str
    #: How a value is written.
    number: str
    #: The basis of the periods, as published_indicator.period_basis holds it.
    basis: str

    def value(self, value: float) -> str:
        """'124 per 100,000', '35.0%'."""
        return f"{self.number.format(value)}{'' if self.per == '%' else ' '}{self.per}"

    def period(self, period: str) -> str:
        """'2024 (calendar year)'."""
        return f"{period} ({BASIS[self.basis]})"

    @property
    def title(self) -> str:
        """'First-time entrants per 100,000 children aged 10 to 17'."""
        return f"{self.name} {self.unit}" if self.per != "%" else f"{self.name} ({self.unit})"


BASIS = {"calendar_year": "calendar year", "financial_year": "financial year", "cohort_year": "LAIT's cohort year"}
INDICATORS = {
    "fte_rate_per_100000": Indicator(
        "First-time entrants", "per 100,000", "per 100,000 children aged 10 to 17", "{:,.0f}", "calendar_year"
    ),
    "reoffending_percent_10_14": Indicator(
        "Proven reoffending, children aged 10 to 14", "%", "% of children who reoffend", "{:.1f}", "cohort_year"
    ),
    "reoffending_percent_15_17": Indicator(
        "Proven reoffending, children aged 15 to 17", "%", "% of children who reoffend", "{:.1f}", "cohort_year"
    ),
    "cautioned_or_sentenced_per_1000": Indicator(
        "Children cautioned or sentenced", "per 1,000", "per 1,000 children aged 10 to 17", "{:.1f}", "financial_year"
    ),
    "cautioned_or_sentenced_per_10000": Indicator(
        "Children cautioned or sentenced", "per 10,000", "per 10,000 children aged 10 to 17", "{:.1f}", "financial_year"
    ),
}
#: The YJB's regions as a sentence names them ("similar to the East Midlands").
REGION_WORDS = {
    "East Midlands": "the East Midlands",
    "West Midlands": "the West Midlands",
    "North East": "the North East",
    "North West": "the North West",
    "South East": "the South East",
    "South West": "the South West",
    "Eastern": "the East of England",
    "East of England": "the East of England",
    "Yorkshire": "Yorkshire and the Humber",
}


def region_words(region: str) -> str:
    return REGION_WORDS.get(region, region)


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
