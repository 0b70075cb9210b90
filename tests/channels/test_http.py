"""POST /channels/inbound/<token>/: raw MIME from mail services."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from calmdesk.channels.models import RawMessage, RawState
from calmdesk.desk.models import Interaction
from tests.channels.conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def post(token: str, body: bytes, **extra):
    return HttpClient(enforce_csrf_checks=True).post(
        f"/channels/inbound/{token}/", data=body, content_type="message/rfc822", **extra
    )


def test_accepts_raw_mime_and_is_idempotent(mail_world):
    token = mail_world.mailbox.set_inbound_secret()
    body = fixture_bytes("01_plain.eml")
    first = post(token, body)
    assert first.status_code == 202, first.content
    raw_id = first.json()["id"]
    assert first.json() == {"id": raw_id, "duplicate": False, "state": "parsed"}
    second = post(token, body)
    assert second.status_code == 202 and second.json()["id"] == raw_id
    assert second.json()["duplicate"] is True
    row = RawMessage.objects.get(pk=raw_id)
    assert row.source == "http" and row.mailbox == mail_world.mailbox
    assert Interaction.objects.filter(data__raw_message=raw_id).count() == 1


def test_poison_is_accepted_then_quarantined(mail_world):
    token = mail_world.mailbox.set_inbound_secret()
    r = post(token, fixture_bytes("17_poison_violence.eml"))
    assert r.status_code == 202 and r.json()["state"] == RawState.QUARANTINED
    assert RawMessage.objects.get(pk=r.json()["id"]).crisis_flagged


@pytest.mark.parametrize(
    "make_token",
    [
        lambda mb, good: good[:-1] + ("A" if good[-1] != "A" else "B"),  # wrong secret
        lambda mb, good: f"{mb.pk + 1000}.{good.split('.', 1)[1]}",  # unknown mailbox
        lambda mb, good: good.split(".", 1)[1],  # no mailbox part
        lambda mb, good: f"{mb.pk}.",  # empty secret
    ],
)
def test_bad_tokens_get_one_uniform_answer(mail_world, make_token):
    good = mail_world.mailbox.set_inbound_secret()
    r = post(make_token(mail_world.mailbox, good), fixture_bytes("01_plain.eml"))
    assert r.status_code == 403 and r.json() == {"detail": "Invalid inbound token."}
    assert RawMessage.objects.count() == 0


def test_disabled_mailbox_and_get_are_refused(mail_world):
    token = mail_world.mailbox.set_inbound_secret()
    assert HttpClient().get(f"/channels/inbound/{token}/").status_code == 405
    mail_world.mailbox.enabled = False
    mail_world.mailbox.save()
    assert post(token, fixture_bytes("01_plain.eml")).status_code == 403


def test_size_limit_and_empty_body(mail_world, settings):
    settings.CALMDESK_MAX_INBOUND_EMAIL_BYTES = 1000
    token = mail_world.mailbox.set_inbound_secret()
    big = fixture_bytes("01_plain.eml") + b"x" * 2000
    assert post(token, big).status_code == 413
    assert post(token, b"").status_code == 400
    assert RawMessage.objects.count() == 0


def test_only_the_hash_of_the_secret_is_stored(mail_world):
    token = mail_world.mailbox.set_inbound_secret()
    secret = token.split(".", 1)[1]
    mail_world.mailbox.refresh_from_db()
    assert secret not in mail_world.mailbox.inbound_secret_hash
    assert len(mail_world.mailbox.inbound_secret_hash) == 64
