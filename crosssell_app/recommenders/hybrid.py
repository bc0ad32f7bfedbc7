"""The default recommender: a blend of linear, co-occurrence, session-kNN, factor, content and popularity scores."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._topk import DEFAULT_BLOCK_BUDGET
from .base import Items, ScoringRecommender, as_csr, binarize, indicator_matrix
from .content import TfidfContent
from .holdout import hide_random
from .itemcf import ItemCF
from .popularity import Popularity
from .ridge import NeighbourRidge
from .svd import SVD
from .usercf import UserCF

#: blend weights ``"auto"`` chooses from, smallest first (a tie goes to the earlier candidate)
USERCF_CANDIDATES = (0.3, 1.0, 2.0, 5.0)
CF_CANDIDATES = (0.0, 1.0)
#: the weights an ``"auto"`` weight takes when the newest orders are too few to choose from (a
#: new shop): the middle of the session-kNN candidates, so neither kind of shop gets its worst,
#: and no ItemCF (it added nothing on either data set's validation weeks)
FALLBACK_WEIGHTS = {"usercf_weight": 1.0, "cf_weight": 0.0}
#: the hold-out is at least this many rows, never more than half of them
MIN_TUNE_ROWS = 500
#: cut-off of the NDCG the weights are chosen by
TUNE_K = 10
#: most scores held at once per component while the candidate blends are evaluated
TUNE_BLOCK_BUDGET = 2_000_000

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Component:
    """One model of the blend: how :class:`Hybrid` builds it and which weight it carries where.

    ``together`` and ``similar`` name the Hybrid hyperparameter that weighs the component in
    bought-together and in similar lists (None: left out of that kind of list). A component is
    fitted only when one of its weights is positive, and blended through its public
    :meth:`~crosssell_app.recommenders.base.ScoringRecommender.score_baskets` only.
    """

    name: str
    build: Callable[[Any], ScoringRecommender]
    together: str | None
    similar: str | None
    #: False when ``fit`` reads only the item table and the item count, not the rows: then one fit
    #: serves both the weight search (fitted on the older rows) and the final model
    reads_rows: bool = True

    @property
    def attribute(self) -> str:
        """Name of the Hybrid's learned attribute holding the fitted component (None when not fitted)."""
        return self.name + "_"


#: the blend, in the order its scores are added; adding a model is one entry here (and its weight
#: hyperparameter in ``Hybrid.__init__``)
COMPONENTS = (
    Component(
        "ridge",
        lambda h: NeighbourRidge(neighbours=h.neighbours, l2=h.l2, shrinkage=h.shrinkage, block_budget=h.block_budget),
        together="ridge_weight",
        similar=None,
    ),
    Component("usercf", lambda h: UserCF(), together="usercf_weight", similar=None),
    Component(
        "itemcf",
        lambda h: ItemCF(
            similarity=h.similarity,
            neighbours=h.neighbours,
            shrinkage=h.shrinkage,
            min_support=h.min_support,
            beta=h.beta,
            block_budget=h.block_budget,
        ),
        together="cf_weight",
        similar="content_weight",
    ),
    Component(
        "content",
        lambda h: TfidfContent(neighbours=h.neighbours, block_budget=h.block_budget),
        together="content_weight",
        similar="similar_content_weight",
        reads_rows=False,
    ),
    Component("svd", lambda h: SVD(factors=h.factors), together="svd_weight", similar="svd_weight"),
    Component("popularity", lambda h: Popularity(), together="popularity_weight", similar="popularity_weight"),
)
#: the weights the search chooses, and the component each one weighs in bought-together lists
SEARCHED = {"usercf_weight": "usercf", "cf_weight": "itemcf"}


class Hybrid(ScoringRecommender):
    """Blend normalised component scores so that every product gets a full list.

    Each component scores every item for the query; each score vector is clipped at zero and
    divided by its maximum (so "best" is 1 whatever the component's scale), then the vectors are
    added with weights. For "bought together" a neighbourhood-restricted linear item model
    (:class:`NeighbourRidge`, sparse EASE) and the past orders most like the basket
    (:class:`UserCF`, session-kNN, which sees what whole baskets say and pairs do not: the
    mission or occasion a basket belongs to) lead, co-occurrence (:class:`ItemCF`) may be
    added, latent factors (:class:`SVD`) generalise to pairs never seen together, content
    (:class:`TfidfContent`) fills the lists of products with few or no sales, and a small
    popularity term breaks ties and back-fills the rest, so a query always gets ``n`` answers as
    long as ``n`` products have ever sold. "Similar" (substitutes) leaves the linear model and
    the session-kNN out and is led by the description (``similar_content_weight``), with
    co-occurrence at the small ``content_weight``.

    The defaults are what a new shop gets. They were chosen on the validation weeks of the
    generated grocery shop (``bench/synthetic.py``), never on Online Retail,
    which is their out-of-sample check (``docs/recommenders.md``). SVD is off by default
    (``svd_weight=0``): it added nothing there and dominates the fit time.

    **Self-tuned blend weights.** The weight of the session-kNN is left to the shop's own data
    (``usercf_weight="auto"``, and ``cf_weight="auto"`` for ItemCF) because its best value
    differs by shop: on the generated grocery shop's validation weeks ``usercf_weight=5`` was
    best (NDCG@10 0.5075 vs 0.4751 at 0.3; short baskets are told apart by their mission, which
    whole-order neighbours see best), on Online Retail's validation weeks 0.3 (0.2176 vs 0.1991
    at 5; long wholesale orders, where pairs say enough), and the grocery choice of 5 as a fixed
    default cost Online Retail's test weeks 0.1632 against 0.1819 at 0.3. No single number suits
    both, so ``fit`` chooses one per shop, on that shop's newest orders:

    1. hold out the newest ``tune_fraction`` of the rows (rows are orders in time order; at
       least ``MIN_TUNE_ROWS`` rows, at most half of them);
    2. fit the components on the older rows;
    3. hide one random item (seeded by ``random_state``) in each of at most ``tune_cases``
       held-out baskets that keep two or more items the older rows know;
    4. score each component once per case and compute NDCG@10 of every candidate blend
       (``USERCF_CANDIDATES`` x ``CF_CANDIDATES`` for the ``"auto"`` weights; only the weights
       change, so this costs little), excluding the basket's items as :meth:`complete_basket`
       does; the best wins, a tie goes to the smaller weight;
    5. refit the components on all rows.

    The choice is kept as ``usercf_weight_`` and ``cf_weight_`` (saved with the model; the
    searched table is ``weight_search_``, rows ``(usercf_weight, cf_weight, ndcg)``, with
    ``tune_cases_`` cases). With fewer than ``min_tune_cases`` usable held-out baskets the
    shop cannot tell the blends apart and an ``"auto"`` weight takes ``FALLBACK_WEIGHTS``
    (``usercf_weight`` 1, ``cf_weight`` 0). A number instead of ``"auto"`` fixes the weight; with
    both fixed nothing is held out. The search roughly doubles the fit time (every component
    but content is fitted twice).

    **Components.** The blend is the table :data:`COMPONENTS`: each entry says how to build a
    model from these hyperparameters and which weight it carries in each kind of list. Only
    components with a positive weight are fitted, and they are read only through their public
    :meth:`~crosssell_app.recommenders.base.ScoringRecommender.score_baskets`, so any scoring
    model can join the blend.

    Parameters
    ----------
    similarity, neighbours, shrinkage, min_support, beta :
        Passed to :class:`ItemCF` (``neighbours`` and ``shrinkage`` also to :class:`NeighbourRidge`).
    factors :
        Passed to :class:`SVD`; ``svd_weight=0`` skips fitting it.
    cf_weight, usercf_weight : float or "auto"
        Blend weights of ItemCF and of the session-kNN for "bought together"; ``"auto"``
        chooses them on the shop's newest orders (above). ``usercf_weight=0`` skips fitting the
        session-kNN (a memory-based model: it keeps the order rows, so a saved Hybrid holds
        them too). ItemCF is fitted whenever it weighs in either kind of list.
    svd_weight, content_weight, popularity_weight, ridge_weight : float
        Blend weights of the other normalised component scores (for "bought together");
        ``ridge_weight=0`` skips fitting the linear model.
    similar_content_weight : float
        Weight of content in "similar" (co-occurrence gets ``content_weight`` there, SVD and
        popularity their usual weights).
    l2 : float
        Ridge strength of :class:`NeighbourRidge`.
    block_budget : int
        Most scores held at once while the item-item components build their neighbours.
    tune_fraction : float
        Share of the newest rows held out to choose the ``"auto"`` weights.
    tune_cases : int
        Most hide-one cases drawn from the held-out rows.
    min_tune_cases : int
        Fewest usable cases for a choice; below it the fallback weights are used.
    random_state : int
        Seed of the held-out cases.
    """

    learned_attributes = (
        "n_items_",
        *(component.attribute for component in COMPONENTS),
        "usercf_weight_",
        "cf_weight_",
        "tune_cases_",
        "weight_search_",
    )

    def __init__(
        self,
        similarity: str = "rp3beta",
        neighbours: int = 100,
        shrinkage: float = 10.0,
        min_support: int = 1,
        beta: float = 0.3,
        factors: int = 64,
        cf_weight: float | str = "auto",
        svd_weight: float = 0.0,
        content_weight: float = 0.05,
        popularity_weight: float = 0.05,
        ridge_weight: float = 1.0,
        l2: float = 30.0,
        usercf_weight: float | str = "auto",
        similar_content_weight: float = 1.0,
        block_budget: int = DEFAULT_BLOCK_BUDGET,
        tune_fraction: float = 0.1,
        tune_cases: int = 1000,
        min_tune_cases: int = 50,
        random_state: int = 0,
    ) -> None:
        self.similarity = similarity
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.beta = beta
        self.factors = factors
        self.cf_weight = cf_weight
        self.svd_weight = svd_weight
        self.content_weight = content_weight
        self.popularity_weight = popularity_weight
        self.ridge_weight = ridge_weight
        self.l2 = l2
        self.usercf_weight = usercf_weight
        self.similar_content_weight = similar_content_weight
        self.block_budget = block_budget
        self.tune_fraction = tune_fraction
        self.tune_cases = tune_cases
        self.min_tune_cases = min_tune_cases
        self.random_state = random_state

    def fit(self, interactions: sp.spmatrix, items: Items | None = None) -> Hybrid:
        """Choose the ``"auto"`` weights on the newest rows, then fit every weighted component on all rows."""
        matrix = binarize(as_csr(interactions))
        for name in SEARCHED:
            _candidates(name, getattr(self, name))  # reject a bad weight before any work
        shared: dict[str, ScoringRecommender] = {}  # components fitted once for the search and the model
        self.usercf_weight_, self.cf_weight_ = self._choose_weights(matrix, items, shared)
        self._fit_components(matrix, items, self._weighted({}, similar_lists=True), shared)
        return self

    def _weighted(self, given: dict[str, float], similar_lists: bool) -> set[str]:
        """Return the names of the components with a positive weight in bought-together lists
        (and, with ``similar_lists``, in similar lists); ``given`` overrides weights by name."""
        names = set()
        for component in COMPONENTS:
            params = [component.together] + ([component.similar] if similar_lists else [])
            if any(given.get(p, self._weight(p)) > 0 for p in params if p is not None):
                names.add(component.name)
        return names

    def _fit_components(
        self, matrix: sp.csr_matrix, items: Items | None, names: set[str], shared: dict[str, ScoringRecommender]
    ) -> None:
        """Fit the components ``names`` on ``matrix`` (the others are None); reuse ``shared`` row-free fits."""
        self.n_items_ = matrix.shape[1]
        for component in COMPONENTS:
            model = None
            if component.name in names:
                model = shared.get(component.name)
                if model is None:
                    model = component.build(self).fit(matrix, items)
                if not component.reads_rows:
                    shared[component.name] = model
            setattr(self, component.attribute, model)

    # ---------------------------------------------------------------- choosing the weights
    def _choose_weights(
        self, matrix: sp.csr_matrix, items: Items | None, shared: dict[str, ScoringRecommender]
    ) -> tuple[float, float]:
        """Return ``(usercf_weight, cf_weight)``: fixed ones as given, ``"auto"`` ones searched."""
        usercf_grid = _candidates("usercf_weight", self.usercf_weight)
        cf_grid = _candidates("cf_weight", self.cf_weight)
        self.tune_cases_ = 0
        self.weight_search_ = None
        if len(usercf_grid) == 1 and len(cf_grid) == 1:
            return usercf_grid[0], cf_grid[0]
        older, baskets, hidden = self._hold_out(matrix)
        if len(hidden) < self.min_tune_cases:
            logger.info("Hybrid: %d held-out cases (< %d), fallback weights", len(hidden), self.min_tune_cases)
            fallback = [
                g[0] if len(g) == 1 else FALLBACK_WEIGHTS[n]
                for n, g in (("usercf_weight", usercf_grid), ("cf_weight", cf_grid))
            ]
            return fallback[0], fallback[1]
        probe = type(self)(**self.get_params(deep=False))
        largest = {"usercf_weight": max(usercf_grid), "cf_weight": max(cf_grid)}
        probe._fit_components(older, items, probe._weighted(largest, similar_lists=False), shared)
        candidates = [(u, c) for u in usercf_grid for c in cf_grid]
        values = probe.candidate_ndcg(baskets, hidden, candidates)
        best = int(np.argmax(values))  # the first of equal maxima: the smaller weights
        self.tune_cases_ = len(hidden)
        self.weight_search_ = np.array([[u, c, v] for (u, c), v in zip(candidates, values)], dtype=np.float64)
        logger.info(
            "Hybrid: weights chosen on %d held-out cases: usercf %s, cf %s (NDCG@%d %s)",
            len(hidden),
            *candidates[best],
            TUNE_K,
            ", ".join(f"{u:g}/{c:g}={v:.4f}" for (u, c), v in zip(candidates, values)),
        )
        return candidates[best]

    def _hold_out(self, matrix: sp.csr_matrix) -> tuple[sp.csr_matrix, list[np.ndarray], np.ndarray]:
        """Return the older rows and the hide-one cases ``(baskets, hidden)`` of the newest rows."""
        n_rows = matrix.shape[0]
        n_held = min(max(int(np.ceil(self.tune_fraction * n_rows)), MIN_TUNE_ROWS), n_rows // 2)
        older, newest = matrix[: n_rows - n_held], matrix[n_rows - n_held :]
        known = np.diff(sp.csc_matrix(older).indptr) > 0  # items the older rows have sold
        cases = hide_random(newest, seed=self.random_state, max_cases=self.tune_cases, known=known)
        return older, cases.baskets, cases.hidden

    def candidate_ndcg(
        self, baskets: list[np.ndarray], hidden: np.ndarray, candidates: list[tuple[float, float]]
    ) -> np.ndarray:
        """Return the mean NDCG@10 of each ``(usercf_weight, cf_weight)`` blend on hide-one cases.

        This is the score the weight search ranks candidates by, public so that a benchmark can
        score other blends exactly as the search does (``bench/blend_ceiling.py``). Each component
        is scored once per block of cases; a candidate only re-weights them. Ranks follow
        :func:`~crosssell_app.recommenders.base.rank_scores`: the basket is excluded,
        no-evidence items (blend <= 0) are never returned and ties go to the lower item index.

        Parameters
        ----------
        baskets : list of int arrays
            Each case's basket without its hidden item.
        hidden : int array
            Each case's hidden item.
        candidates : list of ``(usercf_weight, cf_weight)``
            The blends to score; every other weight is the model's own.
        """
        fixed = self._blend_weights(similar=False, **dict.fromkeys(SEARCHED, 0.0))
        knn_name, pairs_name = SEARCHED["usercf_weight"], SEARCHED["cf_weight"]
        use_usercf = any(u for u, _ in candidates) and getattr(self, knn_name + "_") is not None
        use_itemcf = any(c for _, c in candidates) and getattr(self, pairs_name + "_") is not None
        gains = np.zeros(len(candidates))
        step = max(1, TUNE_BLOCK_BUDGET // max(self.n_items_, 1))
        columns = np.arange(self.n_items_)[None, :]
        discounts = 1.0 / np.log2(np.arange(TUNE_K) + 2.0)
        for start in range(0, len(hidden), step):
            block = indicator_matrix(baskets[start : start + step], self.n_items_)
            target = hidden[start : start + step]
            rows = np.arange(len(target))
            base = np.zeros(block.shape)
            for name, weight in fixed.items():
                base += weight * self._unit_scores(block, name)
            knn = self._unit_scores(block, knn_name) if use_usercf else 0.0
            pairs = self._unit_scores(block, pairs_name) if use_itemcf else 0.0
            in_basket = block.toarray() > 0
            for index, (u, c) in enumerate(candidates):
                total = base + u * knn + c * pairs
                total[(total <= 0) | in_basket] = -np.inf
                mine = total[rows, target][:, None]
                rank = (total > mine).sum(axis=1) + ((total == mine) & (columns < target[:, None])).sum(axis=1)
                hit = np.isfinite(mine[:, 0]) & (rank < TUNE_K)
                gains[index] += discounts[rank[hit]].sum()
        return gains / max(len(hidden), 1)

    # ---------------------------------------------------------------- scoring
    def _weight(self, name: str) -> float:
        """Return the blend weight ``name`` in use: learned, else fixed, else the fallback."""
        learned = getattr(self, name + "_", None)  # absent from files saved before the search
        if learned is not None:
            return float(learned)
        value = getattr(self, name)
        return FALLBACK_WEIGHTS[name] if _is_auto(value) else float(value)

    def _blend_weights(self, similar: bool, **given: float) -> dict[str, float]:
        """Return ``{component: weight}`` of the fitted components weighing in one kind of list, in blend order.

        ``given`` replaces weights by hyperparameter name (the search's candidates).
        """
        weights = {}
        for component in COMPONENTS:
            param = component.similar if similar else component.together
            if param is None or getattr(self, component.attribute, None) is None:
                continue
            weight = float(given[param]) if param in given else self._weight(param)
            if weight:
                weights[component.name] = weight
        return weights

    def _unit_scores(self, baskets: sp.csr_matrix, name: str) -> np.ndarray:
        """Return component ``name``'s scores of an indicator basket matrix, each row scaled to max 1."""
        return _unit_rows(getattr(self, name + "_").score_baskets(baskets))

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return blended bought-together scores, shape ``(n_baskets, n_items)``, of an indicator matrix.

        Items without any evidence get ``-inf``; items in their own basket are not excluded here.
        """
        return self._blend(baskets, similar=False)

    def _blend(self, baskets: sp.csr_matrix, similar: bool = False) -> np.ndarray:
        """Return blended scores, shape ``(n_baskets, n_items)``, of an indicator basket matrix.

        Items without any evidence get ``-inf``; items in their own basket are not excluded here.
        """
        weights = self._blend_weights(similar)
        total = np.zeros(baskets.shape, dtype=np.float64)
        for name, weight in weights.items():
            total += weight * self._unit_scores(baskets, name)
        total[total <= 0] = -np.inf
        return total

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        return self._blend(indicator_matrix([items], self.n_items_))[0]

    def item_scores(self, item: int) -> np.ndarray:
        return self._blend(indicator_matrix([[item]], self.n_items_), similar=True)[0]

    def score_rows(self, queries: np.ndarray, similar: bool) -> np.ndarray:
        """Blend a block of one-item queries at once (the batch queries use this)."""
        return self._blend(indicator_matrix(queries[:, None], self.n_items_), similar)


def _is_auto(value: object) -> bool:
    return isinstance(value, str) and value == "auto"


def _candidates(name: str, value: float | str) -> tuple[float, ...]:
    """Return the weights ``name`` may take: its candidates when ``"auto"``, else the number given."""
    if _is_auto(value):
        return USERCF_CANDIDATES if name == "usercf_weight" else CF_CANDIDATES
    if isinstance(value, str):
        raise TypeError(f"{name} must be a number or 'auto', not {value!r}")
    return (float(value),)


def _unit_rows(scores: np.ndarray) -> np.ndarray:
    """Clip ``scores`` at zero and divide each row by its maximum (rows of zeros stay zero)."""
    scores = np.where(np.isfinite(scores), np.maximum(scores, 0.0), 0.0)
    peak = scores.max(axis=1, keepdims=True)
    return scores / np.where(peak > 0, peak, 1.0)
