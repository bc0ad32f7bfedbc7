"""Celery tasks: thin wrappers that run the retrain steps of :mod:`crosssell_app.training` on workers.

``retrain`` prepares the dataset, then fans out one ``fit_part`` per recommender plus one for
the holdout evaluation (a Celery group: separate workers fit different models in parallel); the
part that finishes last enqueues ``publish``. Tasks take run ids, never matrices.

Every task is ``acks_late`` with ``reject_on_worker_lost``: a task whose worker dies is
redelivered. Redelivery is safe because the steps are idempotent (files are replaced
atomically) and the state checks on the run row let only one task publish. Transient database
errors (``OperationalError``, ``InterfaceError``) are retried with exponential backoff, the
claim of a queued run included (a worker that cannot reach the database when it picks the run up
tries again instead of leaving the run queued); any other error fails the run with its message
and leaves the served version alone.
"""

from __future__ import annotations

import logging
import random

from celery import group, shared_task
from django.db import InterfaceError, OperationalError

from . import retraining
from .training import runs, service

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
MAX_RETRIES = 5
TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "max_retries": MAX_RETRIES}


def retry_countdown(retries: int, jitter: float | None = None) -> float:
    """Return the seconds before retry number ``retries + 1``: 5, 10, 20... (at most 300), +/- 20%."""
    return min(300, 5 * 2 ** retries) * (random.uniform(0.8, 1.2) if jitter is None else jitter)


def _guarded(task, run_id: int, step):
    """Run ``step()``; retry transient database errors with backoff, fail the run on anything else."""
    try:
        return step()
    except service.RunEnded:
        logger.info("Run %s has ended; %s skipped.", run_id, task.name)
        return None
    except TRANSIENT as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=retry_countdown(task.request.retries))
        runs.fail(run_id, exc)
        raise
    except Exception as exc:
        runs.fail(run_id, exc)
        raise


@shared_task(**TASK_OPTIONS)
def retrain(self, run_id: int) -> None:
    """Start a queued run: snapshot the data, then fan the fitting out over the workers."""
    if not _guarded(self, run_id, lambda: runs.claim(run_id, retrying=self.request.retries > 0)):
        logger.info("Run %s is not queued (redelivered or already handled); nothing to do.", run_id)
        return

    def step() -> None:
        names = service.prepare(run_id)
        group(fit_part.signature((run_id, name), **retraining.time_limits()) for name in names).apply_async()

    _guarded(self, run_id, step)


@shared_task(**TASK_OPTIONS)
def fit_part(self, run_id: int, part: str) -> None:
    """Fit one recommender (or run the holdout evaluation); the last part to finish enqueues publish."""
    if _guarded(self, run_id, lambda: service.fit_part(run_id, part)):
        publish.apply_async((run_id,), **retraining.time_limits())


@shared_task(**TASK_OPTIONS)
def publish(self, run_id: int) -> None:
    """Write the new version, switch to it and mark the run succeeded."""
    if _guarded(self, run_id, lambda: service.publish(run_id)) is not None:
        runs.succeed(run_id)


@shared_task(ignore_result=True)
def scheduled_retrain() -> int:
    """Request the nightly retrain (coalesced if one is already under way)."""
    from .models import TrainingRun

    return retraining.request_retrain(trigger=TrainingRun.Trigger.SCHEDULE).pk


@shared_task(ignore_result=True)
def reap_stale_retrains() -> list[int]:
    """Fail runs whose worker died, so none stays "running" for ever."""
    return runs.reap_stale_runs()


@shared_task(ignore_result=True, acks_late=True)
def update_bought_together(order_id: int) -> None:
    """Fold a newly recorded order into the active bought-together lists (``REALTIME_UPDATES``)."""
    from .training.realtime import update_for_order

    update_for_order(order_id)


@shared_task(ignore_result=True, acks_late=True)
def publish_new_product(product_id) -> None:
    """Publish a product newer than the last retrain into the active lists (``REALTIME_UPDATES``)."""
    from .training.new_products import publish_product_lists

    publish_product_lists(product_id)
