"""EASE, the closed-form linear item-item model, written for the benchmark only.

Steck, H. (2019). "Embarrassingly Shallow Autoencoders for Sparse Data". WWW '19, 3251-3257.
With ``G = X^T X + lambda I`` and ``P = G^-1``, the weights are ``B_ij = -P_ij / P_jj`` with a
zero diagonal, and a basket ``x`` scores ``x B``. ``B`` is dense items x items, which is why the
app does not ship it: at 100,000 items it would need 40 GB.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders.base import ScoringRecommender, as_csr, binarize

#: above this many items the dense Gram matrix is refused instead of exhausting memory
MAX_ITEMS = 20_000


class EASE(ScoringRecommender):
    """EASE^R with L2 strength ``l2`` (Steck 2019, eq. 8)."""

    learned_attributes = ("n_items_", "weights_", "item_counts_")

    def __init__(self, l2: float = 500.0) -> None:
        self.l2 = l2

    def fit(self, interactions: sp.spmatrix, items=None, customers=None) -> EASE:
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        if self.n_items_ > MAX_ITEMS:
            raise MemoryError(f"EASE needs a dense {self.n_items_}^2 matrix; refusing above {MAX_ITEMS} items")
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights_ = weights.astype(np.float32)
        self.item_counts_ = np.bincount(matrix.indices, minlength=self.n_items_)
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        scores = self.weights_[items].sum(axis=0).astype(np.float64)
        scores[self.item_counts_ == 0] = -np.inf
        return scores
