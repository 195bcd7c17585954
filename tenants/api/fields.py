from rest_framework import serializers


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key of a tenant-owned model, looked up inside the request's tenant scope.

    The queryset is built per request, never at import time (outside any scope, where
    django-scopes refuses it); an id of another tenant is "does not exist", a 400 naming the
    field.
    """

    def __init__(self, *, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.all()
