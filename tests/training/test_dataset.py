"""Building the training matrices from the tracked history."""

from __future__ import annotations

import numpy as np
import pytest

from crosssell_app.training.dataset import Dataset, build_dataset, co_purchase_counts
from tests.factories import ProductViewFactory

pytestmark = pytest.mark.django_db


def test_columns_follow_the_catalogue_and_rows_the_order_time(shop):
    data = build_dataset()
    items = shop["items"]
    assert data.product_pks.tolist() == sorted(item.pk for item in items)
    assert data.orders.shape == (8, len(items))
    first, last = data.orders[0].indices.tolist(), data.orders[7].indices.tolist()
    assert [data.product_pks[i] for i in first] == [items[0].pk, items[1].pk]
    assert sorted(data.product_pks[i] for i in last) == sorted([items[4].pk, items[5].pk, items[0].pk])
    assert np.all(np.diff(data.order_times) > 0)


def test_item_attributes_come_from_the_adapter(shop):
    data = build_dataset()
    row = data.index[shop["items"][6].pk]
    assert data.items.loc[row, "title"] == "Unsold thing"
    assert data.items.loc[row, "category"] == "Garden"
    assert data.items.loc[row, "price"] == 99.0
    assert bool(data.items.loc[row, "available"]) is True


def test_the_hosts_product_type_reaches_the_items_table_when_the_shop_names_one(shop, crosssell, settings):
    assert set(build_dataset().items["type"]) == {""}  # no type field: the recommenders infer it
    crosssell(PRODUCT_FIELDS={**settings.CROSSSELL["PRODUCT_FIELDS"], "type": "section__label"})
    data = build_dataset()
    assert data.items.loc[data.index[shop["items"][6].pk], "type"] == "Garden"


def test_customers_are_users_or_imported_references_and_only_users_get_an_id(shop):
    data = build_dataset()
    assert data.customers.shape[0] == 3  # alice, bob, C-17; anonymous orders have no customer
    users = sorted(u for u in data.customer_users.tolist() if u >= 0)
    assert users == sorted([shop["alice"].pk, shop["bob"].pk])
    assert data.customer_users.tolist().count(-1) == 1
    alice_row = data.customer_users.tolist().index(shop["alice"].pk)
    bought = {data.product_pks[i] for i in data.customers[alice_row].indices}
    assert bought == {shop["items"][i].pk for i in (0, 1, 2)}


def test_views_are_counted_per_visitor(shop):
    item = shop["items"][3]
    ProductViewFactory(product=item, session_key="s1")
    ProductViewFactory(product=item, session_key="s1")
    ProductViewFactory(product=item, user=shop["alice"])
    data = build_dataset()
    assert data.views.shape[0] == 2
    assert data.views[:, data.index[item.pk]].sum() == 3


def test_the_last_recorded_line_of_each_order_is_known_for_the_holdout(shop):
    data = build_dataset()
    assert data.product_pks[data.order_last[1]] == shop["items"][2].pk


def test_a_saved_dataset_loads_back_identical(shop, tmp_path):
    data = build_dataset()
    data.save(tmp_path / "d.npz")
    again = Dataset.load(tmp_path / "d.npz")
    assert (again.orders != data.orders).nnz == 0
    assert (again.customers != data.customers).nnz == 0
    assert again.product_pks.tolist() == data.product_pks.tolist()
    assert again.items["title"].tolist() == data.items["title"].tolist()
    assert again.items["available"].dtype == bool
    assert again.customer_users.tolist() == data.customer_users.tolist()


def test_co_purchase_counts_count_orders_holding_both_and_ignore_padding(shop):
    data = build_dataset()
    i = [data.index[item.pk] for item in shop["items"]]
    targets = np.array([[i[1], i[4], -1], [i[5], i[0], i[6]]])
    counts = co_purchase_counts(data.orders, [i[0], i[4]], targets, block=1)
    assert counts.tolist() == [[4, 1, 0], [3, 1, 0]]


def test_each_order_rows_customer_is_what_the_recommenders_are_fitted_with(shop):
    """``fit`` gets one customer per order row (time order), and pooling them gives the customers matrix."""
    from crosssell_app.recommenders.base import CUSTOMERS, customer_matrix
    from crosssell_app.training.service import fit_inputs

    data = build_dataset()
    customers = fit_inputs(data)[CUSTOMERS]
    assert customers.shape == (data.orders.shape[0],)
    assert np.count_nonzero(customers < 0) >= 1  # the anonymous order belongs to nobody
    assert (customer_matrix(data.orders, customers) != data.customers).nnz == 0


def test_a_dataset_saved_without_order_customers_fits_with_no_customer_known(shop):
    data = build_dataset()
    data.order_customers = None
    assert data.row_customers().tolist() == [-1] * data.orders.shape[0]
