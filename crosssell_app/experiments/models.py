"""The tables of an experiment: its arms, its participants (one row per visitor) and their orders.

A participant row is written once per visitor and experiment, when a widget of the experiment is
first rendered for them (after the response), and carries that visitor's counters: clicks and
add-to-cart events on the experiment's widgets, orders and revenue. The report reads these rows
alone, so it costs one query per arm, and each visitor counts once however many pages they see
(visitors, not page views, are the unit that was randomised).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_salt() -> str:
    return secrets.token_hex(8)


class Experiment(models.Model):
    """Two or more arms compared on the same widgets; visitors are split by a stable hash."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        RUNNING = "running", _("running")
        STOPPED = "stopped", _("stopped")

    name = models.CharField(_("name"), max_length=100)
    widgets = models.JSONField(
        _("widgets"), default=list, blank=True,
        help_text=_('Widgets it covers, e.g. ["together", "cart"]; empty: every widget.'))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    salt = models.CharField(
        _("assignment salt"), max_length=32, default=_new_salt,
        help_text=_("Mixed into the visitor hash, so each experiment splits visitors independently."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    winner = models.ForeignKey("crosssell_app.Arm", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("promoted arm"))

    class Meta:
        app_label = "crosssell_app"
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def covers(self, widget: str) -> bool:
        return not self.widgets or widget in self.widgets

    def clean(self) -> None:
        if not isinstance(self.widgets, list) or not all(isinstance(name, str) for name in self.widgets):
            raise ValidationError({"widgets": _('Give the widgets as a list of names, e.g. ["together", "cart"].')})


class Arm(models.Model):
    """One treatment of an experiment: a published version, a serving configuration, or no widget."""

    class Kind(models.TextChoices):
        CONTROL = "control", _("no widget (control)")
        VERSION = "version", _("published version")
        CONFIGURATION = "config", _("configuration")

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.VERSION)
    version = models.ForeignKey(
        "crosssell_app.RecommendationVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The published version this arm serves; empty: the active one."))
    options = models.JSONField(
        _("widget options"), default=dict, blank=True,
        help_text=_('A configuration arm\'s tag options, e.g. {"limit": 2, "cross_category": true}.'))
    share = models.PositiveIntegerField(
        _("share"), default=1,
        help_text=_("Relative weight: shares 1 and 1 split visitors evenly, 9 and 1 send 90 % to the first arm."))

    class Meta:
        app_label = "crosssell_app"
        verbose_name = _("arm")
        verbose_name_plural = _("arms")
        ordering = ["experiment", "pk"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="crosssell_arm_name_once")]

    def __str__(self) -> str:
        return f"{self.experiment} / {self.name}"

    @property
    def is_control(self) -> bool:
        return self.kind == self.Kind.CONTROL

    def clean(self) -> None:
        if self.share < 1:
            raise ValidationError({"share": _("A share must be at least 1.")})
        if self.kind != self.Kind.CONFIGURATION and self.options:
            raise ValidationError({"options": _("Only a configuration arm has widget options.")})
        if not isinstance(self.options, dict):
            raise ValidationError({"options": _("Give the options as a JSON object.")})
        unknown = sorted(set(self.options) - set(ARM_OPTIONS))
        if unknown:
            raise ValidationError({"options": _("Unknown options %(keys)s; an arm may set %(allowed)s.")
                                   % {"keys": unknown, "allowed": list(ARM_OPTIONS)}})


#: tag options a configuration arm may set (the widgets' own keyword arguments)
ARM_OPTIONS = ("limit", "category", "exclude_category", "min_price", "max_price", "cross_category")


class ExperimentVisitor(models.Model):
    """The assignment key a signed-in user keeps, so they stay in their arm on every device."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)

    class Meta:
        app_label = "crosssell_app"
        verbose_name = _("experiment visitor")
        verbose_name_plural = _("experiment visitors")

    def __str__(self) -> str:
        return f"visitor of user {self.user_id}"


class Participant(models.Model):
    """A visitor who was shown (or, in the control, not shown) an experiment's widgets, with their counters."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="participants")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="participants")
    visitor_key = models.CharField(max_length=64)
    first_seen = models.DateTimeField(default=timezone.now)
    clicks = models.PositiveIntegerField(default=0)
    cart_adds = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "crosssell_app"
        verbose_name = _("experiment participant")
        verbose_name_plural = _("experiment participants")
        constraints = [models.UniqueConstraint(fields=["experiment", "visitor_key"],
                                               name="crosssell_participant_once")]

    def __str__(self) -> str:
        return f"participant {self.pk} in {self.arm_id}"


class ExperimentOrder(models.Model):
    """An order placed by a participant after they were first exposed, with its value."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="orders")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("crosssell_app.Order", on_delete=models.CASCADE, related_name="+")
    revenue = models.DecimalField(max_digits=14, decimal_places=4)

    class Meta:
        app_label = "crosssell_app"
        verbose_name = _("experiment order")
        verbose_name_plural = _("experiment orders")
        constraints = [models.UniqueConstraint(fields=["participant", "order"], name="crosssell_exp_order_once")]

    def __str__(self) -> str:
        return f"order {self.order_id} in {self.arm_id}"
