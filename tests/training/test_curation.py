"""Bought-together curation: complements first, no variants, no pair that one customer alone shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crosssell_app.recommenders.base import binary_matrix
from crosssell_app.training.curation import (
    Links,
    PairEvidence,
    Variants,
    complete_from_lists,
    curate,
    curated_lists,
    item_types,
    pair_evidence,
)

#: a catalogue where colours and prints swap in several titles, so they are learned as variant-like
TITLES = [
    "Red Spot Doormat", "Blue Spot Doormat", "Red Spot Lunch Box", "Blue Spot Lunch Box",
    "Pink Stripe Doormat", "Pink Stripe Lunch Box", "Red Spot Mug", "Blue Spot Mug", "Welcome Doormat",
    "Boot Tray",
]
DOORMAT, BLUE_DOORMAT, LUNCH_BOX, BLUE_LUNCH_BOX, PINK_DOORMAT, PINK_LUNCH_BOX, MUG, BLUE_MUG, WELCOME, TRAY = range(10)


def _types(titles):
    """Type = the last word (what the test catalogue's titles end with)."""
    names = sorted({title.split()[-1] for title in titles})
    return np.array([names.index(title.split()[-1]) for title in titles])


def _evidence(customers):
    customers = np.asarray(customers)
    return PairEvidence(orders=customers, customers=customers)


def test_pair_evidence_counts_orders_and_distinct_customers_and_an_order_without_one_counts_alone():
    # item 0 with 1: customer 7 twice, one anonymous order; with 2: customer 7 once
    orders = binary_matrix([0, 0, 1, 1, 2, 2, 3, 3], [0, 1, 0, 1, 0, 1, 0, 2], (4, 3))
    found = pair_evidence(orders, np.array([7, 7, -1, 7]), [0], np.array([[1, 2, -1]]))
    assert found.orders.tolist() == [[3, 1, 0]]
    assert found.customers.tolist() == [[2, 1, 0]]


def test_another_colour_or_print_of_the_same_product_is_a_variant():
    variants = Variants(TITLES, _types(TITLES))
    assert variants(DOORMAT, BLUE_DOORMAT) and variants(DOORMAT, PINK_DOORMAT)
    assert variants(LUNCH_BOX, PINK_LUNCH_BOX)


def test_products_of_different_types_in_one_design_are_not_variants():
    variants = Variants(TITLES, _types(TITLES))
    assert not variants(DOORMAT, LUNCH_BOX)
    assert not variants(DOORMAT, MUG)


def test_words_that_name_the_thing_are_not_learned_as_variant_like():
    variants = Variants(TITLES, _types(TITLES))
    assert {"RED", "BLUE", "PINK", "SPOT", "STRIPE"} <= variants.variant_like
    assert not {"DOORMAT", "LUNCH", "BOX", "MUG"} & variants.variant_like


def test_one_variant_group_or_one_title_under_two_codes_makes_variants():
    titles = ["Garden Gnome", "Garden Gnome", "Garden Gnome Large", "Bird Bath"]
    variants = Variants(titles, groups=["", "", "G1", "G1"])
    assert variants(0, 1)
    assert variants(2, 3)  # the host said so, whatever the titles


def test_without_a_type_a_product_line_in_several_designs_is_told_by_the_words_it_shares():
    titles = ["Magic Drawing Slate Spaceboy", "Magic Drawing Slate Dolly Girl", "Spaceboy Lunch Box",
              "Dolly Girl Lunch Box", "Spaceboy Lunch Box"]
    variants = Variants(titles)  # no types known
    assert variants(0, 1), "one slate in two designs"
    assert variants(2, 3), "one lunch box in two prints"
    assert not variants(0, 2), "a slate and a lunch box of one design"
    assert variants(2, 4), "the same title under two codes"


def test_an_inferred_type_few_products_share_is_not_trusted_to_tell_variants_apart():
    titles = ["Magic Drawing Slate Spaceboy", "Magic Drawing Slate Dolly Girl", *TITLES]
    wrong = np.array([100, 101, *_types(TITLES)])  # the slates typed by their designs, one product each
    names = {i: "x" for i in range(200)}
    assert not Variants(titles, wrong)(0, 1), "types given by the host are trusted"
    assert Variants(titles, wrong, names=names)(0, 1)


def _curate(candidates, customers, types, **options):
    settings = {"k": 5, "min_customers": 2, "max_same_type": 1, "top": 3, "links": None, **options}
    variants = Variants(TITLES, types)
    return curate([DOORMAT], np.array([candidates]), _evidence([customers]), variants, types, **settings)[0]


def test_a_pair_bought_by_fewer_than_the_minimum_of_customers_is_not_published():
    kept = _curate([MUG, LUNCH_BOX, TRAY], [5, 1, 4], _types(TITLES), k=3)
    assert kept.tolist() == [0, 2, -1]  # the lunch box: one customer only


def test_variants_of_the_source_are_dropped_and_variants_of_each_other_collapse_to_the_first():
    types = _types(TITLES)
    kept = _curate([BLUE_DOORMAT, LUNCH_BOX, BLUE_LUNCH_BOX, MUG, PINK_LUNCH_BOX, TRAY], [9] * 6, types)
    candidates = [BLUE_DOORMAT, LUNCH_BOX, BLUE_LUNCH_BOX, MUG, PINK_LUNCH_BOX, TRAY]
    assert [candidates[c] for c in kept if c >= 0] == [LUNCH_BOX, MUG, TRAY]


def test_complements_lead_and_the_top_three_hold_at_most_one_of_the_sources_type():
    candidates = [WELCOME, PINK_LUNCH_BOX, MUG, TRAY]
    kept = _curate(candidates, [9, 9, 9, 9], _types(TITLES))
    assert [candidates[c] for c in kept if c >= 0] == [PINK_LUNCH_BOX, MUG, TRAY, WELCOME]


def test_a_pick_of_the_sources_type_fills_a_top_place_only_when_complements_run_short():
    types = _types(TITLES)
    candidates = [WELCOME, MUG, TRAY]
    kept = _curate(candidates, [9, 9, 9], types)
    assert [candidates[c] for c in kept if c >= 0] == [MUG, TRAY, WELCOME]
    none_allowed = _curate(candidates, [9, 9, 9], types, max_same_type=0)
    assert [candidates[c] for c in none_allowed if c >= 0] == [MUG, TRAY]


def test_a_link_is_a_distinctive_word_in_common_not_a_common_one_and_a_category_only_when_asked():
    titles = [f"Set Of {n} Pink Thing {n}" for n in range(40)] + ["Regency Teapot Pink", "Regency Milk Jug",
                                                                 "Pink Garden Spade"]
    categories = ["Kitchen"] * 40 + ["Kitchen", "Dining", "Garden"]
    links = Links(titles, categories)
    assert links(40, 41), "a range name in common"
    assert not links(40, 42), "only PINK in common, which most titles hold"
    assert not links(0, 40), "one category is too broad to be a reason by default"
    assert Links(titles, categories, use_categories=True)(0, 40)


def test_a_word_of_either_products_type_is_no_link():
    """A coat rack and a magazine rack share RACK: both are racks, which says nothing of going together."""
    titles = ["Brocante Coat Rack", "Wire Magazine Rack", "Brocante Mirror", *[f"Thing {n}" for n in range(60)]]
    kinds = ["rack", "rack", "mirror", *["thing"] * 60]
    assert Links(titles)(0, 1), "without types RACK is a rare word in common"
    links = Links(titles, type_words=kinds)
    assert not links(0, 1)
    assert links(0, 2), "the range BROCANTE still links"


def test_complements_a_reader_sees_a_link_to_lead_the_others_in_the_models_order():
    types = _types(TITLES)
    links = Links(TITLES, ["Home"] * (len(TITLES) - 1) + ["Garden"], use_categories=True)
    candidates = [TRAY, MUG, PINK_LUNCH_BOX]
    kept = _curate(candidates, [9, 9, 9], types, links=links)
    assert [candidates[c] for c in kept if c >= 0] == [MUG, PINK_LUNCH_BOX, TRAY]


def test_with_a_link_required_a_complement_without_one_is_not_shown():
    types = _types(TITLES)
    links = Links(TITLES, ["Home"] * (len(TITLES) - 1) + ["Garden"], use_categories=True)
    candidates = [TRAY, MUG, PINK_LUNCH_BOX]
    kept = _curate(candidates, [9, 9, 9], types, links=links, require_link=True)
    assert [candidates[c] for c in kept if c >= 0] == [MUG, PINK_LUNCH_BOX]


def test_curated_lists_map_back_to_items_with_their_scores_and_orders_together():
    items = pd.DataFrame({"title": TITLES, "category": ["Home"] * len(TITLES), "variant_group": [""] * len(TITLES),
                          "type": [title.split()[-1] for title in TITLES]})
    # customers 0-2 each bought the doormat with the boot tray and the blue doormat; customer 3 the mug
    rows, cols = [], []
    for order, basket in enumerate([[DOORMAT, TRAY, BLUE_DOORMAT]] * 3 + [[DOORMAT, MUG]]):
        rows += [order] * len(basket)
        cols += basket
    orders = binary_matrix(rows, cols, (4, len(TITLES)))
    candidates = np.array([[BLUE_DOORMAT, TRAY, MUG]])
    ids, scores, together = curated_lists(candidates, np.array([[0.9, 0.8, 0.7]]), np.array([DOORMAT]), 2,
                                          orders=orders, order_customers=np.array([0, 1, 2, 3]), items=items,
                                          min_customers=2, max_same_type=1, require_link=False)
    assert ids.tolist() == [[TRAY, -1]]
    assert scores[0, 0] == pytest.approx(0.8) and np.isnan(scores[0, 1])
    assert together.tolist() == [[3, 0]]


def test_item_types_prefer_the_hosts_type_column_and_name_only_inferred_types():
    items = pd.DataFrame({"title": ["Red Mug", "Blue Mug", "Tea Towel"], "type": ["Mugs", "mugs ", "Textiles"]})
    types, names = item_types(items)
    assert types[0] == types[1] != types[2] and names is None
    types, names = item_types(items.assign(type=""))
    assert types[0] == types[1] != types[2] and names[types[0]].upper() == "MUG"


def test_a_basket_is_completed_from_its_items_lists_summed():
    ids = np.array([[2, 3], [3, -1], [-1, -1], [-1, -1]])
    scores = np.array([[0.5, 0.4], [0.3, np.nan], [np.nan, np.nan], [np.nan, np.nan]])
    ranked = complete_from_lists(ids, scores, [np.array([0, 1]), np.array([2])], 3)
    assert ranked.tolist() == [[3, 2, -1], [-1, -1, -1]]


def test_titles_that_cannot_show_a_link_are_not_asked_for_one():
    """A shop of generic names (no rare word in any title) keeps its bought-together picks."""
    vocabulary = ["fresh", "sweet", "light", "smoked", "whole", "mini", "spicy", "classic"]
    titles = [f"{a} {b}" for i, a in enumerate(vocabulary) for b in vocabulary[i + 1:]]  # each word in 7 titles
    links = Links(titles)
    assert not links(0, 1) and not links.could_link(0, 1)
    kept = curate([0], np.array([[1, 2, 3]]), _evidence([[9, 9, 9]]), Variants(titles), np.arange(len(titles)),
                  k=3, min_customers=2, max_same_type=0, links=links, require_link=True)[0]
    assert kept.tolist() == [0, 1, 2]


def test_an_inferred_type_most_of_the_catalogue_shares_is_no_type():
    """Generic names make every product a PRODUCT: that must not make every pick a variant of its source."""
    words = ("fresh", "sweet", "light", "mini", "spicy")
    items = pd.DataFrame({"title": [f"{a} {b} product" for a in words for b in words] + ["Red Mug", "Blue Mug"]})
    types, _ = item_types(items)
    assert (types[:25] == -1).all(), "25 of 27 products: unknown"
    assert types[25] == types[26] != -1, "two mugs are still mugs"
