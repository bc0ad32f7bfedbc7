"""Shared fixtures of the recommender tests: a small shop whose right answers are known."""

from __future__ import annotations

import pkgutil

import numpy as np
import pytest
import scipy.sparse as sp

#: items 0-3 are kitchen things bought together, 4-7 garden things bought together,
#: item 8 has a description but was never bought, item 9 has nothing at all
KITCHEN = [0, 1, 2, 3]
GARDEN = [4, 5, 6, 7]
COLD_WITH_TEXT = 8
COLD_BARE = 9
N_ITEMS = 10


@pytest.fixture(scope="session")
def two_clusters() -> sp.csr_matrix:
    """Baskets of 2-3 items drawn inside one cluster only (seeded), so complements are known."""
    rng = np.random.default_rng(7)
    rows = []
    for b in range(80):
        cluster = KITCHEN if b % 2 == 0 else GARDEN
        size = 2 + b % 2 + (b % 3 == 0)
        chosen = rng.choice(cluster, size=min(size, 4), replace=False)
        row = np.zeros(N_ITEMS, dtype=np.float32)
        row[chosen] = 1
        rows.append(row)
    return sp.csr_matrix(np.vstack(rows))


@pytest.fixture(scope="session")
def catalogue() -> dict[str, list]:
    """Item table aligned with the columns, with a missing price, empty text and missing category."""
    return {
        "text": [
            "red enamel mug",
            "red enamel teapot",
            "kitchen tea towel",
            "enamel milk jug",
            "garden hose reel",
            "garden spade",
            "hose nozzle",
            "garden gloves",
            "enamel mug blue",
            "",
        ],
        "category": ["kitchen"] * 4 + ["garden"] * 4 + ["kitchen", None],
        "price": [4.5, 12.0, 3.0, None, 20.0, 15.0, 6.0, 8.0, 4.5, None],
    }


def arrays_sized_like(path, sizes: set[int], exempt_memory_based: bool = True) -> list[str]:
    """Return the keys of a saved model's arrays that have an axis of one of ``sizes``.

    Why: a copy of the training matrix (or its transpose) has an axis as long as its rows. A
    sparse matrix is saved as parts, so its ``::csr_shape`` is read as its shape. Arrays of a
    model (or nested model) whose class declares ``keeps_rows`` are left out unless asked: a
    memory-based model's prediction needs the rows.
    """
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    exempt = [
        key.removesuffix("__class__")
        for key, value in arrays.items()
        if exempt_memory_based and key.endswith("__class__") and pkgutil.resolve_name(str(value)).keeps_rows
    ]
    found = []
    for key, value in arrays.items():
        if any(key.startswith(prefix) for prefix in exempt):
            continue
        shape = tuple(int(v) for v in value) if key.endswith("::csr_shape") else value.shape
        if sizes & set(shape):
            found.append(key)
    return found
