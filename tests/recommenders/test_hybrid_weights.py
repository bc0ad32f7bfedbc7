"""Hybrid's self-tuned blend weights: chosen on the shop's own newest orders."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.recommenders import Hybrid
from crosssell_app.recommenders.base import indicator_matrix
from crosssell_app.recommenders import hybrid as hybrid_module
from crosssell_app.recommenders.hybrid import CANDIDATES, FALLBACK_WEIGHTS, SEARCHED


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


#: the blend without its slow components, for tests about the search itself
FAST = {"svd_weight": 0.0, "mlp_weight": 0.0}


@pytest.mark.parametrize("seed", [0, 1])
def test_auto_picks_a_large_session_knn_weight_when_only_whole_baskets_tell(seed):
    model = Hybrid(**FAST).fit(_missions(seed))
    assert model.usercf_weight_ >= 5.0
    assert model.tune_cases_ >= model.min_tune_cases
    search = model.weight_search_
    assert search.shape[1] == len(SEARCHED) + 1
    column = SEARCHED.index("usercf_weight")
    assert search[:, -1].max() > search[search[:, column] <= 0.3, -1].max() + 0.1


@pytest.mark.parametrize("seed", [0, 1])
def test_auto_picks_a_small_session_knn_weight_when_pairs_say_enough(seed):
    model = Hybrid(**FAST).fit(_partners(seed))
    assert model.usercf_weight_ <= 0.3
    column = SEARCHED.index("usercf_weight")
    search = model.weight_search_
    assert search[:, -1].max() > search[search[:, column] >= 5.0, -1].max() + 0.1


def test_every_auto_value_is_chosen_from_its_candidates_and_the_ridge_is_fitted_with_the_chosen_l2():
    model = Hybrid(**FAST).fit(_missions())
    for name in SEARCHED:
        assert getattr(model, name + "_") in (CANDIDATES[name] if name not in FAST else (0.0,)), name
    assert model.ridge_.l2 == model.l2_
    tried_l2 = set(model.weight_search_[:, SEARCHED.index("l2")].tolist())
    assert tried_l2 == set(CANDIDATES["l2"])  # each ridge strength was fitted and scored
    chosen = [getattr(model, name + "_") for name in SEARCHED]
    row = model.weight_search_[(model.weight_search_[:, :-1] == chosen).all(axis=1)]
    assert len(row) == 1 and row[0, -1] == model.weight_search_[:, -1].max()  # the chosen point is a best one


def test_the_learned_weights_are_the_ones_blended():
    orders = _missions()
    auto = Hybrid(**FAST).fit(orders)
    fixed = Hybrid(**{name: getattr(auto, name + "_") for name in SEARCHED}).fit(orders)
    assert fixed.weight_search_ is None and fixed.tune_cases_ == 0  # nothing to choose: no hold-out
    items = np.arange(orders.shape[1])
    np.testing.assert_array_equal(auto.complete_basket_batch(items)[0], fixed.complete_basket_batch(items)[0])
    np.testing.assert_array_equal(auto.basket_scores(np.array([0, 1, 2])), fixed.basket_scores(np.array([0, 1, 2])))


@pytest.mark.parametrize("weights", [{"usercf_weight": 0.3}, {"usercf_weight": 5.0}, {"usercf_weight": 2.0, "cf_weight": 1.0}])
def test_the_search_scores_a_blend_as_complete_basket_ranks_it(weights):
    """The NDCG@10 of a candidate equals that of a fixed-weight Hybrid fitted on the older rows."""
    orders = _missions()
    older, baskets, hidden = Hybrid()._hold_out(orders)
    fixed_values = {**FALLBACK_WEIGHTS, **FAST, "cf_weight": 1.0, "usercf_weight": 5.0}
    fitted = Hybrid(**fixed_values).fit(older)
    wanted = Hybrid(**{**fixed_values, **weights}).fit(older)
    gains = []
    for basket, item in zip(baskets, hidden):
        ranked = wanted.complete_basket(basket, n=10)[0].tolist()
        gains.append(1.0 / np.log2(ranked.index(item) + 2) if item in ranked else 0.0)
    searched = fitted.candidate_ndcg(baskets, hidden, [weights])[0]
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


def test_a_large_catalogue_gets_fewer_cases_so_the_search_holds_at_most_its_budget(monkeypatch):
    monkeypatch.setattr(hybrid_module, "MAX_TUNE_SCORES", 30 * 5 * 100)  # 30 items x 5 component scores x 100
    model = Hybrid(**FAST, l2=30.0).fit(_missions())
    assert model.tune_cases_ == 100


def test_too_few_held_out_baskets_fall_back_to_the_documented_weights(two_clusters, catalogue):
    model = Hybrid(**FAST).fit(two_clusters, catalogue)  # 80 orders: 40 held out, < 50 cases
    assert model.tune_cases_ == 0
    assert model.weight_search_ is None
    assert {name: getattr(model, name + "_") for name in SEARCHED} == {**FALLBACK_WEIGHTS, **FAST}
    # a fixed weight stays fixed when the others fall back
    half = Hybrid(**FAST, usercf_weight=2.0).fit(two_clusters, catalogue)
    assert (half.usercf_weight_, half.cf_weight_) == (2.0, FALLBACK_WEIGHTS["cf_weight"])


def test_only_the_auto_values_are_searched():
    model = Hybrid(**FAST, usercf_weight=2.0).fit(_missions())
    assert model.usercf_weight_ == 2.0
    assert set(model.weight_search_[:, SEARCHED.index("usercf_weight")].tolist()) == {2.0}
    assert set(model.weight_search_[:, SEARCHED.index("cf_weight")].tolist()) == set(CANDIDATES["cf_weight"])


def test_a_component_switched_off_is_neither_fitted_nor_searched():
    model = Hybrid(**FAST, usercf_weight=0.0).fit(_missions())
    assert model.usercf_ is None and model.svd_ is None and model.mlp_ is None
    for name in ("usercf_weight", *FAST):
        assert set(model.weight_search_[:, SEARCHED.index(name)].tolist()) == {0.0}


def test_without_tensorflow_the_mlp_is_left_out_of_the_search(monkeypatch):
    monkeypatch.setattr(hybrid_module, "tensorflow_installed", lambda: False)
    assert hybrid_module._candidates("mlp_weight", "auto") == (0.0,)
    model = Hybrid(svd_weight=0.0).fit(_partners())
    assert model.mlp_ is None and model.mlp_weight_ == 0.0


def test_a_weight_that_is_neither_a_number_nor_auto_is_rejected(two_clusters):
    with pytest.raises(TypeError):
        Hybrid(usercf_weight="large").fit(two_clusters)


def test_the_choice_is_seeded_and_deterministic():
    orders = _partners()
    first, second = Hybrid(**FAST).fit(orders), Hybrid(**FAST).fit(orders)
    np.testing.assert_array_equal(first.weight_search_, second.weight_search_)
    other = Hybrid(random_state=1)._hold_out(orders)[2]
    assert not np.array_equal(Hybrid()._hold_out(orders)[2], other)  # the seed draws the cases


def test_the_choice_survives_save_and_load(tmp_path):
    orders = _missions()
    model = Hybrid(**FAST).fit(orders)
    model.save(tmp_path / "hybrid.npz")
    loaded = Hybrid.load(tmp_path / "hybrid.npz")
    assert loaded.usercf_weight == "auto"
    for name in SEARCHED:
        assert getattr(loaded, name + "_") == getattr(model, name + "_")
    assert loaded.tune_cases_ == model.tune_cases_
    np.testing.assert_array_equal(loaded.weight_search_, model.weight_search_)
    items = np.arange(orders.shape[1])
    np.testing.assert_array_equal(loaded.complete_basket_batch(items)[0], model.complete_basket_batch(items)[0])


def _as_if_saved_before_the_search(path, params: dict) -> None:
    """Rewrite a saved Hybrid without the learned weights and with older constructor params (None: absent)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for key in list(arrays):
        if key.split("::")[0] in (*(name + "_" for name in SEARCHED), "tune_cases_", "weight_search_"):
            del arrays[key]
    stored = json.loads(str(arrays["__params__"]))
    for name in ("tune_fraction", "tune_cases", "min_tune_cases", "random_state", "mlp_dim", "mlp_epochs", "mlp_pairs"):
        del stored[name]
    stored.update(svd_weight=0.0, mlp_weight=None, content_weight=0.05, popularity_weight=0.05, l2=30.0)
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
    Hybrid(usercf_weight=3.0, cf_weight=0.5, **FAST).fit(two_clusters, catalogue).save(path)
    _as_if_saved_before_the_search(path, params)
    loaded = Hybrid.load(path)
    assert getattr(loaded, "usercf_weight_", None) is None
    assert (loaded._weight("usercf_weight"), loaded._weight("cf_weight")) == expected
    reference = Hybrid(usercf_weight=expected[0], cf_weight=expected[1], **FAST, content_weight=0.05,
                       popularity_weight=0.05, l2=30.0).fit(two_clusters, catalogue)
    np.testing.assert_allclose(loaded.basket_scores(np.array([0, 1])), reference.basket_scores(np.array([0, 1])))
