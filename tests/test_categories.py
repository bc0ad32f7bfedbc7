"""The demo shop's keyword category rule (no database, no Django)."""

from __future__ import annotations

import pytest

from demo_shop.shop.categories import CATEGORIES, OTHER, RULES, categorize, category_counts


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "Candles & Lights"),
        ("JUMBO BAG RED RETROSPOT", "Bags & Purses"),
        ("LUNCH BAG RED RETROSPOT", "Kitchen & Baking"),
        ("PACK OF 72 RETROSPOT CAKE CASES", "Kitchen & Baking"),
        ("REGENCY CAKESTAND 3 TIER", "Kitchen & Baking"),
        ("PAPER CHAIN KIT 50'S CHRISTMAS", "Christmas"),
        ("SET/9 CHRISTMAS T-LIGHTS SCENTED", "Christmas"),
        ("CHRISTMAS GINGHAM HEART", "Christmas"),
        ("UNION JACK HOT WATER BOTTLE", "Home Decor"),
        ("PLAYING CARDS VINTAGE DOILY", "Toys & Games"),
        ("SWALLOWS GREETING CARD", "Cards & Wrap"),
        ("OLD ROSE COMBO BEAD NECKLACE", "Jewellery & Accessories"),
        ('FLOWER GLASS GARLAND NECKL.36"GREEN', "Jewellery & Accessories"),
        ("FOLKART HEART NAPKIN RINGS", "Kitchen & Baking"),
        ("BIRDHOUSE GARDEN MARKER", "Garden"),
        ("COLOURING PENCILS BROWN TUBE", "Stationery"),
        ("PARTY BUNTING", "Party"),
        ("BLUE FLOCK CUSHION COVER", "Home Decor"),
        ("CREAM BUNNY EASTER EGG BASKET", "Easter"),
    ],
)
def test_known_products_get_the_documented_category(description: str, expected: str) -> None:
    """Real Online Retail descriptions land in the category the taxonomy documents."""
    assert categorize(description) == expected


def test_plural_and_case_and_punctuation_do_not_change_the_category() -> None:
    """Keywords are singular and upper case; plurals, lower case and hyphens match them."""
    assert categorize("set of 4 candles") == categorize("CANDLE") == "Candles & Lights"
    assert categorize("vintage doilies") == "Kitchen & Baking"
    assert categorize("T LIGHT") == categorize("t-light") == categorize("T/LIGHT") == "Candles & Lights"


def test_first_matching_rule_wins() -> None:
    """An occasion keyword outranks what the thing is: a Christmas candle is a Christmas item."""
    assert categorize("CHRISTMAS CANDLE") == "Christmas"
    assert categorize("CANDLE") == "Candles & Lights"


def test_keywords_match_whole_words_only() -> None:
    """A keyword inside a longer word does not match: EARRING is not RING's category by accident."""
    assert categorize("SCARECROW") == OTHER  # contains "CAR" and "SCAR" but neither is a word here
    assert categorize("ALARMING") == OTHER  # contains "RING"


def test_nothing_matching_gives_other() -> None:
    """Unmatched, empty and missing descriptions all give "Other"."""
    assert categorize("SPACE CADET RED") == OTHER
    assert categorize("") == OTHER
    assert categorize(None) == OTHER  # type: ignore[arg-type]


def test_categories_lists_every_rule_once_and_other_last() -> None:
    """CATEGORIES holds each rule's category exactly once, with "Other" last."""
    assert len(set(CATEGORIES)) == len(CATEGORIES)
    assert CATEGORIES[-1] == OTHER
    assert set(CATEGORIES) == {name for name, _ in RULES} | {OTHER}


def test_every_result_is_a_declared_category() -> None:
    """category_counts only ever reports categories from CATEGORIES."""
    counts = category_counts(["MUG", "BAG", "NOTHING KNOWN HERE", "GARDEN GNOME"])
    assert set(counts) <= set(CATEGORIES)
    assert sum(counts.values()) == 4
