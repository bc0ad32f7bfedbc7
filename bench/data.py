"""Where the benchmarks find the real data sets: ``../shared/data`` beside the checkout, or an
environment variable naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from crosssell_app.evaluation.order_export import load_order_export

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def online_retail_path() -> Path:
    """Return the Online Retail CSV: ``$CROSSSELL_ONLINE_RETAIL_CSV`` or the shared data folder's copy."""
    return Path(os.environ.get("CROSSSELL_ONLINE_RETAIL_CSV")
                or SHARED_DATA / "online_retail" / "online_retail.csv.gz")


def load_online_retail(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Return the cleaned sales lines of the Online Retail export (see :func:`load_order_export`)."""
    return load_order_export(path or online_retail_path())
