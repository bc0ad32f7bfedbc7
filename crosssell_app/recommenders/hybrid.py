"""The default recommender: a blend of co-occurrence, latent factors, content and popularity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ._topk import DEFAULT_BLOCK_BUDGET
from .base import Items, ScoringRecommender, as_csr, binarize
from .content import TfidfContent
from .itemcf import ItemCF
from .popularity import Popularity
from .ridge import NeighbourRidge
from .svd import SVD


class Hybrid(ScoringRecommender):
    """Blend normalised component scores so that every product gets a full list.

    Each component scores every item for the query; each score vector is clipped at zero and
    divided by its maximum (so "best" is 1 whatever the component's scale), then the vectors are
    added with fixed weights. For "bought together" a neighbourhood-restricted linear item model
    (:class:`NeighbourRidge`, sparse EASE) and co-occurrence (:class:`ItemCF`) lead, latent
    factors (:class:`SVD`) generalise to pairs never seen together, content
    (:class:`TfidfContent`) fills the lists of products with few or no sales, and a small
    popularity term breaks ties and back-fills the rest, so a query always gets ``n`` answers as
    long as ``n`` products have ever sold. "Similar" (substitutes) uses the same blend without
    the linear model and with the co-occurrence and content weights swapped, so it is led by the
    description.

    The defaults are what a new shop gets. They were chosen on the validation weeks of the
    generated grocery shop (:mod:`crosssell_app.evaluation.synthetic`), never on Online Retail,
    which is their out-of-sample check (``docs/recommenders.md``). SVD is off by default
    (``svd_weight=0``): it added nothing there and dominates the fit time.

    Parameters
    ----------
    similarity, neighbours, shrinkage, min_support, beta :
        Passed to :class:`ItemCF` (``neighbours`` and ``shrinkage`` also to :class:`NeighbourRidge`).
    factors :
        Passed to :class:`SVD`; ``svd_weight=0`` skips fitting it.
    cf_weight, svd_weight, content_weight, popularity_weight, ridge_weight : float
        Blend weights of the normalised component scores (for "bought together");
        ``ridge_weight=0`` skips fitting the linear model.
    l2 : float
        Ridge strength of :class:`NeighbourRidge`.
    block_budget : int
        Most scores held at once while the item-item components build their neighbours.
    """

    _learned = ("n_items_", "ridge_", "itemcf_", "svd_", "content_", "popularity_")

    def __init__(
        self,
        similarity: str = "rp3beta",
        neighbours: int = 100,
        shrinkage: float = 10.0,
        min_support: int = 1,
        beta: float = 0.3,
        factors: int = 64,
        cf_weight: float = 1.0,
        svd_weight: float = 0.0,
        content_weight: float = 0.05,
        popularity_weight: float = 0.05,
        ridge_weight: float = 1.0,
        l2: float = 30.0,
        block_budget: int = DEFAULT_BLOCK_BUDGET,
    ) -> None:
        self.similarity = similarity
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.beta = beta
        self.factors = factors
        self.cf_weight = cf_weight
        self.svd_weight = svd_weight
        self.content_weight = content_weight
        self.popularity_weight = popularity_weight
        self.ridge_weight = ridge_weight
        self.l2 = l2
        self.block_budget = block_budget

    def fit(self, interactions: sp.spmatrix, items: Items | None = None) -> Hybrid:
        """Fit every component with a non-zero weight on the same data."""
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        self.ridge_ = (
            NeighbourRidge(
                neighbours=self.neighbours, l2=self.l2, shrinkage=self.shrinkage, block_budget=self.block_budget
            ).fit(matrix)
            if self.ridge_weight > 0
            else None
        )
        self.itemcf_ = ItemCF(
            similarity=self.similarity,
            neighbours=self.neighbours,
            shrinkage=self.shrinkage,
            min_support=self.min_support,
            beta=self.beta,
            block_budget=self.block_budget,
        ).fit(matrix)
        self.svd_ = SVD(factors=self.factors).fit(matrix) if self.svd_weight > 0 else None
        self.content_ = TfidfContent(neighbours=self.neighbours, block_budget=self.block_budget).fit(matrix, items)
        self.popularity_ = Popularity().fit(matrix)
        return self

    # ---------------------------------------------------------------- scoring
    def _weights(self, similar: bool) -> tuple[float, float, float, float]:
        cf, content = (self.content_weight, self.cf_weight) if similar else (self.cf_weight, self.content_weight)
        return cf, self.svd_weight, content, self.popularity_weight

    def _blend(self, baskets: sp.csr_matrix, similar: bool = False) -> np.ndarray:
        """Return blended scores, shape ``(n_baskets, n_items)``, of an indicator basket matrix.

        Items without any evidence get ``-inf``; items in their own basket are not excluded here.
        """
        w_cf, w_svd, w_content, w_pop = self._weights(similar)
        total = np.zeros(baskets.shape, dtype=np.float64)
        if self.ridge_weight and not similar and getattr(self, "ridge_", None) is not None:
            total += self.ridge_weight * _unit_rows((baskets @ self.ridge_.weights_).toarray())
        if w_cf:
            total += w_cf * _unit_rows((baskets @ self.itemcf_.neighbours_).toarray())
        if w_content:
            total += w_content * _unit_rows((baskets @ self.content_.neighbours_).toarray())
        if w_svd and self.svd_ is not None and self.svd_.item_factors_.shape[1]:
            factors = self.svd_.item_factors_
            latent = (baskets @ factors) @ factors.T
            latent[:, ~np.any(factors != 0, axis=1)] = 0.0
            total += w_svd * _unit_rows(latent)
        if w_pop:
            total += w_pop * _unit_rows(self.popularity_.counts_[None, :])
        total[total <= 0] = -np.inf
        return total

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        return self._blend(_indicator([items], self.n_items_))[0]

    def item_scores(self, item: int) -> np.ndarray:
        return self._blend(_indicator([[item]], self.n_items_), similar=True)[0]

    def score_rows(self, queries: np.ndarray, similar: bool) -> np.ndarray:
        """Blend a block of one-item queries at once (the batch queries use this)."""
        return self._blend(_indicator(queries[:, None], self.n_items_), similar)


def _indicator(baskets: Sequence[Sequence[int]] | np.ndarray, n_items: int) -> sp.csr_matrix:
    """Return a binary ``(len(baskets), n_items)`` CSR matrix with one row per basket."""
    lengths = np.array([len(b) for b in baskets], dtype=np.int64)
    columns = np.concatenate([np.asarray(b, dtype=np.int64) for b in baskets]) if len(baskets) else []
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    matrix = sp.csr_matrix((np.ones(len(columns), dtype=np.float32), columns, indptr), shape=(len(baskets), n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _unit_rows(scores: np.ndarray) -> np.ndarray:
    """Clip ``scores`` at zero and divide each row by its maximum (rows of zeros stay zero)."""
    scores = np.where(np.isfinite(scores), np.maximum(scores, 0.0), 0.0)
    peak = scores.max(axis=1, keepdims=True)
    return scores / np.where(peak > 0, peak, 1.0)
