"""Hybrid() against tuned peers, and Hybrid without each of its components, on three shops.

Usage::

    python -m bench.ablation                                  # the three shops, 2,000 test cases each
    python -m bench.ablation --datasets tafeng --cases 500    # one shop, fewer cases (faster, noisier)
    python -m bench.ablation --no-ablation                    # Hybrid() and the peers only

Shops, each with a validation fold for tuning and its test cases untouched by any choice:

* ``online_retail``: test = orders from 2011-11-01, validation = the 4 weeks before them, trained
  on the weeks before each (``bench.evaluate``'s protocol);
* ``grocery``: the generated grocery shop (``bench/synthetic.py``), test = the last 4 of its 26
  weeks, validation = the 4 weeks before;
* ``tafeng``: the Ta-Feng supermarket (ids only: no text, category or price). Each customer's
  last basket is a test basket and the one before a validation basket
  (:func:`bench.data.last_basket_split`); training rows are the earlier baskets. Ta-Feng has no
  dates, so rows are put in time order by position: a basket ``k`` from the customer's end comes
  before one ``k - 1`` from it, so the newest rows (which ``Hybrid`` holds out to choose its
  weights) are the customers' latest training baskets.

In every test and validation basket with two or more items the training rows know, one random
item is hidden (seed 0) and the rest is the query; at most ``--cases`` test and validation cases
are drawn (seeded), the same for every model. Peers are tuned as in ``bench.evaluate``: at most
4 grid points each on the validation cases, the best refitted on all training rows. ``Hybrid()``
is untuned (its defaults choose their weights on the training rows' newest orders), and so is
each ablation ``Hybrid(<component weight>=0)``, which searches the remaining weights itself.
The paired difference of two models is the mean of their per-case NDCG@10 difference on the same
test cases, with its standard error (``crosssell_app.evaluation.metrics.paired_difference``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from functools import partial

import numpy as np
import pandas as pd

from bench.data import last_basket_split, load_tafeng
from bench.evaluate import ONLINE_RETAIL_CUT, dataset_lines, peer_specs
from crosssell_app.evaluation.metrics import coverage, ndcg_gains, paired_difference
from crosssell_app.evaluation.protocol import K, Fold, ModelSpec, folds, rank_cases, tune
from crosssell_app.evaluation.resources import peak_rss_during
from crosssell_app.recommenders import Hybrid, Popularity
from crosssell_app.recommenders.base import class_path, indicator_matrix
from crosssell_app.recommenders.holdout import hide_random
from crosssell_app.recommenders.hybrid import COMPONENTS, SEARCHED

#: the ablations: Hybrid() with one component's weight set to 0 (the component left out)
ABLATIONS = {component.name: component.together for component in COMPONENTS if component.together}


class SharedFits(Hybrid):
    """``Hybrid`` whose component fits are remembered across instances, for the ablation only.

    ``Hybrid()`` and ``Hybrid(<weight>=0)`` fit the same components with the same hyperparameters
    on the same rows (the search's older rows, then all rows), and every fit is seeded, so
    reusing a fit gives the model a separate fit would give, at a fraction of the CPU (scarce
    here). Each ablation still holds out its cases, scores them and searches its own weights.
    """

    cache: dict = {}

    def _fit_one(self, model, matrix, items):
        key = (class_path(type(model)), json.dumps(model.get_params(deep=False), sort_keys=True, default=str),
               matrix.shape, hashlib.sha1(matrix.indptr.tobytes() + matrix.indices.tobytes()).hexdigest())
        if key not in self.cache:
            self.cache[key] = super()._fit_one(model, matrix, items)
        return self.cache[key]


def tafeng_folds(max_cases: int | None, seed: int = 0) -> tuple[Fold, Fold]:
    """Return ``(validation, final)`` folds of Ta-Feng: second-to-last and last baskets, ids only."""
    train, validation, test = last_basket_split(load_tafeng())

    def rows_in_time_order(baskets_by_customer: dict[str, list[list[int]]]) -> list[list[int]]:
        tagged = [(len(baskets) - position, basket) for baskets in baskets_by_customer.values()
                  for position, basket in enumerate(baskets)]
        tagged.sort(key=lambda pair: -pair[0])  # furthest from the customer's end first (stable)
        return [basket for _, basket in tagged]

    def fold(history: dict[str, list[list[int]]], heldout: dict[str, list[list[int]]]) -> Fold:
        rows = rows_in_time_order(history)
        codes = pd.Index(np.unique(np.concatenate([np.asarray(b) for b in rows])))
        matrix = indicator_matrix([codes.get_indexer(b) for b in rows], len(codes))
        queries = [codes.get_indexer(b[0]) for b in heldout.values()]
        queries = [q[q >= 0] for q in queries]
        cases = hide_random(indicator_matrix(queries, len(codes)), seed=seed, max_cases=max_cases)
        return Fold(matrix=matrix, items=None, cases=cases)

    # validation: trained on the baskets before each validation basket; test: on those and the validation baskets
    final_history = {c: train[c] + validation.get(c, []) for c in train}
    return fold(train, validation), fold(final_history, test)


def shop_folds(name: str, max_cases: int | None) -> tuple[Fold, Fold]:
    """Return the ``(validation, final)`` folds of shop ``name``."""
    if name == "tafeng":
        return tafeng_folds(max_cases)
    lines, cut = dataset_lines(name, ONLINE_RETAIL_CUT)
    return folds(lines, cut, validation_weeks=4, seed=0, max_cases=max_cases)


def run_model(spec: ModelSpec, validation: Fold, final: Fold, log) -> dict:
    """Tune ``spec`` on ``validation`` (when it has a grid), refit on ``final`` and score its test cases."""
    params, val_ndcg = tune(spec, validation, budget=4) if spec.grid else ({}, float("nan"))
    model, seconds, peak = peak_rss_during(partial(spec.factory(**params).fit, final.matrix, final.items))
    ranked = rank_cases(model, final.cases)
    gains = ndcg_gains(ranked, final.cases.hidden, K)
    row = {"model": spec.name, "params": params, "val_ndcg": val_ndcg, "ndcg": float(gains.mean()),
           "coverage": coverage(ranked, final.matrix.shape[1], K), "fit_s": seconds, "peak_mb": peak,
           "gains": gains, "chosen": _chosen(model)}
    log(f"{spec.name}: ndcg {row['ndcg']:.4f} coverage {row['coverage']:.4f} fit {seconds:.1f}s {row['chosen']}")
    return row


def _chosen(model) -> dict[str, float]:
    """Return the values a Hybrid chose for itself (empty for other models)."""
    if not isinstance(model, Hybrid):  # SharedFits is one
        return {}
    return {name: model._weight(name) for name in SEARCHED}


def specs(ablation: bool) -> list[ModelSpec]:
    """Return Hybrid(), its ablations and the peers."""
    ours = [ModelSpec("Hybrid()", SharedFits)]  # the fits of Hybrid() itself, remembered for its ablations
    if ablation:
        ours += [ModelSpec(f"Hybrid() without {name}", partial(SharedFits, **{weight: 0.0}))
                 for name, weight in ABLATIONS.items()]
    peers = [ModelSpec("popularity", Popularity, {"recent_fraction": [1.0, 0.25, 0.1, 0.025]}), *peer_specs(quick=False)]
    return ours + peers


def report(name: str, rows: list[dict], validation: Fold, final: Fold) -> str:
    """Return the Markdown tables of one shop: models and peers, then the ablation."""
    by_name = {row["model"]: row for row in rows}
    hybrid = by_name["Hybrid()"]
    out = [f"\n### {name} (train {final.matrix.shape[0]:,} rows x {final.matrix.shape[1]:,} items; "
           f"{len(final.cases):,} test cases, {len(validation.cases):,} validation cases)\n",
           "| model | NDCG@10 | coverage@10 | fit s | peak RSS MB | Hybrid() - model (paired, +- s.e.) | tuned (val NDCG@10) |",
           "|---|---|---|---|---|---|---|"]
    for row in rows:
        if row["model"].startswith("Hybrid() without"):
            continue
        difference, se = paired_difference(hybrid["gains"], row["gains"])
        tuned = f"{row['params']} ({row['val_ndcg']:.4f})" if row["params"] else "defaults"
        out.append(f"| {row['model']} | {row['ndcg']:.4f} | {row['coverage']:.4f} | {row['fit_s']:.1f} | "
                   f"{row['peak_mb']:.0f} | {'' if row is hybrid else f'{difference:+.4f} +- {se:.4f}'} | {tuned} |")
    peers = [row for row in rows if not row["model"].startswith("Hybrid()")]
    best = max(peers, key=lambda row: row["ndcg"])
    difference, se = paired_difference(hybrid["gains"], best["gains"])
    out.append(f"\nBest peer: {best['model']} ({best['ndcg']:.4f}, coverage {best['coverage']:.4f}). Hybrid() "
               f"NDCG@10 {'>=' if hybrid['ndcg'] >= best['ndcg'] else '<'} it ({hybrid['ndcg'] / best['ndcg']:.3f}x, "
               f"paired {difference:+.4f} +- {se:.4f}); coverage@10 {hybrid['coverage']:.4f} "
               f"{'>=' if hybrid['coverage'] >= best['coverage'] else '<'} {best['coverage']:.4f}.")
    out.append("\nHybrid() chose: " + ", ".join(f"{k} {v:g}" for k, v in hybrid["chosen"].items()))
    ablations = [row for row in rows if row["model"].startswith("Hybrid() without")]
    if ablations:
        out += ["", "| without | NDCG@10 | coverage@10 | what it adds: Hybrid() - without (paired, +- s.e.) | "
                    "the others chose |", "|---|---|---|---|---|"]
        for row in ablations:
            difference, se = paired_difference(hybrid["gains"], row["gains"])
            chosen = ", ".join(f"{k} {v:g}" for k, v in row["chosen"].items())
            out.append(f"| {row['model'].removeprefix('Hybrid() without ')} | {row['ndcg']:.4f} | "
                       f"{row['coverage']:.4f} | {difference:+.4f} +- {se:.4f} | {chosen} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="online_retail,grocery,tafeng")
    parser.add_argument("--cases", type=int, default=2000, help="most test (and validation) cases per shop, seeded")
    parser.add_argument("--no-ablation", action="store_true", help="Hybrid() and the peers only")
    parser.add_argument("--models", default=None, help="comma-separated model names to run (default: all)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    chosen_specs = specs(not args.no_ablation)
    if args.models:
        wanted = set(args.models.split(","))
        chosen_specs = [s for s in chosen_specs if s.name in wanted or s.name == "Hybrid()"]
    for name in args.datasets.split(","):
        SharedFits.cache.clear()
        validation, final = shop_folds(name, args.cases)
        log(f"{name}: train {final.matrix.shape}, {len(final.cases)} test / {len(validation.cases)} validation cases")
        rows = [run_model(spec, validation, final, log) for spec in chosen_specs]
        print(report(name, rows, validation, final), flush=True)


if __name__ == "__main__":
    main()
