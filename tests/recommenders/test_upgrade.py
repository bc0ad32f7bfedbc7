"""The up-sell model on small hand-built catalogues with known answers (no database)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.explanations import Upgrade as UpgradeExplanation
from crosssell_app.recommenders.base import indicator_matrix
from crosssell_app.recommenders.upgrade import Upgrade, added_phrases

NAN = float("nan")

#: index: (title, category, price, available, variant group)
CATALOGUE = [
    ("PINK MUG", "Kitchen", 2.0, True, "M1"),  # 0 the source
    ("JUMBO PINK MUG", "Kitchen", 3.0, True, "M2"),  # 1 an upgrade
    ("SET OF 6 PINK MUGS", "Kitchen", 5.0, True, "M3"),  # 2 an upgrade
    ("PINK MUG SAUCER", "Kitchen", 3.0, True, "S1"),  # 3 a complement: always bought with 0
    ("LARGE PINK MUG", "Kitchen", 4.0, False, "M4"),  # 4 unavailable
    ("PINK MUG BLUE", "Kitchen", 2.5, True, "M1"),  # 5 a variant of 0
    ("GOLD PINK MUG", "Kitchen", 10.0, True, "M5"),  # 6 above the band
    ("CHEAP PINK MUG", "Kitchen", 1.0, True, "M6"),  # 7 below the band
    ("GARDEN GNOME", "Garden", 5.0, True, "G1"),  # 8 unrelated
    ("PINK MUG NO PRICE", "Kitchen", NAN, True, "M7"),  # 9 no price
]
N = len(CATALOGUE)


def items_table(rows=CATALOGUE) -> dict[str, list]:
    """Return the items mapping the model reads."""
    return {
        "text": [r[0] for r in rows],
        "category": [r[1] for r in rows],
        "price": [r[2] for r in rows],
        "available": [r[3] for r in rows],
        "variant_group": [r[4] for r in rows],
    }


def orders_matrix(saucer_with_mug: bool = True) -> sp.csr_matrix:
    """Return orders x items: every item bought alone a few times, the saucer often with the mug."""
    baskets: list[list[int]] = [[i] for i in range(N) for _ in range(3)]
    baskets += [[0, 3] if saucer_with_mug else [3] for _ in range(12)]
    baskets += [[0] for _ in range(6)] + [[1, 8], [2, 8]]
    baskets += [[8] for _ in range(30)]  # unrelated traffic, as in any real shop: lift(0, 3) ~ 3
    return indicator_matrix(baskets, N)


#: what each customer bought, each item in an order of its own: mug buyers who also bought mug 1 or 2
PURCHASES = [[0, 1], [0, 1], [0, 2], [0, 2], [0, 3], [1], [2], [8]]


def order_customers(orders: sp.csr_matrix, purchases=PURCHASES) -> np.ndarray:
    """Return each order row's customer: customer ``c`` placed one one-item order per item of ``purchases[c]``.

    The orders are taken from the one-item rows of ``orders``, so the customers change no
    co-purchase count; every other row has no known customer (-1).
    """
    owners = np.full(orders.shape[0], -1, dtype=np.int64)
    single = np.flatnonzero(np.diff(orders.indptr) == 1)
    for customer, bought in enumerate(purchases):
        for item in bought:
            row = next(r for r in single if owners[r] < 0 and orders.indices[orders.indptr[r]] == item)
            owners[row] = customer
    return owners


def fit_with_customers(model: Upgrade, orders: sp.csr_matrix, **kwargs) -> Upgrade:
    return model.fit(orders, items_table(), customers=order_customers(orders), **kwargs)


@pytest.fixture(scope="module")
def model() -> Upgrade:
    return fit_with_customers(Upgrade(), orders_matrix())


def test_upgrades_are_pricier_within_the_band(model: Upgrade) -> None:
    """Every upgrade costs between 1.1x and 3x the source, and the known upgrades are found."""
    ids, scores = model.upgrades(0)
    assert {1, 2} <= set(ids.tolist())
    ratios = model.prices_[ids] / model.prices_[0]
    assert np.all((ratios >= 1.1) & (ratios <= 3.0))
    assert 6 not in ids and 7 not in ids
    assert np.all(np.diff(scores) <= 0)
    assert ids.dtype == np.int64


def test_a_frequently_bought_together_complement_never_appears(model: Upgrade) -> None:
    """The saucer, bought with the mug in 12 orders, is no upgrade, though priced and named like one."""
    assert model.complements(0).tolist() == [3]  # the mug itself is not its own complement
    assert 3 not in model.upgrades(0, n=50)[0]
    assert 3 not in model.upgrades_batch([0], n=50)[0][0]
    assert 3 not in model.similar_items(0, n=50)[0]
    assert 3 not in model.complete_basket([0], n=50)[0]


def test_the_same_pair_qualifies_when_not_bought_together() -> None:
    """Control for the test above: without the shared orders the saucer is an upgrade."""
    alone = fit_with_customers(Upgrade(), orders_matrix(saucer_with_mug=False))
    assert 3 in alone.upgrades(0, n=50)[0]


def test_unavailable_items_and_variants_are_excluded(model: Upgrade) -> None:
    """The unavailable large mug and the same-group blue mug never appear."""
    ids, _ = model.upgrades(0, n=50)
    assert 4 not in ids
    assert 5 not in ids
    assert 0 not in ids


def test_explanation_names_differing_words_price_and_evidence(model: Upgrade) -> None:
    """explain() gives the new words, the price difference in money and percent, and evidence, as data."""
    info = model.explain(0, 2)
    assert info["substitutability"] > 0
    assert info["added_words"] == ["SET OF 6"]
    assert info["price_difference"] == pytest.approx(3.0)
    assert info["price_difference_percent"] == pytest.approx(150.0)
    assert info["chosen_by"] == 3 and info["chosen_by_unit"] == "customers"
    assert set(info) <= set(UpgradeExplanation.__annotations__), "only the schema's keys, no sentences"
    assert json.loads(json.dumps(info)) == info
    assert model.explain(0, 1)["added_words"] == ["JUMBO"]


def test_explaining_a_non_upgrade_says_so(model: Upgrade) -> None:
    """A pair that is not a stored upgrade is still explained, without a substitutability.

    A complement's shared orders are known; the pair signals of other pairs were not kept.
    """
    info = model.explain(0, 3)
    assert info["substitutability"] is None
    assert info["bought_together_orders"] == 12
    unrelated = model.explain(0, 8)
    assert unrelated["bought_together_orders"] is None
    assert unrelated["substitutability"] is None and unrelated["chosen_by"] == 1  # per-item counts stay


def test_added_phrases_keeps_runs_and_ignores_plurals() -> None:
    """Consecutive new words stay one phrase; MUGS matches MUG."""
    assert added_phrases("PINK MUG", "SET OF 6 PINK MUGS") == ["SET OF 6"]
    assert added_phrases("BAG RED", "JUMBO BAG RED LARGE") == ["JUMBO", "LARGE"]
    assert added_phrases("X", "") == []


def test_missing_price_gives_an_empty_list(model: Upgrade) -> None:
    """A source without a price has no upgrades, and is never an upgrade itself."""
    assert len(model.upgrades(9)[0]) == 0
    assert all(9 not in model.upgrades(i, n=50)[0] for i in range(N))


@pytest.mark.parametrize("item", [-1, N, 10_000])
def test_unknown_items_give_empty_results(model: Upgrade, item: int) -> None:
    """Unknown indices return empty arrays, never raise."""
    for ids, scores in (model.upgrades(item), model.similar_items(item)):
        assert len(ids) == 0 and len(scores) == 0
    assert len(model.complete_basket([item])[0]) == 0


def test_one_item_catalogue_and_no_item_table() -> None:
    """Degenerate inputs fit and answer with empty lists."""
    one = Upgrade().fit(sp.csr_matrix(np.ones((2, 1))), {"text": ["MUG"], "category": ["K"], "price": [1.0]})
    assert len(one.upgrades(0)[0]) == 0 and len(one.similar_items(0)[0]) == 0
    bare = Upgrade().fit(orders_matrix())
    assert all(len(bare.upgrades(i)[0]) == 0 for i in range(N))


def test_batch_matches_single_queries_and_pads(model: Upgrade) -> None:
    """upgrades_batch has shape (len(items), n), rows equal single calls, padded with -1/nan."""
    ids, scores = model.upgrades_batch([0, 9, 1], n=4)
    assert ids.shape == scores.shape == (3, 4)
    single, _ = model.upgrades(0, n=4)
    assert ids[0, : len(single)].tolist() == single.tolist()
    assert np.all(ids[1] == -1) and np.all(np.isnan(scores[1]))


def test_blocked_computation_equals_one_block() -> None:
    """Item-item work in blocks of 1 gives the same lists as a single block."""
    small = fit_with_customers(Upgrade(block_budget=1), orders_matrix())
    large = fit_with_customers(Upgrade(block_budget=10_000), orders_matrix())
    assert len(small.blocks_) == N and len(large.blocks_) == 1
    np.testing.assert_array_equal(small.upgrades_batch(range(N))[0], large.upgrades_batch(range(N))[0])
    for item in range(N):
        np.testing.assert_array_equal(small.similar_items(item)[0], large.similar_items(item)[0])
        np.testing.assert_array_equal(small.complements(item), large.complements(item))


def test_blocks_hold_at_most_the_budget_of_pairs() -> None:
    """Item-item work is cut so no block scores more pairs than ``block_budget`` (memory bound)."""
    orders, items, _ = synthetic_catalogue()
    budget = 3_000
    model = Upgrade(block_budget=budget).fit(orders, items)
    starts, stops, pairs = model.blocks_.T
    assert len(starts) > 5 and starts[0] == 0 and stops[-1] == model.n_items_
    np.testing.assert_array_equal(starts[1:], stops[:-1])  # every item in exactly one block
    assert np.all((stops - starts == 1) | (pairs <= budget))
    whole = Upgrade(block_budget=10**9).fit(orders, items)
    assert len(whole.blocks_) == 1
    np.testing.assert_array_equal(model.upgrades_batch(range(300))[0], whole.upgrades_batch(range(300))[0])


def test_co_views_without_co_purchase_add_substitutes() -> None:
    """Two products viewed in the same sessions but never bought together become substitutes.

    The lamp and the lantern are of two types, so the host opts out of the type rule here.
    """
    rows = [
        ("RED LAMP", "A", 2.0),
        ("BRASS LANTERN", "B", 4.0),
        ("WOOL SCARF", "C", 4.0),
    ]
    items = {"text": [r[0] for r in rows], "category": [r[1] for r in rows], "price": [r[2] for r in rows]}
    orders = sp.csr_matrix(np.eye(3).repeat(3, axis=0))
    views = sp.csr_matrix(np.array([[1, 1, 0]] * 8 + [[0, 0, 1]] * 4, dtype=float))
    without = Upgrade(same_type=False).fit(orders, items)
    with_views = Upgrade(same_type=False).fit(orders, items, views=views)
    assert 1 not in without.upgrades(0)[0]
    assert with_views.upgrades(0)[0].tolist() == [1]


def test_save_and_load_round_trip(model: Upgrade, tmp_path) -> None:
    """A saved model loads without pickles and answers and explains identically."""
    path = tmp_path / "upgrade.npz"
    model.save(str(path))
    loaded = Upgrade.load(str(path))
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.upgrades_batch(range(N))[0], model.upgrades_batch(range(N))[0])
    assert loaded.explain(0, 2) == model.explain(0, 2)
    np.testing.assert_array_equal(loaded.similar_items(0)[0], model.similar_items(0)[0])


def test_fit_returns_self_and_refit_overwrites() -> None:
    """fit() returns the model; fitting on a smaller catalogue replaces what was learned."""
    model = Upgrade()
    assert model.fit(orders_matrix(), items_table()) is model
    model.fit(sp.csr_matrix(np.ones((1, 2))), {"text": ["A", "B"], "category": ["x", "x"], "price": [1.0, 2.0]})
    assert model.n_items_ == 2 and len(model.prices_) == 2


def test_a_customer_vector_of_another_length_or_a_matrix_is_rejected() -> None:
    """Customers are one entry per order row: any other shape is an error, not a silent misalignment."""
    orders = orders_matrix()
    for customers in (np.zeros(orders.shape[0] + 1, dtype=int), np.zeros((orders.shape[0], 1), dtype=int),
                      indicator_matrix(PURCHASES, N)):
        with pytest.raises(ValueError):
            Upgrade().fit(orders, items_table(), customers=customers)


def test_buyers_are_distinct_customers_pooled_over_their_orders() -> None:
    """A customer who bought the mug in two orders is one buyer; orders of nobody known count for no one."""
    orders = indicator_matrix([[1], [1], [1], [2]], N)
    model = Upgrade().fit(orders, items_table(), customers=np.array([0, 0, -1, 1]))
    assert model.has_customers_ and model.buyers_[1] == 1 and model.buyers_[2] == 1
    without = Upgrade().fit(orders, items_table())
    assert not without.has_customers_ and without.buyers_[1] == 3


def synthetic_catalogue(seed: int = 0) -> tuple[sp.csr_matrix, dict[str, list], np.ndarray]:
    """Return orders, items and a 'has a higher-priced substitute' flag for 300 random products.

    Products are a type noun with colour and size words; substitutes share the type noun.
    """
    rng = np.random.default_rng(seed)
    types = ["MUG", "BAG", "CANDLE", "CLOCK", "CUSHION", "FRAME", "NECKLACE", "LANTERN", "TIN", "JAR"]
    colours = ["RED", "PINK", "BLUE", "IVORY", "GREEN", "BLACK", "GOLD", "SILVER"]
    sizes = ["", "SMALL", "LARGE", "JUMBO", "MINI", "SET OF 3"]
    n = 300
    kind = rng.integers(0, len(types), n)
    text = [f"{sizes[rng.integers(len(sizes))]} {colours[rng.integers(len(colours))]} {types[k]}".strip() for k in kind]
    price = np.round(rng.uniform(1.0, 12.0, n), 2)
    orders = sp.random(2000, n, density=0.01, random_state=seed, format="csr")
    flag = np.array(
        [
            any(kind[b] == kind[a] and 1.1 * price[a] <= price[b] <= 3.0 * price[a] for b in range(n) if b != a)
            for a in range(n)
        ]
    )
    items = {"text": text, "category": [types[k] for k in kind], "price": price.tolist()}
    return orders, items, flag


def test_at_least_90_percent_of_products_with_a_substitute_above_get_a_list() -> None:
    """Coverage: nearly every product that has a pricier same-type substitute gets upgrades."""
    orders, items, flag = synthetic_catalogue()
    model = Upgrade().fit(orders, items)
    ids, _ = model.upgrades_batch(range(model.n_items_), 10)
    covered = (ids[flag, 0] >= 0).mean()
    assert flag.sum() > 100
    assert covered >= 0.9


def test_explanations_of_cheaper_and_unpriced_targets_stay_serialisable(model: Upgrade) -> None:
    """A cheaper target has a negative difference and percent; a missing price gives None, not NaN."""
    cheaper = model.explain(0, 7)
    assert cheaper["price_difference"] == pytest.approx(-1.0)
    assert cheaper["price_difference_percent"] == pytest.approx(-50.0)
    unpriced = model.explain(0, 9)
    assert unpriced["price_difference"] is None and unpriced["price_difference_percent"] is None
    assert json.loads(json.dumps(unpriced, allow_nan=False)) == unpriced
    with pytest.raises(IndexError):
        model.explain(0, N)


# ---------------------------------------------------------------------------- product type and ranking
def typed_items(rows: list[tuple[str, float, str]]) -> dict[str, list]:
    """Return an items table with the host's own ``type`` column: (title, price, type) rows."""
    return {"text": [r[0] for r in rows], "price": [r[1] for r in rows], "type": [r[2] for r in rows]}


def quiet_orders(n: int) -> sp.csr_matrix:
    """Return orders where every item sells alone once: no co-purchase, no complement."""
    return sp.csr_matrix(np.eye(n))


ENAMEL = [
    ("FRENCH ENAMEL CANDLEHOLDER", 3.0, "candle holder"),  # 0 the source
    ("FRENCH ENAMEL EARRINGS", 4.0, "earrings"),  # 1 shares two words, another type
    ("LARGE GLASS CANDLEHOLDER", 5.0, "candle holder"),  # 2 the same type
]


def test_a_product_of_another_type_sharing_words_is_no_upgrade() -> None:
    """The enamel earrings share FRENCH ENAMEL with the candle holder, yet are no upgrade of it."""
    model = Upgrade().fit(quiet_orders(3), typed_items(ENAMEL))
    assert model.upgrades(0)[0].tolist() == [2]
    assert 1 not in model.similar_items(0)[0]


def test_the_host_can_opt_out_of_the_type_rule() -> None:
    """With ``same_type=False`` the look-alike of another type qualifies again (the old behaviour)."""
    model = Upgrade(same_type=False).fit(quiet_orders(3), typed_items(ENAMEL))
    assert 1 in model.upgrades(0)[0]


def test_the_hosts_type_is_used_as_it_is_even_without_shared_words() -> None:
    """Two titles with no word in common are upgrades when the host says they are one type."""
    rows = [("AURORA", 10.0, "Lamps "), ("ZENITH", 15.0, "lamps"), ("AURORA TWO", 15.0, "Vases")]
    model = Upgrade().fit(quiet_orders(3), typed_items(rows))
    assert model.upgrades(0)[0].tolist() == [1]


def test_types_are_inferred_from_titles_when_the_host_has_none() -> None:
    """Without a ``type`` column the head noun decides: mugs upgrade to mugs, not to mug coasters."""
    titles = ["RED SPOT MUG", "JUMBO RED SPOT MUG", "RED SPOT COASTER", "BLUE SPOT COASTER", "BLUE SPOT MUG"]
    items = {"text": titles, "price": [2.0, 3.0, 3.0, 3.0, 2.0]}
    model = Upgrade().fit(quiet_orders(5), items)
    assert model.upgrades(0)[0].tolist() == [1]


def popularity_catalogue() -> tuple[sp.csr_matrix, dict[str, list]]:
    """Return orders and items where the weak look-alike (2) is the best seller by far.

    Item 1 is nearly twice as similar to the source as item 2 (title cosine 0.32 against 0.18);
    the old ranking, ``similarity * (1 + log1p(buyers))``, put the best seller first (0.54 < 1.11).
    """
    rows = [
        ("PINK SPOT VINTAGE MUG", 2.0, "mug"),  # 0 the source
        ("PINK GIANT JUMBO MUG", 3.0, "mug"),  # 1 the closer one, bought once
        ("GREEN MUG", 3.0, "mug"),  # 2 weakly similar, the best seller
    ]
    baskets = [[1]] + [[2]] * 200 + [[0]] * 3
    return indicator_matrix(baskets, 3), typed_items(rows)


def test_a_best_seller_does_not_outrank_a_far_closer_product() -> None:
    """Popularity lifts a candidate by at most ``popularity_weight``: similarity leads."""
    orders, items = popularity_catalogue()
    model = Upgrade().fit(orders, items)
    closer, seller = model.explain(0, 1), model.explain(0, 2)
    assert closer["substitutability"] > 1.5 * seller["substitutability"]
    assert seller["chosen_by"] > 100 * closer["chosen_by"]
    assert model.upgrades(0)[0].tolist() == [1, 2]


def test_popularity_breaks_a_tie_between_equally_similar_products() -> None:
    rows = [("PINK MUG", 2.0, "mug"), ("PINK MUG LARGE", 3.0, "mug"), ("PINK MUG JUMBO", 3.0, "mug")]
    baskets = [[1]] + [[2]] * 20 + [[0]]
    model = Upgrade().fit(indicator_matrix(baskets, 3), typed_items(rows))
    assert model.upgrades(0)[0].tolist() == [2, 1]


def test_the_same_title_under_another_code_is_no_upgrade() -> None:
    """A dearer listing of the very same product (spelling aside) is a variant, not an upgrade."""
    rows = [("Pink Mug", 2.0, "mug"), ("PINK  MUGS", 3.0, "mug"), ("JUMBO PINK MUG", 3.0, "mug")]
    model = Upgrade().fit(quiet_orders(3), typed_items(rows))
    assert model.upgrades(0)[0].tolist() == [2]


def test_the_closest_subtype_leads_and_the_rest_of_the_type_fills_the_list() -> None:
    """For a key ring, key rings come first; a jewellery ring only after them.

    The silver jewellery ring is the closest title and the best seller: without the subtype
    (``subtype_weight=0``) it leads the list.
    """
    titles = ["SILVER KEY RING", "BLING KEY RING", "LETTER A KEY RING",
              "SILVER DIAMANTE RING", "GOLD RING", "PEARL RING"]
    items = {"text": titles, "price": [1.0, 1.5, 1.5, 1.5, 8.0, 9.0]}
    orders = indicator_matrix([[3]] * 30 + [[1], [2], [0]], 6)
    assert Upgrade().fit(orders, items).upgrades(0)[0].tolist() == [1, 2, 3]
    assert Upgrade(subtype_weight=0.0).fit(orders, items).upgrades(0)[0].tolist()[0] == 3


def test_added_phrases_name_a_repeated_phrase_once() -> None:
    """A text that repeats the title (title and description joined) does not double the words."""
    assert added_phrases("LUGGAGE TAG", "UNION JACK LUGGAGE TAG UNION JACK LUGGAGE TAG") == ["UNION JACK"]
    assert added_phrases("JAM SET JAM SET", "COOKING SET RETROSPOT COOKING SET RETROSPOT") == ["COOKING", "RETROSPOT"]


def test_an_inferred_type_is_split_by_the_hosts_category() -> None:
    """A dog bowl is no upgrade of a mixing bowl: both end in BOWL, the category tells them apart."""
    items = {"text": ["CREAM MIXING BOWL", "LARGE MIXING BOWL", "VINTAGE DOG BOWL"], "price": [2.0, 3.0, 3.0],
             "category": ["Kitchen", "Kitchen", "Pets"]}
    assert Upgrade().fit(quiet_orders(3), items).upgrades(0)[0].tolist() == [1]
    assert Upgrade().fit(quiet_orders(3), {**items, "category": ["Kitchen"] * 3}).upgrades(0)[0].tolist() == [1, 2]
