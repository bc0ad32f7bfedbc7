"""The interface every recommender shares.

Recommenders are pure numpy/scipy/scikit-learn (and, for the MLP, TensorFlow) code. They never
import Django, read settings or touch a cache, so they run the same in a Celery worker, a
benchmark script or a notebook.

Conventions (scikit-learn's and implicit's):

* ``__init__`` only stores hyperparameters; everything learned ends in ``_``; ``fit`` returns
  ``self`` and a second ``fit`` overwrites the first. ``get_params`` / ``set_params`` behave as
  scikit-learn defines them.
* A class declares what it offers and needs: :attr:`Recommender.publishes` (the kinds of list it
  fills) and :attr:`Recommender.accepts` (the optional inputs its ``fit`` reads, by keyword), so
  the training pipeline reads a declaration instead of probing the class.
* Items are contiguous column indices ``0 .. n_items_ - 1``. Mapping shop primary keys to
  indices is the caller's job (the training service does it).
* ``fit(interactions, items=None, customers=None, ...)``: ``interactions`` is orders x items
  with its rows **in time order** (oldest first), so a model may hold its own newest rows out;
  ``customers`` is a 1-D int array, ``customers[r]`` the customer of row ``r`` or -1 (an order
  nobody is known to have placed). Every ``fit`` takes these keywords and ignores what it cannot
  use; :attr:`Recommender.accepts` names the ones it reads, and only those are passed by the
  training pipeline. :func:`customer_matrix` turns the vector into customers x items.
* ``complete_basket(items, n=10, history=None)``: ``history`` is the customer's earlier baskets,
  oldest first, each a sequence of item indices. The basket's own items are never returned;
  items of the history may be (buying again is part of completing a basket). A model that does
  not use the history answers as without it, and ``history=None`` always means "no customer".
* Every query returns ``(ids, scores)``: two 1-D numpy arrays of equal length, best first,
  ``ids`` of dtype int64, ``scores`` of dtype float32/float64. Fewer than ``n`` items may come
  back; an unknown item or an empty basket (with no history) gives empty arrays, never an exception.
* Learned state is what prediction needs, not a copy of the training matrices (a memory-based
  model, whose prediction is a look-up over the training rows, says so with
  :attr:`Recommender.keeps_rows`).
* Models are saved with ``np.savez`` and loaded with ``allow_pickle=False``; a file names its
  class by full import path and carries :data:`FORMAT_VERSION`.
"""

from __future__ import annotations

import inspect
import json
import os
import pkgutil
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

Items = Any  # a pandas DataFrame or a mapping of column name -> equal-length sequence

# Kinds of list a recommender can publish: the values of ``crosssell_app.models.Kind``, spelled
# out here because this package never imports Django.
TOGETHER = "together"
SIMILAR = "similar"
FOR_YOU = "for_you"
UPGRADE = "upgrade"

# Optional inputs of ``fit``, each the keyword it is passed under (the orders x items matrix is
# always the first argument).
ITEMS = "items"  #: the item table (text, category, price, ...)
#: 1-D int array, one entry per interaction row: the row's customer index, or -1 when unknown
CUSTOMERS = "customers"
VIEWS = "views"  #: visitors x items: what each visitor (user or session) viewed

#: version of the layout ``Recommender.save`` writes; ``load`` refuses any other
FORMAT_VERSION = 2


class ModelFormatError(ValueError):
    """A saved model file was written in another format version than this code reads."""


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


def binary_matrix(
    rows: Sequence[int] | np.ndarray, cols: Sequence[int] | np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """Return a 0/1 float32 CSR matrix with a one at every ``(rows[i], cols[i])``.

    A repeated pair counts once, so order lines, baskets and views all become "holds it or not".
    The result is canonical (sorted indices, no duplicates). The one place such matrices are built,
    for the recommenders, the training dataset and the offline evaluation alike.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def indicator_matrix(baskets: Sequence[Sequence[int]] | np.ndarray, n_items: int) -> sp.csr_matrix:
    """Return the binary ``(len(baskets), n_items)`` matrix with one row per basket of item indices."""
    lengths = np.array([len(basket) for basket in baskets], dtype=np.int64)
    cols = np.concatenate([np.asarray(b, dtype=np.int64).ravel() for b in baskets]) if len(baskets) else []
    return binary_matrix(np.repeat(np.arange(len(lengths)), lengths), cols, (len(lengths), n_items))


class Recommender:
    """Base class: fit on a basket (or user) x item matrix, then answer item and basket queries."""

    #: kinds of list this model fills when its settings entry names none (:data:`TOGETHER`, ...)
    publishes: ClassVar[tuple[str, ...]] = (TOGETHER, SIMILAR, FOR_YOU)
    #: optional inputs ``fit`` reads, by keyword (:data:`ITEMS`, :data:`CUSTOMERS`, :data:`VIEWS`); every
    #: ``fit`` also takes ``items`` and ``customers`` and ignores them when they are not listed here
    accepts: ClassVar[frozenset[str]] = frozenset({ITEMS})
    #: True when prediction looks the training rows up (a kNN over past baskets), so they are learned state
    keeps_rows: ClassVar[bool] = False
    #: names of the learned attributes that ``save`` writes; subclasses list theirs
    learned_attributes: ClassVar[tuple[str, ...]] = ("n_items_",)

    #: learned: number of item columns seen by ``fit``
    n_items_: int

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> Recommender:
        """Learn from ``interactions`` (rows are orders in time order, columns items) and return self.

        ``customers[r]`` is the customer of row ``r`` (-1: unknown); a model that cannot use it
        ignores it.
        """
        raise NotImplementedError

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` items most like ``item`` (never ``item`` itself)."""
        raise NotImplementedError

    def complete_basket(
        self, items: Sequence[int], n: int = 10, history: Sequence[Sequence[int]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` items to add to a basket holding ``items``, none already in it.

        ``history`` is the customer's earlier baskets, oldest first; its items may be returned.
        """
        raise NotImplementedError

    # Batch forms used by training to publish a list for every product. Subclasses override them
    # with vectorised code where that pays; the defaults loop over the single-item queries.
    def similar_items_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(ids, scores)`` of shape ``(len(items), n)``; short rows are padded with -1 / nan."""
        return pad_answers([self.similar_items(int(i), n) for i in items], n)

    def complete_basket_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return bought-together lists for many one-item baskets, shaped like ``similar_items_batch``."""
        return pad_answers([self.complete_basket([int(i)], n) for i in items], n)

    def known_items(self, items: Sequence[int]) -> np.ndarray:
        """Return the item indices of ``items`` this model knows, as int64 (unknown ones dropped).

        Every query starts here, which is why an unknown item never raises.
        """
        arr = np.asarray(list(items), dtype=np.int64).ravel()
        return arr[(arr >= 0) & (arr < getattr(self, "n_items_", 0))]

    # ------------------------------------------------------------------ hyperparameters
    @classmethod
    def _param_names(cls) -> list[str]:
        """Return the names of ``__init__``'s arguments: the hyperparameters (scikit-learn's rule)."""
        if cls.__init__ is object.__init__:
            return []
        names = []
        for parameter in inspect.signature(cls.__init__).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must name every hyperparameter (no *args or **kwargs)")
            if parameter.name != "self":
                names.append(parameter.name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the hyperparameters given to ``__init__``, as scikit-learn defines it.

        With ``deep`` a hyperparameter that is itself an estimator (has ``get_params``) also
        contributes its own as ``<name>__<its parameter>``.
        """
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{key}", inner) for key, inner in value.get_params(deep=True).items())
        return params

    def set_params(self, **params: Any) -> Recommender:
        """Set hyperparameters (``<name>__<parameter>`` reaches into a nested estimator); return self.

        Raises
        ------
        ValueError
            When a name is not a hyperparameter of this model (or of the nested estimator).
        """
        valid = self.get_params(deep=False)
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, separator, inner = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no hyperparameter {name!r}; it has {sorted(valid)}"
                )
            if separator:
                nested.setdefault(name, {})[inner] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, inner_params in nested.items():
            if not hasattr(valid[name], "set_params"):
                raise ValueError(f"{type(self).__name__}.{name} is not an estimator, so {name}__... names nothing")
            valid[name].set_params(**inner_params)
        return self

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write hyperparameters and learned state to ``path`` with ``np.savez`` (no pickle).

        Notes
        -----
        The file records :data:`FORMAT_VERSION` and, for the model and every nested one, the
        class's import path (``module:qualname``), which :meth:`load` imports. Learned
        attributes may be numbers, numpy arrays, scipy sparse matrices, ``None`` or other
        recommenders (saved recursively under a key prefix), so composite models need no code of
        their own. The file name is used as given: numpy adds ``.npz`` when it is missing.
        """
        arrays: dict[str, np.ndarray] = {"__format__": np.asarray(FORMAT_VERSION, dtype=np.int64)}
        _flatten_state(self, "", arrays)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Recommender:
        """Return the model written by :meth:`save` at ``path``, read with ``allow_pickle=False``.

        Raises
        ------
        ModelFormatError
            When the file was written in another format version (refit to write it again).
        TypeError
            When the file holds a model that is not a ``cls``.
        """
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        version = int(arrays["__format__"]) if "__format__" in arrays else 1  # 1: before versions were written
        if version != FORMAT_VERSION:
            raise ModelFormatError(
                f"{path} is a model file of format {version}; this version of crosssell reads format "
                f"{FORMAT_VERSION} only. Fit the model again (a retrain does) to write a readable file."
            )
        model = _restore_state(arrays, "", path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def _after_load(self, path: str) -> None:
        """Hook for models with state outside the ``.npz`` file (the MLP's Keras file)."""


def class_path(klass: type) -> str:
    """Return the import path ``module:qualname`` a saved file names ``klass`` by."""
    return f"{klass.__module__}:{klass.__qualname__}"


def _flatten_state(model: Recommender, prefix: str, out: dict[str, np.ndarray]) -> None:
    path = class_path(type(model))
    try:
        importable = pkgutil.resolve_name(path) is type(model)
    except (ImportError, AttributeError, ValueError):
        importable = False
    if not importable:
        raise ValueError(f"{path} cannot be imported by its path, so a saved file could not be loaded; "
                         "define the class at the top level of a module")
    out[prefix + "__class__"] = np.array(path)
    out[prefix + "__params__"] = np.array(json.dumps(model.get_params(deep=False)))
    for name in model.learned_attributes:
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


def _import_recommender(name: str, path: str) -> type[Recommender]:
    """Return the Recommender class a saved file names by its import path."""
    try:
        klass = pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot import the class {name!r} the model was saved from: {exc}") from exc
    if not (isinstance(klass, type) and issubclass(klass, Recommender)):
        raise TypeError(f"{path}: {name!r} is not a Recommender class")
    return klass


def _restore_state(arrays: dict[str, np.ndarray], prefix: str, path: str) -> Recommender:
    klass = _import_recommender(str(arrays[prefix + "__class__"]), path)
    model = klass(**json.loads(str(arrays[prefix + "__params__"])))
    for attr in klass.learned_attributes:
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
    :meth:`score_baskets` scores many baskets at once; it is what a blend of models
    (:class:`~crosssell_app.recommenders.hybrid.Hybrid`) reads, so any scoring model can join one.
    """

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        """Return a score for every item given a basket of known item indices (may be empty)."""
        raise NotImplementedError

    def item_scores(self, item: int) -> np.ndarray:
        """Return a similarity score for every item to ``item``; defaults to a one-item basket."""
        return self.basket_scores(np.array([item], dtype=np.int64))

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return the evidence for every item of each basket, a dense ``(n_baskets, n_items)`` array.

        Parameters
        ----------
        baskets : sparse matrix of shape (n_baskets, n_items)
            0/1 rows, one basket each (see :func:`indicator_matrix`).

        Returns
        -------
        ndarray
            Scores on the model's own scale, larger is better; an entry that is not positive
            (zero, negative or ``-inf``) is no evidence for the item. For a basket with items,
            positive entries agree with :meth:`basket_scores` (up to float rounding); items of
            the basket are not excluded.

        Notes
        -----
        This default scores one basket at a time; models override it with one sparse or dense
        product over all baskets.
        """
        csr = sp.csr_matrix(baskets)
        scores = np.zeros((csr.shape[0], self.n_items_), dtype=np.float64)
        for row in range(csr.shape[0]):
            items = self.known_items(csr.indices[csr.indptr[row] : csr.indptr[row + 1]])
            if items.size:
                scores[row] = self.basket_scores(items)
        return scores

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        known = self.known_items([item])
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

    def complete_basket(
        self, items: Sequence[int], n: int = 10, history: Sequence[Sequence[int]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rank :meth:`basket_scores` of the known basket items; ``history`` is not used here."""
        known = self.known_items(items)
        if known.size == 0:
            return empty_result()
        return rank_scores(self.basket_scores(known), n, exclude=known)


def pad_answers(results: list[tuple[np.ndarray, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-query ``(ids, scores)`` answers into ``(len(results), n)`` arrays padded with -1 / nan."""
    ids = np.full((len(results), n), -1, dtype=np.int64)
    scores = np.full((len(results), n), np.nan, dtype=np.float64)
    for row, (i, s) in enumerate(results):
        k = min(n, len(i))
        ids[row, :k] = i[:k]
        scores[row, :k] = s[:k]
    return ids, scores


def row_customers(customers: Sequence[int] | np.ndarray | None, n_rows: int) -> np.ndarray:
    """Return the per-row customer vector as int64 of length ``n_rows`` (all -1 when None).

    Raises
    ------
    ValueError
        When ``customers`` is not 1-D or its length differs from the number of rows: a customers
        x items matrix (this keyword's meaning before the vector) is refused, not misread.
    """
    if customers is None:
        return np.full(n_rows, -1, dtype=np.int64)
    if sp.issparse(customers):
        raise ValueError("customers is one customer index per interaction row (-1: unknown), not a matrix")
    vector = np.asarray(customers, dtype=np.int64)
    if vector.ndim != 1 or len(vector) != n_rows:
        raise ValueError(
            f"customers must be a 1-D array with one entry per interaction row ({n_rows}), got shape {vector.shape}"
        )
    return np.where(vector >= 0, vector, -1)


def customer_matrix(interactions: sp.spmatrix, customers: Sequence[int] | np.ndarray | None) -> sp.csr_matrix:
    """Return the binary customers x items matrix: what each customer bought over all their rows.

    Row ``c`` holds every item of the rows whose customer is ``c``; rows of unknown customers
    (-1) count for nobody. With no customers the matrix has no rows.
    """
    matrix = sp.csr_matrix(interactions)
    owners = row_customers(customers, matrix.shape[0])
    known = owners >= 0
    n_customers = int(owners.max()) + 1 if known.any() else 0
    lengths = np.diff(matrix.indptr)
    row_of_line = np.repeat(owners, lengths)
    keep = row_of_line >= 0
    return binary_matrix(row_of_line[keep], matrix.indices[keep], (n_customers, matrix.shape[1]))


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
    "CUSTOMERS",
    "FORMAT_VERSION",
    "FOR_YOU",
    "ITEMS",
    "SIMILAR",
    "TOGETHER",
    "UPGRADE",
    "VIEWS",
    "Items",
    "ModelFormatError",
    "Recommender",
    "ScoringRecommender",
    "as_csr",
    "binarize",
    "binary_matrix",
    "class_path",
    "customer_matrix",
    "empty_result",
    "indicator_matrix",
    "item_column",
    "pad_answers",
    "rank_scores",
    "row_customers",
]
