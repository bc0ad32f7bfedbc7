"""The blocked top-K machinery agrees with a plain dense computation on small matrices."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders._topk import blocked_topk, dense_topk_rows, plan_blocks, sparse_topk_rows
from crosssell_app.recommenders.itemcf import ItemCF


def _dense_reference(scores: np.ndarray, k: int) -> np.ndarray:
    """Keep each row's k largest positive off-diagonal entries, the slow obvious way."""
    scores = scores.copy()
    np.fill_diagonal(scores, 0)
    out = np.zeros_like(scores)
    for row in range(scores.shape[0]):
        best = sorted(range(scores.shape[1]), key=lambda c: (-scores[row, c], c))[:k]
        for col in best:
            if scores[row, col] > 0:
                out[row, col] = scores[row, col]
    return out


def test_blocks_cover_every_row_once_and_respect_the_budget():
    costs = np.array([3, 3, 3, 10, 1, 1, 1])
    blocks = list(plan_blocks(costs, budget=6))
    assert blocks[0][0] == 0 and blocks[-1][1] == len(costs)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(blocks))
    for start, stop in blocks:
        assert costs[start:stop].sum() <= 6 or stop - start == 1


def test_blocked_sparse_and_dense_paths_match_a_dense_reference():
    rng = np.random.default_rng(1)
    baskets = sp.random(200, 60, density=0.08, random_state=2, format="csr")
    baskets.data[:] = 1
    cooc = (baskets.T @ baskets).toarray() + rng.random((60, 60)) * 1e-3  # break ties
    expected = _dense_reference(cooc, k=5)
    sparse_cooc = sp.csr_matrix(cooc)
    for budget in (1, 300, 10_000):
        got_sparse = blocked_topk(60, 60, lambda a, b: sparse_cooc[a:b], 5, budget=budget)
        got_dense = blocked_topk(60, 60, lambda a, b: cooc[a:b], 5, budget=budget)
        np.testing.assert_allclose(got_sparse.toarray(), expected, rtol=1e-6)
        np.testing.assert_allclose(got_dense.toarray(), expected, rtol=1e-6)


def test_itemcf_cosine_neighbours_equal_the_dense_formula_whatever_the_block_size():
    baskets = sp.random(300, 40, density=0.1, random_state=3, format="csr")
    baskets.data[:] = 1
    counts = (baskets.T @ baskets).toarray()
    n = np.diag(counts)
    cosine = counts / (np.sqrt(np.outer(n, n)) + 10.0)
    expected = _dense_reference(cosine, k=7)
    for budget in (5, 1_000_000):
        model = ItemCF(similarity="cosine", neighbours=7, shrinkage=10.0, block_budget=budget).fit(baskets)
        got = model.neighbours_.toarray()
        # equal scores may be cut at either tie: compare the kept values row by row
        np.testing.assert_allclose(np.sort(got, axis=1), np.sort(expected, axis=1), rtol=1e-5)


def test_row_topk_pads_short_rows_and_keeps_the_best_first():
    ids, values = dense_topk_rows(np.array([[0.1, np.inf * -1, 0.5], [1.0, 2.0, 3.0]]), k=3)
    assert ids.tolist() == [[2, 0, -1], [2, 1, 0]]
    assert np.isnan(values[0, 2])
    kept = sparse_topk_rows(sp.csr_matrix(np.array([[1.0, 3.0, 2.0, 0.0]])), k=2)
    assert kept.toarray().tolist() == [[0.0, 3.0, 2.0, 0.0]]
