"""Fixtures for the desk tests: a small world of two organizations built through the actions.

Organization "north": teams alpha and beta.  Organization "south": team gamma.
People (north unless said): agent_a (alpha agent), agent_b (beta agent), supervisor_a
(alpha supervisor), mentor (mentor in alpha), admin (org admin), inactive (alpha agent,
deactivated), outsider (gamma agent, south).  Each team has a client and a case with an
inbound message carrying an attachment; case_a is shared with the mentor, case_a2 is not.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client as HttpClient

from calmdesk.desk.actions.cases import do_create_case, do_share_case_with_mentor
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.interactions import do_add_note, do_receive_message, do_send_reply
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
from calmdesk.desk.actions.tokens import do_issue_token, do_revoke_token
from calmdesk.desk.actions.users import do_add_membership, do_create_user, do_set_user_active
from calmdesk.desk.lib.attachments import IncomingFile
from calmdesk.desk.models import Attachment, Case, Client, Interaction, Team, User


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def http(self, who: str | None, *, csrf: bool = False) -> HttpClient:
        """A test client logged in as ``who`` (session); None = anonymous."""
        client = HttpClient(enforce_csrf_checks=csrf)
        if who is not None:
            client.force_login(self.users[who])
        return client

    def api(self, who: str) -> HttpClient:
        """A test client that authenticates with ``who``'s bearer token (no session)."""
        return HttpClient(headers={"authorization": f"Bearer {self.tokens[who]}"})


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def build_world() -> World:
    w = World()
    north = do_create_organization("North Utilities", slug="north")
    south = do_create_organization("South Telecom", slug="south")
    w.teams["alpha"] = do_create_team(None, north, "Alpha desk", slug="alpha")
    w.teams["beta"] = do_create_team(None, north, "Beta desk", slug="beta")
    w.teams["gamma"] = do_create_team(None, south, "Gamma desk", slug="gamma")

    def user(name: str, team: str, role: str, org: Any = north) -> User:
        u = do_create_user(
            None, username=name, password=None, organization=org, team=w.teams[team], role=role
        )
        w.users[name] = u
        return u

    user("agent_a", "alpha", "agent")
    user("agent_b", "beta", "agent")
    user("supervisor_a", "alpha", "supervisor")
    user("mentor", "alpha", "mentor")
    user("admin", "alpha", "admin")
    do_add_membership(None, w.users["admin"], w.teams["beta"], "supervisor")
    user("inactive", "alpha", "agent")
    user("outsider", "gamma", "agent", org=south)

    for key, team, name in [
        ("a", "alpha", "Ana Kowalska"),
        ("b", "beta", "Bojan Petrović"),
        ("x", "gamma", "Xena South"),
    ]:
        org = w.teams[team].organization
        w.clients[key] = do_create_client(
            None,
            organization=org,
            team=w.teams[team],
            name=name,
            email=f"{key}@example.test",
            banner=f"banner {key}",
        )
    for key, client_key, team, who in [
        ("a", "a", "alpha", "agent_a"),
        ("a2", "a", "alpha", "agent_a"),
        ("b", "b", "beta", "agent_b"),
        ("x", "x", "gamma", "outsider"),
    ]:
        case = do_create_case(
            w.users[who],
            client=w.clients[client_key],
            team=w.teams[team],
            subject=f"Late delivery {key}",
            channel="email",
        )
        w.cases[key] = case
        msg = do_receive_message(
            None,
            case=case,
            text=f"Where is my parcel? ({key}) שלום",
            channel="email",
            attachments=[IncomingFile(f"photo-{key}.png", "image/png", PNG)],
        )
        w.interactions[key] = msg
        w.attachments[key] = msg.attachments.get()
        do_send_reply(w.users[who], case=case, text="We are checking it today.", channel="email")
        do_add_note(w.users[who], case=case, kind="internal_note", text="Carrier contacted.")
    do_share_case_with_mentor(w.users["supervisor_a"], w.cases["a"], w.users["mentor"])

    for name in ("agent_a", "agent_b", "mentor", "outsider", "inactive", "supervisor_a", "admin"):
        _, raw = do_issue_token(None, w.users[name], "tests")
        w.tokens[name] = raw
    revoked, raw = do_issue_token(None, w.users["agent_a"], "revoked")
    do_revoke_token(None, revoked)
    w.tokens["revoked"] = raw
    do_set_user_active(None, w.users["inactive"], False)
    return w


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def flushable_logs(transactional_db: Any) -> Any:
    """For tests that commit (transactional_db, live_server): Django empties the tables after
    such a test with ``flush``, which the append-only triggers refuse.  This fixture drops
    them just before that flush; the flush's post_migrate signal reinstalls them."""
    yield
    from django.db import connection

    from calmdesk.desk.lib.append_only import drop_triggers

    drop_triggers(connection)
