"""Seed the default root-cause taxonomy (organization = NULL: shared by every organization)."""

from django.db import migrations

DEFAULT_ROOT_CAUSES = [
    ("delay", "Delay"),
    ("expectation_gap", "Expectation gap"),
    ("defect", "Defect or quality problem"),
    ("billing", "Billing"),
    ("communication", "Communication or no response"),
    ("staff_conduct", "Staff conduct"),
    ("policy", "Policy or procedure"),
    ("runaround", "Runaround or transfers"),
    ("unclear_information", "Information unclear"),
    ("external", "External or personal"),
]


def seed(apps, schema_editor):
    RootCause = apps.get_model("desk", "RootCause")
    for code, label in DEFAULT_ROOT_CAUSES:
        RootCause.objects.get_or_create(organization=None, code=code, defaults={"label": label})


def unseed(apps, schema_editor):
    RootCause = apps.get_model("desk", "RootCause")
    RootCause.objects.filter(
        organization=None, code__in=[c for c, _ in DEFAULT_ROOT_CAUSES], cases__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("desk", "0002_append_only")]

    operations = [migrations.RunPython(seed, unseed)]
