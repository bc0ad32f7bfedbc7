"""Turn tracked orders, views and the host's catalogue into the matrices recommenders learn from.

Everything is read with streamed ``values_list(...).iterator()`` queries (no model instances), so
half a million order lines cost a few arrays of integers, not half a million Python objects.
Columns of every matrix are the catalogue's products in one fixed order; the dataset keeps the
pk <-> index maps, and is saved to one ``.npz`` file so that fit tasks on other workers read the
very same snapshot instead of re-querying a database that keeps changing.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..adapters import ATTRIBUTES
from ..models import Order, OrderLine, ProductView
from ..products import get_adapter
from ..recommenders.base import binary_matrix

CHUNK = 5000
#: item attributes saved as text, and as numbers
TEXT_COLUMNS = ("title", "text", "category", "variant_group", "type")


@dataclass
class Dataset:
    """One snapshot of the shop's history as sparse matrices over a fixed product order.

    ``orders`` is orders x items (rows in time order, oldest first, as every recommender's ``fit``
    expects; ``order_times`` aligned, epoch seconds);
    ``customers`` is customers x items (a Django user or an imported customer reference each),
    ``customer_users`` the Django user id of each customer row or -1; ``views`` is visitors x
    items. ``order_last`` holds, per order row, the item of its last recorded line (the holdout
    hides it); ``order_customers`` its customer row, or -1 for an order without a customer.
    """

    product_pks: np.ndarray
    items: pd.DataFrame
    orders: sp.csr_matrix
    order_times: np.ndarray
    order_last: np.ndarray
    customers: sp.csr_matrix
    customer_users: np.ndarray
    views: sp.csr_matrix
    order_customers: np.ndarray | None = None
    _index: dict[Any, int] | None = field(default=None, repr=False)

    @property
    def n_items(self) -> int:
        return len(self.product_pks)

    def row_customers(self) -> np.ndarray:
        """Return each order row's customer row (-1: none), the ``customers`` input of a recommender's ``fit``.

        A dataset saved before the vector was kept gives -1 for every row (no customer known).
        """
        if self.order_customers is None:
            return np.full(self.orders.shape[0], -1, dtype=np.int64)
        return np.asarray(self.order_customers, dtype=np.int64)

    @property
    def index(self) -> dict[Any, int]:
        """Map product pk -> column index."""
        if self._index is None:
            self._index = {pk: i for i, pk in enumerate(self.product_pks.tolist())}
        return self._index

    def sizes(self) -> dict[str, int]:
        """Return the counts a training run records as its data sizes."""
        return {
            "products": self.n_items,
            "orders": int(self.orders.shape[0]),
            "order_lines": int(self.orders.nnz),
            "customers": int(self.customers.shape[0]),
            "users": int(np.count_nonzero(self.customer_users >= 0)),
            "views": int(self.views.sum()),
        }

    # ------------------------------------------------------------------ file round trip
    def save(self, path: str | os.PathLike) -> None:
        """Write the dataset to ``path`` with ``np.savez`` (strings as unicode arrays, no pickle)."""
        arrays: dict[str, np.ndarray] = {"product_pks": self.product_pks, "order_times": self.order_times,
                                         "order_last": self.order_last, "customer_users": self.customer_users}
        if self.order_customers is not None:
            arrays["order_customers"] = self.order_customers
        for name in ("orders", "customers", "views"):
            matrix = getattr(self, name)
            arrays.update({f"{name}.data": matrix.data, f"{name}.indices": matrix.indices,
                           f"{name}.indptr": matrix.indptr, f"{name}.shape": np.asarray(matrix.shape)})
        for column in self.items.columns:
            values = self.items[column].to_numpy()
            arrays[f"items.{column}"] = values.astype(str) if column in TEXT_COLUMNS else values.astype(np.float64)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Dataset:
        """Read a dataset written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            def matrix(name: str) -> sp.csr_matrix:
                return sp.csr_matrix((data[f"{name}.data"], data[f"{name}.indices"], data[f"{name}.indptr"]),
                                     shape=tuple(data[f"{name}.shape"]))

            items = pd.DataFrame({key[6:]: data[key] for key in data.files if key.startswith("items.")})
            if "available" in items:
                items["available"] = items["available"].astype(bool)
            return cls(product_pks=data["product_pks"], items=items, orders=matrix("orders"),
                       order_times=data["order_times"], order_last=data["order_last"],
                       customers=matrix("customers"), customer_users=data["customer_users"], views=matrix("views"),
                       order_customers=data["order_customers"] if "order_customers" in data.files else None)


def build_dataset() -> Dataset:
    """Read the catalogue (through the adapter), the orders and the views into a :class:`Dataset`."""
    product_pks, items = _catalogue()
    index = {pk: i for i, pk in enumerate(product_pks.tolist())}
    orders, times, last, customers, customer_users, order_customers = _orders(index)
    return Dataset(product_pks=product_pks, items=items, orders=orders, order_times=times, order_last=last,
                   customers=customers, customer_users=customer_users, views=_views(index),
                   order_customers=order_customers, _index=index)


def _catalogue() -> tuple[np.ndarray, pd.DataFrame]:
    """Return product pks (sorted, the column order) and the adapter's attributes aligned with them."""
    rows = sorted(get_adapter().catalogue(chunk_size=CHUNK), key=lambda row: row["pk"])
    pks = np.asarray([row["pk"] for row in rows])
    # .get: an adapter subclass written before the ``type`` attribute yields rows without it
    columns: dict[str, Any] = {name: [row.get(name, "") for row in rows] for name in ATTRIBUTES}
    columns["price"] = np.asarray([np.nan if p is None else float(p) for p in columns["price"]], dtype=np.float64)
    columns["available"] = np.asarray(columns["available"], dtype=bool)
    return pks, pd.DataFrame(columns)


def _orders(index: dict[Any, int]) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, sp.csr_matrix, np.ndarray,
                                            np.ndarray]:
    """Stream orders and their lines; return the order, customer and helper arrays."""
    order_row: dict[int, int] = {}
    times = array("d")
    customer_of_order = array("q")
    customer_key: dict[Any, int] = {}
    customer_users = array("q")
    query = Order.objects.order_by("ordered_at", "pk").values_list("pk", "ordered_at", "user_id", "customer_ref")
    for pk, ordered_at, user_id, customer_ref in query.iterator(chunk_size=CHUNK):
        order_row[pk] = len(times)
        times.append(ordered_at.timestamp())
        key = ("user", user_id) if user_id is not None else ("ref", customer_ref) if customer_ref else None
        if key is None:
            customer_of_order.append(-1)
            continue
        if key not in customer_key:
            customer_key[key] = len(customer_users)
            customer_users.append(user_id if user_id is not None else -1)
        customer_of_order.append(customer_key[key])
    rows, cols = array("q"), array("q")
    last = np.full(len(times), -1, dtype=np.int64)
    lines = OrderLine.objects.order_by("order_id", "pk").values_list("order_id", "product_id")
    for order_id, product_id in lines.iterator(chunk_size=CHUNK):
        column = index.get(product_id)
        row = order_row.get(order_id)
        if column is None or row is None:  # a product the adapter's queryset leaves out
            continue
        rows.append(row)
        cols.append(column)
        last[row] = column
    n_items = len(index)
    row_array, col_array = np.frombuffer(rows, dtype=np.int64), np.frombuffer(cols, dtype=np.int64)
    orders = binary_matrix(row_array, col_array, (len(times), n_items))
    owners = np.frombuffer(customer_of_order, dtype=np.int64)[row_array] if len(row_array) else row_array
    known = owners >= 0
    customers = binary_matrix(owners[known], col_array[known], (len(customer_users), n_items))
    return (orders, np.frombuffer(times, dtype=np.float64).copy(), last, customers,
            np.frombuffer(customer_users, dtype=np.int64).copy(),
            np.frombuffer(customer_of_order, dtype=np.int64).copy())


def _views(index: dict[Any, int]) -> sp.csr_matrix:
    """Return visitors x items view counts; a visitor is a user, else a session key."""
    visitor: dict[Any, int] = {}
    rows, cols = array("q"), array("q")
    query = ProductView.objects.values_list("product_id", "user_id", "session_key")
    for product_id, user_id, session_key in query.iterator(chunk_size=CHUNK):
        column = index.get(product_id)
        key = ("user", user_id) if user_id is not None else ("session", session_key) if session_key else None
        if column is None or key is None:
            continue
        rows.append(visitor.setdefault(key, len(visitor)))
        cols.append(column)
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (np.frombuffer(rows, dtype=np.int64),
                           np.frombuffer(cols, dtype=np.int64))), shape=(len(visitor), len(index)))
    matrix.sum_duplicates()
    return matrix


def co_purchase_counts(orders: sp.csr_matrix, sources: Iterable[int], targets: np.ndarray,
                       block: int = 512) -> np.ndarray:
    """Return, for each ``sources[r]`` and ``targets[r, c]``, the number of orders holding both.

    Computed a block of sources at a time (``block x n_items`` sparse products), so the full
    item x item co-occurrence matrix is never held. Padding targets (-1) count 0.
    """
    sources = np.asarray(list(sources), dtype=np.int64)
    counts = np.zeros(targets.shape, dtype=np.int64)
    by_item = orders.T.tocsr()
    for start in range(0, len(sources), block):
        rows = slice(start, start + block)
        co = (by_item[sources[rows]] @ orders).tocsr()
        wanted = targets[rows]
        valid = wanted >= 0
        r, c = np.nonzero(valid)
        if len(r):
            counts[rows][r, c] = np.asarray(co[r, wanted[r, c]]).ravel()
    return counts
