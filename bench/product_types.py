"""Accuracy of the inferred product type on hand-labelled Online Retail products.

Run from the repository root::

    python -m bench.product_types            # score the labels in bench/labels/product_types.csv
    python -m bench.product_types --errors   # also list every miss
    python -m bench.product_types --draw     # (once) write the seeded sample to label, unlabelled
    python -m bench.product_types --demo     # the types of the demo's generated catalogue
    python -m bench.product_types --coverage # share of products with a dearer same-type product
                                             # that get an upgrade list (Upgrade on all the data)

The types are inferred from every title of the shop (the statistics need the whole catalogue),
then read off for the sampled products. The labelling rules and the matching rule are in
``docs/product_types.md``.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from bench.data import load_online_retail
from crosssell_app.evaluation.splits import item_index, item_table
from crosssell_app.recommenders.product_types import singular, type_labels, words

LABELS = Path(__file__).resolve().parent / "labels" / "product_types.csv"
SAMPLE_SEED = 15
SAMPLE_SIZE = 240  # more than the 200 asked for: rows that are not products are left out


def catalogue() -> tuple[list[str], list[str]]:
    """Return the stock codes and titles of every Online Retail product (most frequent description)."""
    lines = load_online_retail()
    codes = item_index(lines)
    return [str(c) for c in codes], item_table(lines, codes)["text"]


def draw(path: Path) -> None:
    """Write the seeded sample of products to ``path`` with empty label columns."""
    codes, titles = catalogue()
    picked = np.sort(np.random.default_rng(SAMPLE_SEED).choice(len(codes), size=SAMPLE_SIZE, replace=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "title", "type", "head"])
        for i in picked:
            out.writerow([codes[i], titles[i], "", ""])


def squashed(phrase: str) -> str:
    """Return ``phrase`` singular word by word, upper case, without spaces or hyphens."""
    return "".join(singular(w) for w in words(phrase)).replace("-", "")


def matches(predicted: str, head: str) -> bool:
    """Return whether a predicted type phrase names the labelled head noun (see the docs' rule)."""
    if not predicted or head in {"", "?"}:
        return False
    guess = squashed(predicted)
    return any(guess.endswith(squashed(option)) for option in head.split("|") if option.strip())


def score(path: Path, show_errors: bool) -> None:
    """Print the accuracy of the inferred types on the labelled rows of ``path``."""
    codes, titles = catalogue()
    predicted = dict(zip(codes, type_labels(titles)))
    with path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["head"].strip() != "-"]
    hits = [matches(predicted.get(row["code"], ""), row["head"].strip()) for row in rows]
    print(f"{sum(hits)} of {len(rows)} labelled products match: accuracy {np.mean(hits):.1%}")
    exact = [squashed(predicted.get(r["code"], "")) == squashed(r["type"]) for r in rows]
    print(f"whole type phrase equal to the label's: {np.mean(exact):.1%}")
    if show_errors:
        for row, hit in zip(rows, hits):
            if not hit:
                guess = predicted.get(row["code"])
                print(f"  {row['title']!r}: label {row['type']!r} ({row['head']}), predicted {guess!r}")


def demo() -> None:
    """Print the inferred types of the demo's generated catalogue, most common first."""
    from demo_shop.shop.catalogue_data import generate_export
    from crosssell_app.evaluation.order_export import load_order_export

    with tempfile.TemporaryDirectory() as folder:
        lines = load_order_export(generate_export(Path(folder) / "demo.csv.gz"))
    titles = lines.drop_duplicates("code")["description"].tolist()
    labels = type_labels(titles)
    for label, count in Counter(labels).most_common():
        print(f"{count:4d} {label}")
    for title, label in list(zip(titles, labels))[:20]:
        print(f"  {title} -> {label}")


def coverage(band: tuple[float, float] = (1.1, 3.0)) -> None:
    """Print how many products with a dearer same-type product (inferred type) get upgrades.

    Eligible: another available product of the same inferred type, not the same title nor the
    same base stock code, priced within ``band`` times the product's price. The model is
    :class:`Upgrade` with its defaults, fitted on every order of the export.
    """
    from bench import upsell_protocol as ev
    from crosssell_app.recommenders.upgrade import Upgrade
    from demo_shop.shop.categories import categorize

    lines = load_online_retail()
    built = ev.build_catalogue(lines, categorize)
    model = Upgrade(min_price_ratio=band[0], max_price_ratio=band[1])
    model.fit(built.orders, built.items, customers=built.customers)
    lists, _ = model.upgrades_batch(range(model.n_items_), 3)
    price = built.items["price"].to_numpy(dtype=np.float64)
    group = built.items["variant_group"].to_numpy(dtype=str)
    title = np.array([squashed(t) for t in built.items["text"]])
    eligible = np.zeros(model.n_items_, dtype=bool)
    for kind in np.unique(model.types_[model.types_ >= 0]):
        members = np.flatnonzero(model.types_ == kind)
        for a in members:
            other = (group[members] != group[a]) & (title[members] != title[a])
            eligible[a] = bool((other & ev.in_band(price[a], price[members], band)).any())
    listed = lists[:, 0] >= 0
    print(f"{eligible.sum()} of {model.n_items_} products have a dearer product of their inferred type in the band; "
          f"{listed[eligible].mean():.1%} of them get an upgrade list ({listed.mean():.1%} of all products)")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the chosen step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--draw", action="store_true", help="write the unlabelled sample (overwrites --labels)")
    parser.add_argument("--errors", action="store_true", help="list the misses")
    parser.add_argument("--demo", action="store_true", help="show the types of the generated demo catalogue")
    parser.add_argument("--coverage", action="store_true", help="upgrade coverage with the inferred types")
    args = parser.parse_args(argv)
    if args.draw:
        draw(args.labels)
    elif args.demo:
        demo()
    elif args.coverage:
        coverage()
    else:
        score(args.labels, args.errors)


if __name__ == "__main__":
    main()
