"""Metrics checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crosssell_app.evaluation.metrics import coverage, hit_rate, ndcg

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
