"""Customer-aware completion: repeat purchases, the history cases, the blend's search, and the models."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.recommenders import Hybrid, ItemCF
from crosssell_app.recommenders.base import indicator_matrix
from crosssell_app.recommenders.repeat import (
    FALLBACK_HISTORY,
    TIFUKNN,
    HistoryBlend,
    RepeatPurchase,
    choose_history_blend,
    history_cases,
    repeat_scores,
    repeat_share,
)

N_STAPLES = 40
N_ITEMS = 60  #: items 0-39: one staple per customer; 40-59: four clusters of five complements
CLUSTERS = [list(range(40 + 5 * c, 45 + 5 * c)) for c in range(4)]


def repeat_shop(n_customers: int = 40, orders_each: int = 12, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """Return orders (time order) and each order's customer: every order holds the customer's staple
    (an item only they buy) and two items of one cluster, so only the history can tell the staple."""
    rng = np.random.default_rng(seed)
    baskets, owners = [], []
    for _ in range(orders_each):
        for customer in rng.permutation(n_customers):
            cluster = CLUSTERS[rng.integers(len(CLUSTERS))]
            baskets.append([customer % N_STAPLES, *rng.choice(cluster, size=2, replace=False)])
            owners.append(customer)
    return indicator_matrix(baskets, N_ITEMS), np.asarray(owners)


@pytest.fixture(scope="module")
def shop() -> tuple[sp.csr_matrix, np.ndarray]:
    return repeat_shop()


class TestRepeatScores:
    def test_each_older_basket_counts_decay_times_the_next(self):
        scores = repeat_scores([[0, 1], [1], [1, 2, 2]], 4, decay=0.5)
        np.testing.assert_allclose(scores, [0.25, 0.25 + 0.5 + 1.0, 1.0, 0.0])

    def test_no_decay_counts_the_baskets_holding_each_item_and_ignores_unknown_items(self):
        np.testing.assert_array_equal(repeat_scores([[0, 1], [1, 7, -1], [1]], 3), [1.0, 3.0, 0.0])
        assert not repeat_scores(None, 3).any() and not repeat_scores([], 3).any()

    def test_the_repeat_share_is_the_part_of_the_basket_bought_before(self):
        in_basket = np.array([[1, 1, 1, 1, 0], [0, 0, 0, 0, 0]], dtype=bool)
        before = np.array([[1, 0, 1, 0, 1], [1, 1, 1, 1, 1]], dtype=bool)
        np.testing.assert_array_equal(repeat_share(in_basket, before), [0.5, 0.0])


class TestHistoryCases:
    def test_a_case_is_a_later_row_of_a_known_customer_with_the_earlier_rows_as_history(self):
        matrix = indicator_matrix([[0, 1], [2, 3], [1, 4], [0, 2, 3], [5, 6]], 7)
        customers = np.array([0, 1, 0, 0, -1])
        cases = history_cases(matrix, customers, np.arange(5), seed=0)
        assert cases.rows.tolist() == [2, 3]  # row 0 is customer 0's first; row 4 has no customer
        assert [h_row.tolist() for h_row in cases.histories[1]] == [[0, 1], [1, 4]]  # oldest first
        for basket, hidden, row in zip(cases.baskets, cases.hidden, cases.rows):
            assert sorted([*basket.tolist(), int(hidden)]) == matrix[row].indices.tolist()

    def test_unknown_items_leave_baskets_and_histories_and_short_baskets_are_no_case(self):
        matrix = indicator_matrix([[0, 1, 6], [6], [0, 6], [1, 2, 6]], 7)
        known = np.arange(7) != 6
        cases = history_cases(matrix, np.zeros(4, dtype=int), np.arange(4), known=known)
        assert cases.rows.tolist() == [3]  # row 2 keeps one known item only
        assert [h.tolist() for h in cases.histories[0]] == [[0, 1], [0]]  # row 1 held nothing known

    def test_the_same_seed_draws_the_same_cases(self, shop):
        matrix, customers = shop
        a = history_cases(matrix, customers, np.arange(300, 480), seed=3, max_cases=50)
        b = history_cases(matrix, customers, np.arange(300, 480), seed=3, max_cases=50)
        assert len(a) == 50 and a.rows.tolist() == b.rows.tolist() and a.hidden.tolist() == b.hidden.tolist()


class TestTheBlendSearch:
    def test_history_that_names_the_hidden_item_earns_weight_and_history_that_misleads_gets_none(self, shop):
        matrix, customers = shop
        model = ItemCF(neighbours=10).fit(matrix[:400])
        cases = history_cases(matrix, customers, np.arange(400, 480), seed=0)
        # hide the staple: only the history knows it
        staples = [
            np.asarray([i for i in b.tolist() + [h] if i >= N_STAPLES]) for b, h in zip(cases.baskets, cases.hidden)
        ]
        hidden = np.asarray([customers[row] % N_STAPLES for row in cases.rows])
        helpful = type(cases)(staples, hidden, cases.histories, cases.rows)
        chosen = choose_history_blend(model.score_baskets, helpful, N_ITEMS)
        assert chosen.weight + chosen.ratio_weight > 0
        # a history of other customers' staples only misleads
        wrong = [[np.array([(customers[row] + 1) % N_STAPLES])] for row in cases.rows]
        misled = type(cases)(cases.baskets, cases.hidden, wrong, cases.rows)
        kept_out = choose_history_blend(model.score_baskets, misled, N_ITEMS)
        assert kept_out.weight == 0 and kept_out.ratio_weight == 0


@pytest.fixture(scope="module")
def fitted(shop) -> Hybrid:
    matrix, customers = shop
    return Hybrid(neighbours=10, mlp_weight=0, tune_cases=200, min_tune_cases=20).fit(matrix, customers=customers)


class TestHybridWithHistory:
    def test_the_weights_are_chosen_on_returning_customers_newest_orders(self, fitted):
        assert fitted.history_cases_ >= 20
        assert fitted.history_weight_ + fitted.ratio_weight_ > 0

    def test_the_customers_staple_is_found_only_with_their_history(self, fitted, shop):
        matrix, customers = shop
        history = [matrix[r].indices.tolist() for r in np.flatnonzero(customers == 7)[:5]]
        basket = [CLUSTERS[0][0]]
        with_history = fitted.complete_basket(basket, n=3, history=history)[0].tolist()
        assert with_history[0] == 7
        assert 7 not in fitted.complete_basket(basket, n=3)[0].tolist()

    def test_the_basket_is_never_returned_even_when_bought_before(self, fitted):
        history = [[7, 40, 41], [7, 42]]
        ids, _ = fitted.complete_basket([7, 40], n=N_ITEMS, history=history)
        assert 7 not in ids and 40 not in ids and len(ids)

    def test_an_empty_basket_with_a_history_is_what_the_customer_buys_again(self, fitted):
        ids, _ = fitted.complete_basket([], n=1, history=[[7, 40], [7, 55]])
        assert ids.tolist() == [7]

    def test_without_customers_nothing_is_held_out_and_the_fallback_is_kept(self, shop):
        model = Hybrid(neighbours=10, mlp_weight=0, tune_cases=200, min_tune_cases=20).fit(shop[0])
        assert model.history_cases_ == 0
        assert (model.history_weight_, model.ratio_weight_, model.history_decay_) == FALLBACK_HISTORY

    def test_the_chosen_blend_is_saved_and_loaded(self, fitted, tmp_path):
        fitted.save(tmp_path / "h.npz")
        loaded = Hybrid.load(tmp_path / "h.npz")
        history = [[7, 40], [3, 41]]
        for a, b in zip(fitted.complete_basket([45], 5, history), loaded.complete_basket([45], 5, history)):
            np.testing.assert_array_equal(a, b)


class TestPeers:
    def test_p_topfreq_ranks_the_customers_most_frequent_items_then_best_sellers(self, shop):
        matrix, _ = shop
        model = RepeatPurchase().fit(matrix)
        ids, _ = model.complete_basket([3], n=4, history=[[5, 3], [5, 9], [9, 5], [2]])
        assert ids[:3].tolist() == [5, 9, 2]  # 3 baskets, 2, 1; the basket's own 3 never
        best_seller = int(np.argmax(np.asarray(matrix.sum(axis=0)).ravel()[N_STAPLES:])) + N_STAPLES
        assert ids[3] == best_seller
        assert model.complete_basket([3], n=1)[0].tolist() == [best_seller]

    def test_tifu_knn_vectors_decay_within_and_across_groups(self):
        model = TIFUKNN(group_size=2, within_decay=0.5, group_decay=0.25)
        model.n_items_ = 3
        # groups from the newest: [[1], [2]] then [[0]]; group vectors [0, .5, 1] / 2 and [1, 0, 0]
        vector = model.customer_vector([[0], [1], [2]])
        np.testing.assert_allclose(vector, (np.array([0, 0.25, 0.5]) + 0.25 * np.array([1.0, 0, 0])) / 2)

    def test_tifu_knn_adds_what_similar_customers_buy_and_skips_the_customer_itself(self):
        matrix = indicator_matrix([[0, 1], [0, 1, 2], [3], [0, 1]], 4)
        model = TIFUKNN(neighbours=1, alpha=0.5).fit(matrix, customers=np.array([0, 1, 2, 0]))
        ids, _ = model.complete_basket([], n=3, history=[[0, 1], [0, 1]])  # customer 0's own history
        assert set(ids[:2].tolist()) == {0, 1} and ids[2] == 2  # from customer 1, not 0's own copy

    def test_a_history_blend_with_fixed_weights_searches_nothing(self, shop):
        matrix, customers = shop
        blend = HistoryBlend(ItemCF(neighbours=10), history_weight=1.0, ratio_weight=0.0, decay=1.0)
        blend.fit(matrix, customers=customers)
        assert blend.history_cases_ == 0
        alone = ItemCF(neighbours=10).fit(matrix)
        np.testing.assert_array_equal(blend.complete_basket([40], 5)[0], alone.complete_basket([40], 5)[0])
        assert blend.complete_basket([40], 1, history=[[7, 50], [7]])[0].tolist() == [7]

    def test_a_string_other_than_auto_is_refused(self, shop):
        with pytest.raises(TypeError):
            HistoryBlend(ItemCF(), history_weight="high").fit(shop[0], customers=shop[1])
