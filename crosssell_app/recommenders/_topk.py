"""Blocked top-K: the one place item-item work is turned into a sparse neighbour matrix.

Every item-item model (co-occurrence, content, latent factors) produces its neighbours here:
the items are cut into contiguous blocks whose estimated work fits a budget, each block's scores
against all items are computed (sparse or dense), and only the ``k`` best per row are kept. Peak
memory is therefore O(block budget + items x k), never O(items x items), and each block is an
independent unit of work that a task queue could run elsewhere (see DESIGN.md, "Scale-out path").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp

#: default number of scores one block may hold at once (about 240 MB for a float32 CSR block)
DEFAULT_BLOCK_BUDGET = 20_000_000

#: a sparse block fuller than this share is ranked as a dense array
DENSE_SHARE = 0.2

BlockScorer = Callable[[int, int], "sp.spmatrix | np.ndarray"]


def plan_blocks(costs: np.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    """Yield contiguous ``(start, stop)`` row ranges whose summed ``costs`` stay within ``budget``.

    A single row costlier than the budget gets a block of its own, so every row is covered.

    Parameters
    ----------
    costs : array of shape (n_rows,)
        An upper bound of the number of scores each row produces (e.g. non-zeros of its product).
    budget : int
        The most scores a block should hold in memory.
    """
    costs = np.asarray(costs, dtype=np.float64)
    start = 0
    n_rows = len(costs)
    cumulative = np.cumsum(costs)
    while start < n_rows:
        base = cumulative[start - 1] if start else 0.0
        stop = int(np.searchsorted(cumulative, base + budget, side="right"))
        stop = max(stop, start + 1)
        yield start, min(stop, n_rows)
        start = stop


def sparse_topk_rows(block: sp.spmatrix, k: int, positive_only: bool = True) -> sp.csr_matrix:
    """Return ``block`` (CSR) keeping only the ``k`` largest entries of each row.

    Vectorised: one lexsort of (row, -value) over the stored entries, then a per-row rank
    obtained from the row pointers. Ties keep the lower column index.
    """
    csr = sp.csr_matrix(block)
    csr.sum_duplicates()
    if positive_only:
        csr.data[csr.data < 0] = 0
    csr.eliminate_zeros()
    n_rows = csr.shape[0]
    counts = np.diff(csr.indptr)
    rows = np.repeat(np.arange(n_rows), counts)
    # sum_duplicates left the columns sorted within rows and lexsort is stable: ties keep the
    # lower column without a third key
    order = np.lexsort((-csr.data, rows))
    rank = np.arange(csr.nnz) - np.repeat(csr.indptr[:-1], counts)
    keep = order[rank < k]  # order is grouped by row, so rank applies position-wise
    kept_counts = np.minimum(counts, k)
    indptr = np.concatenate([[0], np.cumsum(kept_counts)]).astype(np.int64)
    return sp.csr_matrix((csr.data[keep].astype(np.float32), csr.indices[keep], indptr), shape=csr.shape)


def dense_topk_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ids, values)`` of the ``k`` best finite entries of each row, best first.

    Rows with fewer than ``k`` finite entries are padded with ``-1`` / NaN, the shape the batch
    queries of :class:`~crosssell_app.recommenders.base.Recommender` promise.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n_rows, n_cols = scores.shape
    k_eff = min(k, n_cols)
    ids = np.full((n_rows, k), -1, dtype=np.int64)
    values = np.full((n_rows, k), np.nan, dtype=np.float64)
    if k_eff == 0 or n_rows == 0:
        return ids, values
    clean = np.where(np.isfinite(scores), scores, -np.inf)
    if k_eff < n_cols:
        part = np.argpartition(-clean, k_eff - 1, axis=1)[:, :k_eff]
    else:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols)).copy()
    part_values = np.take_along_axis(clean, part, axis=1)
    order = np.lexsort((part, -part_values), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    top_values = np.take_along_axis(part_values, order, axis=1)
    finite = np.isfinite(top_values)
    ids[:, :k_eff] = np.where(finite, top, -1)
    values[:, :k_eff] = np.where(finite, top_values, np.nan)
    return ids, values


def blocked_topk(
    n_rows: int,
    n_cols: int,
    block_scores: BlockScorer,
    k: int,
    costs: np.ndarray | None = None,
    budget: int = DEFAULT_BLOCK_BUDGET,
    exclude_diagonal: bool = True,
) -> sp.csr_matrix:
    """Build an ``(n_rows, n_cols)`` CSR matrix holding each row's ``k`` best positive scores.

    Parameters
    ----------
    n_rows, n_cols : int
        Shape of the full score matrix, which is never materialised.
    block_scores : callable ``(start, stop) -> matrix``
        Scores of rows ``start:stop`` against every column, sparse or dense.
    k : int
        Neighbours kept per row.
    costs : array of shape (n_rows,), optional
        Upper bound of each row's stored scores; defaults to ``n_cols`` (dense rows).
    budget : int
        Most scores held by one block, which bounds the transient memory.
    exclude_diagonal : bool
        Drop entry ``(i, i)`` (an item is not its own neighbour).
    """
    if costs is None:
        costs = np.full(n_rows, max(n_cols, 1), dtype=np.float64)
    pieces: list[sp.csr_matrix] = []
    for start, stop in plan_blocks(costs, budget):
        block = block_scores(start, stop)
        if sp.issparse(block) and block.nnz > DENSE_SHARE * block.shape[0] * block.shape[1]:
            block = block.toarray()  # a dense-ish block: argpartition beats sorting every entry
        if not sp.issparse(block):
            block = _dense_block_to_sparse_topk(np.asarray(block), k, start if exclude_diagonal else None)
        elif exclude_diagonal:
            block = _drop_diagonal(block, start)
        pieces.append(sparse_topk_rows(block, k))
    if not pieces:
        return sp.csr_matrix((n_rows, n_cols), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(pieces, format="csr"), dtype=np.float32)


def _drop_diagonal(block: sp.spmatrix, offset: int) -> sp.csr_matrix:
    """Remove the entries ``(r, r + offset)`` of a sparse block: the item itself."""
    coo = sp.coo_matrix(block)
    keep = coo.col != coo.row + offset
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape)


def _dense_block_to_sparse_topk(block: np.ndarray, k: int, diagonal_offset: int | None) -> sp.csr_matrix:
    """Keep the ``k`` best positive entries per row of a dense block, as CSR."""
    block = np.array(block, dtype=np.float64, copy=True)
    if diagonal_offset is not None:
        rows = np.arange(block.shape[0])
        cols = rows + diagonal_offset
        inside = cols < block.shape[1]
        block[rows[inside], cols[inside]] = -np.inf
    block[~(block > 0)] = -np.inf
    ids, values = dense_topk_rows(block, k)
    valid = ids >= 0
    row_index = np.repeat(np.arange(block.shape[0]), valid.sum(axis=1))
    return sp.csr_matrix((values[valid], (row_index, ids[valid])), shape=block.shape)


def neighbour_block_scores(neighbours: sp.csr_matrix, baskets: sp.spmatrix) -> np.ndarray:
    """Return the summed neighbour rows of each basket of a 0/1 basket matrix, dense (0 where none)."""
    return (sp.csr_matrix(baskets) @ neighbours).toarray()


def neighbour_scores(neighbours: sp.csr_matrix, items: np.ndarray) -> np.ndarray:
    """Return the summed neighbour rows of ``items`` as a dense vector, ``-inf`` where none."""
    summed = np.asarray(neighbours[items].sum(axis=0), dtype=np.float64).ravel()
    summed[summed <= 0] = -np.inf
    return summed
