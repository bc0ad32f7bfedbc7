"""NeighbourRidge: EASE restricted to co-occurrence neighbourhoods, solved per item."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders import ridge
from crosssell_app.recommenders.ridge import NeighbourRidge, recency_weights


def _random_baskets(n_rows: int = 300, n_items: int = 25, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_rows, n_items)) < 0.15).astype(np.float32)
    return sp.csr_matrix(dense)


def _ease(matrix: sp.csr_matrix, l2: float) -> np.ndarray:
    """EASE's closed form (Steck 2019, eq. 8), dense, as the reference."""
    gram = (matrix.T @ matrix).toarray().astype(np.float64) + l2 * np.eye(matrix.shape[1])
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights


def test_with_every_item_as_neighbour_it_is_exactly_ease():
    matrix = _random_baskets()
    model = NeighbourRidge(neighbours=matrix.shape[1], l2=20.0).fit(matrix)
    np.testing.assert_allclose(model.weights_.toarray(), _ease(matrix, 20.0), atol=1e-5)


def test_the_large_catalogue_path_gives_the_same_weights(monkeypatch):
    matrix = _random_baskets(seed=1)
    dense = NeighbourRidge(neighbours=6, l2=5.0).fit(matrix).weights_.toarray()
    monkeypatch.setattr(ridge, "DENSE_GRAM_MAX_ITEMS", 0)
    monkeypatch.setattr(ridge, "SOLVE_CHUNK", 7)
    sparse = NeighbourRidge(neighbours=6, l2=5.0).fit(matrix).weights_.toarray()
    np.testing.assert_allclose(sparse, dense, atol=1e-5)


def test_memory_is_items_times_k():
    matrix = _random_baskets(n_items=40, seed=2)
    model = NeighbourRidge(neighbours=4).fit(matrix)
    assert np.all(np.diff(model.weights_.T.tocsr().indptr) <= 4)  # K regressors per predicted item


def test_recency_weights_halve_every_half_life():
    weights = recency_weights(4, 0.25)
    np.testing.assert_allclose(weights, [0.125, 0.25, 0.5, 1.0])
    np.testing.assert_array_equal(recency_weights(3, None), np.ones(3))
