"""WSGI entry point (gunicorn calmdesk.project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calmdesk.project.settings")
application = get_wsgi_application()
