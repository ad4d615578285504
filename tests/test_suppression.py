"""The suppression function alone: primary, secondary and dependent cells."""

from __future__ import annotations

import pandas as pd

from dashboard import suppression


def frame(**columns):
    return pd.DataFrame(columns)


def test_counts_one_to_four_are_withheld_zero_and_five_are_not():
    t = frame(n=[0, 1, 4, 5, 100])
    assert suppression.withhold(t, ["n"])["n"].tolist() == [False, True, True, False, False]


def test_a_lone_hidden_cell_in_a_group_takes_the_smallest_other_non_zero_cell_with_it():
    t = frame(period=["a"] * 4 + ["b"] * 3, n=[3, 0, 9, 7, 6, 8, 12])
    mask = suppression.withhold(t, ["n"], margins=[["period"]])
    # group a: 3 hidden; 7 is the smallest non-zero other cell. group b: nothing small.
    assert mask["n"].tolist() == [True, False, False, True, False, False, False]


def test_two_hidden_cells_need_no_secondary():
    t = frame(g=["a"] * 3, n=[2, 3, 50])
    assert suppression.withhold(t, ["n"], margins=[["g"]])["n"].tolist() == [True, True, False]


def test_secondary_cells_ripple_across_margins_until_every_group_is_safe():
    # a 2x2 table with totals by row and by column: hiding one cell must hide a whole rectangle
    t = frame(row=["r1", "r1", "r2", "r2"], col=["c1", "c2", "c1", "c2"], n=[2, 10, 20, 30])
    mask = suppression.withhold(t, ["n"], margins=[["row"], ["col"]])["n"]
    assert mask.tolist() == [True, True, True, True]
    hidden_per_row = mask.groupby(t["row"]).sum()
    hidden_per_col = mask.groupby(t["col"]).sum()
    assert (hidden_per_row != 1).all() and (hidden_per_col != 1).all()


def test_dependents_follow_their_count_and_apply_nulls_them():
    t = frame(n=[2, 10], rate=[0.2, 1.0])
    mask = suppression.withhold(t, ["n"], dependents={"n": ["rate"]})
    out = suppression.apply(t, mask)
    assert pd.isna(out.loc[0, "n"]) and pd.isna(out.loc[0, "rate"])
    assert out.loc[1, "n"] == 10 and out["n"].dtype == "Int64"


def test_rows_not_eligible_are_never_withheld():
    t = frame(kind=["population", "children"], n=[3, 3])
    mask = suppression.withhold(t, ["n"], eligible=t["kind"] == "children")
    assert mask["n"].tolist() == [False, True]
