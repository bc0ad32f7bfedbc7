"""Hybrid's self-tuned blend weights: chosen on the shop's own newest orders."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.recommenders import Hybrid
from crosssell_app.recommenders.base import indicator_matrix
from crosssell_app.recommenders.hybrid import CF_CANDIDATES, FALLBACK_WEIGHTS, USERCF_CANDIDATES


def _missions(seed: int = 0) -> sp.csr_matrix:
    """200 fixed five-item "recipes" over 30 items, each order one whole recipe.

    Every pair of items sits in several recipes, so pairs barely say which item is missing;
    four items of an order name its recipe, which only whole-basket neighbours see.
    """
    rng = np.random.default_rng(seed)
    recipes = [rng.choice(30, size=5, replace=False) for _ in range(200)]
    return indicator_matrix([recipes[r] for r in rng.integers(200, size=2000)], 30)


def _partners(seed: int = 0) -> sp.csr_matrix:
    """300 long orders of 5-8 random partner pairs ``(2k, 2k + 1)`` out of 100.

    The missing item's partner is in the basket, so pairs name it; orders that overlap the
    basket most share random other pairs with it and vote for noise.
    """
    rng = np.random.default_rng(seed)
    orders = []
    for _ in range(300):
        chosen = rng.choice(100, size=rng.integers(5, 9), replace=False)
        orders.append(np.ravel(np.column_stack([2 * chosen, 2 * chosen + 1])))
    return indicator_matrix(orders, 200)


@pytest.mark.parametrize("seed", [0, 1])
def test_auto_picks_the_largest_session_knn_weight_when_only_whole_baskets_tell(seed):
    model = Hybrid().fit(_missions(seed))
    assert model.usercf_weight_ == max(USERCF_CANDIDATES)
    assert model.tune_cases_ >= model.min_tune_cases
    search = model.weight_search_
    assert search.shape == (len(USERCF_CANDIDATES) * len(CF_CANDIDATES), 3)
    best = search[:, 2].max()
    assert best > search[search[:, 0] == min(USERCF_CANDIDATES), 2].max() + 0.1


@pytest.mark.parametrize("seed", [0, 1])
def test_auto_picks_the_smallest_session_knn_weight_when_pairs_say_enough(seed):
    model = Hybrid().fit(_partners(seed))
    assert model.usercf_weight_ == min(USERCF_CANDIDATES)
    assert model.cf_weight_ in CF_CANDIDATES
    search = model.weight_search_
    assert search[:, 2].max() > search[search[:, 0] == max(USERCF_CANDIDATES), 2].max() + 0.1


def test_the_learned_weights_are_the_ones_blended():
    orders = _missions()
    auto = Hybrid().fit(orders)
    fixed = Hybrid(usercf_weight=auto.usercf_weight_, cf_weight=auto.cf_weight_).fit(orders)
    assert fixed.weight_search_ is None and fixed.tune_cases_ == 0  # nothing to choose: no hold-out
    items = np.arange(orders.shape[1])
    np.testing.assert_array_equal(auto.complete_basket_batch(items)[0], fixed.complete_basket_batch(items)[0])
    np.testing.assert_array_equal(auto.basket_scores(np.array([0, 1, 2])), fixed.basket_scores(np.array([0, 1, 2])))


@pytest.mark.parametrize("weights", [(0.3, 0.0), (5.0, 0.0), (2.0, 1.0)])
def test_the_search_scores_a_blend_as_complete_basket_ranks_it(weights):
    """The NDCG@10 of a candidate equals that of a fixed-weight Hybrid fitted on the older rows."""
    orders = _missions()
    older, baskets, hidden = Hybrid()._hold_out(orders)
    fixed = Hybrid(usercf_weight=weights[0], cf_weight=weights[1]).fit(older)
    gains = []
    for basket, item in zip(baskets, hidden):
        ranked = fixed.complete_basket(basket, n=10)[0].tolist()
        gains.append(1.0 / np.log2(ranked.index(item) + 2) if item in ranked else 0.0)
    searched = fixed.candidate_ndcg(baskets, hidden, [weights])[0]
    assert searched == pytest.approx(np.mean(gains), abs=1e-9)


def test_the_hold_out_is_the_newest_rows_and_only_known_items_are_hidden():
    orders = _missions()
    older, baskets, hidden = Hybrid(tune_fraction=0.1)._hold_out(orders)
    assert older.shape[0] == 1500  # at least 500 rows are held out (here more than 10%)
    assert (older != orders[:1500]).nnz == 0
    known = np.flatnonzero(np.diff(older.tocsc().indptr))
    assert np.isin(hidden, known).all()
    assert all(len(b) >= 1 and item not in b for b, item in zip(baskets, hidden))
    assert len(hidden) == 500


def test_too_few_held_out_baskets_fall_back_to_the_documented_weights(two_clusters, catalogue):
    model = Hybrid().fit(two_clusters, catalogue)  # 80 orders: 40 held out, < 50 cases
    assert model.tune_cases_ == 0
    assert model.weight_search_ is None
    assert (model.usercf_weight_, model.cf_weight_) == (
        FALLBACK_WEIGHTS["usercf_weight"],
        FALLBACK_WEIGHTS["cf_weight"],
    )
    # a fixed weight stays fixed when the other falls back
    half = Hybrid(usercf_weight=2.0).fit(two_clusters, catalogue)
    assert (half.usercf_weight_, half.cf_weight_) == (2.0, FALLBACK_WEIGHTS["cf_weight"])


def test_only_the_auto_weight_is_searched():
    model = Hybrid(usercf_weight=2.0).fit(_missions())
    assert model.usercf_weight_ == 2.0
    np.testing.assert_array_equal(model.weight_search_[:, 0], [2.0] * len(CF_CANDIDATES))
    np.testing.assert_array_equal(model.weight_search_[:, 1], CF_CANDIDATES)


def test_a_weight_that_is_neither_a_number_nor_auto_is_rejected(two_clusters):
    with pytest.raises(TypeError):
        Hybrid(usercf_weight="large").fit(two_clusters)


def test_the_choice_is_seeded_and_deterministic():
    orders = _partners()
    first, second = Hybrid().fit(orders), Hybrid().fit(orders)
    np.testing.assert_array_equal(first.weight_search_, second.weight_search_)
    other = Hybrid(random_state=1)._hold_out(orders)[2]
    assert not np.array_equal(Hybrid()._hold_out(orders)[2], other)  # the seed draws the cases


def test_the_choice_survives_save_and_load(tmp_path):
    orders = _missions()
    model = Hybrid().fit(orders)
    model.save(tmp_path / "hybrid.npz")
    loaded = Hybrid.load(tmp_path / "hybrid.npz")
    assert loaded.usercf_weight == "auto"
    assert (loaded.usercf_weight_, loaded.cf_weight_, loaded.tune_cases_) == (
        model.usercf_weight_,
        model.cf_weight_,
        model.tune_cases_,
    )
    np.testing.assert_array_equal(loaded.weight_search_, model.weight_search_)
    items = np.arange(orders.shape[1])
    np.testing.assert_array_equal(loaded.complete_basket_batch(items)[0], model.complete_basket_batch(items)[0])


def _as_if_saved_before_the_search(path, params: dict) -> None:
    """Rewrite a saved Hybrid without the learned weights and with older constructor params (None: absent)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for key in list(arrays):
        if key.split("::")[0] in ("usercf_weight_", "cf_weight_", "tune_cases_", "weight_search_"):
            del arrays[key]
    stored = json.loads(str(arrays["__params__"]))
    for name in ("tune_fraction", "tune_cases", "min_tune_cases", "random_state"):
        del stored[name]
    stored.update(params)
    arrays["__params__"] = np.array(json.dumps({k: v for k, v in stored.items() if v is not None}))
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"usercf_weight": 5.0, "cf_weight": 1.0}, (5.0, 1.0)),  # fixed weights: the constructor's
        # no weights stored: the constructor's "auto" without a choice means the fallback
        (
            {"usercf_weight": None, "cf_weight": None},
            (FALLBACK_WEIGHTS["usercf_weight"], FALLBACK_WEIGHTS["cf_weight"]),
        ),
    ],
)
def test_a_hybrid_saved_before_the_search_still_loads_and_answers(tmp_path, two_clusters, catalogue, params, expected):
    path = tmp_path / "old.npz"
    Hybrid(usercf_weight=3.0, cf_weight=0.5).fit(two_clusters, catalogue).save(path)
    _as_if_saved_before_the_search(path, params)
    loaded = Hybrid.load(path)
    assert getattr(loaded, "usercf_weight_", None) is None
    assert (loaded._weight("usercf_weight"), loaded._weight("cf_weight")) == expected
    reference = Hybrid(usercf_weight=expected[0], cf_weight=expected[1]).fit(two_clusters, catalogue)
    np.testing.assert_allclose(loaded.basket_scores(np.array([0, 1])), reference.basket_scores(np.array([0, 1])))
