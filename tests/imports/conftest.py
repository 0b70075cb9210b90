"""A small world for the import tests: organization "north" with one team, an agent
(``agent1``, also known by the email agent1@north.test) and a supervisor who gets alerts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
from calmdesk.desk.actions.users import do_create_user
from calmdesk.desk.models import Organization, Team, User

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class World:
    org: Organization
    team: Team
    agent: User
    supervisor: User


@pytest.fixture
def world(db: Any) -> World:
    org = do_create_organization("North Utilities", slug="north")
    team = do_create_team(None, org, "Alpha desk", slug="alpha")
    agent = do_create_user(
        None,
        username="agent1",
        password=None,
        organization=org,
        team=team,
        role="agent",
        email="agent1@north.test",
    )
    supervisor = do_create_user(
        None,
        username="sup",
        password=None,
        organization=org,
        team=team,
        role="supervisor",
        email="sup@north.test",
    )
    return World(org, team, agent, supervisor)
