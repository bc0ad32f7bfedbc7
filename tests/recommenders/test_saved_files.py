"""What a saved model file holds: its class by import path, a format version, and no training rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from crosssell_app.recommenders import Hybrid, ItemCF, Popularity, Recommender, UserCF
from crosssell_app.recommenders.base import FORMAT_VERSION, ModelFormatError, class_path, indicator_matrix
from crosssell_app.recommenders.upgrade import Upgrade

from .conftest import N_ITEMS, arrays_sized_like

ROOT = Path(__file__).resolve().parents[2]


def _arrays(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _rewrite(path, **changes) -> None:
    """Rewrite a saved file with some keys replaced (``None``: removed)."""
    arrays = _arrays(path)
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = np.asarray(value)
    np.savez(path, **arrays)


@pytest.fixture(scope="module")
def many_rows(two_clusters) -> sp.csr_matrix:
    """The test shop's baskets repeated to 211 rows: more than any per-item list of 10 items can hold."""
    matrix = sp.vstack([two_clusters, two_clusters, two_clusters[:51]], format="csr")
    assert matrix.shape[0] == 211 > N_ITEMS**2
    return matrix


def test_a_hybrid_without_the_session_knn_holds_no_rows_at_all(many_rows, catalogue, tmp_path):
    """The session-kNN is the blend's only memory-based part: with its weight at 0 no rows are saved."""
    Hybrid(neighbours=5, factors=2, usercf_weight=0.0).fit(many_rows, catalogue).save(tmp_path / "hybrid.npz")
    arrays = _arrays(tmp_path / "hybrid.npz")
    assert "usercf_::none" in arrays
    assert arrays_sized_like(tmp_path / "hybrid.npz", {many_rows.shape[0]}) == []


def test_only_the_session_knn_declares_that_it_keeps_the_rows(many_rows, tmp_path):
    assert UserCF.keeps_rows and not any(cls.keeps_rows for cls in (Hybrid, ItemCF, Popularity, Upgrade))
    UserCF(neighbours=5).fit(many_rows).save(tmp_path / "usercf.npz")
    # the control: the check of the other models would see these rows
    assert "rows_::csr_shape" in arrays_sized_like(tmp_path / "usercf.npz", {211}, exempt_memory_based=False)


def test_a_saved_upgrade_model_holds_no_orders_customers_or_views(tmp_path):
    """The up-sell model keeps per-item lists and counts, not who bought or viewed what."""
    rng = np.random.default_rng(0)
    n_orders, n_customers, n_sessions = 211, 101, 227
    orders = indicator_matrix([rng.choice(N_ITEMS, size=2, replace=False) for _ in range(n_orders)], N_ITEMS)
    customers = rng.permutation(np.arange(n_orders) % n_customers)  # each order's customer, every one buys
    views = indicator_matrix([rng.choice(N_ITEMS, size=2, replace=False) for _ in range(n_sessions)], N_ITEMS)
    items = {"text": [f"MUG {'LARGE ' * (i % 3)}{i % 4}" for i in range(N_ITEMS)], "price": np.linspace(1, 5, N_ITEMS)}
    model = Upgrade().fit(orders, items, customers=customers, views=views)
    assert model.upgrades_batch(range(N_ITEMS))[0].max() >= 0  # it learned lists
    model.save(tmp_path / "upgrade.npz")
    assert arrays_sized_like(tmp_path / "upgrade.npz", {n_orders, n_customers, n_sessions}) == []
    loaded = Upgrade.load(tmp_path / "upgrade.npz")
    np.testing.assert_array_equal(loaded.upgrades_batch(range(N_ITEMS))[0], model.upgrades_batch(range(N_ITEMS))[0])
    assert loaded.explain(0, 1) == model.explain(0, 1)


def test_a_file_names_every_class_by_import_path_and_carries_the_format_version(two_clusters, catalogue, tmp_path):
    Hybrid(neighbours=5).fit(two_clusters, catalogue).save(tmp_path / "hybrid.npz")
    arrays = _arrays(tmp_path / "hybrid.npz")
    assert int(arrays["__format__"]) == FORMAT_VERSION
    assert str(arrays["__class__"]) == "crosssell_app.recommenders.hybrid:Hybrid" == class_path(Hybrid)
    assert str(arrays["itemcf_/__class__"]) == "crosssell_app.recommenders.itemcf:ItemCF"


@pytest.mark.parametrize("version", [None, FORMAT_VERSION - 1, FORMAT_VERSION + 1])
def test_a_file_of_another_format_version_is_refused_saying_so(version, two_clusters, tmp_path):
    path = tmp_path / "popularity.npz"
    Popularity().fit(two_clusters).save(path)
    _rewrite(path, __format__=version)
    written = 1 if version is None else version  # files without a version are format 1
    with pytest.raises(ModelFormatError, match=f"format {written}.*reads format {FORMAT_VERSION}"):
        Popularity.load(path)


def test_loading_imports_the_class_by_its_path(tmp_path):
    """A fresh interpreter that never imported the model's module still loads it."""
    from tests.training.recommenders import CoCounts

    path = tmp_path / "cocounts.npz"
    CoCounts().fit(sp.csr_matrix(np.eye(3))).save(path)
    code = (
        "import sys; from crosssell_app.recommenders.base import Recommender; "
        "assert 'tests.training.recommenders' not in sys.modules; "
        f"m = Recommender.load({str(path)!r}); print(type(m).__module__, type(m).__qualname__, m.n_items_)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["tests.training.recommenders", "CoCounts", "3"]


def test_a_file_naming_something_else_than_a_recommender_is_refused(two_clusters, tmp_path):
    path = tmp_path / "popularity.npz"
    Popularity().fit(two_clusters).save(path)
    _rewrite(path, __class__="collections:OrderedDict")
    with pytest.raises(TypeError, match="not a Recommender"):
        Recommender.load(path)
    _rewrite(path, __class__="crosssell_app.recommenders.nowhere:Gone")
    with pytest.raises(ValueError, match="cannot import"):
        Recommender.load(path)


def test_a_class_that_cannot_be_imported_by_its_path_is_not_saved(two_clusters, tmp_path):
    class Local(Popularity):
        pass

    with pytest.raises(ValueError, match="cannot be imported"):
        Local().fit(two_clusters).save(tmp_path / "local.npz")
