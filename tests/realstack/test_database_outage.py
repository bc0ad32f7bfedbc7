"""A real worker that cannot reach PostgreSQL when it picks a retrain up.

The worker reaches the database through a small TCP relay the test can switch off: switched off,
it accepts a connection and closes it at once, as a database that is restarting does, so the
worker's ``psycopg`` raises the same ``OperationalError`` a real outage gives.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlparse

import pytest

from crosssell_app.models import TrainingRun
from crosssell_app.retraining import request_retrain

from .conftest import wait_for
from .test_retrain_worker import FIT_TIMEOUT, _ended, _worker_overrides

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = TrainingRun.Status


class Relay:
    """Forward TCP connections from a local port to ``target`` while ``reachable`` is set."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.reachable = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            if not self.reachable.is_set():
                client.close()
                continue
            server = socket.create_connection(self.target)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def database_relay(postgres, settings):
    """Point the workers this test starts at a relay to the test database (request it before ``start_worker``)."""
    real = urlparse(settings.POSTGRES_URL)
    relay = Relay((real.hostname or "127.0.0.1", real.port or 5432))
    credentials, at, _ = real.netloc.rpartition("@")
    settings.POSTGRES_URL = real._replace(netloc=f"{credentials}{at}127.0.0.1:{relay.port}").geturl()
    yield relay
    relay.close()


def test_a_worker_that_cannot_reach_the_database_claims_the_run_once_it_can(shop, database_relay, start_worker,
                                                                            tmp_path):
    """Before the fix the claim failed outside the retries: the run stayed queued and took in later requests."""
    worker = start_worker(**_worker_overrides(tmp_path))
    run = request_retrain(trigger=TrainingRun.Trigger.API)
    wait_for(lambda: "retry: Retry in" in worker.output(), 30, "the worker to retry the claim", worker)
    assert TrainingRun.objects.get(pk=run.pk).status == Status.QUEUED

    database_relay.reachable.set()
    finished = wait_for(lambda: _ended(run.pk), FIT_TIMEOUT, "the run to end", worker)
    assert finished.status == Status.SUCCEEDED, finished.error
