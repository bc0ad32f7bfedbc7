"""The customer-aware protocol: complete a known customer's basket, given their earlier baskets.

The same family as :mod:`.protocol` (tune on a validation split, refit, hide one item per test
basket, rank the catalogue with the rest), with two differences: a case's customer must be known
in training, and the model gets the customer's earlier baskets as ``history``
(``complete_basket(basket, k, history=...)``) and every training row's customer in ``fit``.

Two ways to cut a shop in time, one fold type:

* :func:`time_fold` for a shop with dates (Online Retail): the orders before a cut are fitted;
  each later order of a customer who has an earlier order is a case, its history every earlier
  order of that customer (training weeks and earlier test-week orders alike: the shop knows
  them when the basket is filled).
* :func:`sequence_fold` for a shop of basket sequences without dates (Ta-Feng): each customer's
  last basket is the case, every earlier basket is fitted and is the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..recommenders.base import binary_matrix
from ..recommenders.repeat import HistoryCases, history_cases
from .metrics import coverage, hit_rate, ndcg, ndcg_gains, paired_difference
from .protocol import K, ModelSpec
from .resources import peak_rss_during
from .splits import basket_matrix, item_index, item_table, order_customers


@dataclass
class HistoryFold:
    """Rows to fit (time order, each with its customer), the item table and the cases."""

    matrix: sp.csr_matrix
    customers: np.ndarray
    items: dict[str, list] | None
    cases: HistoryCases


def time_fold(train: pd.DataFrame, test: pd.DataFrame, seed: int = 0, max_cases: int | None = None) -> HistoryFold:
    """Return the fold of a time split: fit on ``train``'s orders, cases from ``test``'s known customers.

    Items are the codes sold in ``train``; unknown codes are dropped from baskets and histories.
    """
    codes = item_index(train)
    both = pd.concat([train, test], ignore_index=True)
    matrix = basket_matrix(both, codes)
    customers, _ = order_customers(both, codes)
    known = both.loc[codes.get_indexer(both["code"]) >= 0]
    first = known.groupby("order_id")["date"].min().sort_values(kind="stable")
    fitted = np.asarray(first.index.isin(pd.Index(train["order_id"].unique())))
    known_customers = np.unique(customers[fitted & (customers >= 0)])
    rows = np.flatnonzero(~fitted & np.isin(customers, known_customers))  # customers known in training
    cases = history_cases(matrix, customers, rows, seed=seed, max_cases=max_cases)
    return HistoryFold(matrix[fitted], customers[fitted], item_table(train, codes), cases)


def sequence_fold(sequences: dict[Any, list[list[int]]], seed: int = 0, max_cases: int | None = None) -> HistoryFold:
    """Return the fold whose cases are each customer's last basket of ``sequences`` (oldest first).

    Every earlier basket is a training row; rows are ordered by their distance from the
    customer's last basket (furthest first), the nearest a shop without dates comes to time
    order, so a model's own hold-out of its newest rows holds out customers' latest baskets.
    Item ids are used as column indices; an item no training row holds is dropped from cases.
    """
    order, owners, baskets = [], [], []
    for customer, (key, sequence) in enumerate(sequences.items()):
        for position, basket in enumerate(sequence):
            order.append((-(len(sequence) - 1 - position), customer))
            owners.append(customer)
            baskets.append(basket)
    ranking = sorted(range(len(order)), key=lambda i: order[i])
    owners_sorted = np.asarray([owners[i] for i in ranking], dtype=np.int64)
    lengths = [len(baskets[i]) for i in ranking]
    cols = np.concatenate([np.asarray(baskets[i], dtype=np.int64) for i in ranking]) if ranking else np.empty(0, int)
    n_items = int(cols.max()) + 1 if len(cols) else 0
    matrix = binary_matrix(np.repeat(np.arange(len(ranking)), lengths), cols, (len(ranking), n_items))
    is_last = np.asarray([order[i][0] == 0 for i in ranking])
    fitted = matrix[~is_last]
    known = np.diff(sp.csc_matrix(fitted).indptr) > 0
    cases = history_cases(matrix, owners_sorted, np.flatnonzero(is_last), seed=seed, max_cases=max_cases, known=known)
    return HistoryFold(fitted, owners_sorted[~is_last], None, cases)


def rank_history_cases(model: Any, cases: HistoryCases, k: int = K, history: bool = True) -> np.ndarray:
    """Return every case's top-``k`` answer, shape ``(len(cases), k)`` padded with -1."""
    ranked = np.full((len(cases), k), -1, dtype=np.int64)
    for row, (basket, earlier) in enumerate(zip(cases.baskets, cases.histories)):
        ids = np.asarray(model.complete_basket(basket, k, history=earlier if history else None)[0])[:k]
        ranked[row, : len(ids)] = ids
    return ranked


@dataclass
class HistorySpec(ModelSpec):
    """A model of the customer-aware comparison; ``without_history`` also scores it with ``history=None``."""

    without_history: str | None = None


def tune(spec: ModelSpec, fold: HistoryFold, budget: int) -> tuple[dict[str, Any], float]:
    """Return the grid point with the best validation NDCG@10 (with the history) and that NDCG."""
    best, best_ndcg = {}, -1.0
    for params in spec.candidates(budget):
        model = spec.factory(**params).fit(fold.matrix, fold.items, customers=fold.customers)
        value = ndcg(rank_history_cases(model, fold.cases), fold.cases.hidden, K)
        if value > best_ndcg:
            best, best_ndcg = params, value
    return best, best_ndcg


def evaluate_history(
    validation: HistoryFold,
    final: HistoryFold,
    specs: list[HistorySpec],
    budget: int = 4,
    log: Callable[[str], None] = lambda message: None,
) -> pd.DataFrame:
    """Tune each model on ``validation``, refit on ``final``'s rows and score its cases.

    Columns as :func:`.protocol.evaluate`'s: ``model, params, val_ndcg, hr, ndcg, coverage,
    fit_s, peak_mb, ndcg_cases`` (one NDCG@10 per case, same case order for every model, for
    :func:`.protocol.compare`). A spec with ``without_history`` adds a row of that name: the same
    fitted model answering with ``history=None``.
    """
    n_items = final.matrix.shape[1]
    rows = []
    for spec in specs:
        params, val_ndcg = tune(spec, validation, budget) if spec.grid else ({}, float("nan"))
        fresh = spec.factory(**params)
        model, seconds, peak = peak_rss_during(partial(fresh.fit, final.matrix, final.items, customers=final.customers))
        answers = [(spec.name, True)] + ([(spec.without_history, False)] if spec.without_history else [])
        for name, history in answers:
            ranked = rank_history_cases(model, final.cases, K, history=history)
            rows.append({
                "model": name, "params": params, "val_ndcg": val_ndcg,
                "hr": hit_rate(ranked, final.cases.hidden, K), "ndcg": ndcg(ranked, final.cases.hidden, K),
                "coverage": coverage(ranked, n_items, K), "fit_s": seconds, "peak_mb": peak,
                "ndcg_cases": ndcg_gains(ranked, final.cases.hidden, K),
            })
            log(f"{name}: ndcg {rows[-1]['ndcg']:.4f} hr {rows[-1]['hr']:.4f} params {params} fit {seconds:.1f}s")
    return pd.DataFrame(rows)


def paired(table: pd.DataFrame, model: str, other: str) -> dict[str, float]:
    """Return ``model``'s and ``other``'s NDCG@10, their ratio and the paired difference with its error."""
    rows = table.set_index("model")
    difference, se = paired_difference(rows.at[model, "ndcg_cases"], rows.at[other, "ndcg_cases"])
    ours, theirs = rows.at[model, "ndcg"], rows.at[other, "ndcg"]
    return {"ndcg": ours, "other_ndcg": theirs, "ratio": ours / theirs if theirs else float("nan"),
            "difference": difference, "se": se}
