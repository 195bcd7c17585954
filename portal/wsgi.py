import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from portal.checks import TAG, WEB_TAG, refuse_unsafe_production  # noqa: E402  (apps loaded)

refuse_unsafe_production(tags=(TAG, WEB_TAG))
