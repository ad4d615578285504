"""How long ``disclosure.protect`` takes on lattices of 10,000, 100,000 and 1,000,000 cells.

    python -m benchmarks.disclosure [--sizes 10000,100000,1000000] [--repeat 3] [--out FILE]

Each lattice has the shape the web gives one measure: financial years (fixed), and cells by quarter
and area (the page's breakdown) crossed with one group filter at a time, sex, ethnic group, age
(age -> age band -> ALL) or disposal (type -> tier -> ALL), every margin included: 6 dimensions.
The counts are those of synthetic children (areas of very different sizes, so many small cells). The
number of areas is chosen to give the size asked for. Prints a Markdown table: the whole of
``protect``, and its three parts: indexing the lattice, the single-line rule, and closing (linear
programmes, so that no withheld cell can be worked out from the lines together).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.disclosure import ALL, CLOSING_LIMIT, Dimension, _close, _groups, _index, _settle, protect

YEARS = 5
SEXES = np.array(["male", "female", "unknown"], dtype=object)
SEX_SHARES = [0.78, 0.2, 0.02]
ETHNIC_GROUPS = np.array(["White", "Mixed", "Asian", "Black", "Other", "Unknown"], dtype=object)
ETHNIC_SHARES = [0.7, 0.07, 0.08, 0.08, 0.03, 0.04]
AGES = np.arange(10, 18)
BANDS = {age: "10-14" if age <= 14 else "15-17" for age in AGES.tolist()}
DISPOSALS = {f"TYPE_{i:02d}": f"Tier {i % 5 + 1}" for i in range(16)}
DISPOSAL_SHARES = np.r_[np.full(8, 0.09), np.full(8, 0.035)]
#: Children per area and year: a few large areas, many small ones.
MEDIAN_CHILDREN = 120

DIMENSIONS = [
    Dimension("quarter"),
    Dimension("area"),
    Dimension("sex"),
    Dimension("ethnicity"),
    Dimension("age", BANDS),
    Dimension("disposal", DISPOSALS),
]
BREAKDOWN = ("quarter", "area")
FILTERS = ("sex", "ethnicity", "age", "disposal")


def children(areas: int, seed: int) -> dict[str, np.ndarray]:
    """Synthetic children (one row each) as arrays of values."""
    rng = np.random.default_rng(seed)
    per_area = np.maximum(1, rng.lognormal(np.log(MEDIAN_CHILDREN), 1.0, (YEARS, areas)).astype(np.int64))
    year = np.repeat(np.repeat(np.arange(YEARS), areas), per_area.ravel())
    area = np.repeat(np.tile(np.arange(areas), YEARS), per_area.ravel())
    n = len(year)
    disposal = rng.choice(len(DISPOSALS), n, p=DISPOSAL_SHARES / DISPOSAL_SHARES.sum())
    return {
        "year": year,
        "quarter": rng.integers(1, 5, n),
        "area": area,
        "sex": rng.choice(len(SEXES), n, p=SEX_SHARES),
        "ethnicity": rng.choice(len(ETHNIC_GROUPS), n, p=ETHNIC_SHARES),
        "age": rng.choice(AGES, n),
        "disposal": disposal,
    }


def lattice(areas: int, seed: int = 1) -> pd.DataFrame:
    """Every cell a viewer of these children can form with one group filter at a time."""
    rows = children(areas, seed)
    names = np.array([f"Area {i:04d}" for i in range(areas)], dtype=object)
    tiers = np.array(list(DISPOSALS.values()), dtype=object)
    levels = {  # dimension -> its levels, coarsest first: (codes, number of codes, value of each code)
        "quarter": [(rows["quarter"], 5, np.arange(5, dtype=object))],
        "area": [(rows["area"], areas, names)],
        "sex": [(rows["sex"], len(SEXES), SEXES)],
        "ethnicity": [(rows["ethnicity"], len(ETHNIC_GROUPS), ETHNIC_GROUPS)],
        "age": [
            ((rows["age"] >= 15).astype(np.int64), 2, np.array(["10-14", "15-17"], dtype=object)),
            (rows["age"], 18, np.arange(18, dtype=object)),
        ],
        "disposal": [
            (
                np.array([int(t[-1]) - 1 for t in tiers])[rows["disposal"]],
                5,
                np.array(sorted(set(tiers)), dtype=object),
            ),
            (rows["disposal"], len(DISPOSALS), np.array(list(DISPOSALS), dtype=object)),
        ],
    }
    frames, seen = [], set()
    for group in ([*BREAKDOWN, f] for f in FILTERS):
        for choice in itertools.product(*[range(len(levels[d]) + 1) for d in group]):
            chosen = tuple((d, c) for d, c in zip(group, choice) if c)
            if chosen in seen:
                continue
            seen.add(chosen)
            key, spans = rows["year"].copy(), []
            for d, c in chosen:
                codes, span, _ = levels[d][c - 1]
                key = key * span + codes
                spans.append(span)
            found, count = np.unique(key, return_counts=True)
            frame = {"n": count}
            for (d, c), span in zip(reversed(chosen), reversed(spans)):
                frame[d] = levels[d][c - 1][2][found % span]
                found = found // span
            frame["year"] = found
            frames.append(
                pd.DataFrame(
                    {
                        "year": frame["year"],
                        **{
                            d: frame.get(d, np.full(len(count), ALL, dtype=object))
                            for d in [dim.name for dim in DIMENSIONS]
                        },
                        "n": frame["n"],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def areas_for(size: int) -> int:
    """The number of areas whose lattice has about ``size`` cells (cells grow about as the areas do)."""
    areas = 20
    for _ in range(2):
        areas = max(1, round(areas * size / len(lattice(areas))))
    return areas


def timed(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(size: int, repeat: int) -> dict:
    cells = lattice(areas_for(size))
    counts = cells["n"].to_numpy(dtype="float64")
    small = (counts >= 1) & (counts <= 4)
    index = _index(cells, DIMENSIONS, ["year"])
    values = counts[index.rows]
    allowed = np.ones(len(values), dtype=bool)
    settled = _settle(index, values, allowed, small[index.rows])
    closed = _close(index, values, allowed, settled)
    group = _groups(index, np.flatnonzero(settled & (values > 0)))
    return {
        "cells": len(cells),
        "primary": small.mean(),
        "single-line": settled.mean(),
        "withheld": closed.mean(),
        "closed": int(closed.sum() - settled.sum()),
        "largest group": int(np.bincount(group).max()),
        "too large": int((np.bincount(group)[group] > CLOSING_LIMIT).sum()),
        "index": timed(lambda: _index(cells, DIMENSIONS, ["year"]), repeat),
        "settle": timed(lambda: _settle(index, values, allowed, small[index.rows]), repeat),
        "close": timed(lambda: _close(index, values, allowed, settled), repeat),
        "protect": timed(lambda: protect(cells, DIMENSIONS, ["n"], fixed=["year"]), repeat),
    }


def report(results: list[dict]) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    header = [
        "cells",
        "primary",
        "withheld after the single-line rule",
        "withheld in the end",
        "added by closing",
        "largest group",
        "in groups too large to close",
        "index (s)",
        "single-line rule (s)",
        "closing (s)",
        "protect (s)",
    ]
    lines = [
        (
            f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, load average "
            f"{load} at the end (other work on the machine slows every figure), median of the runs."
        ),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---:|" * len(header),
    ]
    for r in results:
        lines.append(
            f"| {r['cells']:,} | {r['primary']:.1%} | {r['single-line']:.1%} | {r['withheld']:.1%} "
            f"| {r['closed']:,} | {r['largest group']:,} | {r['too large']:,} | {r['index']:.3f} "
            f"| {r['settle']:.3f} | {r['close']:.3f} | {r['protect']:.3f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.disclosure", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        results.append(measure(size, args.repeat))
        print(f"{results[-1]['cells']:,} cells measured", file=sys.stderr)
    table = report(results)
    print(table)
    if args.out:
        args.out.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
