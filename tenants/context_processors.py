from tenants.roles import Capability, has_capability


def tenant(request):
    """The current tenant, membership and the capabilities the templates show links for."""
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "can": {cap.value: has_capability(membership, cap) for cap in Capability},
    }
