"""URLs of the app. Include them under a prefix of your choice::

    path("recommendations/", include("crosssell_app.urls")),

Names live in the ``crosssell`` namespace (``crosssell:click``, ``crosssell:api:product-together``...).
The REST API (``api/``, namespace ``crosssell:api``) is there only when the ``api`` extra
(Django REST framework and drf-spectacular) is installed; the click redirect always is.
"""

from django.urls import include, path

from . import views
from .conf import api_installed

app_name = "crosssell"

urlpatterns = [
    path("click/<slug:widget>/<str:target>/", views.click, name="click"),
]
if api_installed():
    urlpatterns.append(path("api/", include("crosssell_app.api.urls")))
