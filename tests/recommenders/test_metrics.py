"""Metrics checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crosssell_app.evaluation.metrics import coverage, hit_rate, ndcg, ndcg_gains, paired_difference

RANKED = np.array(
    [
        [5, 3, 9, -1],  # hidden 5 at position 0
        [1, 2, 3, 4],  # hidden 3 at position 2
        [7, 8, -1, -1],  # hidden 6 missing
    ]
)
HIDDEN = np.array([5, 3, 6])


def test_hit_rate_counts_cases_whose_hidden_item_is_in_the_top_k():
    assert hit_rate(RANKED, HIDDEN, k=4) == pytest.approx(2 / 3)
    assert hit_rate(RANKED, HIDDEN, k=2) == pytest.approx(1 / 3)


def test_ndcg_discounts_a_hit_by_the_log_of_its_position():
    expected = (1.0 + 1.0 / math.log2(4) + 0.0) / 3
    assert ndcg(RANKED, HIDDEN, k=4) == pytest.approx(expected)
    assert ndcg(RANKED, HIDDEN, k=1) == pytest.approx(1 / 3)


def test_coverage_is_the_share_of_the_catalogue_ever_shown_ignoring_padding():
    # shown in the top 2: 5, 3, 1, 2, 7, 8 -> 6 of 20 items
    assert coverage(RANKED, n_items=20, k=2) == pytest.approx(6 / 20)
    assert coverage(RANKED, n_items=10, k=4) == pytest.approx(8 / 10)


def test_no_cases_give_nan_not_an_error():
    empty = np.empty((0, 10), dtype=np.int64)
    assert math.isnan(hit_rate(empty, np.empty(0)))
    assert math.isnan(ndcg(empty, np.empty(0)))


def test_ndcg_gains_keep_each_cases_value_and_average_to_ndcg():
    gains = ndcg_gains(RANKED, HIDDEN, k=4)
    assert gains.tolist() == pytest.approx([1.0, 1.0 / math.log2(4), 0.0])
    assert gains.mean() == pytest.approx(ndcg(RANKED, HIDDEN, k=4))


def test_paired_difference_is_the_mean_difference_with_its_paired_standard_error():
    mine = np.array([1.0, 0.5, 0.0, 1.0])
    theirs = np.array([0.5, 0.5, 0.0, 0.0])
    difference, se = paired_difference(mine, theirs)
    assert difference == pytest.approx(0.375)
    # differences 0.5, 0, 0, 1: sample sd 0.4787, over sqrt(4)
    assert se == pytest.approx(np.std([0.5, 0.0, 0.0, 1.0], ddof=1) / 2)
    # a constant shift has no spread: the paired error sees that the models never disagree
    assert paired_difference(theirs + 0.1, theirs) == pytest.approx((0.1, 0.0))
