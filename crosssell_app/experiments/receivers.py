"""The experiments' signal receivers, connected by :mod:`crosssell_app.receivers` in ``AppConfig.ready``."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

from ..signals import order_recorded, user_forgotten
from . import assignment
from .models import Arm, Experiment

request_started.connect(assignment.start_queueing_participants, dispatch_uid="crosssell_queue_participants")
request_finished.connect(assignment.write_pending_participants, dispatch_uid="crosssell_write_participants")
user_logged_in.connect(assignment.adopt_visitor_on_sign_in, dispatch_uid="crosssell_adopt_visitor")
user_forgotten.connect(assignment.forget_visitor, dispatch_uid="crosssell_forget_visitor")
order_recorded.connect(assignment.record_experiment_order, dispatch_uid="crosssell_experiment_order")
for model in (Experiment, Arm):
    post_save.connect(assignment.forget_running_experiments, sender=model,
                      dispatch_uid=f"crosssell_running_saved_{model.__name__}")
    post_delete.connect(assignment.forget_running_experiments, sender=model,
                        dispatch_uid=f"crosssell_running_deleted_{model.__name__}")
