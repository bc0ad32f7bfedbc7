"""The shop's pages, and crosssell's URLs under ``recommendations/`` as its README shows."""

from django.urls import include, path

from shop import views

urlpatterns = [
    path("products/<int:pk>/", views.product_page, name="product"),
    path("recommendations/", include("crosssell_app.urls")),
]
