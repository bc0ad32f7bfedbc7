"""Best sellers: the baseline every other model must beat, and the last back-fill."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._weighting import item_counts
from .base import Items, ScoringRecommender, as_csr, binarize


class Popularity(ScoringRecommender):
    """Rank items by the number of baskets (or users) that hold them.

    Every query gets the same list minus the query items, so it answers for any product,
    including cold ones; items never bought are not recommended.

    Parameters
    ----------
    recent_fraction : float
        When in ``(0, 1]``, only the last rows of the matrix (assumed in time order, as the
        training service builds it) are counted, so seasonal best sellers win. ``1.0`` counts all.
    """

    learned_attributes = ("n_items_", "counts_")

    def __init__(self, recent_fraction: float = 1.0) -> None:
        self.recent_fraction = recent_fraction

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> Popularity:
        """Count, per item, the rows that hold it."""
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        first = round(matrix.shape[0] * (1.0 - min(max(self.recent_fraction, 0.0), 1.0)))
        self.counts_ = item_counts(matrix[first:])
        return self

    def scores(self) -> np.ndarray:
        """Return the popularity of every item, ``-inf`` for items never bought."""
        out = self.counts_.astype(np.float64).copy()
        out[out <= 0] = -np.inf
        return out

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        return self.scores()

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return the counts once per basket (a read-only broadcast view: every basket gets the same)."""
        return np.broadcast_to(self.counts_, (baskets.shape[0], self.n_items_))
