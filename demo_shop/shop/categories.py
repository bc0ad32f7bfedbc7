"""Derive a shop category for an Online Retail product from its description.

The UCI Online Retail export has no category column, yet the demo shop needs one for browsing and
the up-sell rule baseline ("same category, higher price") needs one to be honest. A category is
derived here from the product description alone with a small, readable keyword taxonomy, so any
engineer can see why a product landed where it did.

How matching works
------------------
* A description is upper-cased and split into words on anything that is not a letter or a digit,
  so ``T-LIGHT``, ``T LIGHT`` and ``T/LIGHT`` all become the words ``T LIGHT``.
* A keyword is one or more words; it matches when its words appear consecutively. Each word of
  the description also matches in its singular form (``CANDLES`` -> ``CANDLE``, ``DOILIES`` ->
  ``DOILY``, ``BOXES`` -> ``BOX``), so keywords are written singular.
* ``RULES`` is an ordered list of ``(category, keywords)``; **the first rule with a matching
  keyword wins**. A category may own several rules: early, narrow rules settle the known
  ambiguities before the broad ones run (``HOT WATER BOTTLE`` is home, not kitchen; ``PLAYING
  CARD`` is a game, not a greeting card; ``NAPKIN RING`` is tableware, not jewellery).
* The priority order is: occasion first (Christmas, Easter: a Christmas candle is bought as a
  Christmas item), then what the thing *is* (jewellery, bags, candles and lights, party,
  cards and wrap, stationery, toys, crafts, bath, kitchen, garden, home decor: the broad
  "what is it for" groups last, as their keywords are the vaguest), and "Other" when nothing
  matches.

Measured share of "Other"
-------------------------
On the full export, 3,900 distinct stock codes (the lines kept by ``load_order_export``; each
code described by its most frequent description), 89 (2.3%) land in "Other" (measured
2026-11-27). Re-measure with::

    python -m demo_shop.shop.categories

which prints the count per category. Pure Python: no Django import, so the adapter, the
benchmarks and the tests can all use it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

OTHER = "Other"

#: ordered rules, first match wins (see the module docstring for the order's reasons)
# fmt: off
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # -- occasions: a Christmas candle is bought as a Christmas item
    (
        "Christmas",
        (
            "CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "SNOWMAN", "SNOW FLAKE",
            "BAUBLE", "NATIVITY", "NOEL", "CRACKER", "ANGEL", "SLEIGH", "ELF", "STOCKING", "WREATH",
            "MISTLETOE", "TINSEL",
        ),
    ),
    (
        "Easter",
        (
            "EASTER", "CHICK", "BUNNY", "BUNNIES", "EGG HUNT",
        ),
    ),
    # -- narrow rules that settle known ambiguities before the broad ones run
    (
        "Home Decor",
        (
            "HOT WATER BOTTLE", "DOOR STOP", "DOORSTOP", "DRAUGHT EXCLUDER",
        ),
    ),
    (
        "Toys & Games",
        (
            "PLAYING CARD", "CARD GAME", "SNAP CARD", "MONEY BOX", "MONEY BANK",
        ),
    ),
    (
        "Candles & Lights",
        (
            "TEA LIGHT",
        ),
    ),
    (
        "Kitchen & Baking",
        (
            "NAPKIN RING", "NAPKIN", "EGG CUP", "LUNCH BAG", "LUNCH BOX", "OVEN GLOVE", "TEA TOWEL",
            "CAKE CASE", "BAKING CASE",
        ),
    ),
    # -- what the thing is, the vaguest groups (kitchen, garden, home) last
    (
        "Jewellery & Accessories",
        (
            "NECKLACE", "NECKLAC", "NECKL", "BRACLET", "LARIAT", "FAN", "KEY CHAIN", "KEY FOB", "HEADPHONE",
            "BADGE", "HAND WARMER", "PONCHO", "RAIN MAC", "BICYCLE", "EARRING", "BRACELET", "BANGLE",
            "PENDANT", "BROOCH", "RING", "CHARM", "DIAMANTE", "JEWEL", "JEWELLED", "JEWELLERY", "TIARA",
            "HAIR", "HAIRCLIP", "HAIRBAND", "HAIR SLIDE", "ALICE BAND", "SCARF", "GLOVE", "UMBRELLA",
            "WALLET", "PASSPORT COVER", "LUGGAGE TAG", "KEYRING", "KEY RING", "SLIPPER", "HAT", "BEAD",
            "SUNGLASSES", "COMPACT MIRROR", "CUFF",
        ),
    ),
    (
        "Bags & Purses",
        (
            "BAG", "HANDBAG", "SHOPPER", "TOTE", "BACKPACK", "RUCKSACK", "PURSE", "SATCHEL",
        ),
    ),
    (
        "Candles & Lights",
        (
            "CANDLE", "CANDLEHOLDER", "CANDLEPOT", "CANDLESTAND", "CANDLESTICK", "T LIGHT", "TLIGHT",
            "TEALIGHT", "LANTERN", "LIGHT", "LAMP", "LAMPSHADE", "NIGHTLIGHT", "CHANDELIER", "OIL BURNER",
            "INCENSE", "FRAGRANCE", "DIFFUSER", "LED", "TORCH",
        ),
    ),
    (
        "Party",
        (
            "PARTY", "BIRTHDAY", "PENNANT", "ROSETTE", "BUNTING", "BALLOON", "CONFETTI", "PAPER PLATE",
            "PAPER CUP", "STRAW", "PARTY BAG", "FANCY DRESS", "PINATA", "CELEBRATION", "WEDDING",
            "HEN PARTY", "PAPER CHAIN", "DISCO", "CAKE CANDLE",
        ),
    ),
    (
        "Cards & Wrap",
        (
            "CARD", "MINICARD", "POSTCARD", "GREETING", "WRAP", "WRAPPING", "GIFT TAG", "TAG", "ENVELOPE",
            "RIBBON", "TISSUE PAPER", "GIFT BOX",
        ),
    ),
    (
        "Stationery",
        (
            "NOTEBOOK", "NOTE BOOK", "NOTEPAD", "SCISSOR", "HOLE PUNCH", "MEMOBOARD", "BLACKBOARD",
            "PENCIL", "PEN", "ERASER", "RUBBER", "STICKER", "JOURNAL", "DIARY", "CALENDAR", "TAPE", "CHALK",
            "BOOKMARK", "CRAYON", "CLIPBOARD", "STAMP", "SHARPENER", "MEMO", "ADDRESS BOOK", "PHOTO ALBUM",
            "ALBUM", "RULER", "PAPERWEIGHT", "SHOPPING LIST", "ORGANISER", "PEN HOLDER", "BOOK",
            "HIGHLIGHTER", "SCISSORS", "STATIONERY", "FOLDER",
        ),
    ),
    (
        "Toys & Games",
        (
            "TOY", "GAME", "JIGSAW", "HELICOPTER", "LUDO", "NAUGHTS", "MODELLING CLAY", "PAINT SET",
            "TATTOO", "INFLATABLE", "BABY", "BIB", "ROCKING HORSE", "PUZZLE", "DOLL", "TEDDY", "SOLDIER",
            "SKIPPING ROPE", "BALL", "DOMINO", "DICE", "SPINNING TOP", "YO YO", "MAGIC", "BINGO", "SKITTLE",
            "KITE", "HARMONICA", "WHISTLE", "PLAYHOUSE", "SNAKES", "LADDERS", "MARBLE", "BUBBLE", "SLATE",
            "COLOURING", "PAINTING SET", "SPACEBOY", "FLYING", "RACING", "CAR", "TRAIN", "DINOSAUR",
            "ROBOT", "WINDMILL", "TENT", "DRESSING UP", "PUPPET", "MASK", "WOODEN BLOCK",
        ),
    ),
    (
        "Crafts & Sewing",
        (
            "SEWING", "KNITTING", "FELTCRAFT", "CRAFT", "BUTTON", "NEEDLE", "THREAD", "FABRIC", "PATCH",
            "CROCHET", "EMBROIDERY", "ORIGAMI", "DECOUPAGE", "REEL", "KIT", "STENCIL", "SCRAP BOOK",
        ),
    ),
    (
        "Bath & Beauty",
        (
            "BATH", "BATHROOM", "FLANNEL", "SOAP", "TOWEL", "TISSUE", "TOILET", "LIP GLOSS", "MAKE UP",
            "MAKEUP", "NAIL", "SPONGE", "TOILETRY", "WASHBAG", "SPA", "SHOWER", "COSMETIC", "HAND CREAM",
            "PLASTERS",
        ),
    ),
    (
        "Kitchen & Baking",
        (
            "MUG", "CUP", "SAUCER", "PLATTER", "FRUITBOWL", "TOASTRACK", "TABLECLOTH", "PETIT FOUR", "TEA",
            "TEAPOT", "TEACUP", "TEATIME", "COFFEE", "CAKE", "BAKING", "BAKE", "CAKESTAND", "PLATE", "BOWL",
            "CUTLERY", "SPOON", "FORK", "KNIFE", "APRON", "OVEN", "TRAY", "JAR", "JUG", "BOTTLE", "KITCHEN",
            "PANTRY", "RECIPE", "CHOPSTICK", "SCALES", "TOAST", "TOASTING", "BREAD", "BISCUIT", "COOKIE",
            "JELLY", "MOULD", "DOILY", "PLACEMAT", "COASTER", "TEA TOWEL", "TUMBLER", "GLASS", "PICNIC",
            "HAMPER", "COLANDER", "FOOD", "MILK", "JAM", "SUGAR", "DINNER", "CHOPPING BOARD", "DRINK",
            "BEAKER", "WINE", "FLASK", "CONTAINER", "TIN", "CANISTER", "DISH", "PAN", "SQUEEZER", "TIMER",
            "GRINDER", "EGG", "BUTTER", "SALT", "PEPPER", "CRUET", "CHOCOLATE", "ICE", "LOLLY", "POPCORN",
            "SWEETIE", "CUPCAKE", "SERVING", "SALAD", "TRIVET", "GOBLET", "CAFETIERE", "TEASPOON", "LADLE",
            "WHISK", "MEASURING", "SPATULA", "CHEESE", "BREAKFAST", "CEREAL", "SANDWICH", "DOME",
            "CAKE STAND", "STRAINER",
        ),
    ),
    (
        "Garden",
        (
            "GARDEN", "PLANT", "HAMMOCK", "WINDCHIME", "POTTING", "PLANTER", "FLOWER POT", "POT",
            "WATERING CAN", "BIRD FEEDER", "FEEDER", "BIRDHOUSE", "BIRD HOUSE", "NESTING BOX", "SEED",
            "TROWEL", "GNOME", "WHEELBARROW", "HERB", "HOSE", "THERMOMETER", "WINDSOCK", "WIND CHIME",
            "CHIME", "PARASOL", "BUCKET", "OUTDOOR", "BIRD TABLE", "GREENHOUSE", "SPADE", "GLOVES", "PEG",
            "WASHING LINE", "DOVECOTE", "BIRD BATH",
        ),
    ),
    (
        "Home Decor",
        (
            "FRAME", "MIRROR", "CLOCK", "LETTER", "MUSHROOM", "TOADSTOOL", "BIN", "MATCHES", "RADIO",
            "POUFFE", "DOORSIGN", "DRAWERKNOB", "SQUARECUSHION", "C COVER", "CUSHION", "SIGN", "WALL",
            "DOORMAT", "DOOR MAT", "HOOK", "HANGER", "COATHANGER", "COAT RACK", "KNOB", "DRAWER", "CABINET",
            "DECORATION", "ORNAMENT", "GARLAND", "VASE", "STORAGE", "BASKET", "PHOTO", "PICTURE", "PLAQUE",
            "MAGNET", "THROW", "BLANKET", "QUILT", "CURTAIN", "CHEST", "SHELF", "STOOL", "CHAIR", "TABLE",
            "ART", "DOOR", "TILE", "HANGING", "TRINKET", "BOX", "HOLDER", "RACK", "PRINT", "FLOWER",
            "ARTIFICIAL", "HEART", "FIGURE", "FIGURINE", "STATUE", "BIRD", "FEATHER", "WREATH", "TIDY",
            "LADDER", "POSTER", "CANVAS", "BOOKEND", "DOORSTOP", "LAUNDRY", "PEG BAG", "BLIND", "RUG",
            "MAT", "HOME", "WINDOW", "STAR", "BUTTERFLY", "DRAWER LINER", "PAPERWEIGHT", "SCULPTURE",
            "MOBILE", "CHANDELIER", "WIREWORK", "CRATE", "FLAG",
        ),
    ),
)
# fmt: on

#: every category ``categorize`` can return, in the priority order of their main rules, "Other" last
CATEGORIES: tuple[str, ...] = (
    "Christmas",
    "Easter",
    "Jewellery & Accessories",
    "Bags & Purses",
    "Candles & Lights",
    "Party",
    "Cards & Wrap",
    "Stationery",
    "Toys & Games",
    "Crafts & Sewing",
    "Bath & Beauty",
    "Kitchen & Baking",
    "Garden",
    "Home Decor",
    OTHER,
)
if set(CATEGORIES) != {name for name, _ in RULES} | {OTHER}:  # pragma: no cover - a typo guard
    raise ImportError("CATEGORIES and RULES name different categories")

_SPLIT = re.compile(r"[^A-Z0-9]+")


def _words(text: str) -> list[str]:
    """Return the upper-cased alphanumeric words of ``text``."""
    return [w for w in _SPLIT.split(text.upper()) if w]


def _forms(word: str) -> frozenset[str]:
    """Return ``word`` and its plausible singular forms, so keywords can be written singular."""
    forms = {word}
    if len(word) > 3 and word.endswith("IES"):
        forms.add(word[:-3] + "Y")
    if len(word) > 3 and word.endswith("ES"):
        forms.add(word[:-2])
    if len(word) > 2 and word.endswith("S") and not word.endswith("SS"):
        forms.add(word[:-1])
    return frozenset(forms)


def _compile(rules: Iterable[tuple[str, tuple[str, ...]]]) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Split every keyword of ``rules`` into its word tuple once, at import."""
    return [(name, [tuple(_words(k)) for k in keywords]) for name, keywords in rules]


_COMPILED = _compile(RULES)


def _matches(forms: list[frozenset[str]], keyword: tuple[str, ...]) -> bool:
    """Return True when the words of ``keyword`` occur consecutively in ``forms``."""
    k = len(keyword)
    for start in range(len(forms) - k + 1):
        if all(keyword[j] in forms[start + j] for j in range(k)):
            return True
    return False


@lru_cache(maxsize=65536)
def categorize(description: str) -> str:
    """Return the category of a product described by ``description`` ("Other" if none fits).

    Parameters
    ----------
    description : str
        The product's title or description, any case; ``None`` or empty gives "Other".

    Returns
    -------
    str
        One of :data:`CATEGORIES`: the category of the first rule in :data:`RULES` that has a
        keyword in the description.
    """
    forms = [_forms(w) for w in _words(description or "")]
    if not forms:
        return OTHER
    for name, keywords in _COMPILED:
        if any(_matches(forms, keyword) for keyword in keywords):
            return name
    return OTHER


def category_counts(descriptions: Iterable[str]) -> Counter:
    """Return how many of ``descriptions`` fall in each category."""
    return Counter(categorize(d) for d in descriptions)


def _main() -> None:  # pragma: no cover - a measurement script, run by hand
    """Print the category shares of the distinct Online Retail products."""
    from crosssell_app.evaluation.order_export import load_order_export

    from .catalogue_data import online_retail_path

    lines = load_order_export(online_retail_path())
    names = lines.groupby("code")["description"].agg(lambda s: s.value_counts().index[0] if len(s) else "")
    counts = category_counts(names)
    total = sum(counts.values())
    for name in CATEGORIES:
        print(f"{name:26s} {counts.get(name, 0):6d} {counts.get(name, 0) / total:7.1%}")
    print(f"{'products':26s} {total:6d}")


__all__ = ["CATEGORIES", "OTHER", "RULES", "categorize", "category_counts"]

if __name__ == "__main__":  # pragma: no cover
    _main()
