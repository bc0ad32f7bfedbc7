"""Item-based collaborative filtering on basket co-occurrence."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import scipy.sparse as sp

from ._topk import DEFAULT_BLOCK_BUDGET, blocked_topk, neighbour_block_scores, neighbour_scores
from ._weighting import bm25_idf, bm25_length_factor, item_counts
from .base import Items, ScoringRecommender, as_csr, binarize

SIMILARITIES = ("cosine", "pearson", "lift", "jaccard", "bm25", "rp3beta", "confidence")


class ItemCF(ScoringRecommender):
    """Items bought in the same baskets, scored by a chosen co-occurrence weighting.

    The co-occurrence counts ``c_ij`` (baskets holding both ``i`` and ``j``) are computed block by
    block of items with sparse products and only the ``neighbours`` best per item are kept, so
    memory is O(items x neighbours) (see :mod:`._topk`).

    Parameters
    ----------
    similarity : {"cosine", "pearson", "lift", "jaccard", "bm25", "rp3beta", "confidence"}
        ``cosine``: ``c_ij / (sqrt(n_i n_j) + shrinkage)``, the usual item-kNN (Sarwar et al.,
        WWW 2001). ``pearson``: the correlation of the two items' 0/1 basket columns,
        ``(N c_ij - n_i n_j) / sqrt(n_i (N - n_i) n_j (N - n_j))`` over ``N`` baskets (Sarwar et
        al.'s correlation-based similarity; for binary columns it is the phi coefficient),
        damped by ``c_ij / (c_ij + shrinkage)``; unlike cosine it subtracts what two items'
        popularity alone would put together, so a best seller is not everyone's neighbour.
        Only positive correlations are kept (a negative one is no evidence). ``lift``: positive pointwise mutual information ``log(c_ij N / (n_i n_j))``
        damped by ``c_ij / (c_ij + shrinkage)``, which favours specific pairs over best sellers.
        ``jaccard``: ``c_ij / (n_i + n_j - c_ij + shrinkage)``. ``bm25``: dot products of
        BM25-weighted basket rows (:mod:`._weighting`), which discount long
        baskets and ubiquitous items. ``rp3beta``: the two-step random walk item -> basket ->
        item divided by ``n_j^beta`` (Paudel et al., ACM TiiS 2017), which demotes best sellers.
        ``confidence``: the association-rule confidence
        ``c_ij / (n_i + shrinkage)``.
    neighbours : int
        Neighbours kept per item (K).
    shrinkage : float
        Pulls similarities estimated from few baskets towards zero (Koren 2008's shrinkage).
    min_support : int
        Pairs seen in fewer baskets than this are ignored as noise.
    bm25_k1, bm25_b : float
        BM25 parameters, used by ``similarity="bm25"``.
    beta : float
        Popularity penalty of ``similarity="rp3beta"``.
    block_budget : int
        Most co-occurrence entries held at once while building neighbours.
    """

    learned_attributes = ("n_items_", "neighbours_", "item_counts_")

    def __init__(
        self,
        similarity: str = "cosine",
        neighbours: int = 100,
        shrinkage: float = 10.0,
        min_support: int = 1,
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
        beta: float = 0.5,
        block_budget: int = DEFAULT_BLOCK_BUDGET,
    ) -> None:
        self.similarity = similarity
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.beta = beta
        self.block_budget = block_budget

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> ItemCF:
        """Count co-occurrences block by block and keep each item's best ``neighbours``."""
        if self.similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, not {self.similarity!r}")
        baskets = binarize(as_csr(interactions))
        self.n_items_ = baskets.shape[1]
        self.item_counts_ = item_counts(baskets)
        self.neighbours_ = cooccurrence_neighbours(
            baskets,
            weight=partial(
                self._weight_block,
                n_baskets=baskets.shape[0],
                idf=bm25_idf(self.item_counts_, baskets.shape[0]),
            ),
            k=self.neighbours,
            budget=self.block_budget,
            min_support=self.min_support,
            basket_weights=self._basket_weights(baskets),
        )
        return self

    def _basket_weights(self, baskets: sp.csr_matrix) -> np.ndarray | None:
        """Return how much each basket's pairs count, or None when every basket counts once.

        BM25 with binary lines factorises: ``w_bi w_bj = f(len_b)^2 idf_i idf_j``, so the basket
        part is a weight on the count and the item part is applied in :meth:`_weight_block`.
        RP3beta's random walk from ``i`` to a basket to ``j`` passes through the basket with
        probability ``1 / len_b``.
        """
        lengths = np.diff(baskets.indptr).astype(np.float64)
        if self.similarity == "bm25":
            return bm25_length_factor(lengths, self.bm25_k1, self.bm25_b) ** 2
        if self.similarity == "rp3beta":
            return 1.0 / np.maximum(lengths, 1.0)
        return None

    def _weight_block(self, counts: sp.csr_matrix, start: int, n_baskets: int, idf: np.ndarray) -> sp.csr_matrix:
        """Turn (basket-weighted) co-occurrence counts of items ``start..`` into the similarity."""
        coo = counts.tocoo()
        c = coo.data.astype(np.float64)
        i = coo.row + start
        n_i = self.item_counts_[i]
        n_j = self.item_counts_[coo.col]
        if self.similarity == "cosine":
            w = c / (np.sqrt(n_i * n_j) + self.shrinkage)
        elif self.similarity == "pearson":
            spread = np.sqrt(n_i * (n_baskets - n_i) * n_j * (n_baskets - n_j))
            with np.errstate(divide="ignore", invalid="ignore"):
                w = (n_baskets * c - n_i * n_j) / spread
            # an item in every basket has no variance: it correlates with nothing
            w = np.where(spread > 0, w, 0.0) * c / (c + self.shrinkage)
        elif self.similarity == "lift":
            w = np.maximum(np.log(c * max(n_baskets, 1) / (n_i * n_j)), 0.0) * c / (c + self.shrinkage)
        elif self.similarity == "jaccard":
            w = c / (n_i + n_j - c + self.shrinkage)
        elif self.similarity == "bm25":
            w = c * idf[i] * idf[coo.col]
        elif self.similarity == "rp3beta":
            w = c / n_i / n_j**self.beta
        else:  # confidence
            w = c / (n_i + self.shrinkage)
        return sp.csr_matrix((w, (coo.row, coo.col)), shape=counts.shape)

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        """Sum the neighbour rows of the basket's items (items with no evidence get ``-inf``)."""
        return neighbour_scores(self.neighbours_, items)

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Sum the neighbour rows of each basket's items in one sparse product (0: no evidence)."""
        return neighbour_block_scores(self.neighbours_, baskets)


def cooccurrence_neighbours(
    baskets: sp.csr_matrix,
    weight: Callable[[sp.csr_matrix, int], sp.csr_matrix],
    k: int,
    budget: int,
    min_support: int = 1,
    basket_weights: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Return the top-``k`` item x item neighbour matrix of a binary basket matrix.

    Parameters
    ----------
    baskets : CSR of shape (n_baskets, n_items), binary
    weight : callable ``(counts_block, start) -> similarity block``
        Turns the counts of item rows ``start..`` into similarities.
    k, budget : int
        Neighbours kept per item; most co-occurrence entries held at once.
    min_support : int
        Pairs in fewer baskets than this are dropped before weighting.
    basket_weights : array of shape (n_baskets,), optional
        Each basket adds this much (instead of 1) to the counts of its pairs.
    """
    n_items = baskets.shape[1]
    by_item = sp.csr_matrix(baskets.T)  # items x baskets, fast row slicing
    lengths = np.diff(baskets.indptr).astype(np.float64)
    costs = np.minimum(by_item @ lengths, n_items)  # upper bound of each item's co-occurring items
    right = baskets if basket_weights is None else sp.csr_matrix(sp.diags(basket_weights) @ baskets)

    def block_scores(start: int, stop: int) -> sp.csr_matrix:
        counts = sp.csr_matrix(by_item[start:stop] @ right)
        if min_support > 1:
            raw = counts if basket_weights is None else sp.csr_matrix(by_item[start:stop] @ baskets)
            counts = counts.multiply(raw >= min_support).tocsr()
        return weight(counts, start)

    return blocked_topk(n_items, n_items, block_scores, k, costs=costs, budget=budget)
