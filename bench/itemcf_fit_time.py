"""Fit time of ItemCF (each weighting) and Hybrid on the whole cleaned Online Retail export.

Usage: ``python -m bench.itemcf_fit_time`` (median of three fits per weighting; the target is
under 5 seconds on 2 cores).
"""

from __future__ import annotations

import time

import numpy as np

from bench.data import load_online_retail
from crosssell_app.evaluation.splits import basket_matrix, item_index
from crosssell_app.recommenders import Hybrid, ItemCF


def main() -> None:
    lines = load_online_retail()
    matrix = basket_matrix(lines, item_index(lines))
    print("orders x items", matrix.shape, "lines", matrix.nnz)
    for similarity in ("cosine", "rp3beta", "bm25", "lift", "jaccard", "confidence"):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            ItemCF(similarity=similarity).fit(matrix)
            times.append(time.perf_counter() - start)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"ItemCF(similarity={similarity!r}) fit s: median {np.median(times):.2f} (runs {runs})")
    start = time.perf_counter()
    Hybrid().fit(matrix)
    print(f"Hybrid() fit s (no item table): {time.perf_counter() - start:.2f}")


if __name__ == "__main__":
    main()
