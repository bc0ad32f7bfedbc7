"""Benchmark the whole retrain on the Online Retail shop: wall time and peak memory per step.

Run from the repository root after ``python manage.py seed_demo`` (which loads Online Retail
into the demo shop's database)::

    python -m bench.retrain                          # on a copy of var/demo.sqlite3
    python -m bench.retrain --database-url postgres://postgres@127.0.0.1:5432/crosssell_bench
    python -m bench.retrain --recommender upgrade=crosssell_app.recommenders.upgrade.Upgrade

The SQLite default works on a temporary copy, so the demo's own versions are left alone. The
retrain is the one ``crosssell_retrain --sync`` runs (every step in this process, one after
the other); on workers the fit steps run in parallel. Item-CF alone is timed first, on the
same order matrix, because it is the model the bought-together lists lean on. Peak memory is
the process's resident set size during the step (the kernel's high-water mark, reset before the step), so it
includes what earlier steps left allocated.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a loaded shop database (default: a copy of var/demo.sqlite3)")
    parser.add_argument("--recommender", action="append", default=[], metavar="NAME=DOTTED.CLASS",
                        help="replace or add a recommender of the RECOMMENDERS setting")
    parser.add_argument("--repeats", type=int, default=3, help="item-CF fits to time (the best is reported)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
    scratch = Path(tempfile.mkdtemp(prefix="crosssell-bench-"))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        source = ROOT / "var" / "demo.sqlite3"
        if not source.exists():
            sys.exit("No var/demo.sqlite3: run `python manage.py migrate && python manage.py seed_demo` first.")
        shutil.copy(source, scratch / "demo.sqlite3")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'demo.sqlite3'}"
    try:
        run_benchmark(args.recommender, scratch, args.repeats)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_benchmark(recommenders: list[str], scratch: Path, repeats: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    from crosssell_app.evaluation.resources import peak_rss_during
    from crosssell_app.models import RecommendationVersion, TrainingRun
    from crosssell_app.recommenders.itemcf import ItemCF
    from crosssell_app.training import retrain_in_process
    from crosssell_app.training.dataset import build_dataset
    from crosssell_app.training.service import ordered_timings

    configured = dict(settings.CROSSSELL.get("RECOMMENDERS") or {})
    if not configured:
        from crosssell_app.conf import DEFAULTS

        configured = dict(DEFAULTS["RECOMMENDERS"])
    for item in recommenders:
        name, _, path = item.partition("=")
        configured[name] = {**configured.get(name, {"options": {}}), "class": path}
    crosssell = {**settings.CROSSSELL, "RECOMMENDERS": configured, "MODEL_DIR": str(scratch / "models")}

    with override_settings(CROSSSELL=crosssell):
        orders = build_dataset().orders
        fits = [peak_rss_during(lambda: ItemCF().fit(orders))[1:] for _ in range(repeats)]
        itemcf_seconds, itemcf_peak = min(seconds for seconds, _ in fits), max(peak for _, peak in fits)
        itemcf_median = sorted(seconds for seconds, _ in fits)[len(fits) // 2]
        start = time.perf_counter()
        run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
        total = time.perf_counter() - start

    print(f"database: {connection.vendor}; recommenders: "
          + ", ".join(f"{name}={entry['class']}" for name, entry in configured.items()))
    print("data: " + ", ".join(f"{n:,} {what}" for what, n in run.data_sizes.items()))
    print("\n| step | seconds | peak MB |\n|---|---:|---:|")
    print(f"| item-CF fit alone (best of {repeats}; median {itemcf_median:.2f}) | {itemcf_seconds:.2f} "
          f"| {itemcf_peak:.0f} |")
    for step, timing in ordered_timings(run):
        print(f"| {step} | {timing['seconds']:.2f} | {timing['peak_mb']:.0f} |")
    print(f"| **total retrain (wall)** | **{total:.2f}** | |")
    if run.status != TrainingRun.Status.SUCCEEDED:
        sys.exit(f"run {run.pk} {run.status}: {run.error}")
    rows = RecommendationVersion.objects.get(pk=run.version).row_count
    print(f"\nversion {run.version}: {rows:,} rows; holdout " + ", ".join(f"{k} {v}" for k, v in run.metrics.items()))
    print(f"targets: total < 120 s: {'met' if total < 120 else 'MISSED'} ({total:.1f} s); "
          f"item-CF < 5 s: {'met' if itemcf_seconds < 5 else 'MISSED'} ({itemcf_seconds:.2f} s)")


if __name__ == "__main__":
    main()
