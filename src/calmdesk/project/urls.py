"""Top-level URLs: the desk pages, the REST API under /api/v1/, the admin and language switching."""

from django.contrib import admin
from django.urls import include, path

from calmdesk.desk.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("channels/", include("calmdesk.channels.urls")),
    path("connectors/", include("calmdesk.connectors.urls")),
    path("training/", include("calmdesk.training.urls")),
    path("reports/", include("calmdesk.reports.urls")),
    path("", include("calmdesk.desk.urls")),
]
