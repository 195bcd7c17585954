from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from tenants import access


class IsTenantMember(BasePermission):
    """Tenant routes are for the tenant's active members; anyone else is told 404, not 403.

    The default permission of every API view. Outside a tenant route it only asks for a login.
    """

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return True
        membership = access.active_membership(request.user, tenant)
        if membership is None:
            raise NotFound()
        request._request.membership = membership
        return True
