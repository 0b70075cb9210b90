"""Django admin for organization set-up.  Log tables are read-only; nothing there deletes.

Every save goes through ``actions.admin`` so it lands in the audit log.  Staff who are not
superusers see only their own organization.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from calmdesk.desk.actions.admin import do_admin_delete, do_admin_save
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    ApiToken,
    Attachment,
    AuditEntry,
    Case,
    Client,
    ContactPoint,
    Interaction,
    Membership,
    Organization,
    RootCause,
    Team,
    User,
)


class AuditedAdminMixin:
    """Saves and deletes through audited actions; staff see their organization only."""

    org_path: str = "organization"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        user = request.user
        if user.is_superuser:
            return qs
        org_id = getattr(user, "organization_id", None)
        if org_id is None:
            return qs.none()
        return qs.filter(**{self.org_path: org_id})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        org_id: int = getattr(request.user, "organization_id", None) or 0
        if not request.user.is_superuser:
            related = db_field.remote_field.model
            if related is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk=org_id)
            elif related is Team:
                kwargs["queryset"] = Team.objects.filter(organization_id=org_id)
            elif related is User:
                kwargs["queryset"] = User.objects.filter(organization_id=org_id)
            elif related is Client:
                kwargs["queryset"] = Client.objects.filter(organization_id=org_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        do_admin_save(
            request.user,  # type: ignore[arg-type]
            obj,
            change=change,
            changed_fields=list(form.changed_data),
            meta=RequestMeta.from_request(request),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_admin_delete(request.user, obj, meta=RequestMeta.from_request(request))  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formset: BaseInlineFormSet[Any, Any, Any],
        change: bool,
    ) -> None:
        instances = formset.save(commit=False)
        meta = RequestMeta.from_request(request)
        for obj in formset.deleted_objects:
            do_admin_delete(request.user, obj, meta=meta)  # type: ignore[arg-type]
        for obj in instances:
            do_admin_save(request.user, obj, change=obj.pk is not None, meta=meta)  # type: ignore[arg-type]
        formset.save_m2m()


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The log tables: view only (the database refuses changes anyway)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.org_path: getattr(request.user, "organization_id", None)})

    org_path = "organization"


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    org_path = "pk"
    list_display = ("name", "slug", "timezone", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 1
    fields = ("user", "role")


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "organization")
    list_filter = ("organization",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


class UserMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 1
    fields = ("team", "role")


@admin.register(User)
class DeskUserAdmin(AuditedAdminMixin, UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "email", "organization", "is_active", "is_staff")
    list_filter = ("organization", "is_active", "is_staff")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("calmdesk", {"fields": ("organization", "preferred_language", "timezone")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("calmdesk", {"fields": ("organization", "preferred_language")}),
    )
    inlines = [UserMembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    org_path = "team__organization"
    list_display = ("user", "team", "role", "created_at")
    list_filter = ("role", "team__organization")


class ContactPointInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ContactPoint
    extra = 1


@admin.register(Client)
class ClientAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "organization", "team", "preferred_language", "updated_at")
    list_filter = ("organization", "preferred_language")
    search_fields = ("name", "contact_points__value")
    inlines = [ContactPointInline]


@admin.register(RootCause)
class RootCauseAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "label", "organization")
    list_filter = ("organization",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        org_id = getattr(request.user, "organization_id", None)
        return qs.filter(models.Q(organization_id=org_id) | models.Q(organization__isnull=True))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.organization_id is None and not request.user.is_superuser:
            return False  # the shipped default taxonomy is changed by platform admins only
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("reference", "subject", "team", "status", "priority", "created_at")
    list_filter = ("status", "priority", "team__organization")
    search_fields = ("reference", "subject")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    org_path = "user__organization"
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ("case", "seq", "kind", "event_type", "author", "occurred_at")
    list_filter = ("kind",)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    org_path = "interaction__organization"
    list_display = ("id", "filename", "content_type", "size", "created_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "actor", "action", "object_type", "object_id")
    list_filter = ("action",)
