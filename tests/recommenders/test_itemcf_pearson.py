"""ItemCF with Pearson correlation: checked against answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from crosssell_app.recommenders import ItemCF
from crosssell_app.recommenders.base import indicator_matrix


def test_pearson_is_the_correlation_of_the_items_basket_columns_worked_by_hand():
    # 4 baskets: n0 = 3, n1 = 2, n2 = 2; c01 = 2, c02 = 1, c12 = 0
    baskets = indicator_matrix([[0, 1], [0, 1], [0, 2], [2]], 3)
    model = ItemCF(similarity="pearson", shrinkage=0.0).fit(baskets)
    # r01 = (4*2 - 3*2) / sqrt(3*1 * 2*2) = 2 / sqrt(12)
    assert model.neighbours_[0, 1] == pytest.approx(2 / np.sqrt(12), rel=1e-6)
    assert model.neighbours_[1, 0] == pytest.approx(2 / np.sqrt(12), rel=1e-6)
    # r02 = (4*1 - 3*2) / sqrt(12) < 0 and items 1, 2 never meet: no neighbour for either pair
    assert model.neighbours_[0, 2] == 0 and model.neighbours_[2, 0] == 0
    assert model.neighbours_[1, 2] == 0 and model.neighbours_[2].nnz == 0
    assert model.complete_basket([2], n=5)[0].size == 0


def test_shrinkage_damps_the_correlation_by_the_pair_count():
    baskets = indicator_matrix([[0, 1], [0, 1], [0, 2], [2]], 3)
    model = ItemCF(similarity="pearson", shrinkage=2.0).fit(baskets)
    assert model.neighbours_[0, 1] == pytest.approx(2 / np.sqrt(12) * 2 / (2 + 2), rel=1e-6)


def test_pearson_agrees_with_numpy_on_every_positively_correlated_pair():
    rng = np.random.default_rng(3)
    dense = (rng.random((60, 12)) < 0.3).astype(np.float32)
    dense[:, 5] = 0  # a never-bought item
    model = ItemCF(similarity="pearson", shrinkage=0.0, neighbours=12).fit(indicator_matrix(
        [np.flatnonzero(row) for row in dense], 12))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.nan_to_num(np.corrcoef(dense.T))
    together = dense.T @ dense
    expected[(expected <= 0) | (together == 0)] = 0
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(model.neighbours_.toarray(), expected, rtol=1e-5, atol=1e-6)


def test_an_item_in_every_basket_correlates_with_nothing_although_cosine_pairs_it_with_all():
    # item 0 (a best seller) is in every basket; 1 and 2 go together, 3 and 4 go together
    baskets = indicator_matrix([[0, 1, 2], [0, 1, 2], [0, 3, 4], [0, 3, 4], [0, 1], [0, 3]], 5)
    pearson = ItemCF(similarity="pearson", shrinkage=0.0).fit(baskets)
    cosine = ItemCF(similarity="cosine", shrinkage=0.0).fit(baskets)
    assert pearson.neighbours_[0].nnz == 0 and pearson.neighbours_[:, 0].nnz == 0
    assert cosine.complete_basket([1], n=5)[0].tolist() == [2, 0]  # the best seller next
    assert pearson.complete_basket([1], n=5)[0].tolist() == [2]
