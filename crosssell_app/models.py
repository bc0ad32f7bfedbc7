"""What the app stores: tracked events, published recommendation lists, training runs, rules.

Products are the host's own model (``CROSSSELL_PRODUCT_MODEL``), referenced by real foreign keys
so training can join and the database keeps integrity. No IP address or other personal data is
stored: a visitor is a user foreign key or an opaque session key, an imported customer an opaque
reference, and deleting the user deletes their events and personal recommendations. A forget
leaves a :class:`Tombstone` (who, by id, and when), so that nothing read before it brings them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .products import get_product_model_label

PRODUCT_MODEL = get_product_model_label()


class ProductView(models.Model):
    """A shopper looked at a product page."""

    product = models.ForeignKey(PRODUCT_MODEL, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(_("session key"), max_length=40, blank=True, db_index=True)
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now, db_index=True)
    source_widget = models.CharField(
        _("widget that led here"), max_length=32, blank=True, help_text=_("Empty for a direct visit.")
    )

    class Meta:
        verbose_name = _("product view")
        verbose_name_plural = _("product views")
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"view of {self.product_id} at {self.viewed_at:%Y-%m-%d %H:%M}"


class Order(models.Model):
    """A completed order as the app knows it: the shop's order id and who placed it."""

    class Source(models.TextChoices):
        LIVE = "live", _("recorded by the shop")
        IMPORT = "import", _("imported history")
        API = "api", _("recorded through the API")

    external_id = models.CharField(
        _("shop order id"),
        max_length=64,
        unique=True,
        help_text=_("The shop's own order number; recording the same id twice counts it once."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(_("session key"), max_length=40, blank=True)
    customer_ref = models.CharField(
        _("customer reference"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Opaque customer id of imported history (never a name or an e-mail)."),
    )
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now, db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.LIVE)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at"]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    """One product of an order; a product appears once per order (quantities are summed)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(PRODUCT_MODEL, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    attributed_widget = models.CharField(
        _("attributed widget"),
        max_length=32,
        blank=True,
        help_text=_("The widget whose click led to this purchase, if any."),
    )
    attributed_version = models.PositiveIntegerField(null=True, blank=True)
    attributed_arm = models.ForeignKey("crosssell_app.Arm", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", help_text=_("The experiment arm the widget was shown in."))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="crosssell_line_once_per_order"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="crosssell_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class TrainingRun(models.Model):
    """One retrain: requested, run by a worker, and (on success) published as a version."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        COALESCED = "coalesced", _("merged into another run")

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("admin")
        COMMAND = "command", _("management command")
        SCHEDULE = "schedule", _("schedule")
        API = "api", _("API")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.COMMAND)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    current_step = models.CharField(max_length=64, blank=True)
    progress = models.JSONField(default=dict, blank=True, help_text=_("Per step: done and total."))
    timings = models.JSONField(default=dict, blank=True, help_text=_("Per step: seconds and peak memory."))
    data_sizes = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text=_("Offline metrics on a holdout."))
    error = models.TextField(blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("training run")
        verbose_name_plural = _("training runs")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"


class RecommendationVersion(models.Model):
    """A complete set of published lists. Lists are written first; activation comes last."""

    run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    complete = models.BooleanField(default=False)
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("recommendation version")
        verbose_name_plural = _("recommendation versions")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"version {self.pk}"


class ActiveVersionManager(models.Manager):
    def current_id(self) -> int | None:
        """Return the id of the version serving reads (one query), or None before the first publish."""
        return self.filter(pk=1).values_list("version_id", flat=True).first()

    def current_and_latest_forget(self) -> tuple[int | None, int | None]:
        """Return the served version's id and the latest :class:`Tombstone`'s id, in one query.

        Cached lists are keyed by both, so a forget makes them stale like a new version does.
        """
        latest = Tombstone.objects.order_by("-pk").values("pk")[:1]
        row = self.filter(pk=1).values_list("version_id", models.Subquery(latest)).first()
        return row if row is not None else (None, None)

    def lock(self) -> ActiveVersion:
        """Return the single row, created if missing, locked until the transaction ends.

        The lock serialises retrain requests and version switches (PostgreSQL; SQLite serialises
        writers anyway).
        """
        self.get_or_create(pk=1)
        return self.select_for_update().get(pk=1)


class ActiveVersion(models.Model):
    """The single row that says which version serving reads; switching it is one UPDATE."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.ForeignKey(RecommendationVersion, null=True, on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(default=timezone.now)

    objects = ActiveVersionManager()

    class Meta:
        verbose_name = _("active version")
        verbose_name_plural = _("active version")

    def __str__(self) -> str:
        return f"active: {self.version_id}"


class Kind(models.TextChoices):
    """What a published list is for; one table shape serves them all."""

    BOUGHT_TOGETHER = "together", _("frequently bought together")
    UPGRADE = "upgrade", _("upgrade to")
    SIMILAR = "similar", _("similar products")
    FOR_YOU = "for_you", _("recommended for you")
    TRENDING = "trending", _("trending")


class Recommendation(models.Model):
    """One row of a published top-K list: ``source`` (a product or a user) -> ``target`` at ``rank``."""

    version = models.ForeignKey(RecommendationVersion, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.ForeignKey(PRODUCT_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target = models.ForeignKey(PRODUCT_MODEL, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    explanation = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["version", "kind", "source", "user", "rank"]
        indexes = [
            models.Index(fields=["version", "kind", "source", "rank"], name="crosssell_rec_by_source"),
            models.Index(fields=["version", "kind", "user", "rank"], name="crosssell_rec_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id or self.user_id} -> {self.target_id} #{self.rank}"


class MerchandisingRule(models.Model):
    """A merchandiser's override: always show (pin) or never show (block) a target for a source."""

    class Action(models.TextChoices):
        PIN = "pin", _("pin")
        BLOCK = "block", _("block")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BOUGHT_TOGETHER)
    action = models.CharField(max_length=5, choices=Action.choices)
    source = models.ForeignKey(
        PRODUCT_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty to block the target everywhere."),
    )
    target = models.ForeignKey(PRODUCT_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=1, help_text=_("Where a pinned product goes (1 = first)."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pinned or blocked pair")
        verbose_name_plural = _("pinned and blocked pairs")
        constraints = [
            models.UniqueConstraint(fields=["kind", "source", "target"], name="crosssell_rule_once_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_id} for {self.source_id or 'all'} ({self.kind})"


class WidgetEvent(models.Model):
    """A widget was shown (sampled), clicked, or added to the cart from; clicks and adds feed attribution."""

    class Event(models.TextChoices):
        IMPRESSION = "impression", _("impression")
        CLICK = "click", _("click")
        ADD_TO_CART = "cart_add", _("added to cart")

    event = models.CharField(max_length=10, choices=Event.choices)
    widget = models.CharField(max_length=32)
    version = models.PositiveIntegerField(null=True, blank=True)
    arm = models.ForeignKey("crosssell_app.Arm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.ForeignKey(PRODUCT_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(PRODUCT_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("widget event")
        verbose_name_plural = _("widget events")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event", "target", "created_at"], name="crosssell_event_target")]

    def __str__(self) -> str:
        return f"{self.event} on {self.widget}"


class TombstoneQuerySet(models.QuerySet):
    def since(self, when: datetime | None) -> TombstoneQuerySet:
        """Return the forgets made at or after ``when`` (all of them for None)."""
        return self if when is None else self.filter(forgotten_at__gte=when)

    def user_ids(self) -> models.QuerySet:
        """Return the forgotten users' ids, as a subquery-ready ``values_list``."""
        return self.filter(user__isnull=False).values_list("user_id", flat=True)


def session_digest(session_key: str) -> str:
    """Return what a tombstone keeps of a session key: its SHA-256, never the key (a credential while it lives)."""
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""


class Tombstone(models.Model):
    """A forget: whom (a user id, a customer reference, a session's digest) and when; nothing else.

    Publishing drops the personal lists of users forgotten after the retrain read its data, and an
    order of a forgotten person dated before the forget is not recorded or imported again. The
    user reference has no database constraint, so it outlives the user it names.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")
    customer_ref = models.CharField(_("customer reference"), max_length=64, blank=True, db_index=True)
    session_digest = models.CharField(_("SHA-256 of the session key"), max_length=64, blank=True)
    forgotten_at = models.DateTimeField(_("forgotten at"), default=timezone.now, db_index=True)

    objects = TombstoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("forgotten person")
        verbose_name_plural = _("forgotten people")
        ordering = ["-forgotten_at"]

    def __str__(self) -> str:
        return f"forgotten at {self.forgotten_at:%Y-%m-%d %H:%M}"


# Many rows at once. History imports and published versions write hundreds of thousands of rows;
# building a model instance for each (``bulk_create``) costs more than the database work itself, so
# both go through one parameterised ``INSERT`` run with ``executemany``. Constraints still apply.
def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert ``rows`` (values in the order of ``columns``, database column names) into ``model``'s table."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


# The experiment tables live in their own module; imported here so Django finds them in this app.
from .experiments.models import Arm, Experiment, ExperimentOrder, ExperimentVisitor, Participant  # noqa: E402,F401
