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
