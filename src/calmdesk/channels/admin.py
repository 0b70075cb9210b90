"""Admin pages of the channels app: mailboxes, the raw-message ledger with its quarantine,
a "reprocess" action and an upload form for raw .eml files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from calmdesk.channels.ingest import TooLarge, do_reprocess_raw, do_upload_raw
from calmdesk.channels.models import Mailbox, RawMessage
from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.request_meta import RequestMeta


class MailboxForm(forms.ModelForm[Mailbox]):
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "organization",
            "team",
            "name",
            "addresses",
            "imap_host",
            "imap_port",
            "imap_user",
            "imap_password",
            "imap_folder",
            "imap_ssl",
            "enabled",
        ]

    def clean_imap_password(self) -> str:
        value = str(self.cleaned_data.get("imap_password") or "")
        if not value and self.instance.pk:
            return str(self.instance.imap_password)
        return value


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ["name", "organization", "team", "imap_host", "enabled", "last_poll_at"]
    readonly_fields = ["last_poll_at", "last_poll_error"]
    actions = ["issue_inbound_token"]

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        write_audit(
            actor=request.user,  # type: ignore[arg-type]
            organization=obj.organization_id,
            action="channels.mailbox.save",
            obj=obj,
            data={"changed": sorted(form.changed_data)},
            meta=RequestMeta.from_request(request),
        )

    @admin.action(description=_("Issue a new HTTP inbound token (shown once)"))
    def issue_inbound_token(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset:
            token = mailbox.set_inbound_secret()
            write_audit(
                actor=request.user,  # type: ignore[arg-type]
                organization=mailbox.organization_id,
                action="channels.mailbox.token",
                obj=mailbox,
                meta=RequestMeta.from_request(request),
            )
            url = request.build_absolute_uri(reverse("channels:inbound", args=[token]))
            messages.warning(request, f"{mailbox.name}: POST raw MIME to {url}")


class UploadForm(forms.Form):
    mailbox = forms.ModelChoiceField(queryset=Mailbox.objects.all(), label=_("mailbox"))
    file = forms.FileField(label=_("raw .eml file"))


@admin.register(RawMessage)
class RawMessageAdmin(admin.ModelAdmin[RawMessage]):
    list_display = [
        "id",
        "received_at",
        "source",
        "mailbox",
        "state",
        "crisis_flagged",
        "spoof_flagged",
        "message_id",
        "error",
    ]
    list_filter = ["state", "source", "crisis_flagged", "spoof_flagged"]
    search_fields = ["message_id", "sha256"]
    actions = ["reprocess"]
    change_list_template = "admin/channels/rawmessage/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in RawMessage._meta.fields]

    @admin.action(description=_("Reprocess (run parsing again)"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[RawMessage]) -> None:
        meta = RequestMeta.from_request(request)
        for row in queryset.order_by("id"):
            after = do_reprocess_raw(request.user, row, meta=meta)  # type: ignore[arg-type]
            messages.info(request, f"#{row.pk}: {row.state} → {after.state} {after.error[:200]}")

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="channels_rawmessage_upload",
            )
        ]
        return own + super().get_urls()

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            try:
                row, created = do_upload_raw(
                    request.user,  # type: ignore[arg-type]
                    mailbox=form.cleaned_data["mailbox"],
                    data=data,
                    meta=RequestMeta.from_request(request),
                )
            except TooLarge as exc:
                form.add_error("file", str(exc))
            else:
                note = "" if created else " (already stored: not added twice)"
                messages.info(request, f"#{row.pk}: {row.state}{note} {row.error[:200]}")
                return HttpResponseRedirect(reverse("admin:channels_rawmessage_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Upload a raw email"),
        }
        return TemplateResponse(request, "admin/channels/rawmessage/upload.html", context)
