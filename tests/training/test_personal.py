"""Which past purchase a personal pick is said to come from."""

import numpy as np

from crosssell_app.recommenders.base import binary_matrix
from crosssell_app.training.personal import because_of


def test_the_past_purchase_most_often_in_one_order_with_the_pick_is_named():
    # orders: {0, 2}, {0, 2}, {1, 2}: of the customer's purchases 0 and 1, item 0 goes with 2 most
    orders = binary_matrix([0, 0, 1, 1, 2, 2], [0, 2, 0, 2, 1, 2], (3, 4))
    customers = binary_matrix([0, 0], [0, 1], (1, 4))
    assert because_of(orders, customers, [np.array([0, 1])], np.array([[2, -1]])) == [[[0], []]]


def test_a_pick_bought_by_one_customer_over_two_orders_names_that_purchase():
    orders = binary_matrix([0, 1], [0, 3], (2, 4))  # never in one order
    customers = binary_matrix([0, 0, 1], [0, 3, 1], (2, 4))  # but customer 0 bought both
    assert because_of(orders, customers, [np.array([0, 1])], np.array([[3]])) == [[[0]]]


def test_a_pick_that_shares_nothing_with_the_past_purchases_names_none():
    orders = binary_matrix([0, 1], [0, 2], (2, 3))
    customers = binary_matrix([0, 1], [0, 2], (2, 3))
    assert because_of(orders, customers, [np.array([0])], np.array([[2]])) == [[[]]]
