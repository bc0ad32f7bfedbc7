"""Sending the app's Celery tasks by name, so the sender never imports the task's module.

The web process records orders and asks for retrains; the work runs on a worker, which imports
:mod:`crosssell_app.tasks` (and through it :mod:`crosssell_app.training`). Under
``task_always_eager`` (the embedded default: no broker) there is no worker, so the task runs
here, in-process, as Celery's eager mode promises; only then is the task's module imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from celery import current_app


def send_task(name: str, args: tuple = (), **options: Any):
    """Enqueue the task called ``name`` (``module.function``) and return its ``AsyncResult``."""
    app = current_app
    if app.conf.task_always_eager:
        import_module(name.rsplit(".", 1)[0])  # registers the task; only the eager (embedded) mode gets here
        return app.tasks[name].apply_async(args, **options)
    return app.send_task(name, args, **options)
