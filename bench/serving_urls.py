"""The demo shop's URLs plus the baseline the serving benchmark compares the API with.

The baseline is the least a DRF endpoint that returns N products can do: one query
(``LIMIT N`` at an offset), the same fields serialized, the same default renderer and no
permission or throttle classes. It exists only here, never in the app.
"""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crosssell_app.products import get_adapter


class BaselineProductSerializer(serializers.Serializer):
    id = serializers.ReadOnlyField(source="pk")
    title = serializers.CharField(source="name")
    url = serializers.CharField(source="get_absolute_url")
    price = serializers.DecimalField(max_digits=None, decimal_places=None)


class BaselineProducts(APIView):
    permission_classes: list = []
    throttle_classes: list = []

    def get(self, request, offset: int):
        limit = int(request.query_params.get("limit", 10))
        products = get_adapter().get_queryset().order_by("pk")[offset:offset + limit]
        return Response({"version": None, "results": BaselineProductSerializer(products, many=True).data})


urlpatterns = [
    path("bench/baseline/<int:offset>/", BaselineProducts.as_view()),
    path("", include("demo_shop.urls")),
]
