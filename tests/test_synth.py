"""The synthetic extract: in the spec's format to the letter, deterministic, and shaped like youth
justice data. Checked with DuckDB SQL straight over the CSV files, so the generator is tested on its
own, not through the ingest it feeds."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd
import pytest

from dashboard import config, synth
from dashboard.synth import generate_extract

CHILDREN, SEED, AS_OF = 20_000, 11, "2025-06-30"
SPEC_COLUMNS = {
    "children.csv": ["child_id", "date_of_birth", "sex", "ethnicity_group", "ethnicity_detail", "yjs", "locality"],
    "offences.csv": ["offence_id", "child_id", "offence_date", "category", "gravity", "knife_or_offensive_weapon"],
    "outcomes.csv": ["outcome_id", "child_id", "offence_id", "outcome_date", "outcome_type"],
    "programmes.csv": ["programme_id", "child_id", "disposal_type", "programme_name", "referral_date",
                       "referral_source", "locality", "start_date", "end_date", "closure_reason", "completed"],
    "population.csv": ["yjs", "year", "age", "sex", "ethnicity_group", "population", "locality"],
}
DATES = {"children": ["date_of_birth"], "offences": ["offence_date"], "outcomes": ["outcome_date"],
         "programmes": ["referral_date", "start_date", "end_date"]}
AGE = "(year({d}) - year(date_of_birth) - (strftime({d}, '%m-%d') < strftime(date_of_birth, '%m-%d'))::INT)"
FINANCIAL_YEAR = "year({d} - INTERVAL 3 MONTH)"


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    """20,000 children made in four chunks, so the chunk boundaries are tested too."""
    folder = tmp_path_factory.mktemp("synth") / "extract"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synth, "CHUNK", 6_000)
        counts = generate_extract(folder, children=CHILDREN, seed=SEED)
    return folder, counts


@pytest.fixture(scope="module")
def sql(extract):
    """``sql(query)`` -> DataFrame over the files as text (``raw_*``) and typed (``children`` ...), with
    ``tiers(outcome_type, tier)`` from config."""
    folder, _ = extract
    con = duckdb.connect()
    for name in SPEC_COLUMNS:
        table = name.removesuffix(".csv")
        con.execute(f"CREATE VIEW raw_{table} AS SELECT * FROM read_csv('{folder / name}', header = true, "
                    "all_varchar = true, delim = ',', quote = '\"')")
        casts = ", ".join(f"{c}::DATE AS {c}" for c in DATES.get(table, []))
        con.execute(f"CREATE TABLE {table} AS SELECT * {f'REPLACE ({casts})' if casts else ''} FROM raw_{table}")
    con.execute("CREATE TABLE tiers (outcome_type VARCHAR, tier VARCHAR)")
    con.executemany("INSERT INTO tiers VALUES (?, ?)", list(config.OUTCOME_TIERS.items()))
    return lambda query: con.sql(query).df()


def value(sql, query):
    return sql(query).iloc[0, 0]


def test_writes_the_spec_files_and_columns(extract):
    folder, counts = extract
    for name, columns in SPEC_COLUMNS.items():
        text = (folder / name).read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[0].split(",") == columns, name
        assert counts[name] == len(lines) - 1 > 0, name
        assert '"' not in text, f"{name}: no value needs quoting"
    meta = json.loads((folder / "extract.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == AS_OF
    assert "Synthetic" in meta["description"] and "fictional" in meta["description"]
    assert counts["children.csv"] == CHILDREN


def test_same_seed_same_bytes_other_seed_other_data(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "CHUNK", 700)       # three chunks

    def digests(folder):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    said = []
    first = generate_extract(tmp_path / "first", children=2000, seed=3, progress=said.append)
    again = generate_extract(tmp_path / "again", children=2000, seed=3)
    generate_extract(tmp_path / "other", children=2000, seed=4)
    made = digests(tmp_path / "first")
    assert first == again and made == digests(tmp_path / "again")
    assert {name for name, digest in digests(tmp_path / "other").items() if digest != made[name]} == set(made)
    assert len(made) == 6 and len(said) == 3 and said[-1].startswith("Made 2,000 of 2,000")


def test_values_are_spelt_as_the_spec_says(sql):
    def among(words):
        return "(" + ", ".join(f"'{w}'" for w in words) + ")"
    date_pattern = r"^\d{4}-\d{2}-\d{2}$"
    bad = {
        "required child": """SELECT count(*) FROM raw_children WHERE child_id IS NULL OR date_of_birth IS NULL
            OR sex IS NULL OR ethnicity_group IS NULL OR yjs IS NULL""",
        "required offence": """SELECT count(*) FROM raw_offences WHERE offence_id IS NULL OR child_id IS NULL
            OR offence_date IS NULL""",
        "required outcome": """SELECT count(*) FROM raw_outcomes WHERE outcome_id IS NULL OR child_id IS NULL
            OR outcome_date IS NULL OR outcome_type IS NULL""",
        "required programme": """SELECT count(*) FROM raw_programmes WHERE programme_id IS NULL OR child_id IS NULL
            OR disposal_type IS NULL OR referral_date IS NULL""",
        "sex": f"SELECT count(*) FROM raw_children WHERE sex NOT IN {among(config.SEXES)}",
        "ethnicity": f"SELECT count(*) FROM raw_children WHERE ethnicity_group NOT IN {among(config.ETHNICITY_GROUPS)}",
        "outcome type": f"SELECT count(*) FROM raw_outcomes WHERE outcome_type NOT IN {among(config.OUTCOME_TYPES)}",
        "disposal type": f"""SELECT count(*) FROM raw_programmes
            WHERE disposal_type NOT IN {among(config.DISPOSAL_TYPES)}""",
        "referral source": f"""SELECT count(*) FROM raw_programmes
            WHERE referral_source NOT IN {among(config.REFERRAL_SOURCES)}""",
        "booleans": """SELECT (SELECT count(*) FROM raw_programmes WHERE completed NOT IN ('true', 'false'))
            + (SELECT count(*) FROM raw_offences WHERE knife_or_offensive_weapon NOT IN ('true', 'false'))""",
        "gravity": "SELECT count(*) FROM raw_offences WHERE gravity NOT IN ('1', '2', '3', '4', '5')",
        "population cells": f"""SELECT count(*) FROM raw_population WHERE NOT regexp_full_match(year, '\\d{{4}}')
            OR age NOT IN ('10', '11', '12', '13', '14', '15', '16', '17')
            OR sex NOT IN {among(config.POPULATION_SEXES)} OR ethnicity_group NOT IN {among(config.ETHNICITY_GROUPS)}
            OR NOT regexp_full_match(population, '\\d+') OR yjs IS NULL OR locality IS NULL""",
    }
    for table, columns in DATES.items():
        for column in columns:
            bad[f"{table}.{column}"] = (f"SELECT count(*) FROM raw_{table} WHERE {column} IS NOT NULL AND (NOT "
                                        f"regexp_full_match({column}, '{date_pattern}') "
                                        f"OR try_strptime({column}, '%Y-%m-%d') IS NULL)")
    found = {rule: value(sql, query) for rule, query in bad.items()}
    assert found == dict.fromkeys(bad, 0)
    # ...and every word of the vocabularies is used, so every page has something to show.
    assert set(sql("SELECT DISTINCT outcome_type FROM outcomes")["outcome_type"]) == set(config.OUTCOME_TYPES)
    assert set(sql("SELECT DISTINCT ethnicity_group FROM children")["ethnicity_group"]) == set(config.ETHNICITY_GROUPS)
    assert value(sql, "SELECT count(DISTINCT gravity) FROM offences") == 5


def test_ids_are_unique_and_every_reference_holds(sql):
    for table, key in (("children", "child_id"), ("offences", "offence_id"), ("outcomes", "outcome_id"),
                       ("programmes", "programme_id")):
        assert value(sql, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == 0, table
    for table in ("offences", "outcomes", "programmes"):
        assert value(sql, f"SELECT count(*) FROM {table} WHERE child_id NOT IN (SELECT child_id FROM children)") == 0
    assert value(sql, """SELECT count(*) FROM outcomes o LEFT JOIN offences f USING (offence_id)
                         WHERE o.offence_id IS NOT NULL AND f.child_id IS DISTINCT FROM o.child_id""") == 0


def test_dates_keep_to_the_rules(sql):
    after_as_of = " + ".join(f"(SELECT count(*) FROM {t} WHERE {c} > DATE '{AS_OF}')"
                             for t, cs in DATES.items() for c in cs)
    assert value(sql, f"SELECT {after_as_of}") == 0
    assert value(sql, "SELECT count(*) FROM programmes WHERE start_date < referral_date") == 0
    assert value(sql, "SELECT count(*) FROM programmes WHERE end_date < start_date") == 0
    assert value(sql, "SELECT count(*) FROM programmes WHERE end_date IS NOT NULL AND start_date IS NULL") == 0
    assert value(sql, "SELECT count(*) FROM outcomes JOIN offences USING (offence_id) "
                      "WHERE outcome_date < offence_date") == 0


def test_children_are_10_to_17_at_their_offences(sql):
    ages = sql(f"SELECT {AGE.format(d='offence_date')} AS age FROM offences JOIN children USING (child_id)")["age"]
    assert ages.min() == 10 and ages.max() <= 18
    assert (ages == 18).mean() < 0.06            # a few, followed up after a programme
    assert ages.between(14, 17).mean() > 0.6


def test_services_are_fictional_with_localities_and_populations(sql):
    published = set(pd.read_csv(config.PUBLIC_DATA_DIR / "yjs_areas.csv")["yjs"].str.lower())
    sizes = sql("SELECT yjs, count(*) AS n, count(DISTINCT locality) AS localities FROM children GROUP BY yjs")
    assert len(sizes) == 5 and not set(sizes["yjs"].str.lower()) & published
    assert sizes["localities"].between(3, 5).all() and sizes["n"].max() > 1.5 * sizes["n"].min()
    cells = sql("SELECT yjs, locality, count(DISTINCT year) AS years, min(year) AS first, max(year) AS last, "
                "count(*) AS n FROM raw_population GROUP BY ALL")
    assert (cells["years"] == 12).all() and (cells["first"] == "2014").all() and (cells["last"] == "2025").all()
    assert (cells["n"] == 12 * 8 * 2 * 5).all()     # every year, age, sex and census group
    assert value(sql, """SELECT count(*) FROM (SELECT DISTINCT yjs, locality FROM children WHERE locality IS NOT NULL)
                         WHERE (yjs, locality) NOT IN (SELECT (yjs, locality) FROM raw_population)""") == 0


def test_first_time_entrants_are_a_few_hundred_per_100000_and_falling(sql):
    rates = sql(f"""
        WITH entry AS (SELECT child_id, min(outcome_date) AS day FROM outcomes JOIN tiers USING (outcome_type)
                       WHERE tier IN {tuple(config.SUBSTANTIVE_TIERS)} GROUP BY child_id),
        population AS (SELECT year::INT AS year, sum(population::INT) AS population FROM raw_population GROUP BY 1)
        SELECT {FINANCIAL_YEAR.format(d='day')} AS year, count(*) / any_value(population) * 100000 AS rate
        FROM entry JOIN population ON population.year = {FINANCIAL_YEAR.format(d='day')} GROUP BY 1""")
    rate = rates.set_index("year")["rate"]
    assert 250 < rate[2016] < 700 and rate[2023] < 0.7 * rate[2016]
    assert rate[2015] > rate[2016]               # the first year is complete, not ramping up


def test_diversion_grows_and_court_falls_after_2020(sql):
    by_year = sql(f"""SELECT {FINANCIAL_YEAR.format(d='outcome_date')} AS year, tier, count(*) AS n
                      FROM outcomes JOIN tiers USING (outcome_type) GROUP BY ALL""")
    by_year = by_year.pivot(index="year", columns="tier", values="n").fillna(0)
    share = by_year["Diversion"] / by_year.sum(axis=1)
    assert share.loc[2021:2024].mean() > share.loc[2016:2019].mean() + 0.1
    court = by_year[["First-tier", "Community", "Custody"]].sum(axis=1)
    assert court[2024] < 0.7 * court[2016] and court[2015] > 0.9 * court[2016]


def test_black_and_mixed_children_are_over_represented_in_custody(sql):
    """Against the population, and against the children dealt with: the later stage adds to it."""
    rates = sql("""
        WITH dealt AS (SELECT * FROM children JOIN (
            SELECT child_id, max(outcome_type IN (SELECT outcome_type FROM tiers WHERE tier = 'Custody')) AS custody
            FROM outcomes WHERE outcome_date BETWEEN '2016-04-01' AND '2024-03-31' GROUP BY 1) USING (child_id)),
        population AS (SELECT ethnicity_group, sum(population::INT) / 8 AS population FROM raw_population
                       WHERE year BETWEEN '2016' AND '2023' GROUP BY 1)
        SELECT ethnicity_group, sum(custody::INT) / any_value(population) AS per_head,
               avg(custody::INT) AS per_child_dealt_with
        FROM dealt JOIN population USING (ethnicity_group) GROUP BY 1""").set_index("ethnicity_group")
    assert rates.loc["Black", "per_head"] > 2 * rates.loc["White", "per_head"]
    assert rates.loc["Mixed", "per_head"] > 1.2 * rates.loc["White", "per_head"]
    assert rates.loc["Black", "per_child_dealt_with"] > 1.4 * rates.loc["White", "per_child_dealt_with"]


def test_a_third_reoffend_within_a_year_of_a_programme_most_early(sql):
    """Ended programmes followed for a full year: the share with an offence in the year after the end."""
    shares = sql(f"""
        WITH followed AS (SELECT programme_id, child_id, end_date FROM programmes
                          WHERE end_date + INTERVAL 12 MONTH <= DATE '{AS_OF}'),
        first_after AS (SELECT programme_id, end_date, min(offence_date) AS day
                        FROM followed LEFT JOIN offences ON offences.child_id = followed.child_id
                        AND offence_date > end_date GROUP BY ALL)
        SELECT avg(coalesce(day <= end_date + INTERVAL 12 MONTH, false)::INT) AS year,
               avg(coalesce(day <= end_date + INTERVAL 3 MONTH, false)::INT) AS quarter FROM first_after""")
    year, quarter = shares.iloc[0]
    assert 0.2 < year < 0.45 and quarter > year / 2


def test_the_mix_looks_like_youth_justice(sql):
    sexes = sql("SELECT sex, count(*) AS n FROM offences JOIN children USING (child_id) GROUP BY sex")
    assert sexes.set_index("sex")["n"]["male"] / sexes["n"].sum() > 0.75
    assert 0.05 < value(sql, "SELECT avg((knife_or_offensive_weapon = 'true')::INT) FROM offences") < 0.10
    assert value(sql, "SELECT count(DISTINCT category) FROM offences") >= 8
    assert value(sql, """SELECT count(*) FROM programmes WHERE disposal_type = 'PREVENTION'
                         AND child_id NOT IN (SELECT child_id FROM offences)""") > 0.05 * CHILDREN
    named = set(sql("SELECT DISTINCT programme_name FROM programmes")["programme_name"].dropna())
    assert {"Knife crime awareness group", "Turnaround", "Mentoring"} <= named
    first_turnaround = value(sql, "SELECT min(referral_date) FROM programmes WHERE programme_name = 'Turnaround'")
    assert first_turnaround >= pd.Timestamp("2022-12-01")
    assert value(sql, "SELECT count(DISTINCT referral_source) FROM programmes") == len(config.REFERRAL_SOURCES)


def test_gaps_open_cases_and_censoring_are_there_in_small_shares(sql):
    programmes = sql(f"""SELECT avg((start_date IS NOT NULL AND end_date IS NULL)::INT) AS open,
        avg((start_date IS NULL)::INT) AS not_started,
        avg((end_date + INTERVAL 12 MONTH > DATE '{AS_OF}')::INT) AS censored,
        avg((referral_source IS NULL)::INT) AS no_source FROM programmes""").iloc[0]
    assert 0 < programmes["open"] < 0.1 and 0 < programmes["not_started"] < 0.1
    assert 0.02 < programmes["censored"] < 0.2 and 0 < programmes["no_source"] < 0.1
    children = sql("""SELECT avg((locality IS NULL)::INT) AS no_locality, avg((sex = 'unknown')::INT) AS sex,
        avg((ethnicity_group = 'Unknown')::INT) AS ethnicity FROM children""").iloc[0]
    assert 0.01 < children["no_locality"] < 0.1 and 0 < children["sex"] < 0.02 and 0.01 < children["ethnicity"] < 0.06
    assert 0.01 < value(sql, "SELECT avg((offence_id IS NULL)::INT) FROM outcomes") < 0.06
