"""URLs of the app. Include them under a prefix of your choice::

    path("recommendations/", include("crosssell_app.urls")),

Names live in the ``crosssell`` namespace (``crosssell:click``, ``crosssell:api:product-together``...).
"""

from django.urls import include, path

from . import views

app_name = "crosssell"

urlpatterns = [
    path("click/<slug:widget>/<str:target>/", views.click, name="click"),
    path("api/", include("crosssell_app.api.urls")),
]
