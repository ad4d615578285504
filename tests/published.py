"""Figures of the published tables (data/public) that several test files check against, written here by hand
from the published files, never read from the code under test."""

from __future__ import annotations

#: Children cautioned or sentenced in England and Wales, as the YJB published them (data/public).
PUBLISHED_TOTALS = {
    "2013-14": 41569,
    "2014-15": 37946,
    "2015-16": 32848,
    "2016-17": 28352,
    "2017-18": 26681,
    "2018-19": 21665,
    "2019-20": 19026,
    "2020-21": 15751,
    "2021-22": 13770,
}
#: The YJB's ten regions of England and Wales (docs/extract-format.md).
REGIONS = {
    "East Midlands",
    "Eastern",
    "London",
    "North East",
    "North West",
    "South East",
    "South West",
    "Wales",
    "West Midlands",
    "Yorkshire",
}
