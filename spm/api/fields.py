"""Serializer fields that only ever see the caller's tenant."""

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
        tenant = self.context["tenant"]
        return self.model.objects.filter(tenant=tenant)
