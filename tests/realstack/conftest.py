"""A real Celery worker on Redis, sharing pytest-django's PostgreSQL test database.

``start_worker(**overrides)`` runs ``celery -A tests.celery_app worker`` in a subprocess (its own
process group, so a test can SIGKILL the whole worker) with ``tests.realstack.worker_settings``:
the broker is the ``redis_url`` fixture's, the database the test database pytest-django
created (tests use ``transactional_db`` so the worker sees their committed rows), and each
test gets its own queue so messages of another run never reach it. The test process sends
tasks through a fresh Celery app pointed at the same broker and queue.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from celery import Celery

from tests.conftest import IN_CI, require_service

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60


@pytest.fixture
def postgres(settings):
    """Skip (or fail in CI) unless the suite runs on PostgreSQL."""
    if settings.DB_KIND != "postgres":
        message = "Real-stack tests need PostgreSQL: run them with CROSSSELL_TEST_DB=postgres."
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    require_service("PostgreSQL", settings.POSTGRES_URL, 5432, "pg_ctlcluster 15 main start")


@pytest.fixture
def queue() -> str:
    return f"crosssell-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def producer(redis_url, queue):
    """Make the test process send tasks to Redis (not run them eagerly) for the test's duration."""
    from celery import _state

    previous = _state.get_current_app()
    app = Celery("crosssell_realstack_producer", set_as_current=True)
    app.conf.update(broker_url=redis_url, task_default_queue=queue, task_always_eager=False,
                    broker_connection_retry_on_startup=False)
    yield app
    app.close()
    previous.set_current()
    import redis

    redis.Redis.from_url(redis_url).delete(queue)  # what a killed worker left unconsumed


class Worker:
    """A ``celery worker`` subprocess and its log."""

    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as an OOM killer or power cut would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(postgres, transactional_db, redis_url, queue, producer, tmp_path, settings):
    """Return ``start(**overrides)``: start a worker with those ``CROSSSELL`` keys, wait until it is ready."""
    from django.db import connection

    workers: list[Worker] = []
    database = urlparse(settings.POSTGRES_URL)._replace(path="/" + connection.settings_dict["NAME"])

    def start(**overrides) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        name = f"{queue}-{len(workers)}@%h"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.realstack.worker_settings",
            "CROSSSELL_TEST_DB": "postgres",
            "CROSSSELL_TEST_POSTGRES_URL": urlunparse(database),
            "CELERY_BROKER_URL": redis_url,
            "CROSSSELL_TEST_QUEUE": queue,
            "CROSSSELL_TEST_OVERRIDES": json.dumps(overrides),
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker", "--loglevel=INFO",
                   "--pool=prefork", "--concurrency=2", "-Q", queue, "-n", name,
                   "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        worker = Worker(process, log)
        workers.append(worker)
        deadline = time.monotonic() + READY_TIMEOUT
        while " ready." not in worker.output():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                pytest.fail(f"The Celery worker did not start:\n{worker.output()[-3000:]}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, timeout: float, what: str, worker: Worker | None = None, interval: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value; fail with the worker's log on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    log = worker.output()[-4000:] if worker else ""
    pytest.fail(f"Timed out after {timeout}s waiting for {what}.\n{log}")


from tests.training.conftest import TINY, crosssell, shop  # noqa: F401  (the same small shop)
