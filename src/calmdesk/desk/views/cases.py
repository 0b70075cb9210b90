"""The case page: timeline of every interaction with emotion chips, the analysis card, the
crisis banner, the composer, note logging and the editable expectation record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from calmdesk.desk.actions.cases import do_set_expectation
from calmdesk.desk.actions.interactions import do_add_note
from calmdesk.desk.lib.access import access_case_by_id, cases_writable_by
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    Attachment,
    Case,
    Channel,
    Interaction,
    Kind,
    RequestStatus,
    Status,
    Team,
    User,
)
from calmdesk.desk.views._common import (
    LANGUAGE_BADGES,
    LANGUAGE_NAMES,
    NOTE_FIELD_LABELS,
    display_name,
    render_page,
    root_cause_label,
    short_text_area,
    user_timezone,
)
from calmdesk.desk.views._timeline_html import render_entry
from calmdesk.desk.views.insight import (
    MessageView,
    analysis_card,
    crisis_banner,
    message_view,
)


@dataclass
class TimelineEntry:
    interaction: Interaction
    css: str
    label: str
    author: str
    description: str = ""
    badge: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    view: MessageView | None = None
    channel: str = ""
    files: list[Attachment] = field(default_factory=list)

    @property
    def html(self) -> SafeString:
        """The entry's ``<li>``, built in Python (every text escaped; see _timeline_html)."""
        return render_entry(self)


_KIND_CSS = {
    Kind.INBOUND: "inbound",
    Kind.OUTBOUND: "outbound",
    Kind.CALL_NOTE: "note",
    Kind.MEETING_NOTE: "note",
    Kind.INTERNAL_NOTE: "internal",
    Kind.SYSTEM_EVENT: "event",
}


def _describe_event(item: Interaction, teams: dict[int, str], users: dict[int, str]) -> str:
    data: dict[str, Any] = item.data or {}
    statuses = dict(Status.choices)
    kind = item.event_type
    if kind == "created":
        return _("Case opened")
    if kind in ("status", "escalation", "reopen"):
        return _("Status: %(old)s → %(new)s") % {
            "old": statuses.get(data.get("from", ""), data.get("from", "")),
            "new": statuses.get(data.get("to", ""), data.get("to", "")),
        }
    if kind == "assignment":
        target = data.get("to")
        if target is None:
            return _("Unassigned")
        return _("Assigned to %(name)s") % {"name": users.get(target, "?")}
    if kind == "transfer":
        return _("Transferred from %(old)s to %(new)s") % {
            "old": teams.get(data.get("from", 0), "?"),
            "new": teams.get(data.get("to", 0), "?"),
        }
    if kind == "expectation":
        return _("Expectation record updated")
    if kind == "root_cause":
        return _("Root cause set")
    if kind == "shared":
        return _("Shared with mentor %(name)s") % {"name": users.get(data.get("mentor", 0), "?")}
    if kind == "correction":
        return _("Correction of entry #%(seq)s") % {"seq": data.get("corrected_seq", "?")}
    if kind == "update":
        return _("Case details changed")
    workflow = {
        "crisis": _("Crisis signal: incident record opened"),
        "crisis_step": _("Crisis protocol step recorded"),
        "crisis_completed": _("Crisis incident record completed"),
        "followup": _("Promise added"),
        "followup_closed": _("Promise closed"),
        "backup_request": _("Backup or approval requested"),
        "backup_climb": _("Request moved up to the next level"),
        "backup_answer": _("Request for backup answered"),
        "satisfaction": _("Satisfaction check"),
        "survey": _("Satisfaction check"),
        "rating": _("Satisfaction check"),
    }
    if kind == "approval":
        decision = dict(RequestStatus.choices).get(data.get("decision", ""), "")
        return _("Supervisor decision: %(decision)s") % {"decision": decision}
    return workflow.get(kind, kind)


# The case page shows the latest TIMELINE_PAGE entries; "show earlier" loads the page before
# the oldest one shown (keyset pagination by seq) through htmx.  50 keeps the page's server time
# within issue 5's budget (benchmarks/bench_web.py) next to the workflow panels.
TIMELINE_PAGE = 50


@dataclass
class Timeline:
    entries: list[TimelineEntry]
    earlier_seq: int | None  # the oldest seq shown when earlier entries exist, else None


def build_timeline(case: Case, *, before: int | None = None, limit: int | None = None) -> Timeline:
    """One page of the timeline: the ``limit`` entries before seq ``before`` (the latest when
    None), oldest first; every client message shown gets its emotion chips and evidence."""
    limit = limit or TIMELINE_PAGE
    rows = case.interactions.select_related("author").prefetch_related(
        Prefetch("attachments", to_attr="files")
    )
    if before is not None:
        rows = rows.filter(seq__lt=before)
    interactions = list(rows.order_by("-seq")[: limit + 1])
    more = len(interactions) > limit
    interactions = interactions[:limit]
    interactions.reverse()
    teams: dict[int, str] = {}
    users: dict[int, str] = {}
    if any(i.kind == Kind.SYSTEM_EVENT for i in interactions):
        teams = dict(
            Team.objects.filter(organization_id=case.organization_id).values_list("id", "name")
        )
        users = {
            u.pk: display_name(u) for u in User.objects.filter(organization_id=case.organization_id)
        }
    labels = {value: str(label) for value, label in Kind.choices}  # translated once a page
    channels = {value: str(label) for value, label in Channel.choices}
    entries = []
    for item in interactions:
        if item.author is not None:
            author = display_name(item.author)
        elif item.kind == Kind.INBOUND:
            author = case.client.name
        else:
            author = _("System")
        entry = TimelineEntry(
            interaction=item,
            css=_KIND_CSS.get(Kind(item.kind), "event"),
            label=labels.get(item.kind, item.kind),
            author=author,
            badge=LANGUAGE_BADGES.get(item.language, ""),
            channel=channels.get(item.channel, item.channel),
            files=list(getattr(item, "files", [])),
        )
        if item.kind == Kind.INBOUND and item.text:
            entry.view = message_view(item)
        if item.kind == Kind.SYSTEM_EVENT:
            entry.description = _describe_event(item, teams, users)
        else:
            entry.fields = [
                (str(NOTE_FIELD_LABELS[key]), str(value))
                for key, value in (item.data or {}).items()
                if key in NOTE_FIELD_LABELS and value
            ]
        entries.append(entry)
    earlier = interactions[0].seq if more and interactions else None
    return Timeline(entries, earlier)


NOTE_KIND_CHOICES = [
    (Kind.CALL_NOTE, gettext_lazy("Phone call")),
    (Kind.MEETING_NOTE, gettext_lazy("In-person meeting")),
    (Kind.INTERNAL_NOTE, gettext_lazy("Internal note")),
]


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=NOTE_KIND_CHOICES)
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    text = forms.CharField(
        label=gettext_lazy("What was said"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    expected = forms.CharField(
        label=gettext_lazy("What the client expected"), required=False, max_length=2000
    )
    received = forms.CharField(
        label=gettext_lazy("What the client received"), required=False, max_length=2000
    )
    agreed = forms.CharField(label=gettext_lazy("What was agreed"), required=False, max_length=2000)
    promised = forms.CharField(
        label=gettext_lazy("What was promised, by when"), required=False, max_length=2000
    )

    fulfils = forms.TypedMultipleChoiceField(
        label=gettext_lazy("This entry keeps these promises"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("expected", "received", "agreed", "promised"):
            self.fields[name].widget.attrs["dir"] = "auto"
        from calmdesk.desk.models import FollowUp, FollowUpStatus

        open_promises = (
            FollowUp.objects.filter(case=case, status=FollowUpStatus.OPEN).order_by("due_at", "pk")
            if case is not None
            else FollowUp.objects.none()
        )
        choices = [(f.pk, f.action[:120]) for f in open_promises]
        field = self.fields["fulfils"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = choices
        if not choices:
            del self.fields["fulfils"]


class ExpectationForm(forms.Form):
    expected = short_text_area(gettext_lazy("What the client expected"), required=False)
    received = short_text_area(gettext_lazy("What the client received"), required=False)
    agreed_possible = short_text_area(gettext_lazy("Agreed as possible"), required=False)
    agreed_not_possible = short_text_area(gettext_lazy("Agreed as not possible"), required=False)


def can_write(user: Any, case: Case) -> bool:
    return cases_writable_by(user).filter(pk=case.pk).exists()


def case_context(
    request: HttpRequest,
    case: Case,
    *,
    note_form: NoteForm | None = None,
    expectation_form: ExpectationForm | None = None,
    draft: str = "",
    workflow_forms: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    from calmdesk.desk.views.workflow import workflow_context

    card = analysis_card(case)
    writable = can_write(request.user, case)
    timeline = build_timeline(case)
    if expectation_form is None:
        expectation_form = ExpectationForm(
            initial={
                "expected": case.expected or (card.expected if card else ""),
                "received": case.received or (card.received if card else ""),
                "agreed_possible": case.agreed_possible,
                "agreed_not_possible": case.agreed_not_possible,
            }
        )
    return {
        "case": case,
        "client": case.client,
        "timeline": timeline.entries,
        "earlier_seq": timeline.earlier_seq,
        "root_cause": root_cause_label(case.root_cause),
        "assignee": display_name(case.assignee),
        "client_language": LANGUAGE_NAMES.get(case.client.preferred_language, ""),
        "card": card,
        "crisis": crisis_banner(case),
        "writable": writable,
        **workflow_context(request, case, writable=writable, forms_=workflow_forms),
        "note_form": note_form or NoteForm(initial={"kind": Kind.CALL_NOTE}, case=case),
        "expectation_form": expectation_form,
        "suggested_expectation": bool(
            card
            and ((card.expected and not case.expected) or (card.received and not case.received))
        ),
        "reply_channels": [(c.value, c.label) for c in Channel],
        "draft": draft,
    }


@require_safe
@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    return render_page(request, "desk/case_detail.html", case_context(request, case))


@require_safe
@login_required
def case_timeline(request: HttpRequest, case_id: int) -> HttpResponse:
    """The page of timeline entries before ``?before=<seq>`` (htmx "show earlier"; the latest
    page without it)."""
    case = access_case_by_id(request.user, case_id)
    raw = request.GET.get("before", "")
    if raw and (not raw.isdigit() or not 0 < int(raw) <= 2**62):
        raise Http404("no such timeline page")
    timeline = build_timeline(case, before=int(raw) if raw else None)
    context = {"case": case, "timeline": timeline.entries, "earlier_seq": timeline.earlier_seq}
    return render_page(request, "desk/_timeline_page.html", context)


def case_url(case: Case, seq: int | None = None) -> str:
    url = reverse("desk:case", kwargs={"case_id": case.pk})
    return f"{url}#entry-{seq}" if seq else url


@require_POST
@login_required
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    """Log a phone call, an in-person meeting or an internal note with its structured fields."""
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = NoteForm(request.POST, case=case)
    if form.is_valid():
        data = {
            key: form.cleaned_data[key]
            for key in ("expected", "received", "agreed", "promised")
            if form.cleaned_data[key].strip()
        }
        occurred: dt.datetime | None = form.cleaned_data["occurred_at"]
        if occurred is not None:
            occurred = timezone.make_aware(
                occurred.replace(tzinfo=None), ZoneInfo(user_timezone(request))
            )
        try:
            note = do_add_note(
                request.user,  # type: ignore[arg-type]
                case=case,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                data=data,
                occurred_at=occurred,
                fulfils=form.cleaned_data.get("fulfils") or (),
                meta=RequestMeta.from_request(request),
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The note was logged."))
            return HttpResponseRedirect(case_url(case, note.seq))
    context = case_context(request, case, note_form=form)
    return render_page(request, "desk/case_detail.html", context, status=422)


@require_POST
@login_required
def case_expectation(request: HttpRequest, case_id: int) -> HttpResponse:
    """Save the expectation record (expected / received / agreed possible and not possible)."""
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = ExpectationForm(request.POST)
    if form.is_valid():
        do_set_expectation(
            request.user,  # type: ignore[arg-type]
            case,
            meta=RequestMeta.from_request(request),
            **form.cleaned_data,
        )
        messages.success(request, _("The expectation record was saved."))
        return HttpResponseRedirect(case_url(case) + "#expectation")
    context = case_context(request, case, expectation_form=form)
    return render_page(request, "desk/case_detail.html", context, status=422)
