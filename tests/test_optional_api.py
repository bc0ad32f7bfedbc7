"""The REST API is an optional extra: without Django REST framework the rest of the app still works.

Each case runs in a fresh interpreter, since a module once imported cannot be un-imported. Putting
``None`` in ``sys.modules`` makes ``import rest_framework`` fail as if the package were not
installed. The same script with the packages present is the control: it proves the script can
see the API, so its absence in the other case means something.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, sys

BLOCKED = ("rest_framework", "drf_spectacular")
if sys.argv[1] == "without-api":
    for name in BLOCKED:
        sys.modules[name] = None  # "import rest_framework" now raises ImportError

import django
from django.conf import settings

import tests.settings as base

values = {key: getattr(base, key) for key in dir(base) if key.isupper()}
values["INSTALLED_APPS"] = [app for app in base.INSTALLED_APPS if app not in BLOCKED]
values.pop("REST_FRAMEWORK")
settings.configure(**values)
django.setup()

from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.urls import get_resolver, reverse

import crosssell_app.admin, crosssell_app.apps, crosssell_app.checks  # noqa: E401,F401
import crosssell_app.templatetags.crosssell_tags  # noqa: F401
from tests.testapp.models import Item

call_command("check", fail_level="WARNING")
call_command("migrate", verbosity=0)
item = Item.objects.create(code="A1", title="Jumbo bag", cost=2)
click = reverse("crosssell:click", kwargs={"widget": "together", "target": item.pk})
response = Client().get(click)
rendered = Template("{% load crosssell_tags %}[{% frequently_bought_together item %}]").render(Context({"item": item}))
print(json.dumps({
    "click": click,
    "status": response.status_code,
    "location": response.headers.get("Location"),
    "rendered": rendered.strip(),
    "namespaces": sorted(get_resolver().namespace_dict["crosssell"][1].namespace_dict),
    "drf_loaded": [name for name in BLOCKED if sys.modules.get(name) is not None],
}))
"""


def _run(case: str) -> dict:
    # its own in-memory SQLite database, whatever the suite runs on: never the server's shared one
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CROSSSELL_TEST_DB": "sqlite"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, case], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def without_api() -> dict:
    return _run("without-api")


def test_without_the_api_extra_the_checks_pass_and_drf_is_never_imported(without_api):
    assert without_api["drf_loaded"] == []


def test_without_the_api_extra_the_click_url_reverses_and_redirects_to_the_product(without_api):
    assert without_api["click"].startswith("/recommendations/click/together/")
    assert without_api["status"] == 302
    assert without_api["location"].startswith("/items/") and without_api["location"].endswith("?cs=together")


def test_without_the_api_extra_the_tags_render(without_api):
    assert without_api["rendered"] == "[]"  # nothing published yet: the tag renders nothing, and no error


def test_without_the_api_extra_the_api_namespace_is_absent(without_api):
    assert "api" not in without_api["namespaces"]


def test_with_the_api_extra_the_same_urlconf_has_the_api():
    with_api = _run("with-api")
    assert "api" in with_api["namespaces"] and with_api["drf_loaded"] == ["rest_framework", "drf_spectacular"]
    assert with_api["status"] == 302
