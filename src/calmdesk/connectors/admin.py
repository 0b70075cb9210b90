"""Admin pages of the connectors app: connector accounts (with "issue a new webhook URL"),
and the delivery ledger with its failures and a "reprocess" action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from calmdesk.connectors.ingest import do_reprocess_delivery
from calmdesk.connectors.models import ConnectorAccount, Delivery
from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.request_meta import RequestMeta

SECRET_FIELDS = ("api_token", "webhook_secret")


class ConnectorAccountForm(forms.ModelForm[ConnectorAccount]):
    base_url = forms.URLField(
        label=_("base URL"),
        max_length=300,
        assume_scheme="https",
        help_text=_("The helpdesk's address, e.g. https://example.zendesk.com"),
    )
    api_token = forms.CharField(
        label=_("API token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored value."),
    )
    webhook_secret = forms.CharField(
        label=_("webhook secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored value."),
    )

    class Meta:
        model = ConnectorAccount
        fields = [
            "organization",
            "team",
            "product",
            "name",
            "base_url",
            "api_user",
            "api_token",
            "webhook_secret",
            "external_account_id",
            "language",
            "allow_private_network",
            "enabled",
        ]

    def _keep(self, name: str) -> str:
        value = str(self.cleaned_data.get(name) or "")
        if not value and self.instance.pk:
            return str(getattr(self.instance, name))
        return value

    def clean_api_token(self) -> str:
        return self._keep("api_token")

    def clean_webhook_secret(self) -> str:
        return self._keep("webhook_secret")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, org = data.get("team"), data.get("organization")
        if team is not None and org is not None and team.organization_id != org.pk:
            self.add_error("team", _("The team belongs to another organization."))
        return data


@admin.register(ConnectorAccount)
class ConnectorAccountAdmin(admin.ModelAdmin[ConnectorAccount]):
    form = ConnectorAccountForm
    list_display = ["name", "product", "organization", "team", "base_url", "enabled"]
    list_filter = ["product", "enabled"]
    actions = ["issue_webhook_url"]

    def save_model(
        self, request: HttpRequest, obj: ConnectorAccount, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        write_audit(
            actor=request.user,  # type: ignore[arg-type]
            organization=obj.organization_id,
            action="connectors.account.save",
            obj=obj,
            data={"changed": sorted(form.changed_data)},
            meta=RequestMeta.from_request(request),
        )

    @admin.action(description=_("Issue a new webhook URL (shown once)"))
    def issue_webhook_url(self, request: HttpRequest, queryset: QuerySet[ConnectorAccount]) -> None:
        for account in queryset:
            token = account.set_receiver_token()
            write_audit(
                actor=request.user,  # type: ignore[arg-type]
                organization=account.organization_id,
                action="connectors.account.token",
                obj=account,
                meta=RequestMeta.from_request(request),
            )
            url = request.build_absolute_uri(
                reverse("connectors:receive", args=[account.product, token])
            )
            messages.warning(request, f"{account.name}: {url}")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = [
        "id",
        "received_at",
        "account",
        "event_type",
        "role",
        "ticket_id",
        "state",
        "crisis_flagged",
        "note_posted",
        "attempts",
        "error",
    ]
    list_filter = ["state", "crisis_flagged", "note_posted", "account__product"]
    search_fields = ["dedupe_key", "ticket_id", "sha256"]
    actions = ["reprocess"]
    exclude = ["body"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Delivery._meta.fields if f.name != "body"] + ["raw_body"]

    @admin.display(description=_("raw body"))
    def raw_body(self, obj: Delivery) -> str:
        return bytes(obj.body)[:20_000].decode("utf-8", "replace")

    @admin.action(description=_("Reprocess (read again, or post the note again)"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        meta = RequestMeta.from_request(request)
        for row in queryset.select_related("account").order_by("id"):
            before = row.state
            after = do_reprocess_delivery(request.user, row, meta=meta)  # type: ignore[arg-type]
            messages.info(request, f"#{row.pk}: {before} → {after.state} {after.error[:200]}")
