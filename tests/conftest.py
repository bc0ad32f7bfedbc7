"""Shared fixtures. A test that needs PostgreSQL or Redis fails under ``CI=true`` when the server
is missing, and elsewhere is skipped with a message that says what to start."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

from tests import celery_app  # noqa: F401  (tasks run eagerly, from the Django settings, unless a test sets a broker)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int, how_to_start: str) -> None:
    """Fail (in CI) or skip (elsewhere) when the server at ``url`` does not answer."""
    if _reachable(url, default_port):
        return
    message = f"{name} is not reachable at {url}. Start it: {how_to_start}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pytest_configure(config):
    from django.conf import settings

    if getattr(settings, "DB_KIND", "") == "postgres" and not _reachable(settings.POSTGRES_URL, 5432):
        message = (
            f"CROSSSELL_TEST_DB=postgres but PostgreSQL is not reachable at {settings.POSTGRES_URL}. "
            "Start it (pg_ctlcluster 15 main start) or set CROSSSELL_TEST_POSTGRES_URL."
        )
        if IN_CI:
            raise pytest.UsageError(message)
        config.issue_config_time_warning(pytest.PytestWarning(message), stacklevel=2)


@pytest.fixture(autouse=True)
def no_running_experiments():
    """Start each test knowing that no experiment runs (its database is empty).

    The process remembers the running experiments for ``EXPERIMENT_CACHE_TIMEOUT``; a test's
    experiment, rolled back with its database, must not stay remembered into the next test, and
    a widget's queries are counted without the read it makes once per that timeout. Saving an
    experiment or an arm makes the next widget read them again.
    """
    import math

    from crosssell_app.experiments import assignment

    assignment._running = assignment._Running((), math.inf)
    yield
    assignment.forget_running_experiments()


@pytest.fixture
def redis_url(settings) -> str:
    """The Redis server the real-stack tests use as Celery broker."""
    url = settings.REDIS_URL
    require_service("Redis", url, 6379, "redis-server --daemonize yes --port 6379")
    return url



def pytest_ignore_collect(collection_path, config):
    """Leave the demo shop's tests to their own run: ``pytest --ds=tests.demo.settings tests/demo``."""
    from django.conf import settings

    if settings.SETTINGS_MODULE.startswith("tests.demo"):
        return None
    return True if collection_path.relative_to(config.rootpath).parts[:2] == ("tests", "demo") else None
