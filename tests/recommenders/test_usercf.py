"""UserCF (session-kNN over past orders) and its place in the Hybrid blend."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders import Hybrid, UserCF
from crosssell_app.recommenders.base import indicator_matrix


def _rows(*baskets: list[int], n_items: int) -> sp.csr_matrix:
    return indicator_matrix(baskets, n_items)


def test_sharing_a_rare_item_counts_more_than_sharing_a_best_seller():
    # item 0 is in every order (a best seller), item 1 in one; the basket holds both
    orders = _rows([0, 1, 2], [0, 3, 4], [0, 5], [0, 6], [0, 7], n_items=8)
    weighted = UserCF(neighbours=1, shrinkage=0.0, idf=True, power=1.0).fit(orders)
    assert weighted.complete_basket([0, 1], n=2)[0].tolist() == [2]
    # item 0 is in every order: with IDF it says nothing, so a basket of it alone finds no neighbour
    assert weighted.complete_basket([0], n=3)[0].size == 0
    plain = UserCF(neighbours=5, shrinkage=0.0, idf=False, power=1.0).fit(orders)
    assert set(plain.complete_basket([0], n=10)[0].tolist()) == {1, 2, 3, 4, 5, 6, 7}


def test_the_power_lets_one_close_order_outvote_several_loose_ones():
    # one order matches the basket {0, 1} fully and holds 2; three orders share only item 0 and hold 3
    orders = _rows([0, 1, 2], [0, 3], [0, 3], [0, 3], n_items=4)
    linear = UserCF(neighbours=10, shrinkage=0.0, idf=False, power=1.0).fit(orders)
    assert linear.complete_basket([0, 1], n=1)[0].tolist() == [3]  # 3 x 0.5 beats 0.82
    sharp = UserCF(neighbours=10, shrinkage=0.0, idf=False, power=3.0).fit(orders)
    assert sharp.complete_basket([0, 1], n=1)[0].tolist() == [2]  # 0.82^3 = 0.54 beats 3 x 0.125


def test_only_the_best_rows_vote():
    orders = _rows([0, 1], [0, 2, 3, 4], n_items=5)
    model = UserCF(neighbours=1, shrinkage=0.0, idf=False).fit(orders)
    assert model.complete_basket([0], n=5)[0].tolist() == [1]


def test_the_hybrid_blends_the_session_knn_into_bought_together_only(two_clusters, catalogue):
    with_knn = Hybrid(neighbours=5, usercf_weight=5.0).fit(two_clusters, catalogue)
    without = Hybrid(neighbours=5, usercf_weight=0.0).fit(two_clusters, catalogue)
    assert without.usercf_ is None  # weight 0: not fitted, not saved
    assert isinstance(with_knn.usercf_, UserCF)
    items = np.arange(two_clusters.shape[1])
    np.testing.assert_array_equal(with_knn.similar_items_batch(items)[0], without.similar_items_batch(items)[0])
    basket = np.array([0, 1])
    knn = with_knn.usercf_.basket_scores(basket)
    reached = np.isfinite(knn)
    added = with_knn.basket_scores(basket)[reached] - without.basket_scores(basket)[reached]
    np.testing.assert_allclose(added, 5.0 * knn[reached] / knn[reached].max(), atol=1e-6)


def test_the_bought_together_itemcf_weight_leaves_similar_lists_alone(two_clusters, catalogue):
    items = np.arange(two_clusters.shape[1])
    lists = [
        Hybrid(neighbours=5, cf_weight=weight).fit(two_clusters, catalogue).similar_items_batch(items)[0]
        for weight in (0.0, 1.0)
    ]
    np.testing.assert_array_equal(lists[0], lists[1])


# orders: [0, 1] and [2] by customer 0, [1, 3] by customer 1, [4] by nobody known
CUSTOMER_ORDERS = ([0, 1], [2], [1, 3], [4])
CUSTOMER_OF_ROW = np.array([0, 0, 1, -1])


def test_over_customers_a_row_is_everything_a_customer_bought_worked_by_hand():
    orders = _rows(*CUSTOMER_ORDERS, n_items=5)
    model = UserCF(neighbours=1, shrinkage=0.0, idf=False, power=1.0).fit(orders, customers=CUSTOMER_OF_ROW)
    # profiles: customer 0 {0, 1, 2}, customer 1 {1, 3}, the unknown customer's order {4}
    assert [model.rows_[r].indices.tolist() for r in range(3)] == [[0, 1, 2], [1, 3], [4]]
    # basket {0}: the one neighbour is customer 0 (cosine 1 / sqrt(1 * 3)); both their other items get its vote
    ids, scores = model.complete_basket([0], n=5)
    assert ids.tolist() == [1, 2]
    np.testing.assert_allclose(scores, [1 / np.sqrt(3)] * 2)
    # over orders the one neighbour is the order [0, 1]: item 2, bought by the same customer another day, is unseen
    by_order = UserCF(neighbours=1, shrinkage=0.0, idf=False, power=1.0, rows="orders").fit(
        orders, customers=CUSTOMER_OF_ROW)
    assert by_order.complete_basket([0], n=5)[0].tolist() == [1]


def test_customers_like_you_are_ranked_by_their_whole_history_worked_by_hand():
    orders = _rows(*CUSTOMER_ORDERS, n_items=5)
    model = UserCF(neighbours=2, shrinkage=0.0, idf=False, power=1.0).fit(orders, customers=CUSTOMER_OF_ROW)
    # basket {1}: customer 1 {1, 3} has cosine 1 / sqrt(2), customer 0 {0, 1, 2} 1 / sqrt(3)
    ids, scores = model.complete_basket([1], n=5)
    assert ids.tolist() == [3, 0, 2]
    np.testing.assert_allclose(scores, [1 / np.sqrt(2), 1 / np.sqrt(3), 1 / np.sqrt(3)])


def test_without_customers_every_order_is_a_row():
    orders = _rows(*CUSTOMER_ORDERS, n_items=5)
    told_nothing = UserCF().fit(orders)
    assert (told_nothing.rows_ != orders).nnz == 0
    nobody_known = UserCF().fit(orders, customers=np.full(4, -1))
    assert (nobody_known.rows_ != orders).nnz == 0
