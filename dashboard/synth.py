"""Seeded synthetic extracts of fictional Youth Justice Services, for the demo and the tests.

Nothing here is real: the services, places and children are invented. The numbers are shaped to
look like published youth justice data so the pages tell a story (docs/synthetic-data.md gives the
assumptions): first-time entrants of a few hundred per 100,000 children aged 10-17, falling to 2020;
the shift from court to diversion since 2020; prevention work; Black and Mixed children
over-represented at later stages; about a third reoffending within 12 months of a programme, most
of them early; open cases and follow-up cut short by the extract date.

Children are made in chunks with numpy and appended to the CSV files, so a million children take
a few minutes in bounded memory. The same seed and size give byte-identical files.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import config

CHUNK = 100_000
FIRST_DAY = np.datetime64("2015-04-01")

#: Fictional services: region, share of the children, localities, share of each ethnic group in
#: the 10-17 population (White, Mixed, Asian, Black, Other, Unknown).
SERVICES = {
    "Northvale": ("North West", 0.30, ("Central", "East", "West", "Riverside"), (0.82, 0.04, 0.07, 0.03, 0.02, 0.02)),
    "Ashby Vale": ("East Midlands", 0.20, ("North", "South", "Town Centre"), (0.78, 0.05, 0.10, 0.04, 0.02, 0.01)),
    "Kingsmere": ("London", 0.25, ("Kingsmere North", "Kingsmere South", "Docklands"),
                  (0.45, 0.09, 0.18, 0.20, 0.06, 0.02)),
    "Harrowfield": ("Yorkshire", 0.15, ("Harrow", "Fieldgate", "Moorside"), (0.80, 0.04, 0.11, 0.02, 0.02, 0.01)),
    "Cwm Arian": ("Wales", 0.10, ("Upper Valley", "Lower Valley", "Coast"), (0.92, 0.03, 0.02, 0.01, 0.01, 0.01)),
}
#: How much more often each group comes into contact than its population share, and how much more
#: likely its children are to get a court or custody outcome: the disproportionality to find.
CONTACT_RATIO = np.array([1.0, 1.7, 0.7, 2.4, 1.0, 1.0])
LATER_STAGE_RATIO = np.array([1.0, 1.5, 1.0, 1.9, 1.1, 1.0])
#: Population per child in the extract: sized so first-time entrants come to a few hundred per 100,000.
POPULATION_PER_CHILD = 18
AGE_AT_CONTACT = np.array([0.03, 0.05, 0.08, 0.12, 0.16, 0.19, 0.19, 0.18])   # ages 10..17
PROGRAMME_NAMES = np.array(["Knife crime awareness group", "Turnaround", "Mentoring", "Family support",
                            "Education, training and employment", "Restorative justice"])
OFFENCE_CATEGORIES = np.array(["Violence against the person", "Theft and handling stolen goods",
                               "Criminal damage", "Drug offences", "Public order offences",
                               "Motoring offences", "Robbery", "Possession of weapons"])
#: Substantive outcomes by tier: type, share within the tier, programme length in days (low, high).
SUBSTANTIVE = {
    "Pre-court": [("YOUTH_CAUTION", 0.5, (60, 120)), ("YOUTH_CONDITIONAL_CAUTION", 0.5, (90, 180))],
    "First-tier": [("REFERRAL_ORDER", 0.75, (180, 365)), ("FINE", 0.05, (1, 30)),
                   ("CONDITIONAL_DISCHARGE", 0.1, (1, 30)), ("REPARATION_ORDER", 0.1, (60, 120))],
    "Community": [("YOUTH_REHABILITATION_ORDER", 1.0, (180, 730))],
    "Custody": [("DETENTION_AND_TRAINING_ORDER", 0.85, (120, 720)), ("SECTION_250", 0.15, (365, 1095))],
}
TIER_SHARE = np.array([0.45, 0.33, 0.16, 0.06])       # Pre-court, First-tier, Community, Custody


def _days(dates: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(dates, unit="D")


def _pick(rng, choices, p, size):
    return rng.choice(len(choices), size=size, p=np.asarray(p) / np.sum(p))


def _year_weight(years: np.ndarray) -> np.ndarray:
    """Contacts fall about 8% a year to 2020-21, then level off: the national trend."""
    return np.where(years < 2020, 0.92 ** (years - 2015), 0.92 ** 5)


class _Writer:
    """Appends chunks to the extract's CSV files, header once."""

    def __init__(self, folder: Path):
        self.folder, self.started, self.counts = folder, set(), {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(self.folder / name, mode="a" if name in self.started else "w",
                     header=name not in self.started, index=False, lineterminator="\n")
        self.started.add(name)
        self.counts[name] = self.counts.get(name, 0) + len(frame)


def generate_extract(out_dir: Path, children: int = 20_000, seed: int = 1, as_of: date = date(2025, 6, 30),
                     progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write a synthetic extract (extract.json and the five CSV files) and return the row counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    last_day = np.datetime64(as_of)
    (out / "extract.json").write_text(json.dumps({
        "as_of": as_of.isoformat(),
        "description": "Synthetic demonstration data: fictional services and children, made by "
                       f"`python -m dashboard synth` (seed {seed}, {children:,} children). Not real data.",
    }, indent=2) + "\n")
    writer = _Writer(out)
    for first in range(0, children, CHUNK):
        size = min(CHUNK, children - first)
        rng = np.random.default_rng([seed, first])
        for name, frame in _chunk(rng, first, size, last_day).items():
            writer.write(name, frame)
        if progress:
            progress(f"Made {first + size:,} of {children:,} children")
    writer.write("population.csv", _population(np.random.default_rng([seed, children + 1]), children, as_of))
    return writer.counts


def _population(rng, children: int, as_of: date) -> pd.DataFrame:
    """Mid-year 10-17 populations by service, locality, age, sex and ethnic group, growing 1% a year."""
    rows = []
    for yjs, (_, share, localities, groups) in SERVICES.items():
        total = children * POPULATION_PER_CHILD * share
        local_share = rng.dirichlet(np.full(len(localities), 8.0))
        for year in range(2015, as_of.year + 1):
            growth = 1.01 ** (year - 2015)
            for locality, l_share in zip(localities, local_share):
                for age in range(10, 18):
                    for sex, s_share in (("male", 0.512), ("female", 0.488)):
                        for group, g_share in zip(config.ETHNICITY_GROUPS, groups):
                            rows.append((yjs, year, age, sex, group,
                                         int(round(total * growth * l_share / 8 * s_share * g_share)), locality))
    return pd.DataFrame(rows, columns=["yjs", "year", "age", "sex", "ethnicity_group", "population", "locality"])


def _chunk(rng, first: int, n: int, last_day: np.datetime64) -> dict[str, pd.DataFrame]:
    """``n`` children with their offences, outcomes and programmes."""
    names = list(SERVICES)
    service = _pick(rng, names, [SERVICES[s][1] for s in names], n)
    group_mix = np.array([np.array(SERVICES[s][3]) * CONTACT_RATIO for s in names])
    group = _pick_rows(rng, group_mix[service])
    sex = _pick(rng, config.SEXES, [0.8, 0.19, 0.01], n)
    span = int((last_day - FIRST_DAY).astype(int)) - 20
    day = np.arange(span)
    years = (FIRST_DAY + day).astype("datetime64[Y]").astype(int) + 1970
    contact = FIRST_DAY + rng.choice(day, size=n, p=_year_weight(years) / _year_weight(years).sum())
    age = 10 + _pick(rng, range(8), AGE_AT_CONTACT, n)
    born = contact - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]")
    places = [SERVICES[s][2] for s in names]
    place_names = np.array([list(p) + [None] * (5 - len(p)) for p in places], dtype=object)
    place = (rng.random(n) * np.array([len(p) for p in places])[service]).astype(int)
    locality = place_names[service, place]
    locality[rng.random(n) < 0.05] = None
    ids = np.array([f"C{first + i + 1:07d}" for i in range(n)], dtype=object)

    # Pathway: prevention only, diversion, or a substantive outcome; diversion grows after 2020.
    recent = contact >= np.datetime64("2020-04-01")
    path = np.where(rng.random(n) < 0.2, 0, np.where(rng.random(n) < np.where(recent, 0.5, 0.3), 1, 2))
    later = LATER_STAGE_RATIO[group]
    tier_p = np.stack([np.full(n, TIER_SHARE[0]), np.full(n, TIER_SHARE[1]),
                       TIER_SHARE[2] * later * np.where(recent, 0.8, 1.0), TIER_SHARE[3] * later ** 1.5])
    tier_p /= tier_p.sum(axis=0)
    tier = (rng.random(n)[None, :] > np.cumsum(tier_p, axis=0)).sum(axis=0)
    first_type, length = _substantive_types(rng, tier)
    diversion = np.where(rng.random(n) < 0.75, "COMMUNITY_RESOLUTION", "OUTCOME_22")
    first_type = np.where(path == 1, diversion, first_type).astype(object)
    length = np.where(path == 1, rng.integers(60, 120, n), np.where(path == 0, rng.integers(90, 180, n), length))
    first_type[path == 0] = "PREVENTION"

    children = pd.DataFrame({"child_id": ids, "date_of_birth": _days(born), "sex": np.array(config.SEXES)[sex],
                             "ethnicity_group": np.array(config.ETHNICITY_GROUPS)[group], "ethnicity_detail": None,
                             "yjs": np.array(names)[service], "locality": locality})

    # First offence and its outcome (none for prevention); outcome 10-90 days after, if by as_of.
    offends = path > 0
    outcome_day = contact + rng.integers(10, 90, n).astype("timedelta64[D]")
    has_outcome = offends & (outcome_day <= last_day)
    knife = rng.random(n) < np.where(group == 3, 0.11, 0.06)
    offences = [pd.DataFrame({"child_id": ids[offends], "offence_date": contact[offends], "knife": knife[offends],
                              "kind": "first"})]
    outcomes = [pd.DataFrame({"child_id": ids[has_outcome], "outcome_date": outcome_day[has_outcome],
                              "outcome_type": first_type[has_outcome], "kind": "first"})]
    # Some had offended in the year before (no outcome recorded): the "pre" window.
    before = offends & (age >= 11) & (rng.random(n) < 0.3)
    offences.append(pd.DataFrame({"child_id": ids[before], "offence_date": contact[before] - rng.integers(
        30, 330, before.sum()).astype("timedelta64[D]"), "knife": False, "kind": "earlier"}))

    # The programme: referred at the outcome (or contact), started within three weeks, open if not ended.
    referral = np.where(offends, outcome_day, contact)
    programme_made = referral <= last_day
    start = referral + rng.integers(0, 21, n).astype("timedelta64[D]")
    started = programme_made & (start <= last_day) & (rng.random(n) > 0.03)
    end = start + length.astype("timedelta64[D]")
    ended = started & (end <= last_day) & (rng.random(n) > 0.02)
    name = np.where(knife, 0, rng.integers(1, len(PROGRAMME_NAMES), n))
    named = rng.random(n) < np.where(knife, 0.8, 0.35)
    source = _referral_source(rng, first_type, path)
    completed = rng.random(n) < 0.8
    programmes = pd.DataFrame({
        "programme_id": np.array([f"P{first + i + 1:07d}" for i in range(n)], dtype=object),
        "child_id": ids, "disposal_type": first_type, "programme_name": np.where(named, PROGRAMME_NAMES[name], None),
        "referral_date": _days(referral), "referral_source": source, "locality": None,
        "start_date": np.where(started, _days(start), None), "end_date": np.where(ended, _days(end), None),
        "closure_reason": np.where(ended, np.where(completed, "Completed", "Closed early"), None),
        "completed": np.where(ended, np.where(completed, "true", "false"), None),
    })[programme_made]

    # Offending during the programme, and reoffending after it: a third within 12 months, most early.
    during = started & (rng.random(n) < 0.12)
    during_day = start + (rng.random(n) * length).astype("timedelta64[D]")
    during &= during_day <= last_day
    offences.append(pd.DataFrame({"child_id": ids[during], "offence_date": during_day[during], "knife": False,
                                  "kind": "during"}))
    reoffend = ended & (rng.random(n) < np.where(path == 0, 0.15, 0.36) * np.where(group == 3, 1.1, 1.0))
    after = end + (1 + np.minimum(rng.exponential(80, n), 364)).astype("timedelta64[D]")
    reoffend &= after <= last_day
    later_outcome = after + rng.integers(10, 90, n).astype("timedelta64[D]")
    escalated = np.where(tier >= 1, np.minimum(tier + 1, 3), 1)
    later_type, _ = _substantive_types(rng, escalated)
    with_outcome = reoffend & (later_outcome <= last_day) & (rng.random(n) < 0.7)
    offences.append(pd.DataFrame({"child_id": ids[reoffend], "offence_date": after[reoffend],
                                  "knife": knife[reoffend] & (rng.random(reoffend.sum()) < 0.5), "kind": "after"}))
    outcomes.append(pd.DataFrame({"child_id": ids[with_outcome], "outcome_date": later_outcome[with_outcome],
                                  "outcome_type": later_type[with_outcome], "kind": "after"}))
    return {"children.csv": children, **_number(rng, first, offences, outcomes), "programmes.csv": programmes}


def _pick_rows(rng, weights: np.ndarray) -> np.ndarray:
    """One category per row, each row with its own weights."""
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(weights))[:, None] > cumulative).sum(axis=1)


def _substantive_types(rng, tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An outcome type and programme length for each tier index (0 Pre-court ... 3 Custody)."""
    kinds = np.empty(len(tier), dtype=object)
    length = np.zeros(len(tier), dtype=int)
    for index, (_, options) in enumerate(SUBSTANTIVE.items()):
        rows = np.flatnonzero(tier == index)
        choice = _pick(rng, options, [o[1] for o in options], len(rows))
        kinds[rows] = np.array([o[0] for o in options], dtype=object)[choice]
        low = np.array([o[2][0] for o in options])[choice]
        high = np.array([o[2][1] for o in options])[choice]
        length[rows] = rng.integers(low, high + 1)
    return kinds, length


def _referral_source(rng, disposal: np.ndarray, path: np.ndarray) -> np.ndarray:
    court = np.isin(disposal, [t for t, tier in config.OUTCOME_TIERS.items() if tier not in ("Diversion", "Pre-court")])
    prevention = np.array(["SCHOOL", "SOCIAL_CARE", "FAMILY", "POLICE", "HEALTH", "OTHER"], dtype=object)
    source = np.where(court, "COURT", np.where(rng.random(len(path)) < 0.6, "OUT_OF_COURT_PANEL", "POLICE")).astype(object)
    source[path == 0] = prevention[_pick(rng, prevention, [0.35, 0.25, 0.1, 0.15, 0.1, 0.05], int((path == 0).sum()))]
    source[rng.random(len(path)) < 0.05] = None
    return source


def _number(rng, first: int, offences: list[pd.DataFrame], outcomes: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Give offences and outcomes ids, link each outcome to the child's offence just before it."""
    off = pd.concat(offences, ignore_index=True).sort_values(["child_id", "offence_date"], kind="stable")
    off["offence_id"] = [f"F{first + 1:07d}-{i + 1}" for i in range(len(off))]
    off["category"] = OFFENCE_CATEGORIES[rng.integers(0, len(OFFENCE_CATEGORIES), len(off))]
    off.loc[off["knife"].to_numpy(), "category"] = "Possession of weapons"
    off["gravity"] = rng.integers(1, 6, len(off))
    out = pd.concat(outcomes, ignore_index=True).sort_values(["child_id", "outcome_date"], kind="stable")
    linked = pd.merge_asof(out.sort_values("outcome_date"), off[["child_id", "offence_date", "offence_id"]]
                           .sort_values("offence_date"), left_on="outcome_date", right_on="offence_date",
                           by="child_id", direction="backward").sort_values(["child_id", "outcome_date"], kind="stable")
    linked.loc[rng.random(len(linked)) < 0.03, "offence_id"] = None        # a few outcomes with no offence linked
    linked["outcome_id"] = [f"U{first + 1:07d}-{i + 1}" for i in range(len(linked))]
    return {
        "offences.csv": pd.DataFrame({"offence_id": off["offence_id"], "child_id": off["child_id"],
                                      "offence_date": _days(off["offence_date"].to_numpy()),
                                      "category": off["category"], "gravity": off["gravity"],
                                      "knife_or_offensive_weapon": np.where(off["knife"], "true", "false")}),
        "outcomes.csv": pd.DataFrame({"outcome_id": linked["outcome_id"], "child_id": linked["child_id"],
                                      "offence_id": linked["offence_id"],
                                      "outcome_date": _days(linked["outcome_date"].to_numpy()),
                                      "outcome_type": linked["outcome_type"]}),
    }
