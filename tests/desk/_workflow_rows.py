"""Rows for test_audit's "one audit entry per do_*" table: the workflow actions.

The setup (which itself writes audit entries) runs when the table is built, before any
counting; each lambda then makes exactly one call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from calmdesk.desk.actions import crisis as cr
from calmdesk.desk.actions import escalations as es
from calmdesk.desk.actions import followups as fu
from calmdesk.desk.actions import notifications as nt
from calmdesk.desk.actions import satisfaction as sa
from calmdesk.desk.actions import summary as su
from calmdesk.desk.actions import wellbeing as wb
from calmdesk.desk.actions.cases import do_change_status, do_create_case
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.models import (
    CrisisIncident,
    EscalationRequest,
    FollowUp,
    Notification,
    SatisfactionSurvey,
    WellbeingCheckIn,
)

CRISIS_TEXT = "I can't go on. I am going to kill myself tonight."


def workflow_calls(w: Any) -> dict[str, Any]:
    a, sup = w.users["agent_a"], w.users["supervisor_a"]
    team, client = w.teams["alpha"], w.clients["a"]
    crisis_case = do_create_case(
        a, client=client, team=team, subject="Crisis row", channel="email", assignee=a
    )
    do_receive_message(None, case=crisis_case, text=CRISIS_TEXT, channel="email")
    incident = CrisisIncident.objects.get(case=crisis_case)
    required = [s["id"] for s in incident.steps if s["required"]]
    for step in required[:-1]:
        cr.do_record_crisis_step(sup, incident, step)
    resolved = do_create_case(a, client=client, team=team, subject="Resolved", channel="email")
    do_change_status(a, resolved, "resolved")
    survey = SatisfactionSurvey.objects.get(case=resolved)
    later = timezone.now() + dt.timedelta(minutes=1)

    def last(model: Any) -> Any:
        return model.objects.order_by("-id").first()

    return {
        "do_add_followup": lambda: fu.do_add_followup(
            a, case=crisis_case, action="Call back", due_at=later + dt.timedelta(days=1)
        ),
        "do_close_followup": lambda: fu.do_close_followup(a, last(FollowUp)),
        "do_request_backup": lambda: es.do_request_backup(
            a,
            crisis_case,
            reason="Refund above my limit",
            kind="approval",
            decision_subject="refund 250 EUR",
        ),
        "do_decide_request": lambda: es.do_decide_request(
            sup, last(EscalationRequest), decision="approved"
        ),
        "do_offer_checkin": lambda: wb.do_offer_checkin(a, case=None, reason="self"),
        "do_complete_checkin": lambda: wb.do_complete_checkin(
            a, last(WellbeingCheckIn), feeling=3, break_minutes=10
        ),
        "do_record_crisis_step": lambda: cr.do_record_crisis_step(sup, incident, required[-1]),
        "do_complete_crisis_incident": lambda: cr.do_complete_crisis_incident(
            sup, incident, summary="Supervisor called; help line given."
        ),
        "do_rate_case": lambda: sa.do_rate_case(survey.pk, survey.nonce, 5, now=later),
        "do_add_survey_comment": lambda: sa.do_add_survey_comment(
            survey.pk, survey.nonce, "Quick and kind."
        ),
        "do_send_summary": lambda: su.do_send_summary(
            a, resolved, subject="Summary", body="All done."
        ),
        "do_mark_notification_read": lambda: nt.do_mark_notification_read(
            a, Notification.objects.filter(user=a).order_by("id").first()
        ),
    }
