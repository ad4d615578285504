"""The pattern most Dash apps use, for comparison: tables loaded into pandas once, then filtered and
grouped in Python on every request. Same measures, same answers (checked), no SQL on the hot path."""

from __future__ import annotations

import pandas as pd

from dashboard.db import Database
from dashboard.filters import Resolved


class PandasMeasures:
    def __init__(self, db: Database):
        self.fte = db.query("SELECT * FROM first_time_entry")
        self.programmes = db.query("SELECT * FROM programme_fact")
        self.population = db.query("SELECT * FROM population")

    @staticmethod
    def _between(frame: pd.DataFrame, column: str, resolved: Resolved) -> pd.DataFrame:
        dates = pd.to_datetime(frame[column])
        return frame[(dates >= pd.Timestamp(resolved.start)) & (dates <= pd.Timestamp(resolved.end))]

    def first_time_entrants(self, resolved: Resolved) -> pd.DataFrame:
        f = resolved.filters
        rows = self._between(self.fte, "outcome_date", resolved)
        for name in ("yjs", "sex", "ethnicity_group", "age_band", "locality"):
            if getattr(f, name):
                rows = rows[rows[name] == getattr(f, name)]
        counts = rows.groupby(["fy", "yjs"]).agg(fte=("child_id", "size"), knife=("knife_or_weapon", "sum"))
        population = self.population[self.population["age"].between(10, 17)]
        for name in ("yjs", "sex", "ethnicity_group", "locality"):
            if getattr(f, name):
                population = population[population[name] == getattr(f, name)]
        denominators = population.groupby(["year", "yjs"])["population"].sum()
        denominators.index.names = ["fy", "yjs"]
        table = counts.join(denominators, how="left")
        table["rate_per_100000"] = table["fte"] / table["population"] * 100_000
        return table.reset_index()

    def disposals(self, resolved: Resolved) -> pd.DataFrame:
        rows = self._between(self.programmes.dropna(subset=["start_date"]), "start_date", resolved)
        for name in ("yjs", "sex", "ethnicity_group", "locality"):
            if getattr(resolved.filters, name):
                rows = rows[rows[name] == getattr(resolved.filters, name)]
        return rows.groupby(["start_fy", "disposal_type", "tier"]).size().rename("count").reset_index()

    def programme_reoffending(self, resolved: Resolved) -> pd.DataFrame:
        rows = self._between(self.programmes.dropna(subset=["start_date"]), "start_date", resolved)
        for name in ("yjs", "sex", "ethnicity_group", "locality"):
            if getattr(resolved.filters, name):
                rows = rows[rows[name] == getattr(resolved.filters, name)]
        cohort = rows.sort_values(["start_date", "programme_id"]).drop_duplicates(["yjs", "child_id"])
        out = {}
        for window, (risk, offences) in {
            "pre": (None, "offences_pre"),
            "0-3m": ("at_risk_0_3", "offences_0_3"),
            "3-6m": ("at_risk_3_6", "offences_3_6"),
        }.items():
            at_risk = cohort if risk is None else cohort[cohort[risk]]
            out[window] = at_risk.groupby("start_fy").agg(
                children_at_risk=("child_id", "size"), children_offended=(offences, lambda s: (s > 0).sum())
            )
        return pd.concat(out, names=["window"]).reset_index()

    def run(self, metric: str, resolved: Resolved) -> pd.DataFrame:
        return {
            "fte": self.first_time_entrants,
            "disposals": self.disposals,
            "programme-reoffending": self.programme_reoffending,
        }[metric](resolved)
