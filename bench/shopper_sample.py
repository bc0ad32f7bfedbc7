"""Read the published lists as a shopper would: a seeded sample of products, their top-3 picks, labelled.

Offline hit rates cannot tell a better doormat from another colour of the same doormat; a reader
can. This script draws a seeded sample of products from the demo shop's catalogue, writes each
one's top-3 upgrades and top-3 bought-together picks (titles and prices) from the *active
published version* to a CSV, and summarises labelled CSVs as shares per label. Labels are put
in by a person reading each pair by the rules of ``docs/shopper_sample.md``; the same pair keeps
the same label in every file (``--labels`` copies labels of earlier files into a new one).

Run from the repository root against a demo database (it only reads)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crosssell_bench_serving \\
        python -m bench.shopper_sample draw bench/labels/shopper_sample_before.csv
    DATABASE_URL=... python -m bench.shopper_sample draw bench/labels/shopper_sample_after.csv \\
        --labels bench/labels/shopper_sample_before.csv
    python -m bench.shopper_sample summary bench/labels/shopper_sample_before.csv bench/labels/shopper_sample_after.csv
    # a SQLite demo database works too (``DEMO_VAR_DIR`` of a ``seed_demo`` + ``crosssell_retrain --sync``):
    DATABASE_URL=sqlite:////tmp/demo/demo.sqlite3 python -m bench.shopper_sample draw \
        bench/labels/shopper_sample_typed.csv --labels bench/labels/shopper_sample_*.csv

Products are identified by the adapter's ``code`` field (the SKU), so the same sample is drawn
from two databases loaded from the same export, whatever their primary keys.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
from collections import Counter
from pathlib import Path

SAMPLE_SIZE = 120
SEED = 15
TOP = 3
#: labels of each kind, in the order the summary shows them
LABELS = {
    "upgrade": ("step up", "related", "wrong"),
    "together": ("complement", "variant", "unrelated"),
}
COLUMNS = ("sample", "kind", "source_code", "source_title", "source_price", "rank", "target_code", "target_title",
           "target_price", "label")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
    import django

    django.setup()


def draw(size: int = SAMPLE_SIZE, seed: int = SEED) -> list[dict]:
    """Return the rows of the sample: each product's top-``TOP`` upgrades and bought-together picks."""
    from crosssell_app.models import ActiveVersion, Kind, Recommendation
    from crosssell_app.products import get_adapter

    adapter = get_adapter()
    code = adapter.fields.get("code") or "pk"
    products = {str(value): pk for pk, value in adapter.get_queryset().values_list("pk", code)}
    sample = random.Random(seed).sample(sorted(products), size)
    version = ActiveVersion.objects.current_id()
    rows = []
    for number, source_code in enumerate(sample, start=1):
        source = adapter.get_queryset().get(pk=products[source_code])
        for kind, name in ((Kind.UPGRADE, "upgrade"), (Kind.BOUGHT_TOGETHER, "together")):
            published = (Recommendation.objects.filter(version_id=version, kind=kind, source_id=source.pk,
                                                        rank__lte=TOP).select_related("target").order_by("rank"))
            for row in published:
                rows.append({
                    "sample": number, "kind": name, "source_code": source_code, "source_title": adapter.title(source),
                    "source_price": adapter.price(source), "rank": row.rank,
                    "target_code": _code(row.target, code), "target_title": adapter.title(row.target),
                    "target_price": adapter.price(row.target), "label": "",
                })
    return rows


def _code(product, field: str) -> str:
    value = product
    for part in field.split("__"):
        value = getattr(value, part)
    return str(value)


def read(path: Path) -> list[dict]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def known_labels(paths: list[Path]) -> dict[tuple[str, str, str], str]:
    """Return the labels of earlier files by ``(kind, source code, target code)``."""
    labels = {}
    for path in paths:
        for row in read(path):
            if row["label"]:
                labels[(row["kind"], row["source_code"], row["target_code"])] = row["label"]
    return labels


def summary(rows: list[dict]) -> dict[str, dict]:
    """Return per kind: products sampled with a list, pairs, and count and share of each label."""
    products = {row["sample"] for row in rows}
    result = {}
    for kind, labels in LABELS.items():
        pairs = [row for row in rows if row["kind"] == kind]
        counts = Counter(row["label"] for row in pairs)
        unknown = set(counts) - set(labels) - {""}
        if unknown:
            raise ValueError(f"unknown {kind} labels {sorted(unknown)}; the rules name {list(labels)}")
        result[kind] = {
            "products": len({row["sample"] for row in pairs}), "sampled": len(products), "pairs": len(pairs),
            "unlabelled": counts[""], **{label: counts[label] for label in labels},
        }
    return result


def markdown(named: dict[str, list[dict]]) -> str:
    """Return one markdown table per kind: a row per labelled file, shares of each label."""
    lines = []
    for kind, labels in LABELS.items():
        lines += [f"**{kind}** (top {TOP})", "",
                  "| lists | products with a list | pairs | " + " | ".join(labels) + " |",
                  "|---|---|---|" + "---|" * len(labels)]
        for name, rows in named.items():
            found = summary(rows)[kind]
            shares = [f"{found[label]} ({100 * found[label] / max(found['pairs'], 1):.0f} %)" for label in labels]
            lines.append(f"| {name} | {found['products']} | {found['pairs']} | " + " | ".join(shares) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    drawing = commands.add_parser("draw", help="write the sample's top-3 lists from DATABASE_URL to a CSV")
    drawing.add_argument("out", type=Path)
    drawing.add_argument("--size", type=int, default=SAMPLE_SIZE)
    drawing.add_argument("--seed", type=int, default=SEED)
    drawing.add_argument("--labels", type=Path, nargs="*", default=[], help="labelled CSVs whose labels to copy")
    summing = commands.add_parser("summary", help="print the shares of each label of labelled CSVs")
    summing.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "draw":
        _setup_django()
        rows = draw(args.size, args.seed)
        labels = known_labels(args.labels)
        for row in rows:
            row["label"] = labels.get((row["kind"], row["source_code"], row["target_code"]), "")
        write(args.out, rows)
        missing = sum(not row["label"] for row in rows)
        print(f"{len(rows)} pairs of {args.size} products written to {args.out}; {missing} still to label")
    else:
        print(markdown({path.stem: read(path) for path in args.files}))


if __name__ == "__main__":
    main(sys.argv[1:])
