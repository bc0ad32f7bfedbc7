"""Fit time of ``Hybrid()`` on the whole Online Retail export, against the blend of the round before.

Usage::

    python -m bench.hybrid_fit_time              # 3 rounds, interleaved
    python -m bench.hybrid_fit_time --rounds 5

The baseline, measured in the same run, is the configuration ``Hybrid()`` had before every
weight was searched: the linear model at ``l2=30``, no SVD and no MLP, content and popularity
at 0.05, only the session-kNN and ItemCF weights chosen on the newest orders. It fits the same
models the same number of times as that version did (the linear model and ItemCF twice, content
once); only its two searched weights have a few more candidates, which cost a weighted sum each.
The budget is 3x the baseline's median. Each fit runs in a fresh subprocess, the two models
alternating, and both wall time and CPU time (all threads of the process) are printed: on a
shared machine the wall time says more about the neighbours than about the model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

#: the blend before every weight was searched (what "today" meant when the budget was set)
BEFORE = {"l2": 30.0, "svd_weight": 0.0, "mlp_weight": 0.0, "content_weight": 0.05, "popularity_weight": 0.05}
BUDGET = 3.0


def fit_once(config: str) -> dict:
    """Fit one Hybrid on the whole export in this process; return wall and CPU seconds and what it chose."""
    import warnings

    warnings.filterwarnings("ignore")
    from bench.data import load_online_retail
    from crosssell_app.evaluation.resources import peak_rss_during
    from crosssell_app.evaluation.splits import basket_matrix, item_index, item_table
    from crosssell_app.recommenders import Hybrid
    from crosssell_app.recommenders.hybrid import SEARCHED

    lines = load_online_retail()
    codes = item_index(lines)
    matrix, items = basket_matrix(lines, codes), item_table(lines, codes)
    params = BEFORE if config == "before" else {}
    cpu = time.process_time()
    model, wall, peak = peak_rss_during(lambda: Hybrid(**params).fit(matrix, items))
    return {"wall": wall, "cpu": time.process_time() - cpu, "peak_mb": peak,
            "chosen": {name: model._weight(name) for name in SEARCHED}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(fit_once(args.one)))
        return
    runs: dict[str, list[dict]] = {"before": [], "Hybrid()": []}
    for _ in range(args.rounds):
        for config in runs:
            out = subprocess.run([sys.executable, "-m", "bench.hybrid_fit_time", "--one", config],
                                 capture_output=True, text=True, check=True)
            runs[config].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"{config}: {runs[config][-1]}", file=sys.stderr, flush=True)
    print("| configuration | wall s (median) | CPU s (median) | peak RSS MB | each wall / CPU s |")
    print("|---|---|---|---|---|")
    medians = {}
    for config, results in runs.items():
        medians[config] = {key: statistics.median(r[key] for r in results) for key in ("wall", "cpu")}
        each = ", ".join(f"{r['wall']:.1f} / {r['cpu']:.1f}" for r in results)
        print(f"| {config} | {medians[config]['wall']:.1f} | {medians[config]['cpu']:.1f} | "
              f"{max(r['peak_mb'] for r in results):.0f} | {each} |")
    for key in ("wall", "cpu"):
        ratio = medians["Hybrid()"][key] / medians["before"][key]
        print(f"\n{key}: Hybrid() / before = {ratio:.2f}x (budget {BUDGET:g}x: {'met' if ratio <= BUDGET else 'missed'})")
    print(f"\nHybrid() chose: {runs['Hybrid()'][-1]['chosen']}")


if __name__ == "__main__":
    main()
