"""Serializer fields shared by the API's request bodies."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from ..serving.params import parse_product_pk


class ProductIdField(serializers.Field):
    """A product's primary key, checked against the host's pk field (not against the database).

    Its schema has the type of that pk field (:class:`crosssell_app.api.schema.ProductIdFieldSchema`).
    """

    def to_internal_value(self, data):
        try:
            return parse_product_pk(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)

    def to_representation(self, value):
        return getattr(value, "pk", value)
