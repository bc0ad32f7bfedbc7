"""Hide-one cases: a basket with one of its items hidden, which a model should find from the rest.

One definition serves the three places that score a model this way, so a "case" means the same in
each: :class:`~crosssell_app.recommenders.hybrid.Hybrid` choosing its blend weights on the newest
orders it was given, the offline protocol (:mod:`crosssell_app.evaluation.splits`), and the
retrain's holdout score (:func:`crosssell_app.training.service.evaluate`). Pure numpy/scipy, like
every module of this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Cases:
    """Hide-one cases: each basket's remaining items and the item hidden from it."""

    baskets: list[np.ndarray]
    hidden: np.ndarray

    def __len__(self) -> int:
        return len(self.hidden)


def hide_one(matrix: sp.csr_matrix, rows: Sequence[int], hidden: Sequence[int]) -> Cases:
    """Return the cases of ``rows`` of a basket ``matrix``: row ``rows[i]`` without item ``hidden[i]``.

    Basket items keep the matrix's order (ascending in a canonical CSR matrix).
    """
    baskets = []
    for row, item in zip(rows, hidden):
        items = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        baskets.append(items[items != item].astype(np.int64))
    return Cases(baskets=baskets, hidden=np.asarray(hidden, dtype=np.int64))


def hide_random(
    matrix: sp.csr_matrix,
    seed: int | np.random.Generator | None = 0,
    max_cases: int | None = None,
    known: np.ndarray | None = None,
) -> Cases:
    """Hide one random item of every row with two or more items; return the cases.

    ``matrix`` is a canonical 0/1 CSR matrix (rows are baskets). With ``known`` (a boolean mask
    over items) items outside it are dropped from every basket first: no model can recommend an
    item it never saw, so counting them only adds the same misses to every model. With more
    eligible rows than ``max_cases``, that many are drawn at random (kept in row order). The same
    ``seed`` draws the same cases.
    """
    if known is not None:
        matrix = (matrix @ sp.diags(np.asarray(known, dtype=matrix.dtype))).tocsr()
        matrix.eliminate_zeros()
        matrix.sort_indices()
    rng = np.random.default_rng(seed)
    sizes = np.diff(matrix.indptr)
    eligible = np.flatnonzero(sizes >= 2)
    if max_cases is not None and len(eligible) > max_cases:
        eligible = np.sort(rng.choice(eligible, size=max_cases, replace=False))
    hidden = [matrix.indices[matrix.indptr[row] + rng.integers(sizes[row])] for row in eligible]
    return hide_one(matrix, eligible, hidden)


__all__ = ["Cases", "hide_one", "hide_random"]
