"""Product types: the host's labels as they are, or types learnt from a catalogue's titles."""

from __future__ import annotations

import numpy as np

from crosssell_app.recommenders.product_types import (
    catalogue_types,
    UNKNOWN,
    encode_types,
    infer_types,
    same_type,
    type_labels,
    type_names,
)

PRINTS = ["RED RETROSPOT", "PINK POLKADOT", "SPACEBOY", "WOODLAND"]


def themed_catalogue() -> list[str]:
    """Return titles of a shop that sells each product in four prints, written in both orders.

    Most titles put the print first and the product last; the jumbo bags and the doormats put
    the product first and the print last, as Online Retail does.
    """
    english = [f"{p} {kind}" for p in PRINTS for kind in ("MUG", "BOWL", "PLATE", "GIFT BAG")]
    return english + [f"JUMBO BAG {p}" for p in PRINTS] + [f"DOORMAT {p}" for p in PRINTS]


def test_the_product_word_at_the_end_of_a_title_is_its_type() -> None:
    labels = dict(zip(themed_catalogue(), type_labels(themed_catalogue())))
    assert labels["RED RETROSPOT MUG"] == "MUG"
    assert labels["WOODLAND GIFT BAG"] == "BAG"


def test_a_print_written_after_the_product_is_not_taken_for_the_type() -> None:
    """Prints lose to product words wherever both appear, so JUMBO BAG RED RETROSPOT is a bag."""
    labels = dict(zip(themed_catalogue(), type_labels(themed_catalogue())))
    assert {labels[f"JUMBO BAG {p}"] for p in PRINTS} == {"BAG"}


def test_a_product_word_that_only_ever_opens_titles_is_found_too() -> None:
    """DOORMAT never ends a title; its titles' last words are prints, so the doormat is the type."""
    labels = dict(zip(themed_catalogue(), type_labels(themed_catalogue())))
    assert {labels[f"DOORMAT {p}"] for p in PRINTS} == {"DOORMAT"}


def test_counts_extras_and_second_segments_are_not_the_type() -> None:
    titles = ["SET OF 6 PINK MUGS", "PACK OF 12 SKULL TISSUES", "PINK PEN IN GIFT BOX", "KEY FOB , SHED",
              "SET 10 PINK CARDS", "RESIN BRACELET W PASTEL BEADS"]
    assert type_labels(titles) == ["MUG", "TISSUE", "PEN", "FOB", "CARD", "BRACELET"]


def test_plural_and_singular_titles_share_a_type() -> None:
    ids = infer_types(["PINK CAKE CASES", "BLUE CAKE CASE", "GLASS JARS", "STORAGE JAR"])
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]


def test_every_product_of_a_generated_catalogue_gets_its_noun() -> None:
    """Size and colour words around the noun, in any mix, never become the type."""
    rng = np.random.default_rng(0)
    kinds = ["MUG", "BAG", "CANDLE", "CLOCK", "CUSHION", "FRAME", "NECKLACE", "LANTERN"]
    colours = ["RED", "PINK", "BLUE", "IVORY", "GREEN", "BLACK"]
    sizes = ["", "SMALL", "LARGE", "JUMBO", "SET OF 3"]
    made = [(kinds[rng.integers(8)], f"{sizes[rng.integers(5)]} {colours[rng.integers(6)]}") for _ in range(200)]
    titles = [f"{extra} {kind}".strip() for kind, extra in made]
    assert type_labels(titles) == [kind for kind, _ in made]


def test_compounds_are_kept_as_subtypes_only_on_request() -> None:
    """KEY RING is a subtype of RING: the type stays RING, the detail names the compound."""
    titles = ["BLING KEY RING", "SILVER KEY RING", "LETTER A KEY RING", "DIAMANTE RING", "SILVER RING", "GOLD RING"]
    assert set(type_labels(titles)) == {"RING"}
    assert type_labels(titles, detail=True)[:4] == ["KEY RING", "KEY RING", "KEY RING", "RING"]


def test_a_title_without_words_takes_its_category_or_stays_unknown() -> None:
    titles = ["PINK MUG", "", "  "]
    assert type_labels(titles, ["Kitchen", "Kitchen", None]) == ["MUG", "KITCHEN", ""]
    assert infer_types(titles)[1] == UNKNOWN


def test_names_give_each_type_ids_label() -> None:
    titles = themed_catalogue()
    ids, names = infer_types(titles), type_names(titles)
    assert [names[i] for i in ids] == [label.casefold() for label in type_labels(titles)]


def test_host_labels_compare_without_case_or_spacing_and_empty_is_unknown() -> None:
    ids, names = encode_types(["Mugs", " mugs ", "Tea  Towels", "", None, float("nan")])
    assert ids[0] == ids[1] and ids[0] != ids[2]
    assert ids[3:].tolist() == [UNKNOWN] * 3
    assert names.tolist() == ["mugs", "tea towels"]


def test_unknown_types_are_never_the_same_type_not_even_as_themselves() -> None:
    types = np.array([0, 0, 1, UNKNOWN, UNKNOWN])
    assert same_type(types, np.array([0, 0, 3, 3]), np.array([1, 2, 4, 3])).tolist() == [True, False, False, False]


def test_a_count_inside_a_title_is_not_the_type():
    """SET names products of its own here (TEA SET), yet "BOXES SET OF 3" is three boxes."""
    titles = ["PICNIC BOXES SET OF 3 RETROSPOT", "SNACK BOXES SET OF4 WOODLAND", "SET OF 6 PINK MUGS",
              "SET OF 4 CAKE TINS", "TEA SET", "BAKING SET", "COOKING SET",
              *[f"{design} {kind}" for design in ("RETROSPOT", "WOODLAND") for kind in ("MUG", "LUNCH BOX")]]
    assert type_labels(titles)[:2] == ["BOX", "BOX"]


def test_a_family_opened_by_its_type_keeps_it_even_for_designs_named_nowhere_else():
    """WALL ART SPACEBOY is wall art: most of the family's last words are designs, so the rest are too."""
    designs = ["SPACEBOY", "WOODLAND", "RETROSPOT", "POLKADOT"]
    elsewhere = [f"{d} {kind}" for d in designs for kind in ("MUG", "BOWL", "PLATE")]
    family = [f"WALL ART {d}" for d in designs] + ["WALL ART BICYCLE SAFETY", "WALL ART DOG LICENCE"]
    labels = dict(zip(family, type_labels(elsewhere + family)[len(elsewhere):]))
    assert set(labels.values()) == {"ART"}


def test_prints_opening_titles_of_products_named_nowhere_else_are_not_types():
    titles = ["PINK MUG", "PINK PEN", "PINK CARD", "BLUE BOWL"]
    assert type_labels(titles)[:3] == ["MUG", "PEN", "CARD"]


def test_an_inferred_type_is_one_head_noun_within_one_category():
    """A kitchen BOWL and a pet BOWL are two kinds; the host's category tells them apart."""
    titles = ["METAL BOWL", "MIXING BOWL", "DOG BOWL", "RED MUG"]
    ids, names = catalogue_types(titles, ["Kitchen", "Kitchen", "Pets", "Kitchen"])
    assert ids[0] == ids[1] != ids[2]
    assert names[ids[2]].upper() == "BOWL"
    assert catalogue_types(titles)[0][0] == catalogue_types(titles)[0][2], "without categories: one BOWL"
