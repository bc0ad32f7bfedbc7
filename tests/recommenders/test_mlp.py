"""The MLP: product features beside ids (cold products placed by them), seeded, early-stopped, Keras-saved."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.recommenders.mlp import MLP, item_features

from .conftest import COLD_BARE, COLD_WITH_TEXT, GARDEN, KITCHEN, N_ITEMS

pytest.importorskip("tensorflow")

SMALL = {"embedding_dim": 8, "hidden": 8, "epochs": 8, "positive_pairs": 4000, "batch_size": 128,
         "learning_rate": 0.02, "patience": 2}


@pytest.fixture(scope="module")
def model(two_clusters, catalogue) -> MLP:
    return MLP(**SMALL).fit(two_clusters, catalogue)


def test_features_are_tfidf_words_a_category_and_a_price_bucket_worked_by_hand():
    items = {"text": ["red mug", "red pot", "", None], "category": ["a", "b", "a", None],
             "price": [1.0, 2.0, 8.0, None]}
    features = item_features(items, 4, text_features=10, price_buckets=2)
    words, category, price = features[:, :3], features[:, 3:5], features[:, 5:]
    # vocabulary mug, pot, red; "red" is in both texts so it weighs less than "mug" / "pot"
    assert words[0, 0] > words[0, 2] > 0 and words[0, 1] == 0 and not words[2:].any()
    np.testing.assert_allclose(np.linalg.norm(words[:2], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(category, [[1, 0], [0, 1], [1, 0], [0, 0]])
    # the median of log prices (log 2) splits the priced items: 1 below, 2 and 8 above; no price, no bucket
    np.testing.assert_array_equal(price, [[1, 0], [0, 1], [0, 1], [0, 0]])


def test_a_shop_with_ids_only_gets_one_empty_feature_column():
    assert item_features(None, 5, text_features=10, price_buckets=4).shape == (5, 1)


def test_scoring_in_numpy_is_the_keras_models_own_logit(model):
    keras_model = model.keras_model()
    targets = np.arange(N_ITEMS, dtype=np.int32) + 1  # ids are shifted by one inside the Keras model
    for item in (KITCHEN[0], GARDEN[1]):
        context = np.full((N_ITEMS, model.context_size), item + 1, dtype=np.int32)
        p = keras_model.predict({"context": context, "target": targets}, verbose=0).ravel().astype(np.float64)
        basket = sp.csr_matrix(np.eye(N_ITEMS)[[item]])
        prior = 0.75 * np.log(np.maximum(model.item_counts_, 0.5))
        sold = model.item_counts_ > 0
        np.testing.assert_allclose((model.logits(basket)[0] - prior)[sold], np.log(p / (1 - p))[sold], atol=2e-3)


def test_a_product_that_never_sold_is_placed_by_its_features(model):
    """"enamel mug blue", kitchen, 4.50: like the sold kitchen mug, nothing like the garden things."""
    ids, _ = model.complete_basket([COLD_WITH_TEXT], n=4)
    assert set(ids.tolist()) == set(KITCHEN)
    ranked = model.complete_basket([KITCHEN[1]], n=N_ITEMS)[0].tolist()
    assert COLD_WITH_TEXT in ranked and all(ranked.index(COLD_WITH_TEXT) < ranked.index(g) for g in GARDEN)


def test_a_product_known_by_nothing_is_never_used(model):
    assert COLD_BARE not in model.complete_basket([KITCHEN[0]], n=N_ITEMS)[0]
    assert model.complete_basket([COLD_BARE], n=3)[0].size == 0


def test_the_same_seed_learns_the_same_model(two_clusters, catalogue, model):
    again = MLP(**SMALL).fit(two_clusters, catalogue)
    np.testing.assert_allclose(again.item_vectors_, model.item_vectors_, rtol=1e-5, atol=1e-6)
    other = MLP(**{**SMALL, "random_state": 1}).fit(two_clusters, catalogue)
    assert not np.allclose(other.item_vectors_, model.item_vectors_)


def test_training_stops_early_when_the_held_out_pairs_stop_improving(two_clusters, catalogue):
    fitted = MLP(**{**SMALL, "epochs": 60, "patience": 1, "learning_rate": 0.05}).fit(two_clusters, catalogue)
    assert len(fitted.model_.history.epoch) < 60


def test_saved_in_keras_format_and_scores_the_same_after_loading(model, tmp_path):
    model.save(tmp_path / "mlp.npz")
    assert (tmp_path / "mlp.keras").exists()
    loaded = MLP.load(tmp_path / "mlp.npz")
    np.testing.assert_array_equal(loaded.complete_basket_batch(range(N_ITEMS))[0],
                                  model.complete_basket_batch(range(N_ITEMS))[0])
    assert loaded.keras_model().count_params() == model.keras_model().count_params()
