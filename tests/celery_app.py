"""The Celery app of the test suite: the worker tests start ``celery -A tests.celery_app worker``.

Configured from the Django settings (``CELERY_*``), so the worker process reads the same
``tests.settings`` as pytest, with the broker and database given through the environment.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

app = Celery("crosssell_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["crosssell_app"])
