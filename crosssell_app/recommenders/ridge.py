"""A linear item model restricted to each item's co-occurrence neighbourhood (sparse EASE/SLIM)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._topk import DEFAULT_BLOCK_BUDGET
from ._weighting import item_counts
from .base import Items, ScoringRecommender, as_csr, binarize
from .itemcf import cooccurrence_neighbours


def recency_weights(n_rows: int, half_life: float | None) -> np.ndarray:
    """Return a weight per row (rows in time order): 1 for the newest, halving every ``half_life``.

    ``half_life`` is a share of the history (rows), so it means the same for a small and a busy
    shop; ``None`` or ``<= 0`` weighs every row 1.
    """
    if not half_life or half_life <= 0 or n_rows == 0:
        return np.ones(n_rows, dtype=np.float64)
    age = (n_rows - 1 - np.arange(n_rows, dtype=np.float64)) / n_rows
    return 0.5 ** (age / half_life)


class NeighbourRidge(ScoringRecommender):
    """EASE's closed form solved per item on its ``neighbours`` co-occurrence neighbours only.

    For each item ``j`` let ``S = {j} + N_j`` (``N_j``: the ``neighbours`` items most often bought
    with ``j``, by cosine of co-occurrence) and ``G = X_S^T W X_S + l2 I`` (``W``: row weights).
    With ``P = G^-1`` the weight of ``i`` in predicting ``j`` is ``B_ij = -P_ij / P_jj``, exactly
    EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW '19, eq. 8)
    restricted to the neighbourhood, i.e. the ridge regression of column ``j`` on the columns
    ``N_j`` (the neighbourhood restriction is that of SLIM/"fsSLIM", Ning & Karypis 2011/2012).
    Each item is a ``(K+1) x (K+1)`` solve, so memory is O(items x K) and no items x items matrix
    is built; the solves run in blocks of items.

    Parameters
    ----------
    neighbours : int
        Neighbours (regressors) per item, K.
    l2 : float
        Ridge strength (EASE's lambda), in (weighted) baskets.
    shrinkage : float
        Shrinkage of the cosine used to pick the neighbours.
    recency_half_life : float or None
        Rows (baskets, in time order) are weighted ``0.5 ** (age / half_life)`` with ``age`` the
        share of the history since the row; ``None`` weighs all rows equally.
    block_budget : int
        Most co-occurrence entries held at once while picking neighbours.
    """

    learned_attributes = ("n_items_", "weights_", "item_counts_")

    def __init__(
        self,
        neighbours: int = 100,
        l2: float = 100.0,
        shrinkage: float = 10.0,
        recency_half_life: float | None = None,
        block_budget: int = DEFAULT_BLOCK_BUDGET,
    ) -> None:
        self.neighbours = neighbours
        self.l2 = l2
        self.shrinkage = shrinkage
        self.recency_half_life = recency_half_life
        self.block_budget = block_budget

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> NeighbourRidge:
        """Pick each item's neighbours, then solve one small ridge regression per item."""
        baskets = binarize(as_csr(interactions))
        n_rows, n_items = baskets.shape
        self.n_items_ = n_items
        self.item_counts_ = item_counts(baskets)
        row_weights = recency_weights(n_rows, self.recency_half_life)
        counts = self.item_counts_
        shrink = self.shrinkage

        def cosine(block: sp.csr_matrix, start: int) -> sp.csr_matrix:
            coo = block.tocoo()
            w = coo.data / (np.sqrt(counts[coo.row + start] * counts[coo.col]) + shrink)
            return sp.csr_matrix((w, (coo.row, coo.col)), shape=block.shape)

        candidates = cooccurrence_neighbours(baskets, cosine, k=self.neighbours, budget=self.block_budget)
        weighted = sp.csc_matrix(sp.diags(np.sqrt(row_weights)) @ baskets, dtype=np.float64)
        self.weights_ = _solve_neighbourhoods(weighted, candidates, self.l2)
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        """Sum the weight rows of the basket's items; items no basket item reaches get ``-inf``."""
        rows = self.weights_[items]
        scores = np.asarray(rows.sum(axis=0), dtype=np.float64).ravel()
        reached = np.zeros(self.n_items_, dtype=bool)
        reached[rows.indices] = True
        scores[~reached] = -np.inf
        return scores

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Sum the weight rows of each basket's items in one sparse product (0 where no item reaches)."""
        return (sp.csr_matrix(baskets) @ self.weights_).toarray()


#: catalogues up to this many items look the Gram entries up in a dense float32 items x items
#: Gram (kept: 4 * 5,000^2 B = 100 MB at the threshold, 200 MB in float64 while it is built);
#: larger ones compute each neighbourhood's Gram with a sparse product of its columns (the same
#: numbers, O(K^2) memory per item, a Python loop over items: slower)
DENSE_GRAM_MAX_ITEMS = 5_000

#: neighbourhoods solved at once (their stacked Grams: chunk x (K+1)^2 floats)
SOLVE_CHUNK = 256


def _solve_neighbourhoods(weighted: sp.csc_matrix, candidates: sp.csr_matrix, l2: float) -> sp.csr_matrix:
    """Return the sparse ``B`` (rows: predicting item, columns: predicted item) of every neighbourhood."""
    n_items = candidates.shape[0]
    lengths = np.diff(candidates.indptr)
    width = int(lengths.max()) + 1 if n_items and lengths.max() > 0 else 1
    dense_gram = None
    if n_items <= DENSE_GRAM_MAX_ITEMS:
        dense_gram = np.asarray((weighted.T @ weighted).toarray(), dtype=np.float32)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for start in range(0, n_items, SOLVE_CHUNK):
        targets = np.arange(start, min(start + SOLVE_CHUNK, n_items))
        targets = targets[lengths[targets] > 0]
        if targets.size == 0:
            continue
        # members[c] = [target, its neighbours..., -1 padding]
        members = np.full((targets.size, width), -1, dtype=np.int64)
        members[:, 0] = targets
        slot = np.arange(width - 1)[None, :] < lengths[targets][:, None]
        members[:, 1:][slot] = candidates.indices[
            np.concatenate([np.arange(candidates.indptr[t], candidates.indptr[t + 1]) for t in targets])
        ]
        valid = members >= 0
        safe = np.where(valid, members, 0)
        if dense_gram is not None:
            grams = dense_gram[safe[:, :, None], safe[:, None, :]].astype(np.float64)
        else:
            grams = np.zeros((targets.size, width, width))
            for c in range(targets.size):
                m = members[c][valid[c]]
                sub = weighted[:, m]
                grams[c, : m.size, : m.size] = (sub.T @ sub).toarray()
        grams *= valid[:, :, None] & valid[:, None, :]
        grams[:, np.arange(width), np.arange(width)] += l2
        first = np.linalg.solve(grams, np.broadcast_to(np.eye(width, 1), (targets.size, width, 1)))[:, :, 0]
        weights = -first[:, 1:] / first[:, :1]
        keep = valid[:, 1:]
        rows.append(members[:, 1:][keep])
        cols.append(np.repeat(targets, keep.sum(axis=1)))
        vals.append(weights[keep])
    if not rows:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
    )
