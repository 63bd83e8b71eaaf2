"""Serializer fields that only ever see the caller's tenant."""

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key field over ``model`` limited to the tenant in the serializer context.

    A bare ``PrimaryKeyRelatedField`` over every row would let a caller link to another
    tenant's object; this one answers "does not exist" for it, like a missing id.
    """

    def __init__(self, *, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        # No tenant in the context is a programming error: fail rather than see every row.
        tenant = self.context["tenant"]
        return self.model.objects.filter(tenant=tenant)


class ScopedPrimaryKeyRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """Describes the field by its model's primary key (there is no queryset to inspect)."""

    target_class = ScopedPrimaryKeyRelatedField

    def map_serializer_field(self, auto_schema, direction):
        pk = self.target.model._meta.pk
        if isinstance(pk, models.IntegerField):  # Auto and big auto fields included.
            return build_basic_type(OpenApiTypes.INT)
        if isinstance(pk, models.UUIDField):
            return build_basic_type(OpenApiTypes.UUID)
        return build_basic_type(OpenApiTypes.STR)
