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


def ndcg(ranked: np.ndarray, hidden: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k with one relevant item per case: ``1 / log2(position + 2)`` when found, else 0.

    With a single relevant item the ideal DCG is 1, so no normalisation is left to do
    (Järvelin & Kekäläinen 2002).
    """
    if len(hidden) == 0:
        return float("nan")
    rank = _hidden_rank(ranked, hidden, k)
    gains = np.where(rank >= 0, 1.0 / np.log2(np.maximum(rank, 0) + 2.0), 0.0)
    return float(gains.mean())


def coverage(ranked: np.ndarray, n_items: int, k: int = 10) -> float:
    """Catalogue coverage@k: share of the ``n_items`` catalogue shown in at least one top-``k`` list.

    Padding (``-1``) does not count.
    """
    if n_items <= 0:
        return float("nan")
    shown = np.unique(np.asarray(ranked)[:, :k])
    return float(np.count_nonzero(shown >= 0) / n_items)
