"""The CROSSSELL settings namespace, the product adapter and the system checks."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from crosssell_app.adapters import ProductAdapter
from crosssell_app.checks import check_adapter_and_optional_parts, check_product_model
from crosssell_app.conf import DEFAULTS, crosssell_settings
from crosssell_app.products import get_adapter, get_product_model
from tests.factories import ItemFactory, SectionFactory
from tests.testapp.models import Item


def test_a_setting_not_given_by_the_host_has_its_default():
    assert crosssell_settings.TOP_K == DEFAULTS["TOP_K"]


def test_override_settings_changes_a_setting_and_restores_it():
    with override_settings(CROSSSELL={"TOP_K": 7}):
        assert crosssell_settings.TOP_K == 7
    assert crosssell_settings.TOP_K == DEFAULTS["TOP_K"]


def test_product_fields_given_in_part_keep_the_other_defaults():
    with override_settings(CROSSSELL={"PRODUCT_FIELDS": {"title": "title"}}):
        fields = crosssell_settings.PRODUCT_FIELDS
    assert fields["title"] == "title" and fields["price"] == DEFAULTS["PRODUCT_FIELDS"]["price"]


def test_an_unknown_setting_name_is_an_error():
    with pytest.raises(AttributeError, match="Invalid crosssell setting"):
        crosssell_settings.NO_SUCH_THING


def test_the_product_model_is_the_hosts():
    assert get_product_model() is Item


@pytest.mark.parametrize("value, message", [
    (None, "is not set"), ("testapp", "form 'app_label.model_name'"), ("testapp.Nope", "not installed"),
])
def test_a_wrong_product_model_setting_is_a_clear_error(value, message):
    with override_settings(CROSSSELL_PRODUCT_MODEL=value):
        with pytest.raises(ImproperlyConfigured, match=message):
            get_product_model()


@pytest.mark.django_db
def test_the_default_adapter_reads_the_hosts_field_names():
    item = ItemFactory(title="Jumbo bag", blurb="Holds a lot", section=SectionFactory(label="Bags"),
                       cost=Decimal("2.08"), on_sale=False, family="JB")
    adapter = get_adapter()
    assert adapter.title(item) == "Jumbo bag"
    assert adapter.text(item) == "Jumbo bag Holds a lot"
    assert adapter.category(item) == "Bags"
    assert adapter.price(item) == Decimal("2.08")
    assert adapter.is_available(item) is False
    assert adapter.variant_group(item) == "JB"
    assert adapter.url(item) == f"/items/{item.pk}/"
    assert list(adapter.catalogue()) == [{
        "pk": item.pk, "title": "Jumbo bag", "text": "Jumbo bag Holds a lot", "category": "Bags",
        "price": 2.08, "available": False, "variant_group": "JB",
    }]


@pytest.mark.django_db
def test_a_product_without_price_or_category_reads_as_none_and_empty():
    item = ItemFactory(cost=None, section=None)
    adapter = get_adapter()
    assert (adapter.price(item), adapter.category(item)) == (None, "")
    assert next(adapter.catalogue())["price"] is None


class DiscountAdapter(ProductAdapter):
    def price(self, product):
        return super().price(product) * Decimal("0.5")


@pytest.mark.django_db
def test_a_shop_with_unusual_products_subclasses_the_adapter():
    item = ItemFactory(cost=Decimal("10"))
    with override_settings(CROSSSELL={**_host(), "PRODUCT_ADAPTER": f"{__name__}.DiscountAdapter"}):
        assert get_adapter().price(item) == Decimal("5")


def _host():
    from django.conf import settings

    return dict(settings.CROSSSELL)


def _ids(messages):
    return [m.id for m in messages]


def test_a_correctly_configured_host_passes_the_checks():
    assert check_product_model() == [] and check_adapter_and_optional_parts() == []
    call_command("check", "--fail-level", "WARNING")


def test_check_reports_an_unset_product_model():
    with override_settings(CROSSSELL_PRODUCT_MODEL=None):
        assert _ids(check_product_model()) == ["crosssell_app.E001"]


def test_check_reports_an_unknown_product_model():
    with override_settings(CROSSSELL_PRODUCT_MODEL="shop.Nothing"):
        assert _ids(check_product_model()) == ["crosssell_app.E002"]


def test_check_reports_a_field_the_product_model_lacks_with_a_hint():
    host = _host()
    with override_settings(CROSSSELL={**host, "PRODUCT_FIELDS": {**host["PRODUCT_FIELDS"], "price": "prix"}}):
        messages = check_product_model()
    assert _ids(messages) == ["crosssell_app.E003"]
    assert "prix" in messages[0].msg and "cost" in messages[0].hint


def test_check_reports_an_adapter_that_cannot_be_imported():
    with override_settings(CROSSSELL={**_host(), "PRODUCT_ADAPTER": "shop.adapters.Missing"}):
        assert _ids(check_adapter_and_optional_parts()) == ["crosssell_app.E004"]


def test_check_reports_a_missing_tensorflow_when_the_mlp_is_enabled(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    spec = {"neural": {"class": "crosssell_app.recommenders.MLP", "options": {}}}
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": spec}):
        assert _ids(check_adapter_and_optional_parts()) == ["crosssell_app.E005"]


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_app_migration_names_no_shop():
    from pathlib import Path

    import crosssell_app

    for path in (Path(crosssell_app.__file__).parent / "migrations").glob("0*.py"):
        text = path.read_text()
        assert "'shop." not in text and "'testapp" not in text, path
