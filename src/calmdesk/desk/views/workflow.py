"""The workflow on the case page and around it: promises (follow-ups), the crisis incident
record, status changes (closing is refused while an incident is open), transfers with the
warm hand-off, requests for backup or approval, the summary email, the well-being check-in,
the supervisor queue and the notifications list.

Every view is thin: an ``access_*`` helper (404 for absent and forbidden alike), then one
``do_*`` action, then a redirect or a page.  Forms are plain POST forms with the CSRF token
(htmx requests carry it in the X-CSRFToken header set on <body>)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case as When_
from django.db.models import IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from calmdesk.desk.actions import cases as case_actions
from calmdesk.desk.actions import crisis as crisis_actions
from calmdesk.desk.actions import escalations as escalation_actions
from calmdesk.desk.actions import followups as followup_actions
from calmdesk.desk.actions import summary as summary_actions
from calmdesk.desk.actions import transfers as transfer_actions
from calmdesk.desk.actions import wellbeing as wellbeing_actions
from calmdesk.desk.actions.notifications import do_mark_notification_read
from calmdesk.desk.lib.access import (
    access_case_by_id,
    access_checkin_by_id,
    access_escalation_by_id,
    access_followup_by_id,
    access_incident_by_id,
    cases_visible_to,
    cases_writable_by,
    is_org_admin,
    teams_for,
    users_assignable_in,
)
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    ALLOWED_TRANSITIONS,
    LEAD_ROLES,
    Case,
    CrisisIncident,
    EscalationRequest,
    FollowUp,
    FollowUpStatus,
    Membership,
    Notification,
    NotificationKind,
    RequestKind,
    RequestStatus,
    Status,
    Team,
    User,
    WellbeingCheckIn,
)
from calmdesk.desk.views._common import display_name, render_page, short_text_area

# Messages for the refusals an agent meets on these forms (the actions speak English; the
# page speaks the user's language).
REFUSALS: dict[str, Any] = {
    "crisis_incident_open": gettext_lazy(
        "This case had a crisis message: complete its incident record (the protocol steps, "
        "who did them and when) before resolving or closing it."
    ),
    "invalid_transition": gettext_lazy("The case cannot move to that status from here."),
    "handoff_incomplete": gettext_lazy(
        "From the second transfer, the hand-off needs all three parts: why, what was tried "
        "and what was promised."
    ),
    "transfer_warning": gettext_lazy(
        "This case was transferred before: confirm that another transfer is needed."
    ),
    "steps_missing": gettext_lazy("Record every required step of the protocol first."),
    "incident_closed": gettext_lazy("The incident record is already completed."),
    "step_done": gettext_lazy("That step is already recorded."),
    "already_decided": gettext_lazy("This request is already decided."),
    "forbidden": gettext_lazy("You may not do this."),
}


def refusal(exc: ActionError) -> str:
    return str(REFUSALS.get(exc.code, gettext_lazy("That did not work: check the form.")))


def _meta(request: HttpRequest) -> RequestMeta:
    return RequestMeta.from_request(request)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _back(case: Case, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("desk:case", kwargs={"case_id": case.pk}) + f"#{anchor}")


def waiting_label(since: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """A short, translated "waiting for" duration (days, hours, minutes)."""
    if since is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


# ---- forms ---------------------------------------------------------------------------------


class PromiseForm(forms.Form):
    action = forms.CharField(
        label=gettext_lazy("What was promised"),
        max_length=2000,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    due_time = forms.TimeField(
        label=gettext_lazy("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = users_assignable_in(case.team).order_by("username")
        owner.label_from_instance = display_name
        owner.empty_label = gettext_lazy("me")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("due_time") and not data.get("due_date"):
            self.add_error("due_date", _("A time needs a date."))
        return data


class TransferForm(forms.Form):
    team = forms.ModelChoiceField(label=gettext_lazy("To team"), queryset=Team.objects.none())
    note = short_text_area(gettext_lazy("Why the case moves"))
    tried = short_text_area(gettext_lazy("What was tried"), required=False)
    promised = short_text_area(gettext_lazy("What was promised to the client"), required=False)
    confirm = forms.BooleanField(
        label=gettext_lazy("I confirm that another transfer is needed"), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team: Any = self.fields["team"]
        team.queryset = (
            Team.objects.filter(organization_id=case.organization_id)
            .exclude(pk=case.team_id)
            .order_by("name")
        )


class BackupForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[
            (RequestKind.ADVICE, gettext_lazy("Backup or advice")),
            (RequestKind.APPROVAL, gettext_lazy("Approval of a decision")),
        ],
    )
    reason = short_text_area(gettext_lazy("Reason"))
    decision_subject = forms.CharField(
        label=gettext_lazy("Decision asked for"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )


class SummaryForm(forms.Form):
    subject = forms.CharField(
        label=gettext_lazy("Subject"), max_length=300, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}),
    )


class CheckInForm(forms.Form):
    break_minutes = forms.IntegerField(
        label=gettext_lazy("Break taken (minutes)"), required=False, min_value=0, max_value=120
    )
    feeling = forms.TypedChoiceField(
        label=gettext_lazy("How do you feel now?"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(str(n), str(n)) for n in range(1, 6)],
    )
    went_well = short_text_area(gettext_lazy("What went well?"), required=False, max_length=2000)
    next_time = short_text_area(
        gettext_lazy("What would you do differently next time?"), required=False, max_length=2000
    )
    wants_mentor_debrief = forms.BooleanField(
        label=gettext_lazy("I would like a debrief with my mentor"), required=False
    )
    share_in_aggregates = forms.BooleanField(
        label=gettext_lazy("Count my answers in the team's anonymous figures"), required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(s, s) for s in (RequestStatus.APPROVED, RequestStatus.REJECTED, "answered")]
    )
    note = forms.CharField(required=False, max_length=5000)


class StepForm(forms.Form):
    step_id = forms.CharField(max_length=100)
    note = forms.CharField(required=False, max_length=2000)


class CompleteForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("What happened and what was done"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


# ---- what the case page shows --------------------------------------------------------------


@dataclass
class PromiseRow:
    followup: FollowUp
    owner: str
    overdue: bool


@dataclass
class StepRow:
    id: str
    text: str
    required: bool
    done_at: dt.datetime | None
    done_by: str
    note: str


def _parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def incident_steps(incident: CrisisIncident) -> list[StepRow]:
    ids = [s.get("done_by") for s in incident.steps if s.get("done_by")]
    names = {u.pk: display_name(u) for u in User.objects.filter(pk__in=ids)}
    return [
        StepRow(
            id=str(s["id"]),
            text=str(s.get("text", "")),
            required=bool(s.get("required")),
            done_at=_parse_time(s.get("done_at")),
            done_by=names.get(s.get("done_by"), ""),
            note=str(s.get("note", "")),
        )
        for s in incident.steps
    ]


def workflow_context(
    request: HttpRequest, case: Case, *, writable: bool, forms_: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    """The workflow panels of the case page."""
    user = _user(request)
    now = timezone.now()
    forms_ = forms_ or {}
    promises = [
        PromiseRow(
            f,
            display_name(f.owner),
            f.status == FollowUpStatus.OPEN and f.due_at is not None and f.due_at < now,
        )
        for f in FollowUp.objects.filter(case=case)
        .select_related("owner")
        .order_by(
            When_(
                When(status=FollowUpStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "due_at",
            "id",
        )
    ]
    incident = (
        CrisisIncident.objects.filter(case=case)
        .order_by(
            When_(
                When(status="open", then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-detected_at",
        )
        .first()
    )
    requests = list(
        EscalationRequest.objects.filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-created_at", "-id")[:10]
    )
    # no transfer yet: no hand-off to read (spares the page a query)
    handoff = transfer_actions.latest_handoff(case) if case.transfer_count else None
    if handoff is not None:
        handoff["by_name"] = display_name(User.objects.filter(pk=handoff["by"]).first())
        handoff["from_name"] = (
            Team.objects.filter(pk=handoff["from_team"]).values_list("name", flat=True).first()
        )
    checkin = (
        WellbeingCheckIn.objects.filter(user_id=user.pk, case=case, completed_at__isnull=True)
        .order_by("-offered_at")
        .first()
        if getattr(user, "organization_id", None)
        else None
    )
    statuses = dict(Status.choices)
    context: dict[str, Any] = {
        "promises": promises,
        "incident": incident,
        "incident_steps": incident_steps(incident) if incident else [],
        "escalations": requests,
        "waiting": waiting_label(escalation_actions.client_waiting_since(case), now),
        "handoff": handoff,
        "transfer_check": {
            "transfers_so_far": case.transfer_count,
            "warning": case.transfer_count + 1 >= transfer_actions.WARN_FROM,
        },
        "checkin": checkin,
        "next_statuses": [
            (s, statuses[s]) for s in Status.values if s in ALLOWED_TRANSITIONS[case.status]
        ],
    }
    if writable:
        context.update(
            promise_form=forms_.get("promise") or PromiseForm(case=case),
            transfer_form=forms_.get("transfer") or TransferForm(case=case),
            backup_form=forms_.get("backup") or BackupForm(),
            complete_form=forms_.get("complete") or CompleteForm(),
            checkin_form=forms_.get("checkin") or CheckInForm(),
        )
    return context


def _case_page(
    request: HttpRequest, case: Case, *, forms_: dict[str, forms.Form], status: int = 422
) -> HttpResponse:
    from calmdesk.desk.views.cases import case_context

    context = case_context(request, case, workflow_forms=forms_)
    return render_page(request, "desk/case_detail.html", context, status=status)


# ---- promises ------------------------------------------------------------------------------


@require_POST
@login_required
def promise_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = PromiseForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        due_date: dt.date | None = data["due_date"]
        try:
            followup_actions.do_add_followup(
                _user(request),
                case=case,
                action=data["action"],
                due_date=due_date,
                due_time=data["due_time"],
                owner=data["owner"],
                meta=_meta(request),
            )
        except ActionError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, _("The promise was added."))
            return _back(case, "promises")
    return _case_page(request, case, forms_={"promise": form})


@require_POST
@login_required
def promise_close(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = access_followup_by_id(request.user, followup_id, for_write=True)
    status = request.POST.get("status", "")
    if status not in (FollowUpStatus.KEPT, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED):
        messages.error(request, _("Choose kept, missed or cancelled."))
        return _back(followup.case, "promises")
    try:
        followup_actions.do_close_followup(
            _user(request), followup, status=status, meta=_meta(request)
        )
    except ActionError as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("The promise was updated."))
    return _back(followup.case, "promises")


# ---- status (closing is refused while a crisis incident is open) ---------------------------


@require_POST
@login_required
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return _back(case, "status")
    try:
        case_actions.do_change_status(
            _user(request), case, form.cleaned_data["status"], meta=_meta(request)
        )
    except ActionError as exc:
        messages.error(request, refusal(exc))
        return _back(case, "crisis-incident" if exc.code == "crisis_incident_open" else "status")
    messages.success(request, _("The status was changed."))
    return _back(case, "status")


# ---- the crisis incident record ------------------------------------------------------------


@require_POST
@login_required
def crisis_step(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = access_incident_by_id(request.user, incident_id, for_write=True)
    form = StepForm(request.POST)
    if form.is_valid():
        try:
            crisis_actions.do_record_crisis_step(
                _user(request),
                incident,
                form.cleaned_data["step_id"],
                note=form.cleaned_data["note"],
                meta=_meta(request),
            )
        except ActionError as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, _("The step was recorded."))
    return _back(incident.case, "crisis-incident")


@require_POST
@login_required
def crisis_complete(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = access_incident_by_id(request.user, incident_id, for_write=True)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            crisis_actions.do_complete_crisis_incident(
                _user(request), incident, summary=form.cleaned_data["summary"], meta=_meta(request)
            )
        except ActionError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, _("The incident record is complete."))
            return _back(incident.case, "crisis-incident")
    return _case_page(request, incident.case, forms_={"complete": form})


# ---- transfer with the warm hand-off -------------------------------------------------------


@require_POST
@login_required
def case_transfer(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = TransferForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_actions.do_transfer_case(
                _user(request),
                case,
                data["team"],
                data["note"],
                tried=data["tried"],
                promised=data["promised"],
                confirm=data["confirm"],
                meta=_meta(request),
            )
        except ActionError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, _("The case was transferred with your hand-off note."))
            if cases_visible_to(request.user).filter(pk=case.pk).exists():
                return _back(case, "handoff")
            return HttpResponseRedirect(reverse("desk:case_list"))
    return _case_page(request, case, forms_={"transfer": form})


# ---- backup and approvals ------------------------------------------------------------------


@require_POST
@login_required
def case_backup(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = BackupForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            escalation_actions.do_request_backup(
                _user(request),
                case,
                reason=data["reason"],
                kind=data["kind"],
                decision_subject=data["decision_subject"],
                amount=data["amount"],
                meta=_meta(request),
            )
        except ActionError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, _("Your request was sent to the supervisors."))
            return _back(case, "backup")
    return _case_page(request, case, forms_={"backup": form})


def queue_requests(user: Any) -> list[EscalationRequest]:
    """Open requests the user can decide (the teams they lead; org admins: all, incl. level
    2), oldest first — the same rule as the API queue."""
    open_requests = EscalationRequest.objects.filter(
        status=RequestStatus.OPEN, case__in=cases_writable_by(user)
    ).exclude(requested_by=user)
    if not is_org_admin(user):
        open_requests = open_requests.filter(
            Q(case__team__in=teams_for(user, LEAD_ROLES)), level__lt=2
        )
    return list(
        open_requests.select_related("case", "case__team", "case__client", "requested_by").order_by(
            "created_at", "id"
        )
    )


def leads_any_team(user: Any) -> bool:
    """Whether the navigation shows the queue (one query; the queue applies the rules)."""
    return bool(
        getattr(user, "is_active", False)
        and Membership.objects.filter(user_id=user.pk, role__in=LEAD_ROLES).exists()
    )


@require_safe
@login_required
def supervisor_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for item in queue_requests(request.user):
        rows.append(
            {
                "request": item,
                "requested_by": display_name(item.requested_by),
                "asked": waiting_label(item.created_at, now),
                "client_waiting": waiting_label(
                    escalation_actions.client_waiting_since(item.case), now
                ),
                "ping_pong": item.case.transfer_count >= transfer_actions.WARN_FROM,
                "transfers": item.case.transfer_count,
            }
        )
    context = {"rows": rows, "is_lead": leads_any_team(request.user)}
    return render_page(request, "desk/queue.html", context)


@require_POST
@login_required
def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    found = access_escalation_by_id(request.user, request_id, for_write=True)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return HttpResponseRedirect(reverse("desk:queue"))
    try:
        escalation_actions.do_decide_request(
            _user(request),
            found,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            meta=_meta(request),
        )
    except ActionError as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("Your decision was recorded on the case."))
    return HttpResponseRedirect(reverse("desk:queue"))


# ---- the summary email ---------------------------------------------------------------------


@require_safe
@login_required
def summary_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """The draft in the client's language, editable before sending (read-only for readers)."""
    case = access_case_by_id(request.user, case_id)
    draft = summary_actions.draft_summary(case)
    writable = cases_writable_by(request.user).filter(pk=case.pk).exists()
    form = SummaryForm(initial={"subject": draft["subject"], "body": draft["body"]})
    context = {"case": case, "draft": draft, "form": form, "writable": writable}
    return render_page(request, "desk/summary.html", context)


@require_POST
@login_required
def summary_send(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id, for_write=True)
    form = SummaryForm(request.POST)
    if form.is_valid():
        try:
            sent = summary_actions.do_send_summary(
                _user(request),
                case,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                idempotency_key=request.POST.get("idempotency_key", "")[:100],
                meta=_meta(request),
            )
        except ActionError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, _("The summary email was sent."))
            return _back(case, f"entry-{sent.seq}")
    draft = summary_actions.draft_summary(case)
    context = {"case": case, "draft": draft, "form": form, "writable": True}
    return render_page(request, "desk/summary.html", context, status=422)


# ---- well-being ----------------------------------------------------------------------------


@require_POST
@login_required
def take_break(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    wellbeing_actions.do_offer_checkin(_user(request), case=case, meta=_meta(request))
    return _back(case, "wellbeing")


@require_POST
@login_required
def checkin_answer(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = access_checkin_by_id(request.user, checkin_id)
    form = CheckInForm(request.POST)
    target = (
        reverse("desk:case", kwargs={"case_id": checkin.case_id}) + "#wellbeing"
        if checkin.case_id and cases_visible_to(request.user).filter(pk=checkin.case_id).exists()
        else reverse("desk:notifications")
    )
    if form.is_valid():
        try:
            wellbeing_actions.do_complete_checkin(
                _user(request), checkin, **form.cleaned_data, meta=_meta(request)
            )
        except ActionError as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, _("Thank you. Your answers stay private."))
    else:
        messages.error(request, _("That did not work: check the form."))
    return HttpResponseRedirect(target)


# ---- notifications -------------------------------------------------------------------------


def _notifications(user: Any) -> Any:
    return Notification.objects.filter(user_id=user.pk).filter(
        Q(case__isnull=True) | Q(case__in=cases_visible_to(user))
    )


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return int(_notifications(user).filter(read_at__isnull=True).count())


@require_safe
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """In-app alerts, crisis alerts first, then the newest."""
    rows = list(
        _notifications(request.user)
        .select_related("case")
        .order_by(
            When_(
                When(kind=NotificationKind.CRISIS, read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-created_at",
            "-id",
        )[:200]
    )
    return render_page(request, "desk/notifications.html", {"rows": rows})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one of the signed-in user's notifications as read (``id`` in the form)."""
    raw = request.POST.get("id", "")
    found = (
        _notifications(request.user).filter(pk=int(raw)).first()
        if raw.isdigit() and int(raw) < 2**62
        else None
    )
    if found is None:
        raise Http404("no such notification")
    do_mark_notification_read(_user(request), found, meta=_meta(request))
    if found.case_id and request.POST.get("open"):
        return HttpResponseRedirect(reverse("desk:case", kwargs={"case_id": found.case_id}))
    return HttpResponseRedirect(reverse("desk:notifications"))
