"""Start, stop and promote: what the admin's buttons and the API call."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ActiveVersion, RecommendationVersion
from ..serving.attribution import WIDGETS
from ..signals import recommendations_published
from .models import Arm, Experiment


def start(experiment: Experiment) -> Experiment:
    """Start a draft experiment; raise ``ValidationError`` when it cannot run as set up.

    It needs two arms or more, every version arm a complete published version (or none: the
    active one), and no other running experiment on any of its widgets: a widget in two
    experiments would put each visitor in two arms at once.
    """
    with transaction.atomic():
        experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if experiment.status != Experiment.Status.DRAFT:
            raise ValidationError(_("Only a draft experiment can be started (this one is %(status)s).")
                                  % {"status": experiment.get_status_display()})
        experiment.full_clean()
        unknown = sorted(set(experiment.widgets) - WIDGETS)
        if unknown:
            raise ValidationError(_("No widget is called %(names)s; the widgets are %(widgets)s.")
                                  % {"names": ", ".join(unknown), "widgets": ", ".join(sorted(WIDGETS))})
        arms = list(experiment.arms.all())
        if len(arms) < 2:
            raise ValidationError(_("An experiment needs at least two arms."))
        for arm in arms:
            arm.full_clean()
            if arm.kind == Arm.Kind.VERSION and arm.version_id is not None and not RecommendationVersion.objects.filter(
                    pk=arm.version_id, complete=True).exists():
                raise ValidationError(_("Arm %(arm)s names version %(version)s, which is not a complete published "
                                        "version.") % {"arm": arm.name, "version": arm.version_id})
        for other in Experiment.objects.filter(status=Experiment.Status.RUNNING).exclude(pk=experiment.pk):
            if not experiment.widgets or not other.widgets or set(experiment.widgets) & set(other.widgets):
                raise ValidationError(_("Experiment %(other)s already runs on these widgets; stop it first.")
                                      % {"other": other.name})
        experiment.status, experiment.started_at = Experiment.Status.RUNNING, timezone.now()
        experiment.save(update_fields=["status", "started_at"])
    return experiment


def stop(experiment: Experiment) -> Experiment:
    """Stop a running experiment: every visitor sees the default widgets again; its figures stay."""
    updated = Experiment.objects.filter(pk=experiment.pk, status=Experiment.Status.RUNNING).update(
        status=Experiment.Status.STOPPED, stopped_at=timezone.now())
    experiment.refresh_from_db()
    if updated:
        Experiment.objects.get(pk=experiment.pk).save(update_fields=["status"])  # post_save: forget the running set
    return experiment


def promote(arm: Arm) -> str:
    """Make ``arm`` the experiment's winner, stop the experiment, and serve the arm to everyone; return what was done.

    A version arm's version becomes the active one (a single-row switch, as a retrain's). A
    configuration is the widgets' tag options, which live in the shop's templates: the message
    names them for the developer to copy. A winning control says the widget does not pay.
    """
    experiment = arm.experiment
    with transaction.atomic():
        if arm.kind == Arm.Kind.VERSION and arm.version_id is not None:
            if not RecommendationVersion.objects.filter(pk=arm.version_id, complete=True).exists():
                raise ValidationError(_("Version %(version)s is no longer published.") % {"version": arm.version_id})
            active = ActiveVersion.objects.lock()
            active.version_id, active.activated_at = arm.version_id, timezone.now()
            active.save(update_fields=["version", "activated_at"])
            version = arm.version_id
            transaction.on_commit(lambda: recommendations_published.send(sender=RecommendationVersion,
                                                                         version=version))
            done = _("Version %(version)s is now served to every visitor.") % {"version": version}
        elif arm.kind == Arm.Kind.CONFIGURATION:
            done = _("Set these options on the widgets' tags to keep the winning configuration: %(options)s.") % {
                "options": arm.options}
        elif arm.kind == Arm.Kind.CONTROL:
            done = _("No widget did best: consider removing the widgets this experiment covered.")
        else:
            done = _("The active version stays served.")
        Experiment.objects.filter(pk=experiment.pk).update(winner=arm)
    stop(experiment)
    return done
