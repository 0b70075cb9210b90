from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "calmdesk.imports"
    label = "imports"
    verbose_name = _("History import")
    default_auto_field = "django.db.models.BigAutoField"
