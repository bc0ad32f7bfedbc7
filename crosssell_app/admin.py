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
    fields = ("product", "quantity", "unit_price", "attributed_widget", "attributed_version", "attributed_arm")
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
    list_display = ("created_at", "event", "widget", "source", "target", "version", "arm")
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


# --- experiments: arms, start and stop, the report with its chart, promoting the winner -------
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402

from .models import Arm, Experiment  # noqa: E402


class ArmInline(admin.TabularInline):
    model = Arm
    fields = ("name", "kind", "version", "options", "share")
    extra = 2
    min_num = 0

    def has_change_permission(self, request, obj=None):
        """Arms are fixed once the experiment starts: changing a share would move visitors between arms."""
        return super().has_change_permission(request, obj) and (obj is None or obj.status == Experiment.Status.DRAFT)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """Set up arms while a draft; start, stop, read the report and promote the winner."""

    list_display = ("name", "status", "widget_list", "started_at", "stopped_at", "winner", "report_link")
    list_filter = ("status",)
    fields = ("name", "widgets", "status", "started_at", "stopped_at", "winner")
    readonly_fields = ("status", "started_at", "stopped_at", "winner")
    inlines = [ArmInline]
    actions = ["start_experiments", "stop_experiments"]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:pk>/report/", self.admin_site.admin_view(self.report_view), name="%s_%s_report" % info),
            path("<int:pk>/promote/", self.admin_site.admin_view(self.promote_view), name="%s_%s_promote" % info),
            *super().get_urls(),
        ]

    @admin.display(description=_("widgets"))
    def widget_list(self, experiment: Experiment) -> str:
        return ", ".join(experiment.widgets) or _("all")

    @admin.display(description=_("report"))
    def report_link(self, experiment: Experiment):
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', reverse("admin:crosssell_app_experiment_report",
                                                          args=[experiment.pk]), _("Report"))

    @admin.action(description=_("Start the selected experiments"), permissions=["change"])
    def start_experiments(self, request, queryset):
        from .experiments import lifecycle

        for experiment in queryset:
            try:
                lifecycle.start(experiment)
            except ValidationError as error:
                self.message_user(request, f"{experiment}: {' '.join(error.messages)}", level="error")
            else:
                self.message_user(request, _("%(name)s started.") % {"name": experiment})

    @admin.action(description=_("Stop the selected experiments"), permissions=["change"])
    def stop_experiments(self, request, queryset):
        from .experiments import lifecycle

        for experiment in queryset.filter(status=Experiment.Status.RUNNING):
            lifecycle.stop(experiment)
            self.message_user(request, _("%(name)s stopped.") % {"name": experiment})

    def report_view(self, request, pk: int):
        """The experiment's report: a chart and a table per arm, the ratio check, and a promote button per arm."""
        from .experiments.chart import interval_chart
        from .experiments.report import experiment_report  # SciPy: loaded by the report alone

        if not self.has_view_permission(request):
            raise PermissionDenied
        experiment = get_object_or_404(Experiment, pk=pk)
        report = experiment_report(experiment)
        charts = [
            interval_chart(report["arms"], "conversion", _("Conversion (share of visitors who ordered)"), percent=True),
            interval_chart(report["arms"], "revenue_per_visitor", _("Revenue per visitor")),
            interval_chart(report["arms"], "ctr", _("Click-through (share of visitors who clicked)"), percent=True),
        ]
        context = {
            **self.admin_site.each_context(request), "title": _("Report: %(name)s") % {"name": experiment.name},
            "opts": self.opts, "experiment": experiment, "report": report, "charts": charts,
            "confidence_percent": f"{report['confidence'] * 100:g} %",
            "metrics": [label for _name, label, _percent in REPORT_METRICS],
            "rows": [{"arm": arm, "cells": [(_estimate_text(arm[name], percent),
                                            _estimate_text((arm["difference"] or {}).get(name), percent, signed=True))
                                           for name, _label, percent in REPORT_METRICS]}
                     for arm in report["arms"]],
            "can_promote": self.has_change_permission(request, experiment)
            and experiment.status != Experiment.Status.DRAFT and experiment.winner_id is None,
        }
        return TemplateResponse(request, "admin/crosssell_app/experiment/report.html", context)

    def promote_view(self, request, pk: int):
        """Promote the posted arm (POST only): its version is served to everyone and the experiment stops."""
        from .experiments import lifecycle

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        experiment = get_object_or_404(Experiment, pk=pk)
        if not self.has_change_permission(request, experiment):
            raise PermissionDenied
        arm = Arm.objects.filter(experiment=experiment, pk=request.POST.get("arm", "") or 0).first() \
            if str(request.POST.get("arm", "")).isdigit() else None
        if arm is None:
            self.message_user(request, _("Choose an arm of this experiment."), level="error")
        else:
            try:
                done = lifecycle.promote(arm)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), level="error")
            else:
                self.message_user(request, _("%(arm)s promoted. %(done)s") % {"arm": arm.name, "done": done})
        return redirect(reverse("admin:crosssell_app_experiment_report", args=[experiment.pk]))


#: the report table's columns: the report's key, the heading, whether it is a share (shown in %)
REPORT_METRICS = [("ctr", _("Click-through"), True), ("cart_add_rate", _("Added to cart"), True),
                  ("conversion", _("Conversion"), True), ("aov", _("Average order value"), False),
                  ("revenue_per_visitor", _("Revenue per visitor"), False)]


def _estimate_text(estimate: dict | None, percent: bool, *, signed: bool = False) -> str:
    """Return "4.30 % (3.10 to 5.60)" for an estimate of the report ("+1.20 pts (...)" for a difference of
    shares, in percentage points); "–" when there is none."""
    if not estimate or estimate.get("value") is None:
        return "–"
    scale, unit = (100, (" pts" if signed else " %")) if percent else (1, "")
    sign = "+" if signed else ""
    value = f"{estimate['value'] * scale:{sign},.2f}{unit}"
    if estimate.get("low") is None or estimate.get("high") is None:
        return value
    return f"{value} ({estimate['low'] * scale:{sign},.2f} to {estimate['high'] * scale:{sign},.2f})"
