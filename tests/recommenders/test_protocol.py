"""The offline protocol's building blocks: time split, leave-one-out cases, the generated shop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crosssell_app.evaluation.protocol import ModelSpec, compare, evaluate, score
from crosssell_app.evaluation.splits import basket_matrix, item_index, leave_one_out, time_split
from bench.synthetic import grocery_lines
from crosssell_app.recommenders import ItemCF, Popularity

LINES = pd.DataFrame(
    {
        "order_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "code": ["x", "y", "z", "x", "y", "y", "new", "x"],
        "description": [""] * 8,
        "price": [1.0] * 8,
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-01",
                "2024-01-02",
                "2024-01-05",
                "2024-01-05",
                "2024-02-01",
                "2024-02-01",
                "2024-02-02",
            ]
        ),
    }
)


def test_an_order_is_never_cut_in_two_by_the_time_split():
    before, after = time_split(LINES, "2024-01-02")
    assert set(before["order_id"]) == {"a"} and len(before) == 3  # its 2 January line stays with it
    assert set(after["order_id"]) == {"b", "c", "d"}


def test_leave_one_out_hides_one_known_item_of_each_basket_with_two_or_more():
    before, after = time_split(LINES, "2024-01-15")
    codes = item_index(before)
    cases = leave_one_out(after, codes, seed=3)
    # c holds y and an item unknown to training: one known item left, so no case; d has one item
    assert len(cases) == 0
    cases = leave_one_out(before, codes, seed=3)
    matrix = basket_matrix(before, codes)
    assert len(cases) == 2
    for basket, hidden, row in zip(cases.baskets, cases.hidden, range(matrix.shape[0])):
        assert hidden not in basket
        assert sorted([*basket, hidden]) == sorted(matrix[row].indices)


def test_the_generated_grocery_shop_is_seeded_and_shaped_like_a_grocery():
    first, again = grocery_lines(n_orders=2000, seed=5), grocery_lines(n_orders=2000, seed=5)
    pd.testing.assert_frame_equal(first, again)
    sizes = first.groupby("order_id").size()
    assert 2.0 < sizes.mean() < 8.0, "small baskets"
    sales = first["code"].value_counts()
    assert (sales <= 3).mean() > 0.3, "a long tail of rarely bought items"


def test_co_occurrence_beats_popularity_on_the_generated_shop():
    lines = grocery_lines(n_orders=6000, seed=1)
    table = evaluate(
        lines, "2024-06-03", [ModelSpec("popularity", Popularity), ModelSpec("itemcf", ItemCF)], max_cases=300
    )
    ndcg = dict(zip(table["model"], table["ndcg"]))
    assert ndcg["itemcf"] > 1.5 * ndcg["popularity"] > 0
    assert set(table.columns) >= {"hr", "ndcg", "coverage", "fit_s", "peak_mb", "ndcg_cases"}

    verdict = compare(table, "itemcf", peers=["popularity"], target=1.5)
    assert verdict["peer"] == "popularity"
    assert verdict["ratio"] == pytest.approx(ndcg["itemcf"] / ndcg["popularity"])
    assert verdict["difference"] == pytest.approx(ndcg["itemcf"] - ndcg["popularity"])
    assert 0 < verdict["se"] < verdict["difference"]
    assert verdict["needed"] == pytest.approx(0.5 * ndcg["popularity"])


def test_score_counts_a_model_that_always_answers_the_hidden_item_as_perfect():
    class Oracle:
        def complete_basket(self, items, n=10):
            return np.array([hidden_of[tuple(items)]]), np.array([1.0])

    before, _ = time_split(LINES, "2024-01-15")
    cases = leave_one_out(before, item_index(before), seed=0)
    hidden_of = {tuple(b): h for b, h in zip(cases.baskets, cases.hidden)}
    expected_coverage = len(set(cases.hidden.tolist())) / 3
    assert score(Oracle(), cases, n_items=3) == {"hr": 1.0, "ndcg": 1.0, "coverage": expected_coverage}
