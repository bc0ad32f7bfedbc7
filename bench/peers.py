"""Peer models for the offline comparison, behind the same fit / complete_basket interface.

Benchmark-only: nothing in ``crosssell_app`` imports this. The implicit models are called
through implicit's own ``recommend`` so they are measured as their users would run them. Like
every recommender they take ``customers`` in ``fit`` and ``history`` in ``complete_basket``, and
ignore both (basket-only peers; the customer-aware ones are in :mod:`crosssell_app.recommenders.repeat`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders.base import (
    Recommender,
    ScoringRecommender,
    as_csr,
    binarize,
    empty_result,
    indicator_matrix,
)
from crosssell_app.recommenders.itemcf import ItemCF


class PairRules(ScoringRecommender):
    """Two-item association rules ``{i} -> {j}`` ranked by confidence (Agrawal & Srikant 1994).

    Computed directly rather than with mlxtend's apriori: for two-item rules apriori's output is
    exactly every pair with support >= ``min_support`` baskets and confidence
    ``c_ij / n_i``; counting pairs with a sparse product gives the same rules without the
    dense one-hot frame. A basket fires every rule whose antecedent it holds and each candidate
    keeps its best confidence (the usual rule-based recommender).
    """

    learned_attributes = ("n_items_", "confidence_")

    def __init__(self, min_support: int = 2, max_rules_per_item: int = 200) -> None:
        self.min_support = min_support
        self.max_rules_per_item = max_rules_per_item

    def fit(self, interactions: sp.spmatrix, items=None, customers=None) -> PairRules:
        cooc = ItemCF(
            similarity="confidence", shrinkage=0.0, min_support=self.min_support, neighbours=self.max_rules_per_item
        ).fit(interactions)
        self.n_items_ = cooc.n_items_
        self.confidence_ = cooc.neighbours_
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        fired = self.confidence_[items].toarray().max(axis=0).astype(np.float64)
        fired[fired <= 0] = -np.inf
        return fired


class ImplicitPeer(Recommender):
    """Adapter running an ``implicit`` model on basket completion.

    Parameters
    ----------
    kind : {"cosine", "bm25", "als"}
        ``CosineRecommender`` / ``BM25Recommender`` (item-kNN) or ``AlternatingLeastSquares``
        (Hu, Koren & Volinsky 2008), the latter folding the basket in with ``recalculate_user``.
    """

    def __init__(
        self,
        kind: str = "cosine",
        K: int = 100,
        K1: float = 1.2,
        B: float = 0.75,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        random_state: int = 0,
    ) -> None:
        self.kind = kind
        self.K = K
        self.K1 = K1
        self.B = B
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def fit(self, interactions: sp.spmatrix, items=None, customers=None) -> ImplicitPeer:
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        if self.kind == "cosine":
            self.model_ = CosineRecommender(K=self.K, num_threads=2)
        elif self.kind == "bm25":
            self.model_ = BM25Recommender(K=self.K, K1=self.K1, B=self.B, num_threads=2)
        else:
            self.model_ = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=2,
            )
        self.model_.fit(matrix, show_progress=False)
        return self

    def complete_basket(self, items, n: int = 10, history=None):
        known = self.known_items(items)
        if known.size == 0:
            return empty_result()
        ids, scores = self.model_.recommend(
            0, indicator_matrix([known], self.n_items_), N=n, filter_already_liked_items=True,
            recalculate_user=self.kind == "als",
        )
        keep = (ids >= 0) & np.isfinite(scores) & (scores > -np.inf)
        return np.asarray(ids[keep], dtype=np.int64), np.asarray(scores[keep])
