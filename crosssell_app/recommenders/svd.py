"""Latent factors from a truncated SVD of the re-weighted basket x item matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._weighting import bm25_weight, tfidf_weight
from .base import Items, ScoringRecommender, as_csr, binarize

WEIGHTINGS = ("tfidf", "bm25", "none")


class SVD(ScoringRecommender):
    """Pure SVD (Cremonesi, Koren & Turrin, RecSys 2010) of a re-weighted basket matrix.

    The matrix is re-weighted (IDF so best sellers do not own every factor), factorised by a
    randomised truncated SVD (Halko et al. 2011, scikit-learn's ``randomized_svd``), and a basket
    ``x`` is scored as ``x V V^T`` (a projection onto the item factors). Item similarity is the
    cosine of the item factor rows. Items never bought have zero factors and are never returned.

    Parameters
    ----------
    factors : int
        Number of singular vectors kept (reduced automatically for tiny matrices).
    weighting : {"tfidf", "bm25", "none"}
        Re-weighting applied before factorising.
    random_state : int
        Seed of the randomised SVD.
    """

    learned_attributes = ("n_items_", "item_factors_")

    def __init__(self, factors: int = 64, weighting: str = "tfidf", random_state: int = 0) -> None:
        self.factors = factors
        self.weighting = weighting
        self.random_state = random_state

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> SVD:
        """Factorise the re-weighted matrix and keep the item factors ``V``."""
        from sklearn.utils.extmath import randomized_svd

        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {self.weighting!r}")
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        if self.weighting == "tfidf":
            matrix = tfidf_weight(matrix)
        elif self.weighting == "bm25":
            matrix = bm25_weight(matrix)
        rank = min(self.factors, min(matrix.shape) - 1)
        if rank < 1 or matrix.nnz == 0:
            self.item_factors_ = np.zeros((self.n_items_, 0), dtype=np.float32)
            return self
        _, _, vt = randomized_svd(matrix, rank, random_state=self.random_state)
        self.item_factors_ = np.ascontiguousarray(vt.T, dtype=np.float32)
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        query = self.item_factors_[items].astype(np.float64).sum(axis=0, keepdims=True)
        return self._scores(query, self.item_factors_)[0]

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Project each basket onto the item factors, ``x V V^T``; never-bought items score 0."""
        factors = self.item_factors_
        latent = (sp.csr_matrix(baskets) @ factors) @ factors.T
        latent[:, ~np.any(factors != 0, axis=1)] = 0.0
        return latent

    def item_scores(self, item: int) -> np.ndarray:
        normed = self._normed_factors()
        return self._scores(normed[[item]], normed)[0]

    def score_rows(self, queries: np.ndarray, similar: bool) -> np.ndarray:
        """Score a block of one-item queries with one matrix product (the batch queries use this)."""
        factors = self._normed_factors() if similar else self.item_factors_.astype(np.float64)
        return self._scores(factors[queries], factors)

    def _scores(self, queries: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """Return ``queries @ factors.T``, ``-inf`` for never-bought items and for empty queries."""
        scores = np.asarray(queries, dtype=np.float64) @ np.asarray(factors, dtype=np.float64).T
        scores[:, ~np.any(self.item_factors_ != 0, axis=1)] = -np.inf
        scores[~np.any(queries != 0, axis=1)] = -np.inf
        return scores

    def _normed_factors(self) -> np.ndarray:
        factors = self.item_factors_.astype(np.float64)
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        return factors / np.where(norms > 0, norms, 1.0)
