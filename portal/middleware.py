"""The API answers in JSON, whatever went wrong and wherever.

DRF renders its own errors, and the error handlers of portal/views.py answer JSON on /api/
paths; but with DEBUG on Django answers a 404 or an exception with its HTML debug page, before
any handler runs. This middleware replaces any HTML error answer on an /api/ path with the JSON
the handlers give.
"""

from django.http import JsonResponse
from rest_framework.response import Response

from portal.views import error_message


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path_info.startswith("/api/")
            and response.status_code >= 400
            and not isinstance(response, Response)  # DRF's own, JSON or the browsable API
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return JsonResponse(
                {"detail": error_message(response.status_code)}, status=response.status_code
            )
        return response
