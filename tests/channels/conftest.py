"""A small world for the inbound-email tests: one organization with a team, a supervisor,
a mailbox, two clients with a case each (case A has a fixed reference and an outbound email
with a known Message-ID), and a second organization."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calmdesk.channels.models import Mailbox
from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.notifications import queue_email
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
from calmdesk.desk.actions.users import do_create_user
from calmdesk.desk.models import Case, Client, Organization, Team, User

FIXTURES = Path(__file__).parent / "fixtures"
CASE_A_REF = "CD-7K2M9Q"
OUTBOUND_ID = "<out-1@calmdesk.test>"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class MailWorld:
    org: Organization
    team: Team
    supervisor: User
    agent: User
    client_a: Client
    client_b: Client
    case_a: Case
    case_b: Case
    mailbox: Mailbox
    other_org: Organization


@pytest.fixture
def mail_world(db: Any) -> MailWorld:
    org = do_create_organization("North Utilities", slug="north")
    team = do_create_team(None, org, "Alpha desk", slug="alpha")
    supervisor = do_create_user(
        None,
        username="sup",
        password=None,
        organization=org,
        team=team,
        role="supervisor",
        email="sup@north.test",
    )
    agent = do_create_user(
        None, username="agent", password=None, organization=org, team=team, role="agent"
    )
    client_a = do_create_client(
        None, organization=org, team=team, name="Ana Kowalska", email="a@example.test"
    )
    client_b = do_create_client(
        None, organization=org, team=team, name="Bojan", email="b@example.test"
    )
    case_a = do_create_case(None, client=client_a, team=team, subject="Parcel", channel="email")
    Case.objects.filter(pk=case_a.pk).update(reference=CASE_A_REF)
    case_a.refresh_from_db()
    case_b = do_create_case(None, client=client_b, team=team, subject="Bill", channel="email")
    queue_email(
        organization_id=org.pk,
        key="test-outbound-1",
        kind="reply",
        to=["a@example.test"],
        subject="Your parcel",
        body="We are sorry for the delay.",
        case=case_a,
        message_id=OUTBOUND_ID,
        enqueue=False,
    )
    mailbox = Mailbox.objects.create(
        organization=org, team=team, name="Help", addresses=["help@north.test"]
    )
    other = do_create_organization("South", slug="south")
    return MailWorld(
        org, team, supervisor, agent, client_a, client_b, case_a, case_b, mailbox, other
    )
