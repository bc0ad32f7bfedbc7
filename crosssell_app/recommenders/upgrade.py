"""Up-sell as a model: higher-value *substitutes* of a product, with an explanation for each.

An upgrade for product A is a product B that does the same job as A (a substitute) and is worth
more, shown before the purchase decision. Cross-sell adds a complement to A; up-sell replaces A.
So two things must hold for B: it must be substitutable for A, and it must not be a complement
of A (something bought *with* A). See ``docs/upsell.md`` for the definition and the evaluation.

Signals of substitutability, each a number in [0, 1] per pair (A, B):

* **content** – cosine of TF-IDF vectors of the title/description (words singularised, so
  ``CANDLES`` matches ``CANDLE``), optionally with the category appended as a one-hot block.
  Products that are described alike tend to do the same job.
* **purchases** (when a users x items matrix is given) – customers who bought both A and B, but
  not in the same order: ``max(shared customers - shared orders, 0) / sqrt(customers_A *
  customers_B)``. Buying A one week and B another week is how people switch between
  alternatives; buying them in one basket is how they combine complements.
* **views** (when a sessions x items matrix is given) – co-views not followed by co-purchase,
  the same formula with sessions in place of customers.

The substitutability is the weighted mean of the signals available. A pair whose same-order
co-purchase is strong (at least ``complement_min_orders`` shared orders *and* lift above
``complement_lift``) is a complement and never qualifies, whatever its similarity. Candidates
must be priced within ``min_price_ratio`` .. ``max_price_ratio`` times A's price, be available,
and not be a variant of A.

Ranking: ``substitutability * (1 + log1p(buyers_B)) ** popularity_weight * (price_B /
price_A) ** uplift_weight``; ``buyers_B`` is the evidence that B gets chosen (distinct
customers, or orders when no user matrix is given; with views, scaled by B's view-to-purchase
rate relative to the catalogue's).

Item-item work runs over blocks of source items and only over pairs with some evidence (a
shared word, customer or session), as sparse products; a block holds at most ``block_budget``
pairs and only the best ``n_candidates`` upgrades per item are kept, so memory never grows as
``n_items x n_items``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ._topk import plan_blocks
from .base import Items, Recommender, _stack, as_csr, binarize, empty_result, item_column

_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")

#: the per-candidate arrays, aligned with ``candidate_ids_`` and cut per item by ``candidate_indptr_``
_CANDIDATE_ARRAYS = (
    "candidate_ids_",
    "candidate_scores_",
    "candidate_substitutability_",
    "candidate_text_",
    "candidate_shared_buyers_",
    "candidate_shared_orders_",
)


def words(text: str) -> list[str]:
    """Return the upper-cased words of ``text`` (hyphenated words such as T-LIGHT kept whole)."""
    return [w.upper() for w in _WORD.findall(text or "")]


def singular(word: str) -> str:
    """Return a crude singular of an upper-case word, so plural and singular titles compare equal."""
    if len(word) > 4 and word.endswith("IES"):
        return word[:-3] + "Y"
    if len(word) > 4 and word.endswith(("SES", "XES", "CHES", "SHES")):
        return word[:-2]
    if len(word) > 3 and word.endswith("S") and not word.endswith(("SS", "US", "IS")):
        return word[:-1]
    return word


def _analyze(text: str) -> list[str]:
    """Tokenise a title for TF-IDF: singular upper-case words (numbers kept: SET OF 6 matters)."""
    return [singular(w) for w in words(text)]


def added_phrases(source_title: str, target_title: str) -> list[str]:
    """Return the runs of words in ``target_title`` that ``source_title`` lacks, in title order.

    Consecutive new words stay together, so "SET OF 6 PINK MUGS" against "PINK MUG" gives
    ``["SET OF 6"]`` and "JUMBO BAG RED" against "BAG RED" gives ``["JUMBO"]``.
    """
    have = {singular(w) for w in words(source_title)}
    phrases: list[str] = []
    run: list[str] = []
    for word in words(target_title):
        if singular(word) in have:
            if run:
                phrases.append(" ".join(run))
                run = []
        else:
            run.append(word)
    if run:
        phrases.append(" ".join(run))
    return phrases


def _row_norms(counts: np.ndarray) -> np.ndarray:
    """Return ``sqrt(counts)`` with zeros replaced by ones (safe denominators)."""
    out = np.sqrt(counts.astype(np.float64))
    out[out == 0] = 1.0
    return out


class Upgrade(Recommender):
    """Recommend higher-value substitutes ("upgrades") of a product.

    Parameters
    ----------
    min_price_ratio, max_price_ratio : float, default 1.1 and 3.0
        An upgrade costs between these multiples of the source price: below the band it is no
        upgrade, above it a different purchase altogether.
    text_weight, purchase_weight, view_weight : float, default 1.0, 0.5, 0.5
        Weights of the content, purchase and view substitutability signals; a signal whose data
        is absent drops out of the weighted mean.
    category_weight : float, default 0.0
        Weight of the one-hot category block against the TF-IDF words in the content vector.
        Off by default: on Online Retail validation a coarse shop category made every product of
        the category look alike and lowered hit@10 (0.19 at 0.5 against 0.25 at 0).
    complement_lift : float, default 2.0
        Lift of same-order co-purchase above which a pair is a complement, not a substitute.
    complement_min_orders : int, default 3
        A pair must share at least this many orders before its lift can mark it a complement, so
        one chance basket does not veto a real upgrade.
    popularity_weight : float, default 1.0
        Exponent on ``1 + log1p(buyers)``: how much evidence of being chosen lifts a candidate.
    uplift_weight : float, default -0.5
        Exponent on the price ratio: positive favours larger upgrades, negative smaller ones
        (validation preferred modest steps up: customers trade up by a little more often).
    min_substitutability : float, default 0.05
        Candidates less substitutable than this are dropped; an empty list beats a random one.
    n_candidates : int, default 50
        Upgrades kept per item by ``fit`` (the longest list ``upgrades`` can return).
    block_budget : int, default 2_000_000
        Most item pairs scored at once: a block holds ``block_budget // n_items`` source items
        (at least one), so the transient memory is a few tens of MB at any catalogue size.
    """

    _learned = (
        "n_items_",
        "n_orders_",
        "text_",
        "orders_",
        "users_",
        "views_",
        "prices_",
        "available_",
        "groups_",
        "titles_",
        "buyers_",
        "order_counts_",
        "viewers_",
        "chosen_",
        "candidate_indptr_",
    ) + _CANDIDATE_ARRAYS

    def __init__(
        self,
        min_price_ratio: float = 1.1,
        max_price_ratio: float = 3.0,
        text_weight: float = 1.0,
        purchase_weight: float = 0.5,
        view_weight: float = 0.5,
        category_weight: float = 0.0,
        complement_lift: float = 2.0,
        complement_min_orders: int = 3,
        popularity_weight: float = 1.0,
        uplift_weight: float = -0.5,
        min_substitutability: float = 0.05,
        n_candidates: int = 50,
        block_budget: int = 2_000_000,
    ) -> None:
        self.min_price_ratio = min_price_ratio
        self.max_price_ratio = max_price_ratio
        self.text_weight = text_weight
        self.purchase_weight = purchase_weight
        self.view_weight = view_weight
        self.category_weight = category_weight
        self.complement_lift = complement_lift
        self.complement_min_orders = complement_min_orders
        self.popularity_weight = popularity_weight
        self.uplift_weight = uplift_weight
        self.min_substitutability = min_substitutability
        self.n_candidates = n_candidates
        self.block_budget = block_budget

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        interactions: sp.spmatrix,
        items: Items | None = None,
        user_interactions: sp.spmatrix | None = None,
        view_interactions: sp.spmatrix | None = None,
    ) -> Upgrade:
        """Learn substitutability and precompute every item's upgrade list; return self.

        Parameters
        ----------
        interactions : sparse matrix, orders x items
            Order lines; values are ignored (an order holds an item or not).
        items : DataFrame or mapping, optional
            Columns ``text``, ``category``, ``price``, optionally ``available`` (bool) and
            ``variant_group`` (items sharing a non-empty group are variants of one another).
            Without prices no upgrade can be priced, so every list is empty.
        user_interactions : sparse matrix, users x items, optional
            Enables the purchase signal and counts buyers as distinct customers.
        view_interactions : sparse matrix, sessions x items, optional
            Enables the co-view signal and the view-to-purchase evidence.
        """
        orders = binarize(as_csr(interactions))
        n = orders.shape[1]
        self.n_items_ = n
        self.n_orders_ = orders.shape[0]
        self.orders_ = orders.T.tocsr()  # items x orders: row slices are cheap
        self.order_counts_ = np.asarray(self.orders_.getnnz(axis=1), dtype=np.int64)
        self.users_ = self._item_rows(user_interactions, n, "user_interactions")
        self.views_ = self._item_rows(view_interactions, n, "view_interactions")
        self.buyers_ = (
            np.asarray(self.users_.getnnz(axis=1), dtype=np.int64)
            if self.users_.shape[1]
            else self.order_counts_.copy()
        )
        self.viewers_ = np.asarray(self.views_.getnnz(axis=1), dtype=np.int64)
        self._read_items(items, n)
        self.text_ = self._content_vectors(items, n)
        self._precompute_candidates()
        return self

    @staticmethod
    def _item_rows(matrix: sp.spmatrix | None, n: int, name: str) -> sp.csr_matrix:
        """Return ``matrix`` (rows x items) transposed to binary items x rows, or an empty one."""
        if matrix is None:
            return sp.csr_matrix((n, 0), dtype=np.float32)
        m = binarize(as_csr(matrix))
        if m.shape[1] != n:
            raise ValueError(f"{name} has {m.shape[1]} item columns, interactions has {n}")
        return m.T.tocsr()

    def _read_items(self, items: Items | None, n: int) -> None:
        """Set ``prices_``, ``available_``, ``groups_`` and ``titles_`` from the items table."""
        price = item_column(items, "price", n)
        self.prices_ = (
            np.full(n, np.nan) if price is None else np.array([_as_float(p) for p in price], dtype=np.float64)
        )
        available = item_column(items, "available", n)
        self.available_ = (
            np.ones(n, dtype=bool)
            if available is None
            else np.array([False if _missing(a) else bool(a) for a in available], dtype=bool)
        )
        groups = item_column(items, "variant_group", n)
        if groups is None:
            self.groups_ = np.full(n, -1, dtype=np.int64)
        else:
            keys = ["" if _missing(g) else str(g) for g in groups]
            codes = {k: i for i, k in enumerate(sorted(set(keys) - {""}))}
            self.groups_ = np.array([codes.get(k, -1) for k in keys], dtype=np.int64)
        text = item_column(items, "text", n)
        titles = [""] * n if text is None else ["" if _missing(t) else str(t) for t in text]
        self.titles_ = np.array(titles, dtype=str)

    def _content_vectors(self, items: Items | None, n: int) -> sp.csr_matrix:
        """Return L2-normalised [TF-IDF of the title | weighted one-hot category] rows."""
        blocks = []
        if any(self.titles_):
            vectorizer = TfidfVectorizer(analyzer=_analyze, sublinear_tf=True, dtype=np.float32)
            blocks.append(vectorizer.fit_transform(list(self.titles_)))
        category = item_column(items, "category", n)
        if category is not None and self.category_weight > 0:
            labels = ["" if _missing(c) else str(c) for c in category]
            codes = {k: i for i, k in enumerate(sorted(set(labels) - {""}))}
            rows = [i for i, c in enumerate(labels) if c]
            cols = [codes[labels[i]] for i in rows]
            onehot = sp.csr_matrix(
                (np.full(len(rows), self.category_weight, dtype=np.float32), (rows, cols)),
                shape=(n, max(len(codes), 1)),
            )
            if blocks:
                blocks[0] = normalize(blocks[0])
            blocks.append(onehot)
        if not blocks:
            return sp.csr_matrix((n, 0), dtype=np.float32)
        return normalize(sp.hstack(blocks, format="csr", dtype=np.float32)).astype(np.float32)

    # ------------------------------------------------------------------ item-item blocks
    def _blocks(self) -> list[tuple[int, int]]:
        """Return ``(start, stop)`` source-item blocks whose pair count fits ``block_budget``.

        A row's cost is an upper bound of the pairs it can produce (the items sharing a word, a
        customer, an order or a session with it, capped at ``n_items``), as in :mod:`._topk`.
        """
        n = self.n_items_
        costs = np.zeros(n, dtype=np.float64)
        for matrix in (self.text_, self.orders_, self.users_, self.views_):
            if matrix.shape[1]:
                per_column = np.diff(sp.csc_matrix(matrix).indptr).astype(np.float64)
                costs += (matrix != 0).astype(np.float64) @ per_column
        return list(plan_blocks(np.minimum(costs, max(n, 1)), self.block_budget))

    def _combine(
        self,
        a: np.ndarray,
        b: np.ndarray,
        text: np.ndarray,
        shared_buyers: np.ndarray,
        shared_orders: np.ndarray,
        coviews: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(substitutability, complement)`` of the pairs ``(a[i], b[i])`` from their counts.

        Everything is element-wise over 1-D arrays, so blocks, single pairs and explanations share
        one definition.
        """
        weights, parts = [], []
        if self.text_.shape[1]:
            weights.append(self.text_weight)
            parts.append(text)
        if self.users_.shape[1]:
            norm = _row_norms(self.buyers_)
            weights.append(self.purchase_weight)
            parts.append(np.minimum(np.maximum(shared_buyers - shared_orders, 0) / (norm[a] * norm[b]), 1.0))
        if self.views_.shape[1]:
            norm = _row_norms(self.viewers_)
            weights.append(self.view_weight)
            parts.append(np.minimum(np.maximum(coviews - shared_orders, 0) / (norm[a] * norm[b]), 1.0))
        total = float(sum(weights))
        sub = sum(w * p for w, p in zip(weights, parts)) / total if total > 0 else np.zeros(len(a))
        counts = self.order_counts_.astype(np.float64)
        expected = counts[a] * counts[b] / max(self.n_orders_, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(expected > 0, shared_orders / expected, 0.0)
        complement = (shared_orders >= self.complement_min_orders) & (lift > self.complement_lift)
        return np.asarray(sub, dtype=np.float64), complement

    def _pairs(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Return the signals of every pair ``(rows[i], j)`` with any substitutability evidence.

        Only pairs sharing a word, a customer or a session are scored (any other pair has zero
        substitutability), so a block costs its evidence, not ``len(rows) x n_items``. 1-D arrays
        under keys ``source``, ``target``, ``text``, ``shared_buyers``, ``shared_orders``,
        ``substitutability`` and ``complement``.
        """
        n = self.n_items_
        counts = {}
        for name, matrix in (
            ("text", self.text_),
            ("orders", self.orders_),
            ("users", self.users_),
            ("views", self.views_),
        ):
            product = (matrix[rows] @ matrix.T).tocoo() if matrix.shape[1] else sp.coo_matrix((len(rows), n))
            counts[name] = (product.row.astype(np.int64) * n + product.col, product.data.astype(np.float64))
        union = np.sort(np.concatenate([counts[name][0] for name in ("text", "users", "views")]))
        union = union[np.concatenate([[True], union[1:] != union[:-1]])] if len(union) else union
        aligned = {}
        for name, (keys, data) in counts.items():
            values = np.zeros(len(union), dtype=np.float64)
            pos = np.searchsorted(union, keys)
            found = (pos < len(union)) & (union[np.minimum(pos, len(union) - 1)] == keys)
            values[pos[found]] = data[found]
            aligned[name] = values
        position, target = np.divmod(union, n)
        source = rows[position]
        shared_buyers = aligned["users"] if self.users_.shape[1] else aligned["orders"]
        sub, complement = self._combine(
            source, target, aligned["text"], shared_buyers, aligned["orders"], aligned["views"]
        )
        return {
            "position": position,
            "source": source,
            "target": target,
            "text": aligned["text"],
            "shared_buyers": shared_buyers,
            "shared_orders": aligned["orders"],
            "substitutability": sub,
            "complement": complement,
        }

    def _chosen(self) -> np.ndarray:
        """Return each item's evidence-of-being-chosen factor (1 for never bought, grows slowly)."""
        evidence = 1.0 + np.log1p(self.buyers_.astype(np.float64))
        if self.viewers_.any():
            rate = (self.order_counts_ + 1.0) / (self.viewers_ + 1.0)
            evidence = evidence * np.clip(rate / np.median(rate), 0.5, 2.0)  # one signal, not a veto
        return evidence**self.popularity_weight

    def _upgrade_scores(self, pairs: dict[str, np.ndarray]) -> np.ndarray:
        """Return each pair's upgrade score, ``-inf`` where the target is no upgrade of the source."""
        a, b = pairs["source"], pairs["target"]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = self.prices_[b] / self.prices_[a]
        ok = np.isfinite(ratio) & (ratio >= self.min_price_ratio) & (ratio <= self.max_price_ratio)
        ok &= self.available_[b] & (a != b) & ~pairs["complement"]
        ok &= (self.groups_[a] < 0) | (self.groups_[a] != self.groups_[b])
        ok &= pairs["substitutability"] >= self.min_substitutability
        with np.errstate(invalid="ignore", divide="ignore"):
            score = pairs["substitutability"] * self.chosen_[b] * np.where(ok, ratio, 1.0) ** self.uplift_weight
        return np.where(ok, score, -np.inf)

    def _precompute_candidates(self) -> None:
        """Fill ``candidate_indptr_`` and the ``candidate_*_`` arrays: each item's best upgrades."""
        self.chosen_ = self._chosen()
        k = max(int(self.n_candidates), 0)
        pieces: dict[str, list[np.ndarray]] = {name: [] for name in _CANDIDATE_ARRAYS}
        lengths = np.zeros(self.n_items_, dtype=np.int64)
        has_price = np.isfinite(self.prices_) & (self.prices_ > 0)
        for start, stop in self._blocks():  # in increasing order, so the pieces line up with indptr
            rows = np.arange(start, stop)[has_price[start:stop]]
            if len(rows) == 0 or k == 0:
                continue
            pairs = self._pairs(rows)
            scores = self._upgrade_scores(pairs)
            keep = _best_per_group(pairs["position"], scores, pairs["target"], k)
            lengths[rows] = np.bincount(pairs["position"][keep], minlength=len(rows))
            pieces["candidate_ids_"].append(pairs["target"][keep])
            pieces["candidate_scores_"].append(scores[keep])
            for name in ("substitutability", "text", "shared_buyers", "shared_orders"):
                pieces[f"candidate_{name}_"].append(pairs[name][keep])
        self.candidate_indptr_ = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        for name, chunks in pieces.items():
            dtype = (
                np.float32
                if name in ("candidate_scores_", "candidate_substitutability_", "candidate_text_")
                else np.int64
            )
            setattr(self, name, np.concatenate(chunks).astype(dtype) if chunks else np.empty(0, dtype=dtype))

    # ------------------------------------------------------------------ queries
    def upgrades(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` upgrades of ``item``, best first, as ``(ids, scores)``.

        Unknown items, items without a price and items with no qualifying substitute give empty
        arrays.
        """
        if not 0 <= int(item) < getattr(self, "n_items_", 0):
            return empty_result()
        lo, hi = self.candidate_indptr_[item], self.candidate_indptr_[item + 1]
        hi = min(hi, lo + max(int(n), 0))
        return self.candidate_ids_[lo:hi].copy(), self.candidate_scores_[lo:hi].copy()

    def upgrades_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return upgrade lists for many items, shape ``(len(items), n)``, padded with -1 / nan."""
        return _stack([self.upgrades(int(i), n) for i in items], n)

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` substitutes of ``item`` at any price (complements excluded).

        Variants count as substitutes here; unavailable items do not.
        """
        if not 0 <= int(item) < getattr(self, "n_items_", 0):
            return empty_result()
        pairs = self._pairs(np.array([int(item)]))
        sub = pairs["substitutability"]
        ok = self.available_[pairs["target"]] & ~pairs["complement"] & (sub >= self.min_substitutability)
        ok &= pairs["target"] != item
        keep = _best_per_group(
            np.zeros(len(sub), dtype=np.int64), np.where(ok, sub, -np.inf), pairs["target"], max(int(n), 0)
        )
        return pairs["target"][keep].astype(np.int64), sub[keep].astype(np.float32)

    def complements(self, item: int) -> np.ndarray:
        """Return the items frequently bought with ``item`` (same-order lift rule): never upgrades."""
        if not 0 <= int(item) < getattr(self, "n_items_", 0):
            return np.empty(0, dtype=np.int64)
        shared = (self.orders_[int(item)] @ self.orders_.T).tocoo()
        zeros = np.zeros(len(shared.col))
        _, complement = self._combine(
            np.full(len(shared.col), int(item)), shared.col, zeros, zeros, shared.data.astype(np.float64), zeros
        )
        return np.sort(shared.col[complement]).astype(np.int64)

    def complete_basket(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return upgrades of anything in the basket (the best score per candidate), none in it.

        An up-sell model has no complements to offer; for a basket it proposes replacements,
        which is what a cart's "upgrade your choice" widget shows.
        """
        basket = self._valid_items(items)
        best: dict[int, float] = {}
        for item in basket:
            ids, scores = self.upgrades(int(item), self.n_candidates)
            for i, s in zip(ids.tolist(), scores.tolist()):
                best[i] = max(best.get(i, -math.inf), s)
        for item in basket.tolist():
            best.pop(item, None)
        if not best:
            return empty_result()
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[: max(int(n), 0)]
        return np.array([i for i, _ in ranked], dtype=np.int64), np.array([s for _, s in ranked], dtype=np.float32)

    # ------------------------------------------------------------------ explanations
    def explain(self, source: int, target: int) -> dict[str, Any]:
        """Explain why ``target`` is (or is not) an upgrade of ``source``, JSON-serialisably.

        Keys: ``source``, ``target`` (int), ``is_upgrade`` (bool), ``source_price``,
        ``target_price``, ``price_difference``, ``price_difference_percent`` (float or None),
        ``added_words`` (list of str: phrases of the target's title the source lacks),
        ``text_similarity``, ``substitutability`` (float), ``shared_customers``,
        ``bought_together_orders``, ``chosen_by`` (int), ``chosen_by_unit`` ("customers" or
        "orders"), ``viewed_by`` (int, sessions; 0 without views), ``evidence`` (str, e.g. "chosen
        by 42 customers") and ``sentence`` (str).
        """
        n = getattr(self, "n_items_", 0)
        if not (0 <= int(source) < n and 0 <= int(target) < n):
            raise IndexError(f"source {source} or target {target} is not an item of this model")
        source, target = int(source), int(target)
        lo, hi = self.candidate_indptr_[source], self.candidate_indptr_[source + 1]
        hit = np.flatnonzero(self.candidate_ids_[lo:hi] == target)
        if len(hit):
            at = lo + int(hit[0])
            text_sim = float(self.candidate_text_[at])
            sub = float(self.candidate_substitutability_[at])
            shared_buyers = int(self.candidate_shared_buyers_[at])
            shared_orders = int(self.candidate_shared_orders_[at])
        else:  # not a stored upgrade: compute the pair's signals on the spot
            text_sim, shared_buyers, shared_orders, coviews = (
                float(m[source].multiply(m[target]).sum()) if m.shape[1] else 0.0
                for m in (self.text_, self.users_, self.orders_, self.views_)
            )
            if not self.users_.shape[1]:
                shared_buyers = shared_orders
            sub_arr, _ = self._combine(
                np.array([source]),
                np.array([target]),
                np.array([text_sim]),
                np.array([shared_buyers]),
                np.array([shared_orders]),
                np.array([coviews]),
            )
            sub, shared_buyers, shared_orders = float(sub_arr[0]), int(shared_buyers), int(shared_orders)
        p_a, p_b = self.prices_[source], self.prices_[target]
        priced = bool(np.isfinite(p_a) and np.isfinite(p_b) and p_a > 0)
        difference = round(float(p_b - p_a), 2) if priced else None
        percent = round(float(100.0 * (p_b - p_a) / p_a), 1) if priced else None
        added = added_phrases(str(self.titles_[source]), str(self.titles_[target]))
        chosen = int(self.buyers_[target])
        unit = "customers" if self.users_.shape[1] else "orders"
        noun = unit if chosen != 1 else unit[:-1]  # "1 customer", "3 customers"
        evidence = f"chosen by {chosen} {noun}" if unit == "customers" else f"bought in {chosen} {noun}"
        name = str(self.titles_[target]) or f"item {target}"
        parts = [f"Upgrade to {name}"]
        if added:
            parts.append(": adds " + ", ".join(added))
        if priced:
            parts.append(f", {abs(difference):.2f} {'more' if difference >= 0 else 'less'} ({percent:+.0f}%)")
        sentence = "".join(parts) + f"; {evidence}."
        return {
            "source": source,
            "target": target,
            "is_upgrade": bool(len(hit)),
            "source_price": float(p_a) if np.isfinite(p_a) else None,
            "target_price": float(p_b) if np.isfinite(p_b) else None,
            "price_difference": difference,
            "price_difference_percent": percent,
            "added_words": added,
            "text_similarity": round(text_sim, 4),
            "substitutability": round(sub, 4),
            "shared_customers": shared_buyers if self.users_.shape[1] else 0,
            "bought_together_orders": shared_orders,
            "chosen_by": chosen,
            "chosen_by_unit": unit,
            "viewed_by": int(self.viewers_[target]),
            "evidence": evidence,
            "sentence": sentence,
        }


def _best_per_group(group: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray, k: int) -> np.ndarray:
    """Return indices of the ``k`` best finite ``scores`` of each ``group``, by group then best first.

    Ties go to the lower ``tiebreak`` (the item index), so lists are deterministic.
    """
    finite = np.flatnonzero(np.isfinite(scores))
    order = finite[np.lexsort((tiebreak[finite], -scores[finite], group[finite]))]
    grouped = group[order]
    rank = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")
    return order[rank < k]


def _missing(value: Any) -> bool:
    """Return True for None and NaN, the two spellings of "no value" in an items table."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_float(value: Any) -> float:
    """Return ``value`` as a float, or nan when it is missing or not a number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


__all__ = ["Upgrade", "added_phrases", "singular", "words"]
