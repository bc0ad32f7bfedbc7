"""A forgotten user is served no personal picks at once, cached lists included."""

from __future__ import annotations

import time

import pytest

from crosssell_app.models import Kind
from crosssell_app.serving import lists
from crosssell_app.tracking.recording import forget_user
from tests.factories import ItemFactory, UserFactory
from tests.serving.published import publish

pytestmark = pytest.mark.django_db

FOR_YOU = "/recommendations/api/for-you/"


@pytest.fixture
def cached(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "crosssell-forget-tests"}}
    settings.CROSSSELL = {**settings.CROSSSELL, "CACHE_TIMEOUT": 300, "ACTIVE_VERSION_CACHE_TIMEOUT": 5}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alices_picks():
    """Alice has a personal list of two products; the trending list is a third one."""
    alice, mug, plate, cup = UserFactory(), ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.FOR_YOU, alice): [mug, plate]}, trending=[cup])
    return alice, [mug.pk, plate.pk, cup.pk], [cup.pk]


def _ids(api, user) -> list:
    api.force_authenticate(user)
    response = api.get(FOR_YOU)
    assert response.status_code == 200
    return [pick["id"] for pick in response.json()["results"]]


def test_a_forgotten_users_cached_picks_are_not_served_after_the_forget(
        api, cached, alices_picks, django_capture_on_commit_callbacks):
    alice, personal, trending = alices_picks
    assert _ids(api, alice) == personal  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        forget_user(alice)
    assert _ids(api, alice) == trending


def test_a_forget_made_in_another_process_reaches_this_ones_cache_within_the_active_version_timeout(
        api, cached, alices_picks, monkeypatch):
    """The command runs in its own process: this one hears no signal, but its cache keys name the latest forget."""
    alice, personal, trending = alices_picks
    assert _ids(api, alice) == personal
    forget_user(alice)  # its on-commit signal never reaches this process
    now = time.monotonic()
    monkeypatch.setattr(lists.time, "monotonic", lambda: now + 5.1)
    assert _ids(api, alice) == trending

