"""Retraining: from the shop's tracked history to a newly published version of every list.

The one entry point other parts of the app call is :func:`request_retrain` (admin button, REST
endpoint, beat schedule); ``crosssell_retrain --sync`` calls :func:`retrain_in_process`. This
package is the only code that imports the recommenders (see ``docs/architecture.md``).
"""

from __future__ import annotations

from .runs import reap_stale_runs, request_retrain


def retrain_in_process(*, trigger: str, user=None, on_step=None):
    """Retrain without a worker; see :func:`crosssell_app.training.service.retrain_in_process`."""
    from .service import retrain_in_process as run

    return run(trigger=trigger, user=user, on_step=on_step)


__all__ = ["reap_stale_runs", "request_retrain", "retrain_in_process"]
