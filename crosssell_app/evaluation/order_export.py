"""Load an order export (the Online Retail column layout) into a clean pandas DataFrame.

Used by ``crosssell_evaluate``. It applies the same line rules as the ``crosssell_import_orders``
command (:mod:`crosssell_app.tracking.order_rows`), vectorised.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from crosssell_app.tracking.order_rows import DEFAULT_CANCELLATION_PREFIX, DEFAULT_PRODUCT_CODE_PATTERN


def load_order_export(path: str | os.PathLike) -> pd.DataFrame:
    """Return the sales lines of the export at ``path``, cleaned.

    Columns: ``order_id`` (str), ``code`` (str), ``description`` (str, stripped, may be empty),
    ``quantity`` (int), ``price`` (float, per unit), ``customer`` (str, empty when unknown),
    ``date`` (datetime64), ``country`` (str). Cancellations, returns, non-product codes and
    non-positive prices are dropped.
    """
    raw = pd.read_csv(
        Path(path),
        dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "CustomerID": str, "Country": str},
        parse_dates=["InvoiceDate"],
    )
    keep = (
        ~raw["InvoiceNo"].str.startswith(DEFAULT_CANCELLATION_PREFIX)
        & raw["StockCode"].str.match(DEFAULT_PRODUCT_CODE_PATTERN)
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    df = raw.loc[keep]
    return pd.DataFrame(
        {
            "order_id": df["InvoiceNo"].astype(str),
            "code": df["StockCode"].astype(str),
            "description": df["Description"].fillna("").str.strip(),
            "quantity": df["Quantity"].astype("int64"),
            "price": df["UnitPrice"].astype("float64"),
            "customer": df["CustomerID"].fillna(""),
            "date": df["InvoiceDate"],
            "country": df["Country"].fillna(""),
        }
    ).reset_index(drop=True)
