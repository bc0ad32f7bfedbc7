"""Serializer fields shared by the API's request bodies."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..serving.params import parse_product_pk


@extend_schema_field(OpenApiTypes.STR)
class ProductIdField(serializers.Field):
    """A product's primary key, checked against the host's pk field (not against the database)."""

    def to_internal_value(self, data):
        try:
            return parse_product_pk(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)

    def to_representation(self, value):
        return getattr(value, "pk", value)
