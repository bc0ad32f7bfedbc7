"""The default recommender: a blend of linear, co-occurrence, session-kNN, factor, neural, content and popularity scores."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._topk import DEFAULT_BLOCK_BUDGET
from .base import CUSTOMERS, ITEMS, Items, ScoringRecommender, as_csr, binarize, indicator_matrix
from .content import TfidfContent
from .holdout import hide_random
from .itemcf import ItemCF
from .mlp import MLP
from .popularity import Popularity
from .repeat import FALLBACK_HISTORY, History, HistoryChoice, choose_or_fix, complete_with_history, tune_history
from .ridge import NeighbourRidge
from .svd import SVD
from .usercf import UserCF

#: what each ``"auto"`` hyperparameter is chosen from, smallest first (a tie goes to the earlier
#: candidate); every blend weight is relative to the linear model's, which stays fixed
CANDIDATES: dict[str, tuple[float, ...]] = {
    "l2": (10.0, 30.0, 100.0),
    "usercf_weight": (0.0, 0.3, 1.0, 2.0, 5.0, 10.0),
    "cf_weight": (0.0, 0.3, 1.0),
    "content_weight": (0.0, 0.02, 0.05, 0.2),
    "svd_weight": (0.0, 0.1, 0.3, 1.0),
    "mlp_weight": (0.0, 0.1, 0.3, 1.0),
    "popularity_weight": (0.0, 0.02, 0.05, 0.2),
}
#: where the search starts, and the value an ``"auto"`` hyperparameter takes when the newest
#: orders are too few to choose from (a new shop): the defaults of the round before the search
#: covered every weight (session-kNN 1, the middle of its old candidates; no ItemCF, SVD or MLP)
FALLBACK_WEIGHTS: dict[str, float] = {
    "l2": 30.0,
    "usercf_weight": 1.0,
    "cf_weight": 0.0,
    "content_weight": 0.05,
    "svd_weight": 0.0,
    "mlp_weight": 0.0,
    "popularity_weight": 0.05,
}
#: the searched hyperparameters, in the order the search visits them (and the columns of ``weight_search_``)
SEARCHED = tuple(CANDIDATES)
#: passes of the coordinate search over every ``"auto"`` hyperparameter (it stops early when a pass changes nothing)
SEARCH_ROUNDS = 2
#: the hold-out is at least this many rows, never more than half of them
MIN_TUNE_ROWS = 500
#: cut-off of the NDCG the weights are chosen by
TUNE_K = 10
#: most scores held at once per component while :meth:`Hybrid.candidate_ndcg` scores blends
TUNE_BLOCK_BUDGET = 2_000_000
#: most scores the search keeps (every component's score of every held-out case, float64: 480 MB);
#: a large catalogue gets fewer cases so the search never holds more
MAX_TUNE_SCORES = 60_000_000

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
#: hyperparameter in ``Hybrid.__init__``, with its candidates in ``CANDIDATES``)
COMPONENTS = (
    Component(
        "ridge",
        lambda h: NeighbourRidge(
            neighbours=h.neighbours, l2=h._weight("l2"), shrinkage=h.shrinkage, block_budget=h.block_budget
        ),
        together="ridge_weight",
        similar=None,
    ),
    Component("usercf", lambda h: UserCF(rows="orders"), together="usercf_weight", similar=None),
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
    Component(
        "mlp",
        lambda h: MLP(
            embedding_dim=h.mlp_dim, epochs=h.mlp_epochs, positive_pairs=h.mlp_pairs, random_state=h.random_state
        ),
        together="mlp_weight",
        similar=None,
    ),
    Component("popularity", lambda h: Popularity(), together="popularity_weight", similar="popularity_weight"),
)


def tensorflow_installed() -> bool:
    """Return True when TensorFlow can be imported (checked without importing it)."""
    return find_spec("tensorflow") is not None


#: learned attributes of the history blend (:mod:`.repeat`): weight, weight per unit of the
#: basket's repeat share, recency decay, and the held-out cases they were chosen on
HISTORY_LEARNED = ("history_weight_", "ratio_weight_", "history_decay_", "history_cases_")

class Hybrid(ScoringRecommender):
    """Blend normalised component scores so that every product gets a full list.

    Each component scores every item for the query; each score vector is clipped at zero and
    divided by its maximum (so "best" is 1 whatever the component's scale), then the vectors are
    added with weights. For "bought together" a neighbourhood-restricted linear item model
    (:class:`NeighbourRidge`, sparse EASE) leads, with weight 1; the past orders most like the
    basket (:class:`UserCF` over orders, session-kNN, which sees what whole baskets say and pairs
    do not: the mission or occasion a basket belongs to), co-occurrence (:class:`ItemCF`),
    latent factors (:class:`SVD`, pairs never seen together), the neural model
    (:class:`MLP`: baskets and product features, so products that never sold are placed by
    their words, category and price), content (:class:`TfidfContent`, lists of products with
    few or no sales) and popularity (ties and back-fill, so a query gets ``n`` answers as long
    as ``n`` products have ever sold) are added with weights the shop's own data chooses.
    "Similar" (substitutes) leaves the linear model, the session-kNN and the MLP out and is led
    by the description (``similar_content_weight``), with co-occurrence at ``content_weight``.

    **Every weight, and the ridge strength, chosen per shop.** A weight that suits a wholesale
    gift shop (long orders, where pairs say enough) does not suit a grocery shop (short baskets,
    told apart by their mission) or an id-only shop; fixed defaults chosen on one shop scored at
    the level of popularity on another. So every blend weight but the linear model's, and its
    ``l2``, default to ``"auto"``, and ``fit`` chooses them on the shop's newest orders:

    1. hold out the newest ``tune_fraction`` of the rows (rows are orders in time order; at
       least ``MIN_TUNE_ROWS`` rows, at most half of them);
    2. fit every component that may take part on the older rows (the linear model once per
       ``l2`` candidate);
    3. hide one random item (seeded by ``random_state``) in each of at most ``tune_cases``
       held-out baskets that keep two or more items the older rows know (fewer on a large
       catalogue, so the cached scores stay under ``MAX_TUNE_SCORES``);
    4. score each component once per case, then search: starting from ``FALLBACK_WEIGHTS``,
       visit each ``"auto"`` hyperparameter in turn and set it to the candidate of
       ``CANDIDATES`` with the best NDCG@10 of the blend (the basket excluded, as
       :meth:`complete_basket` does; a tie keeps the earlier, smaller candidate), for
       ``SEARCH_ROUNDS`` passes or until a pass changes nothing (coordinate ascent: only weights
       change, so each point costs one weighted sum, not a fit);
    5. refit on all rows the components whose chosen weight is positive.

    The choice is kept as ``<name>_`` (``l2_``, ``usercf_weight_``, ... saved with the model);
    ``weight_search_`` holds every point tried, columns ``SEARCHED`` then NDCG@10, on
    ``tune_cases_`` cases. With fewer than ``min_tune_cases`` usable held-out baskets the shop
    cannot tell blends apart and the ``"auto"`` ones take ``FALLBACK_WEIGHTS``. A number instead
    of ``"auto"`` fixes a value; with all fixed nothing is held out.

    **The customer's history.** Given each row's customer in ``fit`` and a customer's earlier
    baskets in ``complete_basket``, the blend adds what that customer buys again
    (:mod:`.repeat`): the weight of their decayed repeat counts grows with the share of the basket
    they bought before, and it is chosen on the shop's own newest orders of returning customers,
    against this blend refitted on the older orders (one more fit). ``docs/recommenders.md``
    ("Customer-aware completion") has the measurements.

    **Switching a component off.** A weight of 0 (``RECOMMENDERS['hybrid']['options']``, e.g.
    ``{"mlp_weight": 0}``) leaves the component out: it is neither fitted nor searched. The MLP
    takes part only when TensorFlow is installed (the ``mlp`` extra): without it ``"auto"`` means 0.

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
        Passed to :class:`SVD`.
    mlp_dim, mlp_epochs, mlp_pairs : int
        Width of the MLP's item vectors, its most training epochs and its positive training pairs
        (kept small: it is fitted for the search and again when chosen, within the fit-time budget).
    cf_weight, usercf_weight, svd_weight, mlp_weight, content_weight, popularity_weight : float or "auto"
        Blend weights of the normalised component scores in bought-together lists (relative to
        the linear model's); ``"auto"`` chooses them on the shop's newest orders (above), 0 leaves
        the component out. The session-kNN is a memory-based model: it keeps the order rows, so
        a saved Hybrid holds them too (0 avoids that). ItemCF is fitted whenever it weighs in
        either kind of list.
    ridge_weight : float
        Weight of the linear model (0 leaves it out).
    similar_content_weight : float
        Weight of content in "similar" (co-occurrence gets ``content_weight`` there, SVD and
        popularity their usual weights).
    l2 : float or "auto"
        Ridge strength of :class:`NeighbourRidge`.
    block_budget : int
        Most scores held at once while the item-item components build their neighbours.
    tune_fraction : float
        Share of the newest rows held out to choose the ``"auto"`` values.
    tune_cases : int
        Most hide-one cases drawn from the held-out rows.
    min_tune_cases : int
        Fewest usable cases for a choice; below it the fallback values are used.
    random_state : int
        Seed of the held-out cases and of the MLP.
    history_weight, ratio_weight, history_decay : float or "auto"
        How ``complete_basket(items, n, history)`` blends in the customer's earlier baskets:
        ``unit(blend) + (history_weight + ratio_weight * repeat share) * unit(decayed repeat
        counts)`` (:mod:`.repeat`; the repeat share is the part of the basket the customer bought
        before). ``"auto"`` chooses them in ``fit`` on the newest orders of customers with earlier
        orders (given ``customers``); without enough of them, ``repeat.FALLBACK_HISTORY``.
        ``history=None`` answers from the basket alone, as before.
    """

    accepts = frozenset({ITEMS, CUSTOMERS})
    learned_attributes = (
        "n_items_",
        *(component.attribute for component in COMPONENTS),
        *(name + "_" for name in SEARCHED),
        "tune_cases_",
        "weight_search_",
        *HISTORY_LEARNED,
    )

    def __init__(
        self,
        similarity: str = "rp3beta",
        neighbours: int = 100,
        shrinkage: float = 10.0,
        min_support: int = 1,
        beta: float = 0.3,
        factors: int = 64,
        mlp_dim: int = 32,
        mlp_epochs: int = 3,
        mlp_pairs: int = 50_000,
        cf_weight: float | str = "auto",
        svd_weight: float | str = "auto",
        mlp_weight: float | str = "auto",
        content_weight: float | str = "auto",
        popularity_weight: float | str = "auto",
        ridge_weight: float = 1.0,
        l2: float | str = "auto",
        usercf_weight: float | str = "auto",
        similar_content_weight: float = 1.0,
        block_budget: int = DEFAULT_BLOCK_BUDGET,
        tune_fraction: float = 0.1,
        tune_cases: int = 1000,
        min_tune_cases: int = 50,
        random_state: int = 0,
        history_weight: float | str = "auto",
        ratio_weight: float | str = "auto",
        history_decay: float | str = "auto",
    ) -> None:
        self.similarity = similarity
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.beta = beta
        self.factors = factors
        self.mlp_dim = mlp_dim
        self.mlp_epochs = mlp_epochs
        self.mlp_pairs = mlp_pairs
        self.cf_weight = cf_weight
        self.svd_weight = svd_weight
        self.mlp_weight = mlp_weight
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
        self.history_weight = history_weight
        self.ratio_weight = ratio_weight
        self.history_decay = history_decay

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> Hybrid:
        """Choose the ``"auto"`` values on the newest rows, then fit every weighted component on all rows."""
        matrix = binarize(as_csr(interactions))
        grids = self._grids()  # rejects a bad value before any work
        shared: dict[str, ScoringRecommender] = {}  # components fitted once for the search and the model
        for name, value in self._choose(matrix, items, grids, shared).items():
            setattr(self, name + "_", value)
        self._fit_components(matrix, items, self._weighted({}, similar_lists=True), shared)
        self._choose_history(matrix, items, customers)
        return self

    def _grids(self) -> dict[str, tuple[float, ...]]:
        """Return the values each searched hyperparameter may take (one value: fixed, or nothing to search)."""
        grids = {name: _candidates(name, getattr(self, name)) for name in SEARCHED}
        if float(self.ridge_weight) <= 0 and len(grids["l2"]) > 1:
            grids["l2"] = (FALLBACK_WEIGHTS["l2"],)  # no linear model: nothing to regularise
        return grids

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
                    model = self._fit_one(component.build(self), matrix, items)
                if not component.reads_rows:
                    shared[component.name] = model
            setattr(self, component.attribute, model)

    def _fit_one(self, model: ScoringRecommender, matrix: sp.csr_matrix, items: Items | None) -> ScoringRecommender:
        """Fit one component; the single place components are fitted (a benchmark may reuse fits here)."""
        return model.fit(matrix, items)

    # ---------------------------------------------------------------- choosing the weights
    def _choose(
        self,
        matrix: sp.csr_matrix,
        items: Items | None,
        grids: dict[str, tuple[float, ...]],
        shared: dict[str, ScoringRecommender],
    ) -> dict[str, float]:
        """Return the value of every searched hyperparameter: fixed ones as given, ``"auto"`` ones searched."""
        self.tune_cases_ = 0
        self.weight_search_ = None
        state = {name: grid[0] if len(grid) == 1 else FALLBACK_WEIGHTS[name] for name, grid in grids.items()}
        searched = [name for name in SEARCHED if len(grids[name]) > 1]
        if not searched:
            return state
        probe = type(self)(**self.get_params(deep=False))
        largest = {name: max(grid) for name, grid in grids.items()}
        names = probe._weighted(largest, similar_lists=False)
        ridges = len(grids["l2"]) if "ridge" in names else 0
        budget_cases = MAX_TUNE_SCORES // max(matrix.shape[1] * (len(names) + max(ridges - 1, 0)), 1)
        older, baskets, hidden = self._hold_out(matrix, max_cases=max(min(self.tune_cases, budget_cases), 1))
        if len(hidden) < self.min_tune_cases:
            logger.info("Hybrid: %d held-out cases (< %d), fallback weights", len(hidden), self.min_tune_cases)
            return state
        probe._fit_components(older, items, names - {"ridge"}, shared)  # the linear model: once per l2 below
        block = indicator_matrix(baskets, probe.n_items_)
        units: dict[Any, np.ndarray] = {name: probe._unit_scores(block, name) for name in names - {"ridge"}}
        if ridges:
            for l2 in grids["l2"]:
                probe.l2_ = l2
                ridge = probe._fit_one(COMPONENTS[0].build(probe), older, items)
                units["ridge", l2] = _unit_rows(ridge.score_baskets(block))
        in_basket = block.toarray() > 0
        table: dict[tuple[float, ...], float] = {}

        def value(point: dict[str, float]) -> float:
            key = tuple(point[name] for name in SEARCHED)
            if key not in table:
                weights = probe._point_weights(point, units)
                table[key] = float(_gains(units, weights, in_basket, hidden).mean())
            return table[key]

        best = value(state)
        for _ in range(SEARCH_ROUNDS):
            changed = False
            for name in searched:
                values = [value({**state, name: candidate}) for candidate in grids[name]]
                choice = grids[name][int(np.argmax(values))]  # the first of equal maxima: the smaller
                changed |= choice != state[name]
                state[name], best = choice, max(values)
            if not changed:
                break
        self.tune_cases_ = len(hidden)
        self.weight_search_ = np.array([[*key, v] for key, v in table.items()], dtype=np.float64)
        logger.info(
            "Hybrid: chosen on %d held-out cases (%d blends tried): %s (NDCG@%d %.4f)",
            len(hidden),
            len(table),
            ", ".join(f"{name} {state[name]:g}" for name in SEARCHED),
            TUNE_K,
            best,
        )
        return state

    def _point_weights(self, point: dict[str, float], units: dict[Any, np.ndarray]) -> list[tuple[Any, float]]:
        """Return ``(key of units, weight)`` of each component a search point blends (the ridge by its ``l2``)."""
        weights = []
        for component in COMPONENTS:
            param = component.together
            if param is None:
                continue
            key = ("ridge", point["l2"]) if component.name == "ridge" else component.name
            weight = point[param] if param in point else self._weight(param)
            if weight and key in units:
                weights.append((key, float(weight)))
        return weights

    def _hold_out(
        self, matrix: sp.csr_matrix, max_cases: int | None = None
    ) -> tuple[sp.csr_matrix, list[np.ndarray], np.ndarray]:
        """Return the older rows and the hide-one cases ``(baskets, hidden)`` of the newest rows."""
        n_rows = matrix.shape[0]
        n_held = min(max(int(np.ceil(self.tune_fraction * n_rows)), MIN_TUNE_ROWS), n_rows // 2)
        older, newest = matrix[: n_rows - n_held], matrix[n_rows - n_held :]
        known = np.diff(sp.csc_matrix(older).indptr) > 0  # items the older rows have sold
        cases = hide_random(
            newest, seed=self.random_state, max_cases=self.tune_cases if max_cases is None else max_cases, known=known
        )
        return older, cases.baskets, cases.hidden

    def candidate_ndcg(
        self, baskets: list[np.ndarray], hidden: np.ndarray, candidates: list[dict[str, float]]
    ) -> np.ndarray:
        """Return the mean NDCG@10 of each candidate blend of this fitted model on hide-one cases.

        This is how the weight search scores a point, public so that a benchmark can score other
        blends exactly as the search does (``bench/blend_ceiling.py``). Each component is scored
        once per block of cases; a candidate only re-weights them. Ranks follow
        :func:`~crosssell_app.recommenders.base.rank_scores`: the basket is excluded,
        no-evidence items (blend <= 0) are never returned and ties go to the lower item index.

        Parameters
        ----------
        baskets : list of int arrays
            Each case's basket without its hidden item.
        hidden : int array
            Each case's hidden item.
        candidates : list of dicts
            Each a blend: ``{weight hyperparameter: value}`` (e.g. ``{"usercf_weight": 2.0}``);
            a weight it does not name is the model's own. A component that was not fitted
            (weight 0) cannot be blended in.
        """
        gains = np.zeros(len(candidates))
        step = max(1, TUNE_BLOCK_BUDGET // max(self.n_items_, 1))
        points = [{**{c.together: self._weight(c.together) for c in COMPONENTS if c.together}, **given}
                  for given in candidates]
        names = {c.name for c in COMPONENTS if c.together and any(p[c.together] for p in points)}
        names = {name for name in names if getattr(self, name + "_", None) is not None}
        for start in range(0, len(hidden), step):
            block = indicator_matrix(baskets[start : start + step], self.n_items_)
            units: dict[Any, np.ndarray] = {name: self._unit_scores(block, name) for name in names}
            if "ridge" in units:
                units["ridge", self._weight("l2")] = units.pop("ridge")
            in_basket = block.toarray() > 0
            for index, point in enumerate(points):
                weights = self._point_weights({**point, "l2": self._weight("l2")}, units)
                gains[index] += _gains(units, weights, in_basket, hidden[start : start + step]).sum()
        return gains / max(len(hidden), 1)

    # ---------------------------------------------------------------- scoring
    def _weight(self, name: str) -> float:
        """Return the value of hyperparameter ``name`` in use: learned, else fixed, else the fallback."""
        learned = getattr(self, name + "_", None)  # absent from files saved before the search chose it
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


    # ---------------------------------------------------------------- the customer's history
    # (crosssell_app.recommenders.repeat holds the history model and its search; this is the hook)
    def _choose_history(self, matrix: sp.csr_matrix, items: Items | None, customers: np.ndarray | None) -> None:
        """Choose the history blend on the newest rows of customers with earlier rows (``repeat.tune_history``).

        The basket side of the search is this model's blend refitted on the older rows with the
        values just chosen (fixed, so it searches nothing again): one more fit of the weighted
        components on 90 % of the rows, and only when the newest rows hold enough customers with
        earlier orders (else the fallback, and no fit).
        """

        def fit_older(rows: sp.csr_matrix, owners: np.ndarray) -> Hybrid:
            params = self.get_params(deep=False)
            chosen = {name: getattr(self, name + "_") for name in SEARCHED if _is_auto(params.get(name))}
            fixed = {"history_weight": 0.0, "ratio_weight": 0.0, "history_decay": 1.0}
            return type(self)(**{**params, **chosen, **fixed}).fit(rows, items)

        choice = choose_or_fix(
            (self.history_weight, self.ratio_weight, self.history_decay),
            lambda grids, fallback: tune_history(
                fit_older, matrix, customers, self.tune_fraction, MIN_TUNE_ROWS, self.tune_cases,
                self.min_tune_cases, self.random_state, grids, fallback,
            ),
        )
        self.history_weight_, self.ratio_weight_, self.history_decay_ = choice.weight, choice.ratio_weight, choice.decay
        self.history_cases_ = choice.cases

    def complete_basket(
        self, items, n: int = 10, history: History | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Complete the basket; with the customer's ``history`` (earlier baskets, oldest first) blend
        in their repeat purchases (``repeat.complete_with_history``), weighted as chosen in ``fit``."""
        if not history:
            return super().complete_basket(items, n)
        learned = [getattr(self, name, None) for name in HISTORY_LEARNED[:3]]
        blend = FALLBACK_HISTORY if any(value is None for value in learned) else learned  # a file saved before
        return complete_with_history(self, self.known_items(items), history, n, HistoryChoice(*blend, 0, None))


def _is_auto(value: object) -> bool:
    return isinstance(value, str) and value == "auto"


def _candidates(name: str, value: float | str) -> tuple[float, ...]:
    """Return the values ``name`` may take: its candidates when ``"auto"``, else the number given.

    The MLP's ``"auto"`` is 0 alone when TensorFlow is not installed.
    """
    if _is_auto(value):
        if name == "mlp_weight" and not tensorflow_installed():
            return (0.0,)
        return CANDIDATES[name]
    if isinstance(value, str):
        raise TypeError(f"{name} must be a number or 'auto', not {value!r}")
    return (float(value),)


def _gains(
    units: dict[Any, np.ndarray], weights: list[tuple[Any, float]], in_basket: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Return each case's NDCG@10 gain of the blend ``sum weight * units[key]``, ranked as ``rank_scores`` ranks."""
    total = np.zeros(in_basket.shape)
    for key, weight in weights:
        total += weight * units[key]
    total[(total <= 0) | in_basket] = -np.inf
    rows = np.arange(len(target))
    mine = total[rows, target][:, None]
    columns = np.arange(in_basket.shape[1])[None, :]
    rank = (total > mine).sum(axis=1) + ((total == mine) & (columns < target[:, None])).sum(axis=1)
    hit = np.isfinite(mine[:, 0]) & (rank < TUNE_K)
    gains = np.zeros(len(target))
    gains[hit] = 1.0 / np.log2(rank[hit] + 2.0)
    return gains


def _unit_rows(scores: np.ndarray) -> np.ndarray:
    """Clip ``scores`` at zero and divide each row by its maximum (rows of zeros stay zero)."""
    scores = np.where(np.isfinite(scores), np.maximum(scores, 0.0), 0.0)
    peak = scores.max(axis=1, keepdims=True)
    return scores / np.where(peak > 0, peak, 1.0)
