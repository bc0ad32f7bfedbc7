"""Admin pages: the tracked data read-only, merchandising rules editable."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import MerchandisingRule, Order, OrderLine, ProductView, WidgetEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Event logs are evidence: they can be browsed and filtered, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProductView)
class ProductViewAdmin(ReadOnlyAdmin):
    list_display = ("viewed_at", "product", "user", "source_widget")
    list_filter = ("source_widget", ("viewed_at", admin.DateFieldListFilter))
    date_hierarchy = "viewed_at"
    list_select_related = ("product", "user")
    raw_id_fields = ("product", "user")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("product", "quantity", "unit_price", "attributed_widget", "attributed_version")
    readonly_fields = fields
    raw_id_fields = ("product",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "ordered_at", "source", "user", "customer_ref", "line_count")
    list_filter = ("source", ("ordered_at", admin.DateFieldListFilter))
    search_fields = ("external_id", "customer_ref")
    date_hierarchy = "ordered_at"
    inlines = [OrderLineInline]
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_line_count=Count("lines")).select_related("user")

    @admin.display(description=_("lines"), ordering="_line_count")
    def line_count(self, obj):
        return obj._line_count


@admin.register(WidgetEvent)
class WidgetEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event", "widget", "source", "target", "version")
    list_filter = ("event", "widget")
    date_hierarchy = "created_at"
    raw_id_fields = ("source", "target", "user")


@admin.register(MerchandisingRule)
class MerchandisingRuleAdmin(admin.ModelAdmin):
    list_display = ("action", "kind", "source", "target", "position", "created_at")
    list_filter = ("action", "kind")
    raw_id_fields = ("source", "target")


# --- Training runs: list, live progress, "Retrain now" ------------------------------------------
from django.http import HttpResponseNotAllowed, JsonResponse  # noqa: E402
from django.shortcuts import get_object_or_404, redirect  # noqa: E402
from django.urls import path, reverse  # noqa: E402

from .models import TrainingRun  # noqa: E402


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    """Runs are records of what a worker did; the admin starts one and watches it, never edits it."""

    list_display = ("__str__", "status", "trigger", "requested_at", "current_step", "duration", "version", "hit_rate")
    list_filter = ("status", "trigger")
    date_hierarchy = "requested_at"
    readonly_fields = ("status", "trigger", "requested_by", "requested_at", "started_at", "finished_at",
                       "heartbeat_at", "task_id", "current_step", "version", "progress", "timings", "data_sizes",
                       "metrics", "error")
    change_list_template = "admin/crosssell_app/trainingrun/change_list.html"
    change_form_template = "admin/crosssell_app/trainingrun/change_form.html"

    def has_retrain_permission(self, request) -> bool:
        return request.user.has_perm("crosssell_app.add_trainingrun")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("retrain/", self.admin_site.admin_view(self.retrain_view), name="%s_%s_retrain" % info),
            path("<int:pk>/status/", self.admin_site.admin_view(self.status_view), name="%s_%s_status" % info),
            *super().get_urls(),
        ]

    def retrain_view(self, request):
        """Request a retrain (POST only) and go to its run page, where progress shows live."""
        from .retraining import request_retrain

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_retrain_permission(request):
            self.message_user(request, _("You may not start a retrain."), level="error")
            return redirect(reverse("admin:crosssell_app_trainingrun_changelist"))
        run = request_retrain(trigger=TrainingRun.Trigger.ADMIN, user=request.user)
        if run.status == TrainingRun.Status.COALESCED:
            target = run.progress.get("coalesced_into", run.pk)
            self.message_user(request, _("A retrain is already under way; showing it."), level="warning")
        else:
            target = run.pk
            self.message_user(request, _("Retrain queued."))
        return redirect(reverse("admin:crosssell_app_trainingrun_change", args=[target]))

    def status_view(self, request, pk: int):
        """Return the run's state as JSON for the run page's progress poller."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        run = get_object_or_404(TrainingRun, pk=pk)
        return JsonResponse(run_status(run))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_retrain": self.has_retrain_permission(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "status_url": reverse("admin:crosssell_app_trainingrun_status", args=[object_id]),
            "can_retrain": self.has_retrain_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("duration"))
    def duration(self, run: TrainingRun) -> str:
        if not (run.started_at and run.finished_at):
            return "—"
        return f"{(run.finished_at - run.started_at).total_seconds():.0f} s"

    @admin.display(description=_("HR@10"))
    def hit_rate(self, run: TrainingRun):
        return (run.metrics or {}).get("hr@10", "—")


def run_status(run: TrainingRun) -> dict:
    """Return what the progress page shows of a run, JSON-serialisable."""
    finished = run.status not in (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)
    return {
        "id": run.pk, "status": run.status, "status_display": str(run.get_status_display()),
        "finished": finished, "current_step": run.current_step, "version": run.version,
        "progress": run.progress, "timings": run.timings, "data_sizes": run.data_sizes,
        "metrics": run.metrics, "error": run.error,
        "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
    }


# --- widget report: click-through rate and attributed revenue per widget and version ----------
class WidgetEventReportAdmin(WidgetEventAdmin):
    """The widget event log, plus a report page linked from its changelist."""

    change_list_template = "admin/crosssell_app/widgetevent/change_list.html"

    def get_urls(self):
        from django.urls import path

        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="crosssell_app_widgetevent_report"), *super().get_urls()]

    def report_view(self, request):
        """Show impressions, clicks, click-through rate, attributed orders and revenue of the last days."""
        from datetime import timedelta

        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse
        from django.utils import timezone

        from .serving.attribution import widget_report

        if not self.has_view_permission(request):
            raise PermissionDenied
        raw_days = request.GET.get("days", "30")
        days = max(1, min(int(raw_days), 3650)) if raw_days.isdigit() else 30
        context = {
            **self.admin_site.each_context(request),
            "title": _("Widget report"),
            "opts": self.model._meta,
            "days": days,
            "rows": widget_report(since=timezone.now() - timedelta(days=days)),
        }
        return TemplateResponse(request, "admin/crosssell_app/widget_report.html", context)


admin.site.unregister(WidgetEvent)
admin.site.register(WidgetEvent, WidgetEventReportAdmin)
