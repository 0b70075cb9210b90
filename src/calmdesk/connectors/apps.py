from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "calmdesk.connectors"
    label = "connectors"
    verbose_name = _("Helpdesk connectors")
    default_auto_field = "django.db.models.BigAutoField"
