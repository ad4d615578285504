"""The synthetic extract: valid, deterministic, and shaped like youth justice data."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from dashboard.db import Database
from dashboard.filters import Filters
from dashboard.ingest import ingest
from dashboard.metrics import compute
from dashboard.synth import generate_extract

FILES = ("children.csv", "offences.csv", "outcomes.csv", "programmes.csv", "population.csv", "extract.json")


def digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    counts = generate_extract(folder / "a", children=6000, seed=5)
    path = folder / "demo.duckdb"
    ingest(folder / "a", path)
    return folder, counts, Database.open(path)


def test_same_seed_same_bytes_other_seed_other_data(demo, tmp_path):
    folder, counts, _ = demo
    generate_extract(tmp_path / "again", children=6000, seed=5)
    generate_extract(tmp_path / "other", children=6000, seed=6)
    assert digest(tmp_path / "again") == digest(folder / "a")
    assert digest(tmp_path / "other")["children.csv"] != digest(folder / "a")["children.csv"]
    assert counts["children.csv"] == 6000


def test_it_loads_and_says_it_is_fictional(demo):
    _, _, db = demo
    info = db.query("SELECT yjs, description FROM extract_info")
    assert len(info) == 5 and info["description"].str.contains("Synthetic").all()


def test_first_time_entrants_are_a_few_hundred_per_100000(demo):
    table = compute(demo[2], "fte", Filters(period="2019-20")).table
    rates = table["rate_per_100000"].dropna()
    assert len(rates) >= 3 and rates.between(100, 800).all()


def test_diversion_grows_after_2020(demo):
    def diversion_share(period):
        t = compute(demo[2], "disposals", Filters(period=period), suppressed=False).table
        counted = t[t["tier"] != "Prevention"]
        return counted.loc[counted["tier"] == "Diversion", "count"].sum() / counted["count"].sum()
    assert diversion_share("2023-24") > diversion_share("2017-18") + 0.08


def test_black_children_are_over_represented_in_custody(demo):
    window = Filters(date_from=date(2016, 4, 1), date_to=date(2024, 3, 31))
    t = compute(demo[2], "disproportionality", window, suppressed=False).table.set_index(["stage", "group"])
    assert t.loc[("custody", "Black"), "rri"] > 2 and t.loc[("offence", "Black"), "rri"] > 1.5


def test_about_a_third_reoffend_within_a_year_most_early(demo):
    curve = compute(demo[2], "reoffending-curve", Filters(period="2021-22"), suppressed=False).table
    at_year = curve[curve["day"] <= 365]["reoffended"].max()
    at_quarter = curve[curve["day"] <= 91]["reoffended"].max()
    assert 0.2 < at_year < 0.45 and at_quarter > at_year / 2


def test_open_cases_and_censoring_are_present(demo):
    db = demo[2]
    assert db.scalar("SELECT count(*) FROM programme WHERE start_date IS NOT NULL AND end_date IS NULL") > 0
    assert db.scalar("SELECT count(*) FROM programme WHERE start_date IS NULL") > 0
    assert db.scalar("SELECT count(*) FROM programme_fact WHERE end_date IS NOT NULL AND NOT at_risk_9_12") > 0
