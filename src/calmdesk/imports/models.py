"""History import: the run ledger and the per-record keys that make imports idempotent.

``ImportRun``: one file (by its SHA-256) imported into one organization; ``position`` is the
number of records of that file already committed, so a crashed run continues from there.
``ImportedRecord``: one client, case or message that was imported, keyed by its source and
external id (``zendesk:ticket:4711``); a second import of the same record finds it and skips.
``ImportFailure``: a record that could not be imported (line number and reason); it is tried
again by the next run of the same file.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models import Organization


class RunState(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    ABORTED = "aborted", _("aborted")


class ImportRun(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    source = models.CharField(_("source"), max_length=40)
    file_format = models.CharField(_("format"), max_length=10)
    file_name = models.CharField(_("file name"), max_length=500)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    total = models.PositiveIntegerField(_("records in the file"), default=0)
    position = models.PositiveIntegerField(_("records committed"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.RUNNING
    )
    # The running totals: {"client": n, "case": n, "message": n, "duplicates": n,
    # "skipped": {reason: n}, "failed": n, "crisis_alerted": n, "crisis_history": n}.
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "file_sha256"], name="importrun_org_sha"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state}, {self.position}/{self.total})"


class RecordKind(models.TextChoices):
    CLIENT = "client", _("client")
    CASE = "case", _("case")
    MESSAGE = "message", _("message")


class ImportedRecord(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    # "<source>:<kind>:<external id>", e.g. "zendesk:message:98123" or "csv:case:C-17".
    key = models.CharField(_("key"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    object_id = models.BigIntegerField(_("object id"))
    run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("run")
    )
    # A crisis signal in an imported message: "alerted" (recent, the live path ran) or
    # "history" (older than the alert window: flagged, no alert).
    crisis = models.CharField(_("crisis"), max_length=10, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], name="importedrecord_unique_key"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "crisis"], name="importedrecord_crisis"),
        ]

    def __str__(self) -> str:
        return self.key


class ImportFailure(models.Model):
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="failures", verbose_name=_("run")
    )
    line = models.PositiveIntegerField(_("line"))
    key = models.CharField(_("key"), max_length=300, blank=True, default="")
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("import failure")
        verbose_name_plural = _("import failures")
        ordering = ["run_id", "line", "id"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason[:80]}"
