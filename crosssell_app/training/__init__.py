"""Retraining: from the shop's tracked history to a newly published version of every list.

Runs on Celery workers (:mod:`crosssell_app.tasks`) and in ``crosssell_retrain --sync``
(:func:`retrain_in_process`). The web process never imports it: retrains are requested through
:mod:`crosssell_app.retraining`, which enqueues tasks by name. It is the part of the app a shop
runs that fits the recommenders; the import rules between the parts are in
``docs/architecture.md`` and checked by ``tests/test_import_boundaries.py``.
"""

from __future__ import annotations

def retrain_in_process(*, trigger: str, user=None, on_step=None):
    """Retrain without a worker; see :func:`crosssell_app.training.service.retrain_in_process`."""
    from .service import retrain_in_process as run

    return run(trigger=trigger, user=user, on_step=on_step)


__all__ = ["retrain_in_process"]
