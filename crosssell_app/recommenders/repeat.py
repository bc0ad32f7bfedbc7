"""What a customer bought before: repeat purchases, and how a basket model learns to use them.

In a shop's newest weeks a large share of what a known customer adds to a basket is something
that customer bought before (about 48 % of the items in Online Retail's last five weeks). Work on
next-basket recommendation finds a customer's own purchase frequency, with recency decay, a strong
baseline that many neural models fail to beat (Li, Jullien, Ariannezhad & de Rijke, "A Next
Basket Recommendation Reality Check", ACM TOIS 2023; Hu, He, Dong, Wang, Yin & Zhang, "Modeling
Personalized Item Frequency Information for Next-basket Recommendation" (TIFU-KNN), SIGIR 2020).

This module holds, with no Django:

* :func:`repeat_scores`: the customer's decayed purchase frequency of every item (the history
  signal); ``decay=1`` is P-TopFreq's plain frequency.
* :func:`history_cases`: hide-one cases whose customer has earlier rows, with those rows as the
  history, the one definition used by the self-tuning below and by the offline evaluation.
* :func:`choose_history_blend`: the search that sets the weight (and decay) of the history
  against a basket model's scores, on held-out cases; :class:`HistoryBlend` wraps any scoring
  model with it, and :class:`~crosssell_app.recommenders.hybrid.Hybrid` calls it from ``fit``.
* :class:`RepeatPurchase` (P-TopFreq and its decayed form) and :class:`TIFUKNN`, the published
  history-only models, as peers.

Scores are put on one scale before they are added: each row of basket scores is clipped at zero
and divided by its maximum, and the history scores by theirs, so a weight of 1 means "the best
repeat purchase counts as much as the best complement" on any shop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .base import (
    CUSTOMERS,
    ITEMS,
    Items,
    Recommender,
    ScoringRecommender,
    as_csr,
    binarize,
    empty_result,
    indicator_matrix,
    rank_scores,
    row_customers,
)

History = Sequence[Sequence[int]]

#: history weights the search chooses from (0: the basket alone), relative to the unit basket scores
HISTORY_WEIGHTS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)
#: extra history weight per unit of the basket's repeat share (:func:`repeat_share`)
RATIO_WEIGHTS = (0.0, 0.35, 0.75, 1.5)
#: recency decays the search chooses from: each older basket counts ``decay`` times the next one
HISTORY_DECAYS = (1.0, 0.9, 0.7)
#: ``(weight, ratio_weight, decay)`` when the newest rows hold too few customers with earlier rows
#: to choose: the best blend of ``Hybrid()``'s scores on Online Retail's validation weeks (1,367
#: cases of returning customers; ``docs/recommenders.md``, "Customer-aware completion")
FALLBACK_HISTORY = (0.1, 0.75, 0.9)
#: cut-off of the NDCG the history blend is chosen by
TUNE_K = 10

logger = logging.getLogger(__name__)


def repeat_scores(history: History | None, n_items: int, decay: float = 1.0) -> np.ndarray:
    """Return the customer's decayed purchase count of every item (0 for never bought).

    The newest basket of ``history`` (oldest first) counts 1, the one before ``decay``, the one
    before that ``decay**2``...; an item counts once per basket. ``decay=1`` is the plain count
    of baskets holding the item (P-TopFreq). Unknown item indices are ignored.
    """
    scores = np.zeros(n_items, dtype=np.float64)
    if not history:
        return scores
    for age, basket in enumerate(reversed(list(history))):
        items = np.unique(np.asarray(list(basket), dtype=np.int64))
        items = items[(items >= 0) & (items < n_items)]
        scores[items] += float(decay) ** age
    return scores


def unit_rows(scores: np.ndarray) -> np.ndarray:
    """Clip ``scores`` (1-D or 2-D, rows) at zero and divide each row by its maximum (zero rows stay zero)."""
    scores = np.asarray(scores, dtype=np.float64)
    clipped = np.where(np.isfinite(scores), np.maximum(scores, 0.0), 0.0)
    peak = clipped.max(axis=-1, keepdims=True) if clipped.size else clipped
    return clipped / np.where(peak > 0, peak, 1.0)


# ---------------------------------------------------------------------------- hold-out cases
@dataclass(frozen=True)
class HistoryCases:
    """Hide-one cases of known customers: the basket left, the hidden item, the earlier baskets."""

    baskets: list[np.ndarray]
    hidden: np.ndarray
    histories: list[list[np.ndarray]]
    rows: np.ndarray  #: the interaction row each case comes from

    def __len__(self) -> int:
        return len(self.hidden)


def history_cases(
    matrix: sp.csr_matrix,
    customers: np.ndarray,
    rows: np.ndarray,
    seed: int | np.random.Generator | None = 0,
    max_cases: int | None = None,
    known: np.ndarray | None = None,
) -> HistoryCases:
    """Return hide-one cases of ``rows`` whose customer has earlier rows in ``matrix``.

    ``matrix`` is orders x items with rows in time order and ``customers[r]`` row ``r``'s customer
    (-1: unknown). A case is a row with two or more items (``known`` items only, when given: no
    model can recommend an item it never saw), one of them hidden at random; its history is every
    earlier row of the same customer, oldest first (``known`` items only; rows left empty are
    dropped). With more eligible rows than ``max_cases``, that many are drawn (kept in row
    order). The same ``seed`` draws the same cases.
    """
    matrix = sp.csr_matrix(matrix)
    owners = row_customers(customers, matrix.shape[0])
    keep = np.ones(matrix.shape[1], dtype=bool) if known is None else np.asarray(known, dtype=bool)
    rows = np.asarray(rows, dtype=np.int64)
    first_row: dict[int, int] = {}
    for row in np.flatnonzero(owners >= 0)[::-1]:
        first_row[int(owners[row])] = int(row)

    def items_of(row: int) -> np.ndarray:
        items = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]].astype(np.int64)
        return items[keep[items]]

    eligible = [
        int(r) for r in rows if owners[r] >= 0 and first_row[int(owners[r])] < r and len(items_of(int(r))) >= 2
    ]
    rng = np.random.default_rng(seed)
    if max_cases is not None and len(eligible) > max_cases:
        eligible = sorted(rng.choice(eligible, size=max_cases, replace=False).tolist())
    by_customer: dict[int, list[int]] = {}
    for row in np.flatnonzero(owners >= 0):
        by_customer.setdefault(int(owners[row]), []).append(int(row))
    baskets, hidden, histories = [], [], []
    for row in eligible:
        items = items_of(row)
        item = items[rng.integers(len(items))]
        baskets.append(items[items != item])
        hidden.append(item)
        earlier = [items_of(r) for r in by_customer[int(owners[row])] if r < row]
        histories.append([h for h in earlier if len(h)])
    return HistoryCases(baskets, np.asarray(hidden, dtype=np.int64), histories, np.asarray(eligible, dtype=np.int64))


def newest_rows(n_rows: int, fraction: float, min_rows: int) -> int:
    """Return the first of the newest rows a model holds out: ``fraction`` of them, at least
    ``min_rows``, never more than half."""
    held = min(max(int(np.ceil(fraction * n_rows)), min_rows), n_rows // 2)
    return n_rows - held


# ---------------------------------------------------------------------------- choosing the blend
@dataclass(frozen=True)
class HistoryChoice:
    """The history blend chosen (see :func:`history_weight`) and the table it was chosen from."""

    weight: float
    ratio_weight: float
    decay: float
    cases: int
    search: np.ndarray | None  #: rows ``(weight, ratio_weight, decay, ndcg)``; None when nothing was searched


def repeat_share(in_basket: np.ndarray, bought_before: np.ndarray) -> np.ndarray:
    """Return, per row, the share of the basket's items the customer bought before (0 for an empty basket).

    Both arguments are boolean ``(cases, n_items)`` blocks. The share says how much this basket
    repeats the past: on Online Retail's validation weeks the hidden item was a repeat purchase in
    87 % of the baskets that repeat three quarters or more, and in 17 % of those that repeat less
    than a quarter, so the history's weight grows with it (:func:`history_weight`).
    """
    sizes = in_basket.sum(axis=1)
    return (in_basket & bought_before).sum(axis=1) / np.maximum(sizes, 1)


def history_weight(weight: float, ratio_weight: float, share: np.ndarray | float) -> np.ndarray | float:
    """Return the history's weight for baskets repeating ``share`` of the past: ``weight + ratio_weight * share``."""
    return weight + ratio_weight * share


def blended_ranks(basket: np.ndarray, history: np.ndarray, in_basket: np.ndarray, target: np.ndarray,
                  weight: np.ndarray | float) -> np.ndarray:
    """Return the 0-based rank of each case's ``target`` in ``basket + weight * history`` (-1: not ranked).

    Both score blocks are unit rows and ``weight`` is one number or one per case; items of the
    basket and items with no evidence (blend <= 0) are never ranked, ties go to the lower index,
    as :func:`~.base.rank_scores` does.
    """
    total = basket + np.reshape(weight, (-1, 1)) * history
    total[(total <= 0) | in_basket] = -np.inf
    rows = np.arange(len(target))
    mine = total[rows, target][:, None]
    columns = np.arange(total.shape[1])[None, :]
    rank = (total > mine).sum(axis=1) + ((total == mine) & (columns < target[:, None])).sum(axis=1)
    return np.where(np.isfinite(mine[:, 0]), rank, -1)


def choose_history_blend(
    basket_scores: Callable[[sp.csr_matrix], np.ndarray],
    cases: HistoryCases,
    n_items: int,
    weights: Sequence[float] = HISTORY_WEIGHTS,
    ratio_weights: Sequence[float] = RATIO_WEIGHTS,
    decays: Sequence[float] = HISTORY_DECAYS,
    block: int = 500,
) -> HistoryChoice:
    """Return the blend whose NDCG@10 on ``cases`` is best.

    ``basket_scores`` scores an indicator matrix of baskets (a model fitted on rows older than
    the cases, so the held-out baskets are news to it); each case's history is scored by
    :func:`repeat_scores`. Both are unit rows, blended as ``basket + w * history`` with ``w`` from
    :func:`history_weight`. Candidates are every ``(weight, ratio_weight, decay)`` of the grids;
    a tie goes to the earlier candidate (the first decay, the smaller weights).
    """
    candidates = [(w, r, d) for d in decays for w in weights for r in ratio_weights]
    gains = np.zeros(len(candidates))
    discounts = 1.0 / np.log2(np.arange(TUNE_K) + 2.0)
    for start in range(0, len(cases), block):
        stop = min(start + block, len(cases))
        indicator = indicator_matrix(cases.baskets[start:stop], n_items)
        base = unit_rows(basket_scores(indicator))
        in_basket = indicator.toarray() > 0
        target = cases.hidden[start:stop]
        share = None
        for decay in decays:
            history = unit_rows(np.vstack([repeat_scores(h, n_items, decay) for h in cases.histories[start:stop]]))
            if share is None:
                share = repeat_share(in_basket, history > 0)
            for index, (w, r, d) in enumerate(candidates):
                if d == decay:
                    rank = blended_ranks(base, history, in_basket, target, history_weight(w, r, share))
                    hit = (rank >= 0) & (rank < TUNE_K)
                    gains[index] += discounts[rank[hit]].sum()
    values = gains / max(len(cases), 1)
    best = int(np.argmax(values))
    weight, ratio_weight, decay = candidates[best]
    return HistoryChoice(
        weight=float(weight),
        ratio_weight=float(ratio_weight),
        decay=float(decay),
        cases=len(cases),
        search=np.array([[*c, v] for c, v in zip(candidates, values)], dtype=np.float64),
    )


def tune_history(
    fit_older: Callable[[sp.csr_matrix, np.ndarray], Any],
    matrix: sp.csr_matrix,
    customers: np.ndarray | None,
    fraction: float,
    min_rows: int,
    max_cases: int,
    min_cases: int,
    seed: int,
    grids: tuple[Sequence[float], Sequence[float], Sequence[float]] = (HISTORY_WEIGHTS, RATIO_WEIGHTS, HISTORY_DECAYS),
    fallback: tuple[float, float, float] = FALLBACK_HISTORY,
) -> HistoryChoice:
    """Choose the history blend on the newest rows of customers with earlier rows (a validation split).

    Steps: hold out the newest rows (:func:`newest_rows`); draw hide-one cases of the held-out
    rows whose customer has earlier rows (:func:`history_cases`, items the older rows sold only);
    fit the basket model on the older rows with ``fit_older(older_rows, their_customers)``, which
    returns a fitted model with ``score_baskets``; search :func:`choose_history_blend` over
    ``grids`` (weights, ratio weights, decays). With fewer than ``min_cases`` cases (a new shop,
    or no customers known) ``fallback`` ``(weight, ratio_weight, decay)`` is used and nothing is fitted.
    """
    n_rows = matrix.shape[0]
    owners = row_customers(customers, n_rows)
    start = newest_rows(n_rows, fraction, min_rows)
    known = np.diff(sp.csc_matrix(matrix[:start]).indptr) > 0
    cases = history_cases(matrix, owners, np.arange(start, n_rows), seed=seed, max_cases=max_cases, known=known)
    if len(cases) < min_cases:
        logger.info("history blend: %d held-out cases (< %d), fallback %s", len(cases), min_cases, fallback)
        return HistoryChoice(*fallback, cases=len(cases), search=None)
    model = fit_older(matrix[:start], owners[:start])
    choice = choose_history_blend(model.score_baskets, cases, matrix.shape[1], *grids)
    logger.info("history blend: weight %s + %s x repeat share, decay %s, chosen on %d cases",
                choice.weight, choice.ratio_weight, choice.decay, len(cases))
    return choice


def complete_with_history(
    model: ScoringRecommender, known: np.ndarray, history: History, n: int, choice: HistoryChoice
) -> tuple[np.ndarray, np.ndarray]:
    """Rank ``unit(model's scores of the basket) + w * unit(repeat scores)``, basket excluded.

    ``w`` is :func:`history_weight` of the basket's repeat share. An empty basket is completed
    from the history alone (what the customer buys again).
    """
    n_items = model.n_items_
    in_basket = np.zeros((1, n_items), dtype=bool)
    in_basket[0, known] = True
    base = np.zeros((1, n_items))
    if known.size:
        base = unit_rows(model.score_baskets(sp.csr_matrix(in_basket, dtype=np.float32)))
    history_scores = unit_rows(repeat_scores(history, n_items, choice.decay))[None, :]
    share = repeat_share(in_basket, history_scores > 0)
    total = (base + history_weight(choice.weight, choice.ratio_weight, share)[:, None] * history_scores)[0]
    total[total <= 0] = -np.inf
    return rank_scores(total, n, exclude=known)


# ---------------------------------------------------------------------------- models
class RepeatPurchase(ScoringRecommender):
    """The customer's own most frequent items (P-TopFreq), optionally decayed by recency.

    With a history, items are ranked by :func:`repeat_scores` (``decay=1``: how many of the
    customer's baskets held them, the P-TopFreq of Li et al. 2023); ties and the rest of the list
    are filled by overall popularity, as P-TopFreq fills with G-TopFreq. Without a history it is
    the best-seller list. The basket only removes its own items.

    Parameters
    ----------
    decay : float
        Weight of each older basket relative to the next (1: no decay).
    """

    learned_attributes = ("n_items_", "counts_")

    def __init__(self, decay: float = 1.0) -> None:
        self.decay = decay

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> RepeatPurchase:
        """Count the rows holding each item (the fill-in popularity)."""
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        self.counts_ = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        return self._scores(None)

    def _scores(self, history: History | None) -> np.ndarray:
        popular = unit_rows(self.counts_) * 1e-3  # below one basket's worth of any decay used
        scores = repeat_scores(history, self.n_items_, self.decay) + popular
        scores[scores <= 0] = -np.inf
        return scores

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return the popularity once per basket (no history here)."""
        return np.broadcast_to(self.counts_, (baskets.shape[0], self.n_items_))

    def complete_basket(
        self, items: Sequence[int], n: int = 10, history: History | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        known = self.known_items(items)
        if known.size == 0 and not history:
            return empty_result()
        return rank_scores(self._scores(history), n, exclude=known)


class TIFUKNN(Recommender):
    """TIFU-KNN (Hu et al., SIGIR 2020): time-decayed item frequencies plus those of similar customers.

    A customer's history, oldest first, is cut into groups of ``group_size`` consecutive baskets
    (counted from the newest, so the oldest group may be shorter). Within a group each basket's
    0/1 vector is weighted ``within_decay ** (baskets after it in the group)`` and the group
    vector is their mean; the customer vector is the mean of the group vectors weighted
    ``group_decay ** (groups after it)``. The prediction is ``alpha * own vector + (1 - alpha) *
    mean of the ``neighbours`` most similar customers' vectors`` (cosine similarity of the
    vectors of the customers seen in ``fit``; a fitted vector equal to the query's own, the
    customer itself, is skipped).

    ``fit`` builds the vector of every customer from ``customers`` (each row's customer, rows in
    time order); the vectors are the model's learned state (a memory-based model).
    """

    keeps_rows = True
    accepts = frozenset({ITEMS, CUSTOMERS})
    learned_attributes = ("n_items_", "vectors_", "norms_")

    def __init__(
        self,
        group_size: int = 7,
        within_decay: float = 0.9,
        group_decay: float = 0.7,
        neighbours: int = 300,
        alpha: float = 0.7,
    ) -> None:
        self.group_size = group_size
        self.within_decay = within_decay
        self.group_decay = group_decay
        self.neighbours = neighbours
        self.alpha = alpha

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> TIFUKNN:
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        owners = row_customers(customers, matrix.shape[0])
        by_customer: dict[int, list[np.ndarray]] = {}
        for row in np.flatnonzero(owners >= 0):
            items = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
            by_customer.setdefault(int(owners[row]), []).append(items)
        vectors = [sp.csr_matrix(self.customer_vector(baskets)) for baskets in by_customer.values()]
        self.vectors_ = sp.vstack(vectors, format="csr") if vectors else sp.csr_matrix((0, self.n_items_))
        self.norms_ = np.sqrt(np.asarray(self.vectors_.multiply(self.vectors_).sum(axis=1)).ravel())
        return self

    def customer_vector(self, history: History) -> np.ndarray:
        """Return the time-decayed, grouped item-frequency vector of ``history`` (oldest first)."""
        vector = np.zeros(self.n_items_, dtype=np.float64)
        baskets = [np.asarray(list(b), dtype=np.int64) for b in history]
        baskets = [b[(b >= 0) & (b < self.n_items_)] for b in baskets]
        if not baskets:
            return vector
        groups = [baskets[max(0, stop - self.group_size) : stop] for stop in range(len(baskets), 0, -self.group_size)]
        for age, group in enumerate(groups):  # age 0: the newest group
            group_vector = np.zeros(self.n_items_, dtype=np.float64)
            for position, basket in enumerate(group):
                group_vector[np.unique(basket)] += self.within_decay ** (len(group) - 1 - position)
            vector += self.group_decay**age * group_vector / len(group)
        return vector / len(groups)

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """TIFU-KNN has no item-to-item answer; it predicts a customer's next basket."""
        return empty_result()

    def complete_basket(
        self, items: Sequence[int], n: int = 10, history: History | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        known = self.known_items(items)
        if not history:
            return empty_result()
        own = self.customer_vector(history)
        norm = np.linalg.norm(own)
        scores = self.alpha * own
        if norm > 0 and self.vectors_.shape[0] and self.alpha < 1:
            similarity = np.asarray(self.vectors_ @ own).ravel() / (self.norms_ * norm + 1e-12)
            similarity[similarity >= 1 - 1e-9] = -np.inf  # the customer's own fitted vector
            k = min(self.neighbours, int(np.isfinite(similarity).sum()))
            if k > 0:
                nearest = np.argpartition(-similarity, k - 1)[:k]
                scores = scores + (1 - self.alpha) * np.asarray(self.vectors_[nearest].mean(axis=0)).ravel()
        scores[scores <= 0] = -np.inf
        return rank_scores(scores, n, exclude=known)


class HistoryBlend(ScoringRecommender):
    """Any scoring model's basket completion blended with the customer's repeat purchases.

    ``complete_basket(items, n, history)`` ranks ``unit(basket scores) + w * unit(repeat_scores(
    history, decay))`` with ``w = history_weight + ratio_weight * repeat share``
    (:func:`complete_with_history`); without a history it answers as the wrapped model. Each of
    the three set to ``"auto"`` is chosen in ``fit`` on its own newest rows of customers with
    earlier rows (:func:`tune_history`), as :class:`~crosssell_app.recommenders.hybrid.Hybrid`
    does. The benchmark's "EASE + P-TopFreq" peer is ``HistoryBlend(EASE(), ratio_weight=0,
    decay=1)``: one weight, tuned exactly like the app's model.

    Parameters
    ----------
    model : ScoringRecommender
        The basket model (cloned from its parameters for the search; popularity when None).
    history_weight, ratio_weight, decay : float or "auto"
        The blend of the history (see :func:`history_weight`) and its recency decay.
    tune_fraction, min_tune_rows, tune_cases, min_tune_cases, random_state :
        The hold-out of :func:`tune_history`.
    """

    accepts = frozenset({ITEMS, CUSTOMERS})
    learned_attributes = ("n_items_", "model_", "history_weight_", "ratio_weight_", "decay_", "history_cases_")

    def __init__(
        self,
        model: ScoringRecommender | None = None,
        history_weight: float | str = "auto",
        ratio_weight: float | str = "auto",
        decay: float | str = "auto",
        tune_fraction: float = 0.1,
        min_tune_rows: int = 500,
        tune_cases: int = 1000,
        min_tune_cases: int = 50,
        random_state: int = 0,
    ) -> None:
        self.model = model
        self.history_weight = history_weight
        self.ratio_weight = ratio_weight
        self.decay = decay
        self.tune_fraction = tune_fraction
        self.min_tune_rows = min_tune_rows
        self.tune_cases = tune_cases
        self.min_tune_cases = min_tune_cases
        self.random_state = random_state

    def _fresh(self) -> ScoringRecommender:
        from .popularity import Popularity

        model = self.model if self.model is not None else Popularity()
        return type(model)(**model.get_params(deep=False))

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> HistoryBlend:
        """Choose the ``"auto"`` parts of the history blend on the newest rows, then fit the model on all rows."""
        matrix = binarize(as_csr(interactions))
        self.n_items_ = matrix.shape[1]
        choice = choose_or_fix(
            (self.history_weight, self.ratio_weight, self.decay),
            lambda grids, fallback: tune_history(
                lambda rows, owners: self._fresh().fit(rows, items, customers=owners),
                matrix, customers, self.tune_fraction, self.min_tune_rows, self.tune_cases, self.min_tune_cases,
                self.random_state, grids, fallback,
            ),
        )
        self.history_weight_, self.ratio_weight_, self.decay_ = choice.weight, choice.ratio_weight, choice.decay
        self.history_cases_ = choice.cases
        self.model_ = self._fresh().fit(matrix, items, customers=customers)
        return self

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        return self.model_.basket_scores(items)

    def item_scores(self, item: int) -> np.ndarray:
        return self.model_.item_scores(item)

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        return self.model_.score_baskets(baskets)

    def complete_basket(
        self, items: Sequence[int], n: int = 10, history: History | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if not history:
            return super().complete_basket(items, n)
        choice = HistoryChoice(self.history_weight_, self.ratio_weight_, self.decay_, self.history_cases_, None)
        return complete_with_history(self.model_, self.known_items(items), history, n, choice)


def choose_or_fix(
    values: tuple[float | str, float | str, float | str],
    search: Callable[[tuple[Sequence[float], ...], tuple[float, float, float]], HistoryChoice],
) -> HistoryChoice:
    """Return the history blend for ``(weight, ratio_weight, decay)`` hyperparameters, each a number or ``"auto"``.

    Numbers are kept; when any is ``"auto"`` ``search(grids, fallback)`` runs over its grid (a fixed
    one's grid is that number), with the fallback taking the fixed numbers too.

    Raises
    ------
    TypeError
        When a value is a string other than ``"auto"``.
    """
    defaults = (HISTORY_WEIGHTS, RATIO_WEIGHTS, HISTORY_DECAYS)
    grids, fallback = [], []
    for value, grid, default in zip(values, defaults, FALLBACK_HISTORY):
        if isinstance(value, str):
            if value != "auto":
                raise TypeError(f"a history blend value must be a number or 'auto', not {value!r}")
            grids.append(tuple(grid))
            fallback.append(default)
        else:
            grids.append((float(value),))
            fallback.append(float(value))
    if all(len(grid) == 1 for grid in grids):
        return HistoryChoice(*fallback, cases=0, search=None)
    return search(tuple(grids), tuple(fallback))


__all__ = [
    "HistoryBlend",
    "HistoryCases",
    "HistoryChoice",
    "RepeatPurchase",
    "TIFUKNN",
    "choose_history_blend",
    "choose_or_fix",
    "complete_with_history",
    "history_cases",
    "history_weight",
    "repeat_scores",
    "repeat_share",
    "tune_history",
    "unit_rows",
]
