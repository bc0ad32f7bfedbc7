"""The contract every recommender keeps, checked once for all of them (implicit's shared-test idea)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.recommenders import (
    ALGORITHMS,
    MLP,
    SVD,
    Hybrid,
    ItemCF,
    NeighbourRidge,
    Popularity,
    Recommender,
    TfidfContent,
    Upgrade,
    UserCF,
)
from crosssell_app.recommenders.base import (
    CUSTOMERS,
    FOR_YOU,
    ITEMS,
    SIMILAR,
    TOGETHER,
    UPGRADE,
    VIEWS,
    customer_matrix,
    indicator_matrix,
    rank_scores,
)

from .conftest import COLD_BARE, COLD_WITH_TEXT, GARDEN, KITCHEN, N_ITEMS, arrays_sized_like

#: every algorithm with a configuration small enough for the 10-item test shop
CONFIGS = {
    "itemcf-cosine": lambda: ItemCF(similarity="cosine", neighbours=5),
    "itemcf-lift": lambda: ItemCF(similarity="lift", neighbours=5),
    "itemcf-jaccard": lambda: ItemCF(similarity="jaccard", neighbours=5, min_support=2),
    "itemcf-bm25": lambda: ItemCF(similarity="bm25", neighbours=5),
    "itemcf-confidence": lambda: ItemCF(similarity="confidence", neighbours=5),
    "itemcf-rp3beta": lambda: ItemCF(similarity="rp3beta", neighbours=5),
    "ridge": lambda: NeighbourRidge(neighbours=5),
    "usercf": lambda: UserCF(neighbours=20),
    "svd": lambda: SVD(factors=2),
    "content": lambda: TfidfContent(neighbours=5),
    "mlp": lambda: MLP(
        embedding_dim=8, hidden=8, epochs=8, positive_pairs=4000, batch_size=128, learning_rate=0.02, patience=2
    ),
    "popularity": lambda: Popularity(),
    "hybrid": lambda: Hybrid(neighbours=5, factors=2),
    "hybrid-without-ridge": lambda: Hybrid(neighbours=5, factors=2, ridge_weight=0.0),
    "hybrid-with-svd": lambda: Hybrid(neighbours=5, factors=2, svd_weight=0.3, content_weight=0.2),
}
#: models that learn who is bought with whom (popularity does not; content reads descriptions)
LEARNS_COMPLEMENTS = [name for name in CONFIGS if name not in ("popularity",)]


@pytest.fixture(scope="module", params=list(CONFIGS))
def fitted(request, two_clusters, catalogue) -> tuple[str, Recommender]:
    return request.param, CONFIGS[request.param]().fit(two_clusters, catalogue)


def _assert_answer_shape(ids: np.ndarray, scores: np.ndarray, n: int) -> None:
    assert ids.dtype == np.int64 and ids.ndim == 1 and scores.ndim == 1
    assert len(ids) == len(scores) <= n
    assert np.all(np.diff(scores) <= 1e-12), "scores are best first"
    assert len(set(ids.tolist())) == len(ids), "no item twice"


class TestEveryRecommender:
    """One shared specification that each algorithm passes."""

    def test_fit_returns_self_and_records_the_item_count(self, two_clusters, catalogue):
        for make in CONFIGS.values():
            if make().__class__ is MLP:
                continue  # MLP is fitted once by the `fitted` fixture; here only the cheap ones
            model = make()
            assert model.fit(two_clusters, catalogue) is model
            assert model.n_items_ == N_ITEMS

    def test_complements_of_a_kitchen_item_come_from_the_kitchen(self, fitted):
        name, model = fitted
        if name not in LEARNS_COMPLEMENTS:
            pytest.skip("popularity ignores the basket by design")
        ids, scores = model.complete_basket([KITCHEN[0]], n=2)
        _assert_answer_shape(ids, scores, 2)
        assert set(ids.tolist()) <= set(KITCHEN[1:]) | {COLD_WITH_TEXT}, (name, ids)

    def test_a_garden_basket_is_completed_from_the_garden(self, fitted):
        name, model = fitted
        if name not in LEARNS_COMPLEMENTS or name == "content":
            pytest.skip("needs co-purchase data")
        ids, _ = model.complete_basket(GARDEN[:2], n=2)
        assert set(ids.tolist()) <= set(GARDEN[2:])

    def test_answers_never_contain_the_query_items(self, fitted):
        _, model = fitted
        assert KITCHEN[0] not in model.similar_items(KITCHEN[0], n=N_ITEMS)[0]
        ids, _ = model.complete_basket([KITCHEN[0], GARDEN[0]], n=N_ITEMS)
        assert not {KITCHEN[0], GARDEN[0]} & set(ids.tolist())

    def test_empty_basket_and_unknown_items_give_empty_answers(self, fitted):
        _, model = fitted
        for ids, scores in (
            model.complete_basket([], n=5),
            model.complete_basket([N_ITEMS + 3, -1], n=5),
            model.similar_items(N_ITEMS + 3, n=5),
            model.similar_items(-1, n=5),
        ):
            assert len(ids) == 0 and len(scores) == 0 and ids.dtype == np.int64

    def test_unknown_items_in_a_basket_are_ignored(self, fitted):
        _, model = fitted
        with_unknown = model.complete_basket([KITCHEN[0], 999], n=3)
        alone = model.complete_basket([KITCHEN[0]], n=3)
        np.testing.assert_array_equal(with_unknown[0], alone[0])

    def test_never_bought_items_are_never_recommended_by_sales_based_models(self, fitted):
        name, model = fitted
        if name == "content":
            pytest.skip("content may recommend unsold items: that is its purpose")
        for query in KITCHEN + GARDEN:
            ids, _ = model.complete_basket([query], n=N_ITEMS)
            assert COLD_BARE not in ids

    def test_batch_forms_equal_the_single_queries_padded(self, fitted):
        _, model = fitted
        queries = [KITCHEN[0], GARDEN[1], COLD_BARE, 999]
        for batch, single in (
            (model.similar_items_batch, model.similar_items),
            (model.complete_basket_batch, lambda i, n: model.complete_basket([i], n)),
        ):
            ids, scores = batch(queries, n=4)
            assert ids.shape == scores.shape == (4, 4)
            for row, query in enumerate(queries):
                expected_ids, expected_scores = single(query, 4)
                k = len(expected_ids)
                np.testing.assert_array_equal(ids[row, :k], expected_ids)
                np.testing.assert_allclose(scores[row, :k], expected_scores, rtol=1e-5)
                assert np.all(ids[row, k:] == -1) and np.all(np.isnan(scores[row, k:]))

    def test_save_and_load_give_identical_answers(self, fitted, tmp_path):
        _, model = fitted
        path = tmp_path / "model.npz"
        model.save(path)
        loaded = type(model).load(path)
        assert loaded.get_params() == model.get_params()
        for query in (KITCHEN[0], GARDEN[2], COLD_WITH_TEXT):
            for a, b in zip(model.similar_items(query, 5), loaded.similar_items(query, 5)):
                np.testing.assert_array_equal(a, b)
        for a, b in zip(model.complete_basket(KITCHEN[:2], 5), loaded.complete_basket(KITCHEN[:2], 5)):
            np.testing.assert_array_equal(a, b)

    def test_a_saved_model_holds_no_copy_of_its_training_rows(self, fitted, two_clusters, tmp_path):
        """No saved array is as long as the 80 training baskets (each per-item list here holds at
        most 10 x 5 entries), except in a model whose class declares ``keeps_rows``."""
        _, model = fitted
        model.save(tmp_path / "model.npz")
        assert arrays_sized_like(tmp_path / "model.npz", {two_clusters.shape[0]}) == []

    def test_scoring_many_baskets_at_once_agrees_with_one_basket(self, fitted):
        """``score_baskets`` (what a blend reads) gives each basket's evidence as ``basket_scores`` does."""
        _, model = fitted
        baskets = [[KITCHEN[0]], KITCHEN[:2], [GARDEN[0], KITCHEN[1]], [COLD_WITH_TEXT]]
        block = model.score_baskets(indicator_matrix(baskets, N_ITEMS))
        assert block.shape == (len(baskets), N_ITEMS)
        for row, basket in zip(block, baskets):
            single = model.basket_scores(np.array(basket, dtype=np.int64))
            evidence = np.isfinite(single) & (single > 0)
            np.testing.assert_allclose(row[evidence], single[evidence], rtol=1e-5)
            assert not np.any(row[~evidence] > 1e-6 * max(1.0, np.abs(single[evidence]).max(initial=0)))

    def test_a_one_item_catalogue_recommends_nothing(self, fitted):
        name, _ = fitted
        model = CONFIGS[name]().fit(sp.csr_matrix(np.ones((5, 1))), {"text": ["mug"]})
        assert len(model.complete_basket([0], n=3)[0]) == 0
        assert len(model.similar_items(0, n=3)[0]) == 0

    def test_no_item_table_and_empty_text_are_accepted(self, two_clusters):
        for name, make in CONFIGS.items():
            if name == "mlp":
                continue
            for items in (None, {"text": [""] * N_ITEMS, "price": [None] * N_ITEMS}):
                model = make().fit(two_clusters, items)
                assert model.complete_basket([KITCHEN[0]], n=3)[0].dtype == np.int64


class TestHybridDefaults:
    """What a new shop gets from ``Hybrid()``."""

    def test_every_product_gets_a_full_list_cold_ones_included(self, two_clusters, catalogue):
        model = Hybrid().fit(two_clusters, catalogue)
        for batch in (model.complete_basket_batch, model.similar_items_batch):
            ids, _ = batch(range(N_ITEMS), n=5)
            assert np.all(ids >= 0), ids

    def test_a_cold_product_with_text_is_completed_by_its_look_alikes(self, two_clusters, catalogue):
        model = Hybrid().fit(two_clusters, catalogue)
        ids, _ = model.similar_items(COLD_WITH_TEXT, n=2)
        assert set(ids.tolist()) <= set(KITCHEN)

    def test_similar_is_led_by_description_and_bought_together_by_baskets(self, two_clusters, catalogue):
        model = Hybrid().fit(two_clusters, catalogue)
        # item 0 "red enamel mug": its look-alike is the unsold "enamel mug blue"
        similar = model.similar_items(0, n=N_ITEMS)[0].tolist()
        together = model.complete_basket([0], n=N_ITEMS)[0].tolist()
        assert similar.index(COLD_WITH_TEXT) < together.index(COLD_WITH_TEXT)
        assert together[0] in KITCHEN


@pytest.mark.parametrize("cls", [*ALGORITHMS.values(), Upgrade], ids=lambda cls: cls.__name__)
def test_every_recommender_declares_its_lists_and_inputs_and_its_fit_takes_them(cls):
    assert cls.publishes and set(cls.publishes) <= {TOGETHER, SIMILAR, FOR_YOU, UPGRADE}
    assert set(cls.accepts) <= {ITEMS, CUSTOMERS, VIEWS}
    keywords = inspect.signature(cls.fit).parameters
    assert all(name in keywords for name in cls.accepts)


@pytest.mark.parametrize("cls", [*ALGORITHMS.values(), Upgrade], ids=lambda cls: cls.__name__)
def test_every_fit_takes_items_and_customers_and_every_completion_takes_a_history(cls):
    fit = inspect.signature(cls.fit).parameters
    assert list(fit)[1:4] == ["interactions", "items", "customers"]
    assert fit["items"].default is None and fit["customers"].default is None
    complete = inspect.signature(cls.complete_basket).parameters
    assert list(complete)[1:4] == ["items", "n", "history"] and complete["history"].default is None


class TestCustomersAndHistory:
    """The customer-aware interface: each row's customer in ``fit``, earlier baskets in ``complete_basket``."""

    def test_history_none_answers_as_the_basket_scores_always_did(self, fitted):
        """``history=None`` is the basket-only answer: the ranked ``basket_scores`` without the basket."""
        _, model = fitted
        for basket in ([KITCHEN[0]], KITCHEN[:2], [GARDEN[0], KITCHEN[1]]):
            expected = rank_scores(model.basket_scores(np.array(basket)), 4, exclude=basket)
            for got in (model.complete_basket(basket, 4), model.complete_basket(basket, 4, history=None)):
                np.testing.assert_array_equal(got[0], expected[0])
                np.testing.assert_allclose(got[1], expected[1], rtol=1e-9)

    def test_the_basket_is_never_returned_even_when_the_history_holds_it(self, fitted):
        _, model = fitted
        basket = [KITCHEN[0], GARDEN[0]]
        history = [[KITCHEN[0], KITCHEN[1]], [GARDEN[0]], [KITCHEN[0]]]
        ids, scores = model.complete_basket(basket, n=N_ITEMS, history=history)
        _assert_answer_shape(ids, scores, N_ITEMS)
        assert not set(basket) & set(ids.tolist())

    def test_items_of_the_history_are_not_excluded(self, fitted):
        """A model that ignores the history gives the same answer with it, bought-before items included."""
        name, model = fitted
        if name.startswith("hybrid"):
            pytest.skip("the blend reads the history (tests/recommenders/test_repeat.py)")
        alone = model.complete_basket([KITCHEN[0]], n=3)
        assert len(alone[0]), name
        with_history = model.complete_basket([KITCHEN[0]], n=3, history=[alone[0].tolist(), [GARDEN[0]]])
        np.testing.assert_array_equal(with_history[0], alone[0])

    def test_a_fit_given_each_rows_customer_answers_baskets_alone_as_without(self, two_clusters, catalogue):
        """Customers are an optional input: a basket-only model learns the same from the rows with them."""
        customers = np.arange(two_clusters.shape[0]) % 7
        for name, make in CONFIGS.items():
            if name == "mlp" or CUSTOMERS in type(make()).accepts:
                continue  # the MLP is slow to fit twice; a model that reads customers may differ
            plain = make().fit(two_clusters, catalogue)
            told = make().fit(two_clusters, catalogue, customers=customers)
            basket = KITCHEN[:1]
            np.testing.assert_array_equal(told.complete_basket(basket, 5)[0], plain.complete_basket(basket, 5)[0])


def test_the_customer_matrix_pools_each_customers_rows_and_skips_unknown_ones():
    orders = indicator_matrix([[0, 1], [2], [1, 3], [4]], 5)
    pooled = customer_matrix(orders, np.array([1, -1, 1, 0]))
    assert pooled.shape == (2, 5)
    assert pooled[1].indices.tolist() == [0, 1, 3] and pooled[0].indices.tolist() == [4]
    assert customer_matrix(orders, None).shape == (0, 5)
    with pytest.raises(ValueError):
        customer_matrix(orders, np.array([0, 1]))  # one entry per row, or it is misaligned


def test_the_up_sell_model_publishes_upgrades_and_takes_customers_and_views():
    assert Upgrade.publishes == (UPGRADE,) and Upgrade.accepts == {ITEMS, CUSTOMERS, VIEWS}
    assert all(cls.publishes == (TOGETHER, SIMILAR, FOR_YOU) for cls in ALGORITHMS.values())


def test_the_list_kinds_are_the_published_tables_kinds():
    """The recommenders spell the kinds without Django; they must stay the values of ``Kind``."""
    from crosssell_app.models import Kind

    assert (TOGETHER, SIMILAR, FOR_YOU, UPGRADE) == (Kind.BOUGHT_TOGETHER, Kind.SIMILAR, Kind.FOR_YOU, Kind.UPGRADE)


def test_importing_the_recommenders_imports_neither_tensorflow_nor_django():
    code = (
        "import sys, crosssell_app.recommenders as r; "
        "r.ALGORITHMS['mlp']; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'django') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("fitted", ["mlp"], indirect=True)
def test_mlp_is_also_saved_in_keras_format(fitted, tmp_path):
    _, model = fitted
    model.save(tmp_path / "m.npz")
    assert (tmp_path / "m.keras").exists()
    assert MLP.load(tmp_path / "m.npz").keras_model().count_params() == model.keras_model().count_params()


def test_loading_with_the_wrong_class_is_refused(two_clusters, tmp_path):
    Popularity().fit(two_clusters).save(tmp_path / "p.npz")
    with pytest.raises(TypeError):
        ItemCF.load(tmp_path / "p.npz")
