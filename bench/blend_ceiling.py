"""How far a re-weighted Hybrid could go: the best fixed blend of its components, picked on validation.

Usage::

    python -m bench.blend_ceiling                     # both data sets
    python -m bench.blend_ceiling --datasets grocery

For each data set this fits ``Hybrid()`` on the training weeks before the validation weeks (as
the protocol does when it tunes), scores every validation case once per component, and then
tries every blend of the grid below, keeping the best NDCG@10. That blend is chosen on the very
cases it is scored on, so it is an optimistic ceiling, not a model: no choice of blend weights,
however it is made, does better on these cases. It is printed beside ``Hybrid()`` itself and
beside EASE tuned on the same cases with the benchmark's grid, with what 1.10 x EASE would take.
"""

from __future__ import annotations

import argparse
import itertools
import warnings

import numpy as np

from bench.ease import EASE
from bench.evaluate import ONLINE_RETAIL_CUT, dataset_lines, peer_specs
from crosssell_app.evaluation.metrics import ndcg
from crosssell_app.evaluation.protocol import Fold, folds, rank_cases, tune
from crosssell_app.recommenders import Hybrid

#: blend weights tried per component (the linear model's weight stays 1: only ratios matter)
GRID = {
    "usercf": (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0),
    "itemcf": (0.0, 0.1, 0.3, 1.0, 3.0),
    "content": (0.0, 0.02, 0.05, 0.1, 0.2, 0.5),
    "popularity": (0.0, 0.02, 0.05, 0.1, 0.2),
}
BUDGET = 4  # grid points per model, as in bench/evaluate.py (EASE is tuned on its grid there)
K = 10


def ceiling(fold: Fold) -> dict[str, object]:
    """Return Hybrid's, the best fixed blend's and tuned EASE's NDCG@10 on ``fold``'s cases.

    The blends are scored by ``Hybrid``'s own weight search (:meth:`Hybrid.candidate_ndcg`), which
    ranks exactly as ``complete_basket`` does, on a Hybrid with the linear model at ``l2=30``
    (no SVD or MLP); every combination of the grid's four weights is one candidate.
    """
    cases = fold.cases
    value = ndcg(rank_cases(Hybrid().fit(fold.matrix, fold.items), cases), cases.hidden, K)
    # every blended component fitted (a weight of 0 would leave it unfitted, so it could not be blended in)
    hybrid = Hybrid(usercf_weight=1.0, cf_weight=1.0, content_weight=0.05, popularity_weight=0.05,
                    svd_weight=0.0, mlp_weight=0.0, l2=30.0).fit(fold.matrix, fold.items)
    names = {"usercf": "usercf_weight", "itemcf": "cf_weight", "content": "content_weight",
             "popularity": "popularity_weight"}
    candidates = [dict(zip(names.values(), weights)) for weights in itertools.product(*(GRID[n] for n in names))]
    values = hybrid.candidate_ndcg(cases.baskets, cases.hidden, candidates)
    best = candidates[int(np.argmax(values))]
    best_value = float(values.max())
    best_weights = {"ridge": 1.0, **{name: best[weight] for name, weight in names.items()}}
    ease_params, ease_value = tune(next(p for p in peer_specs(quick=True) if p.factory is EASE), fold, BUDGET)
    return {
        "cases": len(cases),
        "hybrid": value,
        "ceiling": best_value,
        "weights": best_weights,
        "ease": ease_value,
        "ease_l2": ease_params["l2"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="online_retail,grocery")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    print("| data set | validation cases | Hybrid() | best fixed blend (weights) | EASE tuned (l2) | 1.10 x EASE |")
    print("|---|---|---|---|---|---|")
    for dataset in args.datasets.split(","):
        lines, cut = dataset_lines(dataset, ONLINE_RETAIL_CUT)
        validation, _ = folds(lines, cut, validation_weeks=4, seed=0, max_cases=None)
        r = ceiling(validation)
        weights = ", ".join(f"{name} {w:g}" for name, w in r["weights"].items())
        print(
            f"| {dataset} | {r['cases']} | {r['hybrid']:.4f} | {r['ceiling']:.4f} ({weights}) | "
            f"{r['ease']:.4f} ({r['ease_l2']}) | {1.1 * r['ease']:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
