"""Customer-aware basket completion: ``Hybrid`` with the customer's history against next-basket peers.

Usage::

    python -m bench.next_basket                       # both shops, 3,000 test cases each (seeded)
    python -m bench.next_basket --datasets tafeng --cases 1000
    python -m bench.next_basket --extra               # also EASE with the app's history blend

Protocol (``crosssell_app/evaluation/history.py``): a case is a basket of a customer known in
training with one random item hidden; the rest is the basket and the customer's earlier baskets
are the history.

* Online Retail: test = orders from 2011-11-01 of customers with a training order, history = all
  their earlier orders; validation = the same cut 4 weeks before the end of the training weeks.
* Ta-Feng: ``bench.data.last_basket_split``: test = each customer's last basket (fit on every
  earlier basket), validation = the second to last (fit on the ones before it).

Models, all in one run on the same cases: ``Hybrid()`` with its defaults (every weight chosen by
its own ``fit`` on its newest orders, the history blend on its newest orders of returning
customers) answering with the history and without it; EASE (``l2`` tuned on the validation
fold, basket only); P-TopFreq (the customer's most frequent items); TIFU-KNN (Hu et al. 2020; a
small grid on validation); and EASE + P-TopFreq, one history weight chosen inside ``fit`` exactly
as the Hybrid's is (its newest rows, never the test), on EASE's validation-tuned ``l2``. Test
cases are a seeded sample of at most ``--cases`` per shop (the validation fold too).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from bench.data import last_basket_split, load_online_retail, load_tafeng
from bench.ease import EASE
from crosssell_app.evaluation.history import HistorySpec, evaluate_history, paired, sequence_fold, time_fold
from crosssell_app.evaluation.protocol import compare
from crosssell_app.evaluation.splits import time_split, validation_cut
from crosssell_app.recommenders import Hybrid
from crosssell_app.recommenders.repeat import TIFUKNN, HistoryBlend, RepeatPurchase

ONLINE_RETAIL_CUT = "2011-11-01"
#: EASE's grid per shop: brackets the best validation value on each (``docs/recommenders.md``)
EASE_GRID = {"online_retail": [3.0, 10.0, 30.0, 100.0], "tafeng": [30.0, 100.0, 300.0, 1000.0]}
TIFU_GRID = {"alpha": [0.5, 0.7, 0.9]}
HYBRID, WITHOUT = "Hybrid() + history", "Hybrid() without history"
EASE_NAME, BLEND = "EASE (basket only)", "EASE + P-TopFreq (weight tuned in fit)"
PEERS = [EASE_NAME, "P-TopFreq", "TIFU-KNN", BLEND]


def folds(name: str, cases: int, seed: int):
    """Return ``(validation, test)`` history folds of shop ``name``."""
    if name == "online_retail":
        lines = load_online_retail()
        train, test = time_split(lines, ONLINE_RETAIL_CUT)
        older, newer = time_split(train, validation_cut(train, 4))
        return time_fold(older, newer, seed, cases), time_fold(train, test, seed, cases)
    train, validation, test = last_basket_split(load_tafeng())
    before_test = {c: train[c] + validation.get(c, []) + test.get(c, []) for c in train}
    before_validation = {c: train[c] + validation.get(c, []) for c in train}
    return sequence_fold(before_validation, seed, cases), sequence_fold(before_test, seed, cases)


def run(name: str, cases: int, seed: int, extra: bool, log) -> pd.DataFrame:
    validation, final = folds(name, cases, seed)
    log(f"{name}: fit rows {final.matrix.shape}, test cases {len(final.cases)}, "
        f"validation cases {len(validation.cases)}")
    first = evaluate_history(validation, final, [
        HistorySpec(HYBRID, Hybrid, without_history=WITHOUT),
        HistorySpec(EASE_NAME, EASE, {"l2": EASE_GRID[name]}),
        HistorySpec("P-TopFreq", RepeatPurchase),
        HistorySpec("TIFU-KNN", TIFUKNN, TIFU_GRID),
    ], log=log)
    l2 = first.set_index("model").at[EASE_NAME, "params"]["l2"]
    blends = [HistorySpec(BLEND, lambda: HistoryBlend(EASE(l2=l2), ratio_weight=0.0, decay=1.0))]
    if extra:
        blends.append(HistorySpec("EASE + the app's history blend", lambda: HistoryBlend(EASE(l2=l2))))
    second = evaluate_history(validation, final, blends, log=log)
    second["params"] = [{"l2": l2}] * len(second)
    return pd.concat([first, second], ignore_index=True)


def to_markdown(table: pd.DataFrame) -> str:
    lines = ["| model | HR@10 | NDCG@10 | coverage@10 | fit s | tuned on validation (val NDCG@10) |",
             "|---|---|---|---|---|---|"]
    for row in table.itertuples():
        tuned = f"{row.params} ({row.val_ndcg:.4f})" if row.params and row.val_ndcg == row.val_ndcg else (
            f"{row.params}" if row.params else "defaults")
        lines.append(
            f"| {row.model} | {row.hr:.4f} | {row.ndcg:.4f} | {row.coverage:.4f} | {row.fit_s:.1f} | {tuned} |"
        )
    return "\n".join(lines)


def verdict(table: pd.DataFrame) -> list[str]:
    """Return the target lines: history vs none, and against the best peer (paired, same cases)."""
    own = paired(table, HYBRID, WITHOUT)
    best = compare(table, HYBRID, PEERS)
    out = [
        f"- {HYBRID} / {WITHOUT}: NDCG@10 {own['ndcg']:.4f} / {own['other_ndcg']:.4f} = {own['ratio']:.3f}x "
        f"(target >= 1.10x: {'met' if own['ratio'] >= 1.10 else 'missed'}); paired difference "
        f"{own['difference']:+.4f} +- {own['se']:.4f}",
        f"- vs the best peer ({best['peer']}): {best['ndcg']:.4f} / {best['peer_ndcg']:.4f} = {best['ratio']:.3f}x "
        f"(aim 1.10x: {'met' if best['ratio'] >= 1.10 else 'missed'}); paired difference {best['difference']:+.4f} "
        f"+- {best['se']:.4f} = {best['difference'] / best['se']:.1f} standard errors "
        f"(target >= 3: {'met' if best['difference'] >= 3 * best['se'] else 'missed'})",
    ]
    for peer in PEERS:
        if peer != best["peer"]:
            c = paired(table, HYBRID, peer)
            out.append(f"- vs {peer}: {c['ratio']:.3f}x, paired difference {c['difference']:+.4f} +- {c['se']:.4f}")
    hybrid = table.set_index("model").loc[HYBRID]
    out.append(f"- {HYBRID}'s chosen blend is in the log (weight, ratio weight, decay); fit {hybrid['fit_s']:.0f} s")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="online_retail,tafeng")
    parser.add_argument("--cases", type=int, default=3000, help="most test (and validation) cases per shop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", action="store_true", help="also EASE with the app's history blend")
    parser.add_argument(
        "--save", default=None, help="write each shop's table, per-case NDCG included, to SAVE-<shop>.json"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    started = time.time()

    def log(message: str) -> None:
        print(f"[{time.time() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="  %(name)s: %(message)s")
    for name in args.datasets.split(","):
        table = run(name, args.cases, args.seed, args.extra, log)
        print(f"\n### {name} ({args.cases} test cases max, seed {args.seed})\n")
        print(to_markdown(table))
        print()
        print("\n".join(verdict(table)), flush=True)
        if args.save:
            table.assign(ndcg_cases=table["ndcg_cases"].map(list)).to_json(f"{args.save}-{name}.json", orient="records")
    print(f"\n(wall time {time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
