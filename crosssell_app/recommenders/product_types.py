"""Product type: what kind of product an item is, given by the host or inferred from its title.

Same type means substitute (upgrade, similar), different type means complement (bought
together). A shop with a type field passes it as is (:func:`encode_types`); otherwise the type is
inferred from the titles (:func:`infer_types`), learnt from the shop's own catalogue: no word list
is written for one data set. See ``docs/product_types.md`` for the measured accuracy.

How a title's type is found
---------------------------
1. **The main phrase.** Only the title's first segment counts (before a comma or a `` - ``);
   numbers, sizes (``30CM``), single letters and what follows a preposition (``IN``, ``WITH``,
   ``W``, ``FOR``, ``ON``) are dropped: "PEN IN GIFT BOX" is a pen. A leading word followed by a
   number is a count (``SET 10 CARDS``), and so is a leading word before ``OF`` and a number
   (``SET OF 6 ...``) or that opens several titles with ``OF`` (``PACK OF ...``): the type is
   what follows; such a count inside a title goes too ("PICNIC BOXES SET OF 3 RETROSPOT").
   These are rules of English titles, not of one shop.
2. **The head noun, learnt.** Every title names one product type, usually by its last word ("RED
   RETROSPOT MUG"); but shops also write the type first and the design after it ("JUMBO BAG
   PINK POLKADOT"). So each word gets a *head rate*, the share of the titles holding it in which
   it is the head, and each title's head is re-chosen as its word of highest head rate, a few
   rounds from "the last word" on. Words that name products win their titles everywhere and
   their rate climbs towards 1 (MUG, BAG); words that describe them lose to the product word
   wherever one is present and sink towards 0 (colours, prints, themes, materials), which in
   turn frees the type word of a title that puts its design last.
3. **English compounds stay right-headed.** The head is finally the right-most word whose rate is
   at least ``gamma`` times the title's best ("CHARM BRACELET" is a bracelet, "BOX CANDLE" a
   candle); a title none of whose words has any evidence falls back to its last word.
4. **The type phrase.** The word before the head joins it when that pair is a fixed compound of
   the catalogue whose first word names a product of its own (T-LIGHT HOLDER, CUSHION COVER:
   a cover for a cushion is not a food cover): the pair occurs in at least ``MIN_COMPOUND``
   titles and in a good share of the modifier's titles, and the modifier's head rate is at least
   ``COMPOUND_MODIFIER_RATE``. A colour or a print (used with every kind of product, never a
   head) never joins, and neither does a subtype's adjective: a SCENTED CANDLE is a candle.
5. **Type-first families** (:func:`_type_first`): "DOORMAT RED RETROSPOT", "WALL ART SPACEBOY":
   a prefix that opens most titles holding it, followed by design words, is those titles' type.
6. **Within the category** (:func:`catalogue_types`): with the host's categories the type is the
   phrase within the category, so a kitchen BOWL and a dog BOWL are two types.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_SEGMENT = re.compile(r"\s*(?:,|\s-\s|\(|\)|:|;)\s*")
#: English words after which a title describes an extra, not the product ("PEN IN GIFT BOX")
_PREPOSITIONS = frozenset({"IN", "WITH", "W", "FOR", "ON"})
_JOINERS = frozenset({"AND", "OF", "THE", "A", "&"})

#: the type id of a product whose type is not known; never equal to any type, itself included
UNKNOWN = -1
#: titles a word pair must occur in before it counts as a compound type (T-LIGHT HOLDER)
MIN_COMPOUND = 3
#: share of a modifier's titles in which it precedes the head, for the pair to be a compound
COMPOUND_SHARE = 0.3
#: head rate the first word of a compound needs: it names a product of its own (T-LIGHT, CUSHION),
#: so CUSHION COVER is not a cover of any kind; subtypes (SCENTED CANDLE, DROP EARRING) stay one type
COMPOUND_MODIFIER_RATE = 0.5
#: rounds of head re-assignment; the rates settle in a handful
ROUNDS = 8
#: pseudo-counts pulling a rarely seen word's head rate towards ``PRIOR`` (little evidence, little say)
SMOOTHING, PRIOR = 2.0, 0.3
#: a word this close (as a share) to the title's best head rate, and right of it, is the head
GAMMA = 0.7
#: a title whose best head rate is below this has no evidence: its last word is the head
NO_EVIDENCE = 0.1
#: a head whose rate outside its type-first family is below this is a design word, not a type
WEAK_OUTSIDE = 0.35
#: share of the titles holding a prefix that it must open to start a type-first family
OPENING_SHARE = 0.7
#: most share of a family's tail heads that may name products elsewhere for its unknown tails to be designs
STRONG_TAILS = 0.25


def words(text: str) -> list[str]:
    """Return the upper-cased words of ``text`` (hyphenated words such as T-LIGHT kept whole)."""
    return [w.upper() for w in _WORD.findall(text or "")]


def singular(word: str) -> str:
    """Return a crude singular of an upper-case word, so plural and singular titles compare equal."""
    if len(word) > 4 and word.endswith("IES"):
        return word[:-3] + "Y"
    if len(word) > 4 and word.endswith(("SSES", "XES", "CHES", "SHES")):
        return word[:-2]
    if len(word) > 3 and word.endswith("S") and not word.endswith(("SS", "US", "IS")):
        return word[:-1]
    return word


def _raw_words(title: str) -> list[str]:
    """Return the words of the title's first segment that holds a letter."""
    for segment in _SEGMENT.split(title or ""):
        found = words(segment)
        if any(any(c.isalpha() for c in w) for w in found):
            return found
    return []


def _main_phrase(title: str, count_words: frozenset[str]) -> list[str]:
    """Return the singular words of the phrase that names the product (step 1 of the module doc)."""
    raw = _drop_inner_counts(_raw_words(title), count_words)
    kept: list[str] = []
    for at, word in enumerate(raw):
        if any(c.isdigit() for c in word) or (len(word) == 1 and word not in _PREPOSITIONS):
            continue
        if not kept and at + 1 < len(raw) and raw[at + 1].isdigit() and at + 2 < len(raw):
            continue  # a leading count: SET 10 CARDS
        kept.append(word)
    counted = len(raw) > 2 and raw[1] == "OF" and (raw[0] in count_words or raw[2].isdigit())
    if counted and len(kept) > 2 and kept[1] == "OF":
        kept = kept[2:]
    out: list[str] = []
    for word in kept:
        if out and word in _PREPOSITIONS:
            break
        if word not in _JOINERS and word not in _PREPOSITIONS:
            out.append(singular(word))
    return out


def _drop_inner_counts(raw: list[str], count_words: frozenset[str]) -> list[str]:
    """Return ``raw`` without a count written inside the title ("PICNIC BOXES SET OF 3 RETROSPOT")."""
    out: list[str] = []
    at = 0
    while at < len(raw):
        word = raw[at]
        if at and word in count_words and at + 1 < len(raw):
            after = raw[at + 1]
            if after == "OF" and at + 2 < len(raw) and raw[at + 2].isdigit():
                at += 3
                continue
            if after.startswith("OF") and after[2:].isdigit():  # SET OF4
                at += 2
                continue
        out.append(word)
        at += 1
    return out


def _count_words(titles: Sequence[str]) -> frozenset[str]:
    """Return the words that open two or more titles with ``OF`` (SET OF, PACK OF): counts, not types."""
    opening = Counter()
    for title in titles:
        raw = [w for w in _raw_words(title) if not any(c.isdigit() for c in w)]
        if len(raw) > 2 and raw[1] == "OF":
            opening[raw[0]] += 1
    return frozenset(w for w, n in opening.items() if n >= 2)


def _head_positions(phrases: list[list[str]]) -> tuple[list[int], dict[str, float]]:
    """Return each phrase's head position (-1 for an empty phrase) and each word's head rate.

    Steps 2 and 3 of the module docstring.
    """
    seen = Counter(w for phrase in phrases for w in set(phrase))
    heads = [len(p) - 1 for p in phrases]
    for round_ in range(ROUNDS + 1):
        won = Counter(p[h] for p, h in zip(phrases, heads) if h >= 0)
        rate = {w: (won[w] + SMOOTHING * PRIOR) / (n + SMOOTHING) for w, n in seen.items()}
        if round_ == ROUNDS:
            break
        heads = [max(range(len(p)), key=lambda i, p=p: (rate[p[i]], i)) if p else -1 for p in phrases]
    final = []
    for phrase in phrases:
        if not phrase:
            final.append(-1)
            continue
        rates = [rate[w] for w in phrase]
        best = max(rates)
        if best < NO_EVIDENCE:
            final.append(len(phrase) - 1)
        else:
            final.append(max(i for i, r in enumerate(rates) if r >= GAMMA * best))
    return _type_first(phrases, final, won, seen), rate


def _type_first(phrases: list[list[str]], heads: list[int], won: Counter, seen: Counter) -> list[int]:
    """Return ``heads`` with type-first families fixed: "DOORMAT RED RETROSPOT" is a doormat.

    A family is the titles opening with one prefix of one or two words. It is *type-first* when
    its prefix opens at least ``MIN_COMPOUND`` titles, the prefix's words end no title of the
    catalogue and open nearly every title holding them (they are never a modifier put before
    something else), and the head found in a tail is a word that appears outside the family
    and mostly loses to a product word there (RETROSPOT, HOUSE: design words). Then the
    prefix's last word is that title's head. A tail word never seen elsewhere keeps the title's
    English reading (PINK MUG, PINK PEN: PINK opens both, yet the mug and the pen are the types).
    """
    ends = Counter(p[-1] for p in phrases if p)
    families: dict[tuple[str, ...], list[int]] = {}
    anywhere: Counter = Counter()
    for at, phrase in enumerate(phrases):
        for size in (1, 2):
            if len(phrase) > size:
                families.setdefault(tuple(phrase[:size]), []).append(at)
            anywhere.update({tuple(phrase[i:i + size]) for i in range(len(phrase) - size + 1)})
    out = list(heads)
    for prefix, members in families.items():
        if len(members) < MIN_COMPOUND or any(ends[w] > 0.2 * len(members) for w in prefix[:-1]):
            continue
        if ends[prefix[-1]] > len(members):  # mostly a word put last: English order, not type-first
            continue
        if len(members) < OPENING_SHARE * anywhere[prefix]:
            continue
        inside = Counter(phrases[i][heads[i]] for i in members if heads[i] >= len(prefix))
        holding = Counter(w for i in members for w in set(phrases[i]))
        weak, unseen, strong = [], [], 0
        for i in members:
            if heads[i] < len(prefix):
                continue
            head = phrases[i][heads[i]]
            outside = seen[head] - holding[head]
            rate = (won[head] - inside[head] + SMOOTHING * PRIOR) / (outside + SMOOTHING)
            if outside and rate < WEAK_OUTSIDE:
                weak.append(i)
            elif not outside:
                unseen.append(i)
            else:
                strong += 1
        if len(weak) >= MIN_COMPOUND and strong <= STRONG_TAILS * (len(weak) + len(unseen) + strong):
            weak += unseen  # a family of designs: a tail word seen nowhere else is a design too
        for i in weak:
            out[i] = len(prefix) - 1
    return out


def type_labels(
    titles: Sequence[str], categories: Sequence[str | None] | None = None, *, detail: bool = False
) -> list[str]:
    """Return each product's type phrase ("" when none can be inferred).

    The statistics are learnt from all of ``titles`` at once, so pass the whole catalogue. A
    product whose title yields no word takes its category (when given) as its type. With
    ``detail`` every fixed compound of the catalogue is kept, whatever its first word (LUNCH
    BAG, KEY RING, DINNER CANDLE): a *subtype*, finer than the type, that ranks the closest
    substitutes first without splitting the type.
    """
    titles = ["" if _missing(t) else str(t) for t in titles]
    count_words = _count_words(titles)
    phrases = [_main_phrase(t, count_words) for t in titles]
    heads, rate = _head_positions(phrases)
    pairs = Counter((p[h - 1], p[h]) for p, h in zip(phrases, heads) if h >= 1)
    seen = Counter(w for p in phrases for w in set(p))
    labels = []
    for at, (phrase, head) in enumerate(zip(phrases, heads)):
        if head < 0:
            category = None if categories is None else categories[at]
            labels.append("" if _missing(category) else str(category).strip().upper())
            continue
        label = phrase[head]
        if head >= 1:
            pair = (phrase[head - 1], label)
            fixed = pairs[pair] >= MIN_COMPOUND and pairs[pair] >= COMPOUND_SHARE * seen[pair[0]]
            if fixed and (detail or rate[pair[0]] >= COMPOUND_MODIFIER_RATE):
                label = f"{pair[0]} {label}"
        labels.append(label)
    return labels


def encode_types(labels: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ids, names)``: one int id per label (-1 for empty or missing), ``names[id]`` its label.

    Labels compare case- and space-insensitively, so a host's "Mugs " and "mugs" are one type.
    """
    keys = ["" if _missing(v) else " ".join(str(v).split()).casefold() for v in labels]
    names = np.array(sorted(set(keys) - {""}), dtype=str)
    index = {name: i for i, name in enumerate(names.tolist())}
    return np.array([index.get(k, UNKNOWN) for k in keys], dtype=np.int64), names


def infer_types(titles: Sequence[str], categories: Sequence[str | None] | None = None) -> np.ndarray:
    """Return one int type id per product (-1 = unknown), inferred from titles (and categories)."""
    return encode_types(type_labels(titles, categories))[0]


def catalogue_types(
    titles: Sequence[str], categories: Sequence[str | None] | None = None, given: Sequence[object] | None = None,
    *, detail: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return each product's type id and the types' names; ``names`` is None for the host's own types.

    ``given`` is the host's type column: when any product has one, the host's types are used as
    they are. Otherwise the type is inferred: the type phrase of the title (:func:`type_labels`,
    with ``detail`` the subtype) *within the product's category* when categories are given. A
    head noun names different kinds in different departments of a shop (a BOWL in the kitchen
    and one for the dog, a STAND for cakes and one for umbrellas, playing CARDS and greeting
    CARDS); the host's category tells them apart where the title's last word cannot. Two products
    of one type share both; ``names[id]`` is the type phrase alone.
    """
    if given is not None and any(not _missing(value) and str(value).strip() for value in given):
        return encode_types(given)[0], None
    labels = type_labels(titles, categories, detail=detail)
    if categories is None or not any(not _missing(c) and str(c).strip() for c in categories):
        return encode_types(labels)
    keys = [f"{label} | {'' if _missing(c) else str(c).strip()}" if label else ""
            for label, c in zip(labels, categories)]
    ids, names = encode_types(keys)
    return ids, np.array([name.split(" | ")[0] for name in names.tolist()], dtype=str)


def type_names(titles: Sequence[str], categories: Sequence[str | None] | None = None) -> np.ndarray:
    """Return the label of each type id :func:`infer_types` gives for the same input: ``names[id]``."""
    return encode_types(type_labels(titles, categories))[1]


def same_type(types: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return, per pair ``(a[i], b[i])``, whether both items have the same known type."""
    types = np.asarray(types)
    ta, tb = types[np.asarray(a, dtype=np.int64)], types[np.asarray(b, dtype=np.int64)]
    return (ta == tb) & (ta != UNKNOWN)


def _missing(value: object) -> bool:
    """Return True for None and NaN, the two spellings of "no value" in an items table."""
    return value is None or (isinstance(value, float) and value != value)


__all__ = [
    "UNKNOWN",
    "catalogue_types",
    "encode_types",
    "infer_types",
    "same_type",
    "singular",
    "type_labels",
    "type_names",
    "words",
]
