from django.contrib import admin
from django.urls import include, path

# The shop owner's side: named for the shop, with "View site" back to the shop front.
admin.site.site_header = "Gift Shop admin"
admin.site.site_title = "Gift Shop admin"
admin.site.index_title = "Catalogue, orders and recommendations"
admin.site.site_url = "/"
admin.site.index_template = "shop/admin/index.html"  # the recommendation pages listed first

urlpatterns = [
    path("admin/", admin.site.urls),
    # Widget clicks (recorded, then redirected to the product) and the REST API.
    path("recommendations/", include("crosssell_app.urls")),
    path("", include("demo_shop.shop.urls")),
]
