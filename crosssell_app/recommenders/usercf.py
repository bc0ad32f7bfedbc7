"""User-based (or basket-based) collaborative filtering."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Items, ScoringRecommender, as_csr, binarize


class UserCF(ScoringRecommender):
    """Recommend what the rows most like the query basket also hold.

    With rows as customers this is classic user-kNN (Resnick et al., CSCW 1994); with rows as
    orders it is the session-kNN of Jannach & Ludewig (RecSys 2017). A basket is compared to every
    row by cosine similarity, the ``neighbours`` most similar rows vote for their items with their
    similarity, and votes are summed. Fitting only stores the normalised matrix; the work is per
    query (one sparse matrix-vector product over the rows that share an item with the basket).

    Parameters
    ----------
    neighbours : int
        Number of most similar rows that vote.
    shrinkage : float
        Added to the cosine denominator so rows sharing one item with a large basket count less.
    """

    _learned = ("n_items_", "rows_", "row_norms_")

    def __init__(self, neighbours: int = 200, shrinkage: float = 1.0) -> None:
        self.neighbours = neighbours
        self.shrinkage = shrinkage

    def fit(self, interactions: sp.spmatrix, items: Items | None = None) -> UserCF:
        """Store the binary row x item matrix and the row norms."""
        rows = binarize(as_csr(interactions))
        self.n_items_ = rows.shape[1]
        self.rows_ = rows
        self.row_norms_ = np.sqrt(np.diff(rows.indptr).astype(np.float64))
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        query = np.zeros(self.n_items_, dtype=np.float32)
        query[items] = 1.0
        overlap = np.asarray(self.rows_ @ query, dtype=np.float64).ravel()
        candidates = np.flatnonzero(overlap > 0)
        if candidates.size == 0:
            return np.full(self.n_items_, -np.inf)
        similarity = overlap[candidates] / (self.row_norms_[candidates] * np.sqrt(len(items)) + self.shrinkage)
        if candidates.size > self.neighbours:
            best = np.argpartition(-similarity, self.neighbours - 1)[: self.neighbours]
            candidates, similarity = candidates[best], similarity[best]
        votes = np.asarray(self.rows_[candidates].T @ similarity, dtype=np.float64).ravel()
        votes[votes <= 0] = -np.inf
        return votes
