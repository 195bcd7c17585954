"""Helpers shared by the portal's forms."""


def submitted(request):
    """The form data of a POST (even an empty one, so its errors show), else None (unbound)."""
    return request.POST if request.method == "POST" else None


def submitted_files(request):
    return request.FILES if request.method == "POST" else None
