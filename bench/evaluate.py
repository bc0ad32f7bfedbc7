"""Offline comparison of the app's recommenders with peers, on Online Retail and a generated grocery shop.

Usage::

    python -m bench.evaluate            # full run: every test basket, as the protocol says
    python -m bench.evaluate --quick    # 600 cases, no MLP and no ALS (under 2 minutes)
    python -m bench.evaluate --cases 1000   # at most 1,000 sampled cases per fold (faster, noisier)

Every model, ours and peers, is tuned on the same budget of grid points on validation weeks cut
from the training weeks; ``hybrid`` is ``Hybrid()`` with its shipped defaults, untuned.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial

import pandas as pd

from bench.data import load_online_retail
from bench.ease import EASE
from bench.peers import ImplicitPeer, PairRules
from bench.synthetic import grocery_lines
from crosssell_app.evaluation.models import our_specs
from crosssell_app.evaluation.protocol import ModelSpec, compare, evaluate, to_markdown

ONLINE_RETAIL_CUT = "2011-11-01"  # Online Retail's test weeks start here (the export ends on 2011-12-09)
GROCERY_CUT = "2024-06-03"  # the last four of the generated 26 weeks are the test weeks


def peer_specs(quick: bool) -> list[ModelSpec]:
    """Return the peers, each with four grid points like our models.

    Every grid, ours and the peers', brackets its model's best value on both data sets'
    validation weeks: a wider sweep on the validation folds was run first and a grid whose best
    point sat at an edge was moved until it did not (``docs/recommenders.md``, "Grids"). EASE's
    old grid (100-3000) stopped at its edge and under-tuned the strongest peer.
    """
    specs = [
        ModelSpec("rules (pair confidence)", PairRules, {"min_support": [2, 3, 5, 10]}),
        ModelSpec("implicit CosineRecommender", partial(ImplicitPeer, kind="cosine"), {"K": [3, 5, 100, 200]}),
        ModelSpec("implicit BM25Recommender", partial(ImplicitPeer, kind="bm25"), {"K": [200, 1000], "B": [0.5, 0.75]}),
        ModelSpec("EASE (Steck 2019)", EASE, {"l2": [3, 10, 30, 100]}),
    ]
    if not quick:
        specs.append(
            ModelSpec(
                "implicit ALS",
                partial(ImplicitPeer, kind="als"),
                {"factors": [128, 256], "regularization": [1.0, 10.0]},
            )
        )
    return specs


def dataset_lines(name: str, cut_date: str) -> tuple[pd.DataFrame, str]:
    """Return the sales lines of data set ``name`` and where its test weeks start."""
    if name == "online_retail":
        return load_online_retail(), cut_date
    return grocery_lines(), GROCERY_CUT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 test cases, skip MLP and ALS")
    parser.add_argument("--cut-date", default=ONLINE_RETAIL_CUT, help="Online Retail test weeks start here")
    parser.add_argument(
        "--cases", type=int, default=None, help="most test/validation cases per data set (default: every basket)"
    )
    parser.add_argument("--datasets", default="online_retail,grocery")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    cases = args.cases or (600 if args.quick else None)
    ours = our_specs(
        [
            n
            for n in ("popularity", "itemcf", "ridge", "usercf", "svd", "content", "mlp", "hybrid", "hybrid-tuned")
            if not (args.quick and n == "mlp")
        ]
    )
    peers = peer_specs(args.quick)
    for dataset in args.datasets.split(","):
        lines, cut = dataset_lines(dataset, args.cut_date)
        table = evaluate(
            lines,
            cut,
            ours + peers,
            max_cases=cases,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
        print(f"\n### {dataset} (cut {cut}, {f'{cases} cases max' if cases else 'every test basket'})\n")
        print(to_markdown(table), flush=True)
        c = compare(table, "hybrid", [spec.name for spec in peers])
        print(
            f"\nhybrid vs the best peer ({c['peer']}): NDCG@10 {c['ndcg']:.4f} vs {c['peer_ndcg']:.4f} = "
            f"{c['ratio']:.3f}x; paired difference {c['difference']:+.4f} +- {c['se']:.4f} "
            f"(standard error, same cases); {c['target']:.2f}x needs {c['needed']:+.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
