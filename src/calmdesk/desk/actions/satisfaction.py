"""The satisfaction check: a separate email some hours after resolution with one-click
rating links (signed, single use, expiring).  An unhappy answer (1 or 2 of 5) reopens the
case and notifies the assignee."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import system_event, write_audit
from calmdesk.desk.actions.notifications import (
    email_language,
    notify,
    queue_email,
    render_email,
    supervisors_on_duty,
)
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.signing import make_rating_token
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import (
    Case,
    ContactPoint,
    NotificationKind,
    SatisfactionSurvey,
    Status,
)
from calmdesk.desk.models.satisfaction import UNHAPPY_AT_OR_BELOW

RATING_LABELS = {
    "en": ["very unhappy", "unhappy", "okay", "happy", "very happy"],
    "pl": [
        "bardzo niezadowolony",
        "niezadowolony",
        "w porządku",
        "zadowolony",
        "bardzo zadowolony",
    ],
    "sr": ["веома незадовољан", "незадовољан", "у реду", "задовољан", "веома задовољан"],
    "sr-latn": ["veoma nezadovoljan", "nezadovoljan", "u redu", "zadovoljan", "veoma zadovoljan"],
    "he": ["מאוד לא מרוצה", "לא מרוצה", "בסדר", "מרוצה", "מאוד מרוצה"],
}


def schedule_survey(case: Case, resolved_at: dt.datetime) -> SatisfactionSurvey | None:
    """Called by do_change_status when a case is resolved (its audit entry covers this).
    No survey for a case with a crisis, nor for a client without an email address."""
    from calmdesk.desk.actions.followups import workflow_for

    if case.crisis_level:
        return None
    if not _client_email(case):
        return None
    wf = workflow_for(case)
    last = case.surveys.order_by("-round").first()
    survey = SatisfactionSurvey.objects.create(
        organization_id=case.organization_id,
        case=case,
        round=(last.round + 1) if last else 1,
        nonce=secrets.token_hex(16),
        send_after=resolved_at + dt.timedelta(hours=wf.satisfaction_delay_hours),
        expires_at=resolved_at
        + dt.timedelta(hours=wf.satisfaction_delay_hours, days=wf.satisfaction_valid_days),
        language=email_language(case.client.preferred_language),
    )
    from calmdesk.desk import tasks

    sid, when = survey.pk, survey.send_after
    transaction.on_commit(lambda: tasks.enqueue(tasks.send_satisfaction, sid, run_after=when))
    return survey


def cancel_pending_surveys(case: Case, now: dt.datetime) -> None:
    case.surveys.filter(answered_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )


def _client_email(case: Case) -> str:
    contact = (
        ContactPoint.objects.filter(client_id=case.client_id, kind="email")
        .order_by("-is_primary", "id")
        .first()
    )
    return contact.value if contact else ""


def rating_url(survey: SatisfactionSurvey, rating: int) -> str:
    from django.urls import reverse

    from calmdesk.desk.actions.crisis import case_url

    base = case_url(survey.case).split("/cases/")[0]
    token = make_rating_token(survey.pk, survey.nonce, rating)
    return base + reverse("desk:satisfaction", kwargs={"token": token})


def run_send_survey(survey_id: int, now: dt.datetime | None = None) -> str:
    from calmdesk.desk.actions.summary import thread_headers
    from calmdesk.desk.lib.mail import deliver

    now = now or timezone.now()
    with transaction.atomic():
        survey = (
            SatisfactionSurvey.objects.select_for_update(of=("self",))
            .select_related("case", "case__client")
            .filter(pk=survey_id)
            .first()
        )
        if survey is None or survey.cancelled_at or survey.answered_at:
            return "closed"
        if now < survey.send_after:
            return "not-due"
        case = survey.case
        if case.status not in (Status.RESOLVED, Status.CLOSED):
            return "closed"
        to = _client_email(case)
        lang = survey.language or "en"
        labels = RATING_LABELS[email_language(lang)]
        subject, body = render_email(
            "csat",
            lang,
            {
                "client_name": case.client.name,
                "case_ref": case.reference,
                "case_subject": case.subject,
                "ratings": [
                    {"value": r, "label": labels[r - 1], "url": rating_url(survey, r)}
                    for r in range(5, 0, -1)
                ],
                "expires_local": survey.expires_at.strftime("%Y-%m-%d"),
            },
        )
        in_reply_to, references = thread_headers(case)
        row, created = queue_email(
            organization_id=case.organization_id,
            key=f"survey:{survey.pk}",
            kind="csat",
            case=case,
            to=[to],
            subject=subject,
            body=body,
            language=lang,
            in_reply_to=in_reply_to,
            references=references,
            enqueue=False,
        )
    if row.state in ("pending", "sending"):
        deliver(row.pk)
    return "sent" if created else "done-before"


class SurveyAnswer:
    OK = "ok"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


@transaction.atomic
def do_rate_case(
    survey_id: int, nonce: str, rating: int, *, comment: str = "", now: dt.datetime | None = None
) -> tuple[str, SatisfactionSurvey | None]:
    """The client's answer (no login: the signed token is the credential).  Single use:
    a second answer is refused; an expired link is refused.  An unhappy answer reopens
    the case and notifies the assignee (or the team's supervisors)."""
    now = now or timezone.now()
    # Lock the survey row only: PostgreSQL refuses FOR UPDATE on the nullable side of the
    # outer join to the (optional) assignee.
    survey = (
        SatisfactionSurvey.objects.select_for_update(of=("self",))
        .select_related("case", "case__assignee")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None or not secrets.compare_digest(survey.nonce, nonce) or survey.cancelled_at:
        return SurveyAnswer.INVALID, None
    if survey.answered_at is not None:
        return SurveyAnswer.USED, survey
    if now > survey.expires_at:
        return SurveyAnswer.EXPIRED, survey
    if not 1 <= rating <= 5:
        raise ActionError("rating is 1 to 5.", details={"field": "rating"})
    survey.rating = rating
    survey.comment = clean_text(comment).strip()[:5000]
    survey.answered_at = now
    survey.save(update_fields=["rating", "comment", "answered_at"])
    case = survey.case
    reopened = False
    system_event(
        case, None, "satisfaction", {"survey": survey.pk, "rating": rating}, text=survey.comment
    )
    if rating <= UNHAPPY_AT_OR_BELOW:
        if case.status in (Status.RESOLVED, Status.CLOSED):
            old = case.status
            case.status = Status.OPEN
            case.resolved_at = None
            case.closed_at = None
            case.updated_at = now
            case.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
            system_event(
                case, None, "reopen", {"from": old, "to": Status.OPEN, "reason": "satisfaction"}
            )
            reopened = True
        people = (
            [case.assignee]
            if case.assignee is not None and case.assignee.is_active
            else supervisors_on_duty(case)
        )
        from calmdesk.desk.actions.crisis import case_url

        for person in people:
            notify(
                person,
                kind=NotificationKind.UNHAPPY,
                key=f"unhappy:{survey.pk}",
                text=f"{case.reference}: rated {rating}/5" + (" - reopened" if reopened else ""),
                case=case,
                data={"survey": survey.pk, "rating": rating},
            )
            if person.email:
                subject, body = render_email(
                    "unhappy",
                    person.preferred_language,
                    {
                        "recipient_name": person.get_full_name() or person.username,
                        "case_ref": case.reference,
                        "case_subject": case.subject,
                        "rating": rating,
                        "comment": survey.comment,
                        "url": case_url(case),
                    },
                )
                queue_email(
                    organization_id=case.organization_id,
                    key=f"unhappy:{survey.pk}:{person.pk}",
                    kind="unhappy",
                    case=case,
                    to=[person.email],
                    subject=subject,
                    body=body,
                )
    write_audit(
        actor=None,
        organization=case.organization_id,
        action="satisfaction.rate",
        obj=survey,
        data={"case": case.pk, "rating": rating, "reopened": reopened},
    )
    return SurveyAnswer.OK, survey


@transaction.atomic
def do_add_survey_comment(survey_id: int, nonce: str, comment: str) -> bool:
    """The optional comment after a one-click rating (once)."""
    survey = SatisfactionSurvey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None or not secrets.compare_digest(survey.nonce, nonce):
        return False
    if survey.answered_at is None or survey.comment:
        return False
    text = clean_text(comment).strip()[:5000]
    if not text:
        return False
    survey.comment = text
    survey.save(update_fields=["comment"])
    system_event(survey.case, None, "satisfaction_comment", {"survey": survey.pk}, text=text)
    write_audit(
        actor=None,
        organization=survey.organization_id,
        action="satisfaction.comment",
        obj=survey,
        data={"case": survey.case_id},
    )
    return True
