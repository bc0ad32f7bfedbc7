"""What the OpenAPI schema says beyond the views' own serializers: error answers and product ids.

drf-spectacular documents the success answer of each operation; clients (and schemathesis) also
meet the errors, so each view lists the ones it gives with :func:`errors`. The two extensions
here are found by drf-spectacular once this module is imported (the views import it): a product
id is documented with the type of the host's primary key (an integer for the usual auto field),
and the API's NUL-safe Basic authentication as the Basic scheme it is.
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.authentication import BasicScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from ..products import get_product_model


class ErrorSerializer(serializers.Serializer):
    """DRF's error body: one message (authentication, permission, not found, media type, throttling)."""

    detail = serializers.CharField()


#: what each error status means here; 400 bodies name the fields at fault (DRF's validation errors)
#: or, for a body that is not JSON, hold a ``detail``, so they are documented as any object
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: field names mapped to their errors, "
                                                          "or a `detail` message for a body that cannot be read."),
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated or wrong credentials, when the first "
                                                      "authentication class sends a challenge (Basic does)."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed; or not authenticated, when the first "
                                                      "authentication class sends no challenge (session does)."),
    404: OpenApiResponse(ErrorSerializer, description="No such object."),
    415: OpenApiResponse(ErrorSerializer, description="The body's media type is not one the API reads."),
    429: OpenApiResponse(ErrorSerializer, description="Throttled (only with throttle classes configured)."),
}
#: every operation can meet these: bad credentials, a permission that refuses, a throttle
ANYONE = (401, 403, 429)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Return the documented error answers for ``statuses`` plus those any operation can give."""
    return {status: ERRORS[status] for status in sorted({*statuses, *ANYONE})}


class ProductIdFieldSchema(OpenApiSerializerFieldExtension):
    """Document :class:`~crosssell_app.api.fields.ProductIdField` with the type of the host's product key."""

    target_class = "crosssell_app.api.fields.ProductIdField"

    def map_serializer_field(self, auto_schema, direction):
        key = get_product_model()._meta.pk
        while key.is_relation:  # a product model inheriting from another: its key is a one-to-one link
            key = key.target_field
        if isinstance(key, models.UUIDField):
            return build_basic_type(OpenApiTypes.UUID)
        if isinstance(key, models.IntegerField):
            return build_basic_type(OpenApiTypes.INT)
        return build_basic_type(OpenApiTypes.STR)


class NulSafeBasicScheme(BasicScheme):
    """The API's Basic authentication is HTTP Basic (it only refuses NUL bytes earlier)."""

    target_class = "crosssell_app.api.authentication.NulSafeBasicAuthentication"
