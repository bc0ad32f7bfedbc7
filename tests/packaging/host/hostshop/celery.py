"""The host's Celery app, set up as crosssell's README says; tasks run eagerly (no broker here)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostshop.settings")

app = Celery("hostshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
