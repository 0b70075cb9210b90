"""Admin pages of the history import: the runs (with their failed records) and the imported
records, filterable by crisis ("history" = a crisis signal found in old history, flagged
without an alert; docs/import.md).  Read-only: imports are made with ``calmdesk import``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from calmdesk.imports.models import ImportedRecord, ImportFailure, ImportRun


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ImportFailureInline(_ReadOnly, admin.TabularInline[ImportFailure, ImportRun]):
    model = ImportFailure
    fields = ["line", "key", "reason"]
    readonly_fields = ["line", "key", "reason"]
    extra = 0


@admin.register(ImportRun)
class ImportRunAdmin(_ReadOnly, admin.ModelAdmin[ImportRun]):
    list_display = [
        "file_name",
        "organization",
        "file_format",
        "state",
        "position",
        "total",
        "started_at",
        "finished_at",
    ]
    list_filter = ["state", "file_format", "organization"]
    readonly_fields = [
        "organization",
        "source",
        "file_format",
        "file_name",
        "file_sha256",
        "total",
        "position",
        "state",
        "counts",
        "error",
        "started_at",
        "updated_at",
        "finished_at",
    ]
    inlines = [ImportFailureInline]


@admin.register(ImportedRecord)
class ImportedRecordAdmin(_ReadOnly, admin.ModelAdmin[ImportedRecord]):
    list_display = ["key", "kind", "object_id", "crisis", "organization", "created_at"]
    list_filter = ["kind", "crisis", "organization"]
    search_fields = ["key"]
