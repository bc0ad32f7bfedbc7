"""Time and peak memory of each recommender on a generated power-law shop of 100,000 items.

Usage::

    python -m bench.scale                      # 100,000 items, 5,000,000 order lines
    python -m bench.scale --items 20000 --lines 1000000 --algorithms itemcf,content

Each algorithm runs in its own subprocess so its peak RSS (the kernel's high-water mark) is its own. Fit time
and the time to publish bought-together lists for 1,000 random products are printed.
MLP is skipped by default at this scale: on 2 CPU cores one epoch over a useful share of the
~25 million basket pairs takes many minutes, which says nothing about memory; UserCF is included
(its fit only stores the matrix; its cost is per query). ``hybrid`` is ``Hybrid()`` as a shop
gets it: with TensorFlow installed it fits a small MLP inside (50,000 pairs, 3 epochs) for its
weight search, and the linear model once per ``l2`` candidate, so its fit is the longest here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders.base import binary_matrix

ROOT = Path(__file__).resolve().parents[1]


def power_law_baskets(n_items: int, n_lines: int, mean_basket: float = 10.0, seed: int = 0) -> sp.csr_matrix:
    """Return a basket x item matrix of at least ``n_lines`` distinct lines, Zipf-like popularity.

    Items are drawn in "neighbourhoods" (an order starts at a popular item and draws the rest
    near it in a shuffled item order) so co-occurrence has structure, as in a real shop.
    """
    rng = np.random.default_rng(seed)
    n_orders = int(1.1 * n_lines / mean_basket)  # a few lines merge as duplicates; cut below
    sizes = 1 + rng.poisson(mean_basket - 1, size=n_orders)
    weights = 1.0 / np.arange(1, n_items + 1)
    anchors = rng.choice(n_items, size=n_orders, p=weights / weights.sum())
    offsets = rng.geometric(0.02, size=sizes.sum()) * rng.choice([-1, 1], size=sizes.sum())
    order_of_line = np.repeat(np.arange(n_orders), sizes)
    items = (anchors[order_of_line] + offsets) % n_items
    shuffle = rng.permutation(n_items)  # neighbourhood in a hidden order, popularity spread
    matrix = binary_matrix(order_of_line, shuffle[items], (n_orders, n_items))
    enough = int(np.searchsorted(matrix.indptr, n_lines))  # first orders holding n_lines distinct lines
    return matrix[: max(enough, 1)]


def item_texts(n_items: int, seed: int = 0) -> dict[str, list]:
    """Return random three-word descriptions from a 5,000-word vocabulary and 200 categories."""
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 5000, size=(n_items, 3))
    return {
        "text": [" ".join(f"w{w}" for w in row) for row in words],
        "category": [f"c{c}" for c in rng.integers(0, 200, size=n_items)],
    }


def run_one(name: str, n_items: int, n_lines: int) -> dict:
    """Fit one algorithm in this process and return its measurements."""
    from crosssell_app.evaluation.resources import peak_rss_during
    from crosssell_app.recommenders import ALGORITHMS

    matrix = power_law_baskets(n_items, n_lines)
    items = item_texts(n_items)
    model, fit_s, peak = peak_rss_during(lambda: ALGORITHMS[name]().fit(matrix, items))
    queries = np.random.default_rng(1).choice(n_items, size=1000, replace=False)
    _, query_s, query_peak = peak_rss_during(lambda: model.complete_basket_batch(queries, n=10))
    return {
        "algorithm": name,
        "fit_s": round(fit_s, 1),
        "lists_1000_s": round(query_s, 1),
        "peak_rss_mb": round(max(peak, query_peak)),
        "baskets": matrix.shape[0],
        "lines": int(matrix.nnz),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--algorithms", default="popularity,itemcf,usercf,svd,content,hybrid")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.items, args.lines)))
        return
    print("| algorithm | fit s | 1,000 lists s | peak RSS MB | baskets | lines |")
    print("|---|---|---|---|---|---|")
    for name in args.algorithms.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--items", str(args.items), "--lines", str(args.lines)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1]} | | | | |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {name} | {r['fit_s']} | {r['lists_1000_s']} | {r['peak_rss_mb']} | {r['baskets']:,} | {r['lines']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
