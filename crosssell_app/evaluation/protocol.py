"""The offline protocol: tune on validation weeks, refit, rank the catalogue for hidden items.

A model is anything with ``fit(matrix, items)`` and ``complete_basket(items, n)``, so peers
written for the benchmark (``bench/peers.py``) run through exactly the same code as ours.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .resources import peak_rss_during
from .metrics import coverage, hit_rate, ndcg, ndcg_gains, paired_difference
from ..recommenders.holdout import Cases
from .splits import basket_matrix, item_index, item_table, leave_one_out, time_split, validation_cut

K = 10


@dataclass
class ModelSpec:
    """A model to evaluate: a factory of fresh instances and the grid it may be tuned on."""

    name: str
    factory: Callable[..., Any]
    grid: dict[str, list] = field(default_factory=dict)

    def candidates(self, budget: int) -> list[dict[str, Any]]:
        """Return at most ``budget`` parameter combinations of the grid (all of them if fewer)."""
        keys = list(self.grid)
        combos = [dict(zip(keys, values)) for values in itertools.product(*(self.grid[k] for k in keys))]
        return combos[:budget] if combos else [{}]


def rank_cases(model: Any, cases: Cases, k: int = K) -> np.ndarray:
    """Return the top-``k`` answers of every case, shape ``(len(cases), k)``, padded with -1."""
    ranked = np.full((len(cases), k), -1, dtype=np.int64)
    for row, basket in enumerate(cases.baskets):
        ids = np.asarray(model.complete_basket(basket, k)[0])[:k]
        ranked[row, : len(ids)] = ids
    return ranked


def score(model: Any, cases: Cases, n_items: int, k: int = K) -> dict[str, float]:
    """Return HR@k, NDCG@k and catalogue coverage@k of a fitted model on ``cases``."""
    return _metrics(rank_cases(model, cases, k), cases, n_items, k)


def _metrics(ranked: np.ndarray, cases: Cases, n_items: int, k: int) -> dict[str, float]:
    return {
        "hr": hit_rate(ranked, cases.hidden, k),
        "ndcg": ndcg(ranked, cases.hidden, k),
        "coverage": coverage(ranked, n_items, k),
    }


@dataclass
class Fold:
    """One train/test split ready to fit on: matrix, item table and leave-one-out cases."""

    matrix: Any
    items: dict[str, list]
    cases: Cases

    @classmethod
    def from_lines(cls, train: pd.DataFrame, test: pd.DataFrame, seed: int, max_cases: int | None) -> Fold:
        codes = item_index(train)
        return cls(
            matrix=basket_matrix(train, codes),
            items=item_table(train, codes),
            cases=leave_one_out(test, codes, seed=seed, max_cases=max_cases),
        )


def tune(spec: ModelSpec, fold: Fold, budget: int) -> tuple[dict[str, Any], float]:
    """Return the grid point with the best validation NDCG@10 (and that NDCG)."""
    best, best_ndcg = {}, -1.0
    for params in spec.candidates(budget):
        model = spec.factory(**params).fit(fold.matrix, fold.items)
        value = score(model, fold.cases, fold.matrix.shape[1])["ndcg"]
        if value > best_ndcg:
            best, best_ndcg = params, value
    return best, best_ndcg


def folds(
    lines: pd.DataFrame, cut: str | pd.Timestamp, validation_weeks: int, seed: int, max_cases: int | None
) -> tuple[Fold, Fold]:
    """Return ``(validation, final)``: the last ``validation_weeks`` of the weeks before ``cut``
    against the weeks before them, and the weeks from ``cut`` on against all weeks before it."""
    train, test = time_split(lines, cut)
    tune_train, tune_valid = time_split(train, validation_cut(train, validation_weeks))
    return Fold.from_lines(tune_train, tune_valid, seed, max_cases), Fold.from_lines(train, test, seed, max_cases)


def evaluate(
    lines: pd.DataFrame,
    cut: str | pd.Timestamp,
    specs: list[ModelSpec],
    validation_weeks: int = 4,
    budget: int = 4,
    max_cases: int | None = None,
    seed: int = 0,
    log: Callable[[str], None] = lambda message: None,
) -> pd.DataFrame:
    """Run the whole protocol and return one row per model.

    Steps: split at ``cut`` (test = orders from ``cut`` on); cut the last ``validation_weeks``
    of the training weeks off as validation; for each model try at most ``budget`` grid points
    on the validation fold; refit the best on all training weeks; hide one item per test basket
    and rank the catalogue with the rest. Columns: ``model, params, val_ndcg, hr, ndcg,
    coverage, fit_s, peak_mb`` and ``ndcg_cases`` (each test case's NDCG@10, in the same case
    order for every model, for :func:`compare`).
    """
    validation, final = folds(lines, cut, validation_weeks, seed, max_cases)
    log(f"train {final.matrix.shape}, test cases {len(final.cases)}, validation cases {len(validation.cases)}")
    rows = []
    for spec in specs:
        params, val_ndcg = tune(spec, validation, budget) if spec.grid else ({}, float("nan"))
        fresh = spec.factory(**params)
        model, seconds, peak = peak_rss_during(partial(fresh.fit, final.matrix, final.items))
        ranked = rank_cases(model, final.cases)
        metrics = _metrics(ranked, final.cases, final.matrix.shape[1], K)
        rows.append(
            {
                "model": spec.name,
                "params": params,
                "val_ndcg": val_ndcg,
                **metrics,
                "fit_s": seconds,
                "peak_mb": peak,
                "ndcg_cases": ndcg_gains(ranked, final.cases.hidden, K),
            }
        )
        log(f"{spec.name}: {rows[-1]}")
    return pd.DataFrame(rows)


def compare(table: pd.DataFrame, model: str, peers: list[str], target: float = 1.10) -> dict[str, Any]:
    """Compare ``model`` with the best of ``peers`` (by test NDCG@10) in a table of :func:`evaluate`.

    Returns ``peer``, both NDCGs, their ``ratio``, the paired ``difference`` with its standard
    error ``se`` (same test cases), and ``needed``: the difference a ``target`` ratio asks for.
    """
    rows = table.set_index("model")
    best = rows.loc[[p for p in peers if p in rows.index], "ndcg"].idxmax()
    ours, theirs = rows.at[model, "ndcg"], rows.at[best, "ndcg"]
    difference, se = paired_difference(rows.at[model, "ndcg_cases"], rows.at[best, "ndcg_cases"])
    return {
        "model": model,
        "peer": best,
        "ndcg": ours,
        "peer_ndcg": theirs,
        "ratio": ours / theirs if theirs else float("nan"),
        "difference": difference,
        "se": se,
        "target": target,
        "needed": (target - 1.0) * theirs,
    }


def to_markdown(table: pd.DataFrame) -> str:
    """Format a result table of :func:`evaluate` as a Markdown table."""
    header = "| model | HR@10 | NDCG@10 | coverage@10 | fit s | peak RSS MB | tuned params (val NDCG) |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        tuned = f"{row.params} ({row.val_ndcg:.4f})" if row.params else "defaults"
        lines.append(
            f"| {row.model} | {row.hr:.4f} | {row.ndcg:.4f} | {row.coverage:.4f} | "
            f"{row.fit_s:.2f} | {row.peak_mb:.0f} | {tuned} |"
        )
    return "\n".join(lines)
