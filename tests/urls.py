from django.contrib import admin
from django.urls import include, path

from tests.testapp.views import ItemDetailView, widget_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("items/<int:pk>/", ItemDetailView.as_view(), name="item"),
    path("items/<int:pk>/widgets/", widget_page),
    path("recommendations/", include("crosssell_app.urls")),
]
