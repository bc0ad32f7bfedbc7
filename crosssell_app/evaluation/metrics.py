"""Ranking metrics for leave-one-out basket completion (one hidden item per case)."""

from __future__ import annotations

import numpy as np


def _hidden_rank(ranked: np.ndarray, hidden: np.ndarray, k: int) -> np.ndarray:
    """Return the 0-based position of each hidden item in its top-``k`` row, or -1 if absent."""
    ranked = np.asarray(ranked)[:, :k]
    hits = ranked == np.asarray(hidden)[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1), -1)


def hit_rate(ranked: np.ndarray, hidden: np.ndarray, k: int = 10) -> float:
    """Share of cases whose hidden item is among the first ``k`` recommendations (HR@k)."""
    if len(hidden) == 0:
        return float("nan")
    return float(np.mean(_hidden_rank(ranked, hidden, k) >= 0))


def ndcg_gains(ranked: np.ndarray, hidden: np.ndarray, k: int = 10) -> np.ndarray:
    """Return each case's NDCG@k: ``1 / log2(position + 2)`` when the hidden item is found, else 0.

    Kept per case so that two models scored on the same cases can be compared pair by pair
    (:func:`paired_difference`): their difference varies far less than either model's gains.
    """
    rank = _hidden_rank(ranked, hidden, k)
    return np.where(rank >= 0, 1.0 / np.log2(np.maximum(rank, 0) + 2.0), 0.0)


def ndcg(ranked: np.ndarray, hidden: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k with one relevant item per case (the mean of :func:`ndcg_gains`).

    With a single relevant item the ideal DCG is 1, so no normalisation is left to do
    (Järvelin & Kekäläinen 2002).
    """
    if len(hidden) == 0:
        return float("nan")
    return float(ndcg_gains(ranked, hidden, k).mean())


def paired_difference(gains: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """Return the mean of ``gains - other`` over the same cases and its standard error.

    The standard error is that of a paired comparison (standard deviation of the differences
    over the square root of the number of cases), the right yardstick when both models were
    scored on the same hidden items.
    """
    differences = np.asarray(gains, dtype=np.float64) - np.asarray(other, dtype=np.float64)
    if len(differences) < 2:
        return float(differences.mean()) if len(differences) else float("nan"), float("nan")
    return float(differences.mean()), float(differences.std(ddof=1) / np.sqrt(len(differences)))


def coverage(ranked: np.ndarray, n_items: int, k: int = 10) -> float:
    """Catalogue coverage@k: share of the ``n_items`` catalogue shown in at least one top-``k`` list.

    Padding (``-1``) does not count.
    """
    if n_items <= 0:
        return float("nan")
    shown = np.unique(np.asarray(ranked)[:, :k])
    return float(np.count_nonzero(shown >= 0) / n_items)
