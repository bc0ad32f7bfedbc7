"""The CROSSSELL settings namespace, the product adapter and the system checks."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

import crosssell_app
from crosssell_app.adapters import ProductAdapter
from crosssell_app.checks import check_optional_packages, check_product_model, check_settings
from crosssell_app.conf import DEFAULTS, READERS, crosssell_settings
from crosssell_app.recommenders import MLP, Hybrid, Upgrade
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
        "price": 2.08, "available": False, "variant_group": "JB", "type": "",
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


def _all_checks():
    return check_product_model() + check_settings() + check_optional_packages()


def test_a_correctly_configured_host_passes_the_checks():
    assert _all_checks() == []
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
        messages = check_settings()
    assert _ids(messages) == ["crosssell_app.E004"]
    assert "CROSSSELL['PRODUCT_ADAPTER']: cannot import 'shop.adapters.Missing'" in messages[0].msg


def test_check_reports_a_missing_tensorflow_when_the_mlp_is_enabled(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorflow", None)  # as if it were not installed
    spec = {"neural": {"class": "crosssell_app.recommenders.MLP", "options": {}}, "upgrade": {"class": Upgrade}}
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": spec}):
        assert _ids(check_optional_packages()) == ["crosssell_app.E005"]
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": {"neural": {"class": MLP}}}):  # a class, not a path
        assert _ids(check_optional_packages()) == ["crosssell_app.E005"]


def test_tensorflow_installed_satisfies_the_mlp_check():
    pytest.importorskip("tensorflow")
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": {"neural": {"class": MLP}}}):
        assert check_optional_packages() == []


# ---------------------------------------------------------------------------- one place reads settings
def test_recommenders_give_their_classes_imported_whether_named_by_path_or_given():
    given = {"hybrid": {"class": "crosssell_app.recommenders.Hybrid", "options": {"factors": 2}},
             "upgrade": {"class": Upgrade, "kinds": ["upgrade"]}}
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": given}):
        assert crosssell_settings.RECOMMENDERS == {
            "hybrid": {"class": Hybrid, "options": {"factors": 2}, "kinds": None},
            "upgrade": {"class": Upgrade, "options": {}, "kinds": ("upgrade",)},
        }


def test_a_recommender_set_to_none_or_disabled_is_left_out_and_never_imported():
    given = {"hybrid": {"class": Hybrid}, "gone": None, "off": {"class": "nowhere.Nothing", "enabled": False}}
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": given}):
        assert list(crosssell_settings.RECOMMENDERS) == ["hybrid"]
        assert check_settings() == []


def test_a_recommender_class_that_does_not_import_is_an_error_naming_the_exact_key():
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": {"hybrid": {"class": "x.Y"}}}):
        with pytest.raises(ImproperlyConfigured, match=re.escape("CROSSSELL['RECOMMENDERS']['hybrid']['class']: "
                                                                 "cannot import 'x.Y': No module named 'x'")):
            crosssell_settings.RECOMMENDERS


def test_the_upgrade_price_band_is_read_as_a_pair_of_floats():
    assert crosssell_settings.UPGRADE_PRICE_BAND == (1.1, 3.0)
    with override_settings(CROSSSELL={**_host(), "UPGRADE_PRICE_BAND": [1, 2]}):
        assert crosssell_settings.UPGRADE_PRICE_BAND == (1.0, 2.0)


def test_the_api_classes_are_imported_by_the_settings():
    from rest_framework.permissions import AllowAny, IsAdminUser

    assert crosssell_settings.API_PERMISSION_CLASSES == [AllowAny]
    with override_settings(CROSSSELL={**_host(), "API_THROTTLE_CLASSES": [IsAdminUser]}):
        assert crosssell_settings.API_THROTTLE_CLASSES == [IsAdminUser]


def test_model_dir_is_a_path_or_none():
    assert crosssell_settings.MODEL_DIR is None
    with override_settings(CROSSSELL={**_host(), "MODEL_DIR": "/srv/models"}):
        assert crosssell_settings.MODEL_DIR == Path("/srv/models")


def test_every_setting_has_a_reader_and_every_default_reads_cleanly():
    assert list(READERS) == list(DEFAULTS)
    with override_settings(CROSSSELL={}):
        assert check_settings() == []


# ---------------------------------------------------------------------------- checks of malformed values
MALFORMED = [
    # (key, value, check id, words of the message)
    ("RECOMMENDERS", ["hybrid"], "E006", "expected a dict"),
    ("RECOMMENDERS", {"hybrid": "crosssell_app.recommenders.Hybrid"}, "E006", "expected a dict with a 'class'"),
    ("RECOMMENDERS", {"hybrid": Hybrid}, "E006", "expected a dict with a 'class'"),
    ("RECOMMENDERS", {"hybrid": {"options": {}}}, "E006", "has no 'class'"),
    ("RECOMMENDERS", {"hybrid": {}}, "E006", "has no 'class'"),
    ("RECOMMENDERS", {"hybrid": {"class": "nowhere.Hybrid"}}, "E006", "['hybrid']['class']: cannot import"),
    ("RECOMMENDERS", {"hybrid": {"class": "Hybrid"}}, "E006", "cannot import 'Hybrid'"),
    ("RECOMMENDERS", {"hybrid": {"class": 42}}, "E006", "expected a dotted path or a class"),
    ("RECOMMENDERS", {"hybrid": {"class": "os.path.join"}}, "E006", "not a class"),
    ("RECOMMENDERS", {"hybrid": {"class": Hybrid, "options": [2]}}, "E006", "['options']: expected a dict"),
    ("RECOMMENDERS", {"hybrid": {"class": Hybrid, "option": {}}}, "E006", "unknown keys ['option']"),
    ("RECOMMENDERS", {"hybrid": {"class": Hybrid, "kinds": "upgrade"}}, "E006", "['kinds']: expected a list"),
    ("RECOMMENDERS", {"hybrid": {"class": Hybrid, "enabled": "no"}}, "E006", "expected True or False"),
    ("RECOMMENDERS", {"my model": {"class": Hybrid}}, "E006", "letters, digits"),
    ("UPGRADE_PRICE_BAND", (3.0, 1.1), "E007", "low multiple must be below"),
    ("UPGRADE_PRICE_BAND", (1.5, 1.5), "E007", "low multiple must be below"),
    ("UPGRADE_PRICE_BAND", 1.5, "E007", "expected two numbers"),
    ("UPGRADE_PRICE_BAND", "1.1-3", "E007", "expected two numbers"),
    ("UPGRADE_PRICE_BAND", (1.1, 2, 3), "E007", "expected two numbers"),
    ("UPGRADE_PRICE_BAND", ("1.1", "3"), "E007", "expected a number"),
    ("UPGRADE_PRICE_BAND", (0, 3), "E007", "above 0"),
    ("UPGRADE_PRICE_BAND", (1.1, float("inf")), "E007", "expected a number"),
    ("UPGRADE_PRICE_BAND", (True, 3), "E007", "expected a number"),
    ("PRODUCT_ADAPTER", 42, "E004", "expected a dotted path or a class"),
    ("PRODUCT_ADAPTER", "crosssell_app.adapters", "E004", "is a module, not a class"),
    ("PRODUCT_ADAPTER", "crosssell_app.adapters.Missing", "E004", "cannot import"),
    ("API_PERMISSION_CLASSES", "rest_framework.permissions.AllowAny", "E008", "expected a list"),
    ("API_THROTTLE_CLASSES", ["nowhere.Throttle"], "E008", "['API_THROTTLE_CLASSES'][0]: cannot import"),
    ("PRODUCT_FIELDS", "name", "E009", "expected a dict of field names"),
    ("PRODUCT_FIELDS", {"title": ["title", "blurb"]}, "E009", "['title']: expected a field name or None"),
    ("PRODUCT_FIELDS", {"text": [1]}, "E009", "a list of them"),
    ("TOP_K", "20", "E009", "whole number"),
    ("TOP_K", 0, "E009", "at least 1"),
    ("MAX_LIMIT", 2.5, "E009", "whole number"),
    ("KEEP_VERSIONS", True, "E009", "whole number"),
    ("IMPRESSION_SAMPLE_RATE", 1.5, "E009", "at most 1"),
    ("CACHE_TIMEOUT", -1, "E009", "at least 0"),
    ("RETRAIN_STALE_AFTER", 0, "E009", "above 0"),
    ("REALTIME_UPDATES", "yes", "E009", "True or False"),
    ("MODEL_DIR", 5, "E009", "folder path or None"),
    ("MODEL_DIR", "", "E009", "folder path or None"),
    ("RETRAIN_SCHEDULE", {"minute": 99}, "E009", "not a crontab"),
    ("RETRAIN_SCHEDULE", {"minit": 3}, "E009", "not a crontab"),
    ("RETRAIN_SCHEDULE", "3:30", "E009", "crontab keywords"),
    ("CACHE_ALIAS", "nope", "E009", "not a cache"),
    ("WIDGET_PARAM", "", "E009", "non-empty string"),
    ("ADD_TO_CART_URL", 7, "E009", "string or None"),
    ("EXCLUDE_CATEGORIES", "Postage", "E009", "list of strings"),
]


@pytest.mark.parametrize("key, value, check_id, words", MALFORMED,
                         ids=[f"{key}={value!r}" for key, value, *_ in MALFORMED])
def test_a_malformed_setting_is_a_check_error_with_an_id_and_a_hint(key, value, check_id, words):
    with override_settings(CROSSSELL={**_host(), key: value}):
        messages = _all_checks()
        assert [(m.id, m.level) for m in messages] == [(f"crosssell_app.{check_id}", 40)]
        assert f"CROSSSELL[{key!r}]" in messages[0].msg and words in messages[0].msg
        assert messages[0].hint
        with pytest.raises(ImproperlyConfigured, match=re.escape(f"CROSSSELL[{key!r}]")):
            getattr(crosssell_settings, key)


def test_each_broken_recommender_is_reported_on_its_own():
    broken = {"a": {"class": "nowhere.A"}, "b": {"class": Hybrid}, "c": "Hybrid"}
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": broken}):
        messages = check_settings()
    assert [(m.id, m.msg.split(":")[0]) for m in messages] == [
        ("crosssell_app.E006", "CROSSSELL['RECOMMENDERS']['a']['class']"),
        ("crosssell_app.E006", "CROSSSELL['RECOMMENDERS']['c']"),
    ]


def test_a_recommender_given_as_a_class_passes_manage_py_check():
    with override_settings(CROSSSELL={**_host(), "RECOMMENDERS": {"hybrid": {"class": Hybrid}}}):
        call_command("check", "--fail-level", "WARNING")


def test_a_crosssell_setting_that_is_not_a_dict_is_one_error():
    with override_settings(CROSSSELL=["TOP_K", 20]):
        messages = _all_checks()
    assert [m.id for m in messages] == ["crosssell_app.E009"] and "CROSSSELL: expected a dict" in messages[0].msg


def test_an_unknown_key_is_a_warning_that_suggests_the_setting_meant():
    with override_settings(CROSSSELL={**_host(), "TOPK": 5}):
        messages = check_settings()
    assert [m.id for m in messages] == ["crosssell_app.W001"] and "'TOP_K'" in messages[0].hint


WEIRD_VALUES = [None, 0, -1, 1.5, True, "", "x", "x.Y", [], [1], ["x.Y"], (1,), {}, {"x": 1}, {"x": {"class": 1}},
                object, object(), Hybrid, float("nan")]


@pytest.mark.parametrize("key", list(DEFAULTS))
def test_the_checks_never_raise_whatever_a_setting_holds(key):
    for value in WEIRD_VALUES:
        with override_settings(CROSSSELL={**_host(), key: value}):
            for message in _all_checks():
                assert message.id.startswith("crosssell_app.") and message.hint, (key, value, message)


# ---------------------------------------------------------------------------- settings and docs agree
DOCS = Path(crosssell_app.__file__).parent.parent / "docs" / "settings.md"


def _documented_keys() -> set[str]:
    text = DOCS.read_text()
    table = text[text.index("## `CROSSSELL`"):text.index("`PRODUCT_FIELDS` defaults")]
    keys = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([A-Z_]+)`", line.split("|")[1]))
    return keys


def test_the_settings_reference_documents_exactly_the_settings():
    assert _documented_keys() == set(DEFAULTS)


def test_every_setting_is_read_outside_the_settings_module():
    """A setting nothing reads is a promise the app does not keep (``conf``/``checks`` only interpret them)."""
    package = Path(crosssell_app.__file__).parent
    sources = "\n".join(path.read_text() for path in package.rglob("*.py")
                        if path.name not in ("conf.py", "checks.py") and "migrations" not in path.parts)
    unread = [key for key in DEFAULTS if not re.search(rf"\b{key}\b", sources)]
    assert unread == []


def test_every_check_id_is_documented():
    package = Path(crosssell_app.__file__).parent
    ids = set(re.findall(r"crosssell_app\.[EW]\d{3}", (package / "checks.py").read_text()))
    assert ids and ids <= set(re.findall(r"crosssell_app\.[EW]\d{3}", DOCS.read_text()))


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_app_migration_names_no_shop():
    from pathlib import Path

    import crosssell_app

    for path in (Path(crosssell_app.__file__).parent / "migrations").glob("0*.py"):
        text = path.read_text()
        assert "'shop." not in text and "'testapp" not in text, path
