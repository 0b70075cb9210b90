"""The admin pages: upload of a raw .eml file and the reprocess action (staff only)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from calmdesk.channels.models import RawMessage, RawState
from calmdesk.desk.actions.users import do_create_user
from calmdesk.desk.models import AuditEntry
from tests.channels.conftest import fixture_bytes

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/channels/rawmessage/upload/"


@pytest.fixture
def staff(mail_world):
    user = do_create_user(
        None,
        username="root",
        password=None,
        organization=None,
        is_staff=True,
        is_superuser=True,
    )
    client = HttpClient()
    client.force_login(user)
    return client


def test_upload_page_stores_and_parses(mail_world, staff):
    assert staff.get(UPLOAD).status_code == 200
    assert "Upload a raw email" in staff.get("/admin/channels/rawmessage/").content.decode()
    for _ in range(2):
        r = staff.post(
            UPLOAD,
            {
                "mailbox": mail_world.mailbox.pk,
                "file": SimpleUploadedFile("m.eml", fixture_bytes("04_subject_hebrew.eml")),
            },
        )
        assert r.status_code == 302
    row = RawMessage.objects.get()
    assert row.source == "upload" and row.state == RawState.PARSED
    assert row.interaction.case.subject == "החשבון שלי שגוי"


def test_reprocess_action(mail_world, staff):
    staff.post(
        UPLOAD,
        {
            "mailbox": mail_world.mailbox.pk,
            "file": SimpleUploadedFile("m.eml", fixture_bytes("24_two_from.eml")),
        },
    )
    row = RawMessage.objects.get()
    assert row.state == RawState.QUARANTINED
    r = staff.post(
        "/admin/channels/rawmessage/",
        {"action": "reprocess", "_selected_action": [row.pk]},
    )
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.attempts == 2
    assert AuditEntry.objects.filter(action="channels.reprocess").count() == 1


def test_admin_needs_staff(mail_world):
    assert HttpClient().get(UPLOAD).status_code == 302
    agent = HttpClient()
    agent.force_login(mail_world.agent)
    r = agent.get(UPLOAD)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    assert RawMessage.objects.count() == 0
