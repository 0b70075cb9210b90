"""Crisis alerts without a worker, and outbound mail parsed from a real SMTP server:
threading headers, Hebrew and Cyrillic subjects, no header injection (THREATS rows 8, 13)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from calmdesk.desk.actions.cases import do_change_status, do_create_case
from calmdesk.desk.actions.crisis import do_complete_crisis_incident, do_record_crisis_step
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.actions.summary import do_send_summary, draft_summary
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.mail import build_message, header_safe
from calmdesk.desk.models import CrisisIncident, Interaction, Notification, OutboundEmail, User
from tests.desk._smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db

CRISIS = "Nobody helps me. I am going to kill myself tonight, I have the pills here."


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        yield sink


def test_crisis_message_alerts_the_supervisor_without_a_worker(
    world, smtp, django_capture_on_commit_callbacks
):
    sup = world.users["supervisor_a"]
    User.objects.filter(pk=sup.pk).update(email="sup@example.test", preferred_language="pl")
    case = world.cases["a2"]
    before_out = Interaction.objects.filter(case=case, kind="outbound").count()
    with django_capture_on_commit_callbacks(execute=True):
        msg = do_receive_message(None, case=case, text=CRISIS, channel="web")
    # No worker ran: the django-tasks queue is a database table nobody reads in this test.
    note = Notification.objects.get(user=sup, kind="crisis")
    assert note.case_id == case.pk
    mails = [m for m in smtp.messages if "sup@example.test" in m.rcpt]
    assert len(mails) == 1
    assert mails[0].message["Subject"].startswith("PILNE")
    assert OutboundEmail.objects.get(kind="crisis_alert").state == "sent"
    case.refresh_from_db()
    assert (case.crisis_level, case.priority) == ("high", "urgent")
    assert Interaction.objects.get(pk=msg.pk).text == CRISIS  # kept verbatim
    # never an automatic reply to the client
    assert Interaction.objects.filter(case=case, kind="outbound").count() == before_out
    assert all("a@example.test" not in m.rcpt for m in smtp.messages)
    incident = CrisisIncident.objects.get(case=case)
    assert "self_harm" in incident.kinds and incident.protocol["source"] == "default"
    with pytest.raises(ActionError) as refused:
        do_change_status(world.users["agent_a"], case, "resolved")
    assert refused.value.code == "crisis_incident_open"
    with pytest.raises(ActionError):
        do_complete_crisis_incident(sup, incident, summary="done")
    for step in incident.steps:
        if step["required"]:
            incident = do_record_crisis_step(sup, incident, step["id"])
    do_complete_crisis_incident(sup, incident, summary="Called the client; help line given.")
    do_change_status(world.users["agent_a"], case, "resolved")


def test_crisis_alert_waits_for_the_worker_when_mail_is_down(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    User.objects.filter(pk=world.users["supervisor_a"].pk).update(email="sup@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        do_receive_message(None, case=world.cases["a2"], text=CRISIS, channel="email")
    assert Notification.objects.filter(kind="crisis").exists()  # in-app, at once
    row = OutboundEmail.objects.get(kind="crisis_alert")
    assert row.state == "pending" and row.last_error  # kept for the worker / tick


def test_summary_email_threads_and_survives_hostile_subjects(world, smtp):
    agent = world.users["agent_a"]
    client = world.clients["a"]
    case = do_create_case(
        agent, client=client, team=world.teams["alpha"], subject="Рачун — חשבון", channel="email"
    )
    do_receive_message(
        None, case=case, text="Hello", channel="email", idempotency_key="<first@client.example>"
    )
    do_receive_message(
        None,
        case=case,
        text="Again",
        channel="email",
        data={"message_id": "<second@client.example>"},
    )
    draft = draft_summary(case, language="he")
    assert draft["language"] == "he"
    hostile = "Резиме סיכום\r\nBcc: evil@attacker.example\u2028X-Evil: 1\x0b\x0c\x1c\x85 end"
    do_send_summary(agent, case, subject=hostile, body=draft["body"])
    from calmdesk.desk.lib.mail import deliver

    row = OutboundEmail.objects.get(kind="summary")
    assert deliver(row.pk) is True
    assert deliver(row.pk) is False  # already sent: never twice
    (got,) = smtp.messages
    msg = got.message
    assert got.rcpt == ["a@example.test"]
    assert msg["In-Reply-To"] == "<second@client.example>"
    assert msg["References"].split() == ["<first@client.example>", "<second@client.example>"]
    assert msg["Message-ID"].strip() == row.message_id
    assert msg["Subject"].strip().startswith("Резиме סיכום")
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "\n" not in msg["Subject"] and "\u2028" not in msg["Subject"]
    assert "סיכום" in msg.get_content() or draft["body"].splitlines()[0] in msg.get_content()
    logged = Interaction.objects.filter(case=case, kind="outbound").last()
    assert logged.data["message_id"] == row.message_id


@hsettings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("aZ ш ש:<>@\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")),
        max_size=40,
    )
)
def test_no_header_can_be_injected(value):
    msg = build_message(
        to=["a@example.test"],
        subject=value + "Subj",
        body="b",
        message_id="<x@calmdesk.local>",
        in_reply_to=value,
        references=value,
        from_email="desk@example.test",
    )
    raw = msg.message().as_bytes()
    from email import policy
    from email.parser import BytesParser

    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    names = {k.lower() for k in parsed.keys()}  # noqa: SIM118 - a Message, not a dict
    assert names <= {
        "content-type",
        "mime-version",
        "content-transfer-encoding",
        "subject",
        "from",
        "to",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "auto-submitted",
    }
    assert parsed.get_all("to") == ["a@example.test"]
    assert header_safe(value) == " ".join(header_safe(value).split())


def test_outbox_marks_sent_before_the_end_of_data(world, smtp):
    """The ledger says 'sent' before the final dot: a kill after it can never resend."""
    from calmdesk.desk.actions.notifications import queue_email
    from calmdesk.desk.lib import mail

    row, _ = queue_email(
        organization_id=world.cases["a"].organization_id,
        key="probe",
        kind="probe",
        to=["x@example.test"],
        subject="s",
        body="b",
        enqueue=False,
    )
    seen = []
    real = mail._mark_sent

    def spy(row_id):
        seen.append(smtp.count())
        real(row_id)

    mail._mark_sent = spy
    try:
        assert mail.deliver(row.pk)
    finally:
        mail._mark_sent = real
    assert seen == [0] and smtp.count() == 1
