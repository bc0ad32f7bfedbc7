from django.contrib import admin

from .models import Category, Product, ShopOrder, ShopOrderLine


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "price", "in_stock")
    list_filter = ("category", "in_stock")
    search_fields = ("sku", "name")


class ShopOrderLineInline(admin.TabularInline):
    model = ShopOrderLine
    raw_id_fields = ("product",)
    extra = 0


@admin.register(ShopOrder)
class ShopOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "user", "created_at")
    inlines = [ShopOrderLineInline]
