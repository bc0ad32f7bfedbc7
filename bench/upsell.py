"""Benchmark the up-sell model against the "same category, higher price" rule on Online Retail.

Run from the repository root::

    python -m bench.upsell                 # tune on validation, then test, print the table
    python -m bench.upsell --no-tune       # test with the default hyperparameters only
    python -m bench.upsell --complement-sensitivity   # validation hit@10 per complement rule
    python -m bench.upsell --scale 100000  # fit time and memory on a synthetic catalogue

Protocol (see ``docs/upsell.md``): hyperparameters are chosen on a validation split cut from
the training weeks only (the last ``--val-weeks`` weeks before ``--test-start``); the chosen
model is refitted on every training week and compared with the rule baseline on the test weeks
(from ``--test-start``) in the same run, on the same cases.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import scipy.sparse as sp

from bench import upsell_protocol as ev
from bench.data import load_online_retail
from crosssell_app.evaluation.splits import time_split, validation_cut
from crosssell_app.recommenders.base import binary_matrix
from crosssell_app.recommenders.upgrade import Upgrade
from demo_shop.shop.categories import categorize

#: the validation grid: weights of the signals and of the ranking factors
GRID = {
    "category_weight": [0.0, 0.25, 0.5, 1.0],
    "purchase_weight": [0.5, 1.0, 2.0],
    "popularity_weight": [0.25, 0.5, 1.0],
    "uplift_weight": [-0.5, 0.0, 0.5],
}


def fit_model(catalogue: ev.Catalogue, band: tuple[float, float], **params) -> Upgrade:
    """Return an :class:`Upgrade` fitted on the catalogue's orders, customers and item table."""
    model = Upgrade(min_price_ratio=band[0], max_price_ratio=band[1], **params)
    return model.fit(catalogue.orders, catalogue.items, customers=catalogue.customers)


def evaluate_split(train, test, params: dict, band: tuple[float, float], k: int) -> dict:
    """Fit the model and the rule on ``train``, score both on ``test``; return metrics and counts."""
    catalogue = ev.build_catalogue(train, categorize)
    cases = ev.upgrade_cases(catalogue, train, test, band)
    items = catalogue.items
    started = time.perf_counter()
    model = fit_model(catalogue, band, **params)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    lists, _ = model.upgrades_batch(range(model.n_items_), k)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    n_explained = sum(1 for a in range(model.n_items_) for b in lists[a] if b >= 0 and model.explain(a, int(b)))
    explain_seconds = time.perf_counter() - started
    popularity = np.asarray(catalogue.users.getnnz(axis=0))
    rule = ev.category_rule_upgrades(items["category"], items["price"], popularity, items["variant_group"], band, k)
    eligible = ev.has_substitute_above(catalogue, band)
    unfiltered, _ = fit_model(catalogue, band, **{**params, "complement_lift": np.inf}).upgrades_batch(
        range(model.n_items_), k
    )
    low, high = ev.bootstrap_gain(ev.case_hits(lists, cases, k)[:, 0], ev.case_hits(rule, cases, k)[:, 0], cases)
    return {
        "gain_interval": (low, high),
        "cases": cases,
        "model": ev.score_lists(lists, cases, k),
        "rule": ev.score_lists(rule, cases, k),
        "model_coverage": ev.coverage(lists, eligible),
        "rule_coverage": ev.coverage(rule, eligible),
        "eligible": int(eligible.sum()),
        "any_list": float((lists[:, 0] >= 0).mean()),
        "n_items": model.n_items_,
        "complement_violations": complement_violations(model, lists),
        "complements_filtered": complement_violations(model, unfiltered),
        "unfiltered": ev.score_lists(unfiltered, cases, k),
        "timing": (fit_seconds, batch_seconds, explain_seconds, n_explained),
    }


def complement_violations(model: Upgrade, lists: np.ndarray) -> int:
    """Return how many (source, upgrade) pairs are frequently bought together (must be 0)."""
    bad = 0
    for a in range(model.n_items_):
        targets = lists[a][lists[a] >= 0]
        if len(targets):
            bad += int(np.isin(targets, model.complements(a)).sum())
    return bad


def validation_fold(train_weeks, val_weeks: int, band: tuple[float, float]) -> tuple[ev.Catalogue, list[ev.Case]]:
    """Return the catalogue of the weeks before the validation cut and the validation cases."""
    cut = validation_cut(train_weeks, val_weeks)
    train, val = time_split(train_weeks, cut)
    catalogue = ev.build_catalogue(train, categorize)
    cases = ev.upgrade_cases(catalogue, train, val, band)
    print(f"validation: train < {cut.date()}, validate {cut.date()} .. end of training: {len(cases)} cases")
    return catalogue, cases


def validation_hit(catalogue: ev.Catalogue, cases: list[ev.Case], band: tuple[float, float], k: int, **params) -> float:
    """Return the validation hit@k of the model with ``params``."""
    lists, _ = fit_model(catalogue, band, **params).upgrades_batch(range(len(catalogue.codes)), k)
    return ev.score_lists(lists, cases, k)[f"hit@{k}"]


def tune(train_weeks, val_weeks: int, band: tuple[float, float], k: int) -> dict:
    """Return the grid point with the best validation hit@k (ties: the earlier grid point)."""
    catalogue, cases = validation_fold(train_weeks, val_weeks, band)
    items = catalogue.items
    popularity = np.asarray(catalogue.users.getnnz(axis=0))
    rule = ev.category_rule_upgrades(items["category"], items["price"], popularity, items["variant_group"], band, k)
    print(f"  rule baseline hit@{k}={ev.score_lists(rule, cases, k)[f'hit@{k}']:.4f}")
    best, best_score = {}, -1.0
    names = list(GRID)
    for values in itertools.product(*(GRID[name] for name in names)):
        params = dict(zip(names, values))
        score = validation_hit(catalogue, cases, band, k, **params)
        print(f"  {params} hit@{k}={score:.4f}")
        if score > best_score:
            best, best_score = params, score
    print(f"chosen on validation: {best} (hit@{k}={best_score:.4f})")
    return best


def complement_sensitivity(train_weeks, val_weeks: int, band: tuple[float, float], k: int, params: dict) -> None:
    """Print validation hit@k as the complement rule is loosened (a product decision, not tuned)."""
    catalogue, cases = validation_fold(train_weeks, val_weeks, band)
    for lift in (2.0, 3.0, 5.0, 10.0, np.inf):
        for min_orders in (3, 10):
            score = validation_hit(
                catalogue, cases, band, k, **{**params, "complement_lift": lift, "complement_min_orders": min_orders}
            )
            print(f"  complement_lift={lift} complement_min_orders={min_orders}: validation hit@{k}={score:.4f}")


def scale_check(n_items: int, seed: int = 0) -> None:
    """Fit on a synthetic catalogue of ``n_items`` products and print time and peak memory.

    Titles are two of 2,000 descriptive words and one of 500 product types; 5 orders of 4 items
    per product, drawn uniformly, half of them placed by half a customer per product (about 20
    items per customer, as before customers came as each order's customer).
    """
    import resource

    rng = np.random.default_rng(seed)

    def random_rows(n_rows: int, per_row: int) -> sp.csr_matrix:
        rows = np.repeat(np.arange(n_rows), per_row)
        return binary_matrix(rows, rng.integers(0, n_items, size=len(rows)), (n_rows, n_items))

    words = rng.integers(0, 2000, size=(n_items, 2))
    kinds = rng.integers(0, 500, size=n_items)
    items = {
        "text": [f"WORD{a} WORD{b} TYPE{t}" for (a, b), t in zip(words, kinds)],
        "price": rng.uniform(1, 20, n_items).tolist(),
    }
    orders = random_rows(5 * n_items, 4)
    customers = rng.integers(0, max(n_items // 2, 1), size=orders.shape[0])
    customers[rng.random(orders.shape[0]) < 0.5] = -1
    started = time.perf_counter()
    model = Upgrade().fit(orders, items, customers=customers)
    fit_seconds = time.perf_counter() - started
    lists, _ = model.upgrades_batch(range(n_items), 10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n_items} items: fit {fit_seconds:.1f}s in {len(model.blocks_)} blocks, "
        f"{(lists[:, 0] >= 0).mean():.1%} with upgrades, peak RSS {peak_mb:.0f} MB"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, tune, evaluate and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="Online Retail CSV (default: the shared copy)")
    parser.add_argument("--val-weeks", type=int, default=9)
    parser.add_argument("--test-start", default="2011-10-01")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--band", type=float, nargs=2, default=(1.1, 3.0))
    parser.add_argument("--no-tune", action="store_true")
    parser.add_argument("--scale", type=int, default=0, help="only fit a synthetic catalogue of this many items")
    parser.add_argument(
        "--complement-sensitivity", action="store_true", help="only print validation hit@k per complement rule"
    )
    args = parser.parse_args(argv)
    band = (float(args.band[0]), float(args.band[1]))
    if args.scale:
        scale_check(args.scale)
        return
    lines = load_online_retail(args.data)
    train, test = time_split(lines, args.test_start)
    if args.complement_sensitivity:
        complement_sensitivity(train, args.val_weeks, band, args.k, {})
        return
    params = {} if args.no_tune else tune(train, args.val_weeks, band, args.k)
    result = evaluate_split(train, test, params, band, args.k)
    k = args.k
    print(f"\ntest: train < {args.test_start}, test from {args.test_start}; band {band}; params {params}")
    print(f"| method | cases | hit@{k} | recall@{k} | mrr@{k} | coverage |")
    print("|---|---|---|---|---|---|")
    for name, label in (("rule", "rule: same category, higher price, popular first"), ("model", "Upgrade model")):
        m = result[name]
        print(
            f"| {label} | {m['cases']} | {m[f'hit@{k}']:.4f} | {m[f'recall@{k}']:.4f} | {m[f'mrr@{k}']:.4f} "
            f"| {result[name + '_coverage']:.1%} |"
        )
    gain = result["model"][f"hit@{k}"] / max(result["rule"][f"hit@{k}"], 1e-12) - 1
    low, high = result["gain_interval"]
    print(f"\nmodel vs rule, hit@{k}: {gain:+.1%} (95% interval over customers {low:+.1%} .. {high:+.1%})")
    print(
        f"coverage: {result['eligible']} of {result['n_items']} products have a higher-priced same-type "
        f"substitute; {result['model_coverage']:.1%} of them get a non-empty upgrade list "
        f"({result['any_list']:.1%} of all products)"
    )
    print(
        f"top-{k} upgrades that are frequently bought with their source: {result['complement_violations']} "
        f"(without the complement rule there would be {result['complements_filtered']})"
    )
    print(
        f"(diagnostic, not allowed by the definition) hit@{k} without the complement rule: "
        f"{result['unfiltered'][f'hit@{k}']:.4f}"
    )
    fit_s, batch_s, explain_s, n_explained = result["timing"]
    print(f"timing: fit {fit_s:.1f}s, upgrades_batch {batch_s:.2f}s, explain x{n_explained} {explain_s:.1f}s")
    print(
        f"customers in cases: {len({c.customer for c in result['cases']})}, "
        f"source products: {len({c.source for c in result['cases']})}"
    )


if __name__ == "__main__":
    main()
