"""The interface every recommender shares.

Recommenders are pure numpy/scipy/scikit-learn (and, for the MLP, TensorFlow) code. They never
import Django, read settings or touch a cache, so they run the same in a Celery worker, a
benchmark script or a notebook.

Conventions (scikit-learn's and implicit's):

* ``__init__`` only stores hyperparameters; everything learned ends in ``_``; ``fit`` returns
  ``self`` and a second ``fit`` overwrites the first.
* Items are contiguous column indices ``0 .. n_items_ - 1``. Mapping shop primary keys to
  indices is the caller's job (the training service does it).
* Every query returns ``(ids, scores)``: two 1-D numpy arrays of equal length, best first,
  ``ids`` of dtype int64, ``scores`` of dtype float32/float64. Fewer than ``n`` items may come
  back; an unknown item or an empty basket gives empty arrays, never an exception.
* Models are saved with ``np.savez`` and loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

Items = Any  # a pandas DataFrame or a mapping of column name -> equal-length sequence


def empty_result() -> tuple[np.ndarray, np.ndarray]:
    """Return the ``(ids, scores)`` pair of an answer with nothing in it."""
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)


def item_column(items: Items | None, name: str, n_items: int) -> np.ndarray | None:
    """Return column ``name`` of ``items`` as a numpy array of length ``n_items``, or None.

    ``items`` may be a pandas DataFrame or a plain mapping; a missing column gives None.
    """
    if items is None:
        return None
    try:
        column = items[name]
    except (KeyError, IndexError, TypeError):
        return None
    values = np.asarray(list(column) if not hasattr(column, "to_numpy") else column.to_numpy())
    if len(values) != n_items:
        raise ValueError(
            f"items[{name!r}] has {len(values)} rows but the interaction matrix has {n_items} columns"
        )
    return values


class Recommender:
    """Base class: fit on a basket (or user) x item matrix, then answer item and basket queries."""

    #: learned: number of item columns seen by ``fit``
    n_items_: int

    def fit(self, interactions: sp.spmatrix, items: Items | None = None) -> Recommender:
        """Learn from ``interactions`` (rows are orders or users, columns items) and return self."""
        raise NotImplementedError

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` items most like ``item`` (never ``item`` itself)."""
        raise NotImplementedError

    def complete_basket(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` items to add to a basket holding ``items``, none already in it."""
        raise NotImplementedError

    # Batch forms used by training to publish a list for every product. Subclasses override them
    # with vectorised code where that pays; the defaults loop over the single-item queries.
    def similar_items_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(ids, scores)`` of shape ``(len(items), n)``; short rows are padded with -1 / nan."""
        return _stack([self.similar_items(int(i), n) for i in items], n)

    def complete_basket_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return bought-together lists for many one-item baskets, shaped like ``similar_items_batch``."""
        return _stack([self.complete_basket([int(i)], n) for i in items], n)

    def get_params(self) -> dict[str, Any]:
        """Return the hyperparameters given to ``__init__`` (scikit-learn style)."""
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def _valid_items(self, items: Sequence[int]) -> np.ndarray:
        """Return the known item indices in ``items`` as an int64 array (unknown ones dropped)."""
        arr = np.asarray(list(items), dtype=np.int64).ravel()
        return arr[(arr >= 0) & (arr < getattr(self, "n_items_", 0))]

    # ------------------------------------------------------------------ persistence
    #: names of the learned attributes that ``save`` writes; subclasses list theirs
    _learned: tuple[str, ...] = ("n_items_",)

    def save(self, path: str | os.PathLike) -> None:
        """Write hyperparameters and learned state to ``path`` with ``np.savez`` (no pickle).

        Notes
        -----
        Learned attributes may be numbers, numpy arrays, scipy sparse matrices, ``None`` or other
        recommenders (saved recursively under a key prefix), so composite models need no code of
        their own. The file name is used as given: numpy adds ``.npz`` when it is missing.
        """
        arrays: dict[str, np.ndarray] = {}
        _flatten_state(self, "", arrays)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Recommender:
        """Return the model written by :meth:`save` at ``path``, read with ``allow_pickle=False``."""
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        model = _restore_state(arrays, "", path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def _after_load(self, path: str) -> None:
        """Hook for models with state outside the ``.npz`` file (the MLP's Keras file)."""


def _registry() -> dict[str, type[Recommender]]:
    """Map class names to every loaded Recommender subclass, so ``load`` can rebuild any of them."""
    found: dict[str, type[Recommender]] = {}
    todo = [Recommender]
    while todo:
        klass = todo.pop()
        found[klass.__name__] = klass
        todo.extend(klass.__subclasses__())
    return found


def _flatten_state(model: Recommender, prefix: str, out: dict[str, np.ndarray]) -> None:
    out[prefix + "__class__"] = np.array(type(model).__name__)
    out[prefix + "__params__"] = np.array(json.dumps(model.get_params()))
    for name in model._learned:
        value = getattr(model, name, None)
        key = prefix + name
        if value is None:
            out[key + "::none"] = np.zeros(0)
        elif isinstance(value, Recommender):
            _flatten_state(value, key + "/", out)
        elif sp.issparse(value):
            csr = sp.csr_matrix(value)
            out[key + "::csr_data"] = csr.data
            out[key + "::csr_indices"] = csr.indices
            out[key + "::csr_indptr"] = csr.indptr
            out[key + "::csr_shape"] = np.asarray(csr.shape, dtype=np.int64)
        else:
            out[key] = np.asarray(value)


def _restore_state(arrays: dict[str, np.ndarray], prefix: str, path: str) -> Recommender:
    name = str(arrays[prefix + "__class__"])
    klass = _registry().get(name)
    if klass is None:
        raise ValueError(f"{path}: unknown recommender class {name!r} (import its module first)")
    model = klass(**json.loads(str(arrays[prefix + "__params__"])))
    for attr in klass._learned:
        key = prefix + attr
        if key + "::none" in arrays:
            value: Any = None
        elif key + "/__class__" in arrays:
            value = _restore_state(arrays, key + "/", path)
        elif key + "::csr_data" in arrays:
            shape = tuple(int(v) for v in arrays[key + "::csr_shape"])
            value = sp.csr_matrix(
                (arrays[key + "::csr_data"], arrays[key + "::csr_indices"], arrays[key + "::csr_indptr"]),
                shape=shape,
            )
        elif key in arrays:
            value = arrays[key]
            if value.ndim == 0:
                value = value.item()
        else:
            continue
        setattr(model, attr, value)
    model._after_load(path)
    return model


def rank_scores(
    scores: np.ndarray, n: int, exclude: np.ndarray | Sequence[int] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``n`` best ``(ids, scores)`` of a dense score vector, best first.

    Entries that are ``-inf`` or NaN mean "no evidence" and are never returned; ``exclude``
    (e.g. the basket itself) is removed first. Ties are broken by the lower item index so
    answers are deterministic.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    excluded = np.asarray(exclude, dtype=np.int64)
    if excluded.size:
        scores[excluded] = -np.inf
    candidates = np.flatnonzero(np.isfinite(scores))
    if n <= 0 or candidates.size == 0:
        return empty_result()
    values = scores[candidates]
    if candidates.size > n:
        part = np.argpartition(-values, n - 1)[:n]
        candidates, values = candidates[part], values[part]
    order = np.lexsort((candidates, -values))
    return candidates[order].astype(np.int64), values[order]


class ScoringRecommender(Recommender):
    """A recommender whose answers are the best entries of a dense score vector over all items.

    Subclasses implement :meth:`basket_scores` (and :meth:`item_scores` when "similar" differs from
    "bought with"), returning one float per item with ``-inf`` for "no evidence"; ranking,
    exclusion of the query items and the unknown-item/empty-basket rules live here once.
    """

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        """Return a score for every item given a basket of known item indices (may be empty)."""
        raise NotImplementedError

    def item_scores(self, item: int) -> np.ndarray:
        """Return a similarity score for every item to ``item``; defaults to a one-item basket."""
        return self.basket_scores(np.array([item], dtype=np.int64))

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        known = self._valid_items([item])
        if known.size == 0:
            return empty_result()
        return rank_scores(self.item_scores(int(known[0])), n, exclude=known)

    # Vectorised batches: a subclass that can score many one-item queries as one dense block
    # implements ``score_rows``; queries then run in blocks of at most ``batch_budget`` scores.
    #: most scores one batch block holds (a class constant, not a hyperparameter)
    batch_budget: int = 20_000_000

    def score_rows(self, queries: np.ndarray, similar: bool) -> np.ndarray | None:
        """Return ``(len(queries), n_items)`` scores of one-item queries, or None to loop instead.

        ``similar`` selects :meth:`item_scores` (True) or one-item :meth:`basket_scores` semantics.
        """
        return None

    def similar_items_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        return self._batch(items, n, similar=True)

    def complete_basket_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        return self._batch(items, n, similar=False)

    def _batch(self, items: Sequence[int], n: int, similar: bool) -> tuple[np.ndarray, np.ndarray]:
        from ._topk import dense_topk_rows

        queries = np.asarray(list(items), dtype=np.int64)
        if self.score_rows(queries[:0], similar) is None:
            loop = Recommender.similar_items_batch if similar else Recommender.complete_basket_batch
            return loop(self, queries, n)
        ids = np.full((len(queries), n), -1, dtype=np.int64)
        scores = np.full((len(queries), n), np.nan, dtype=np.float64)
        known = np.flatnonzero((queries >= 0) & (queries < self.n_items_))
        step = max(1, self.batch_budget // max(self.n_items_, 1))
        for start in range(0, len(known), step):
            rows = known[start : start + step]
            block = np.array(self.score_rows(queries[rows], similar), dtype=np.float64)
            block[np.arange(len(rows)), queries[rows]] = -np.inf
            ids[rows], scores[rows] = dense_topk_rows(block, n)
        return ids, scores

    def complete_basket(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        known = self._valid_items(items)
        if known.size == 0:
            return empty_result()
        return rank_scores(self.basket_scores(known), n, exclude=known)


def _stack(results: list[tuple[np.ndarray, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.full((len(results), n), -1, dtype=np.int64)
    scores = np.full((len(results), n), np.nan, dtype=np.float64)
    for row, (i, s) in enumerate(results):
        k = min(n, len(i))
        ids[row, :k] = i[:k]
        scores[row, :k] = s[:k]
    return ids, scores


def as_csr(interactions: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """Return ``interactions`` as a float32 CSR matrix with duplicates summed."""
    matrix = sp.csr_matrix(interactions, dtype=np.float32)
    matrix.sum_duplicates()
    return matrix


def binarize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Return a copy of ``matrix`` with every stored non-zero set to 1."""
    out = matrix.copy()
    out.data = np.ones_like(out.data)
    out.eliminate_zeros()
    return out


__all__ = [
    "Items",
    "Mapping",
    "Recommender",
    "ScoringRecommender",
    "as_csr",
    "binarize",
    "empty_result",
    "item_column",
    "rank_scores",
]
