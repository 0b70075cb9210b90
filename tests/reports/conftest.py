"""A small world for the report tests, built through the desk's actions.

Organization "north": teams alpha and beta.  Organization "south": team gamma.
- case "late" (alpha, agent_a, email, tag "vip", root cause delay): an angry English message,
  then a calm one; a reply with a promise kept; resolved and rated 5 with a comment.
- case "bill" (alpha, agent_a, chat, root cause billing): an upset Polish message; a promise
  missed; a dismissed coach finding.
- case "bounce" (beta, agent_b, phone): passed beta → alpha → beta (ping-pong).
- case "south" (gamma, outsider, root cause delay): an angry message.
Five alpha agents and one beta agent share a well-being check-in in team figures; agent_a
and agent_b each finished a practice session.
All texts are ours (synthetic).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from calmdesk.desk.actions import followups as fu
from calmdesk.desk.actions import satisfaction as sa
from calmdesk.desk.actions import wellbeing as wb
from calmdesk.desk.actions.cases import (
    do_change_status,
    do_create_case,
    do_set_root_cause,
    do_transfer_case,
)
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.interactions import do_receive_message, do_send_reply
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
from calmdesk.desk.actions.users import do_create_user
from calmdesk.desk.actions.workspace import do_dismiss_finding
from calmdesk.desk.models import Case, FollowUp, Organization, SatisfactionSurvey, Team, User
from calmdesk.reports.counts import COLUMNS

ANGRY_EN = (
    "This is the third time I write about my parcel and nobody answers. I am furious, "
    "I want my money back today!"
)
CALM_EN = "Thank you, the parcel has arrived and everything is fine now."
UPSET_PL = "Znowu dostałem fakturę z błędem. Jestem bardzo zły, proszę to natychmiast poprawić!"
NEUTRAL_SR = "Poštovani, molim vas da mi pošaljete novi ugovor za internet."
ANGRY_SOUTH = "Your technician did not come again. This is a disgrace and I am very angry!"


@dataclass
class RWorld:
    orgs: dict[str, Organization] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    promises: dict[str, FollowUp] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _fast(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")


def build_rworld() -> RWorld:
    w = RWorld()
    north = w.orgs["north"] = do_create_organization("North Utilities", slug="north")
    south = w.orgs["south"] = do_create_organization("South Telecom", slug="south")
    for slug, org in (("alpha", north), ("beta", north), ("gamma", south)):
        w.teams[slug] = do_create_team(None, org, f"{slug.title()} desk", slug=slug)

    def user(name: str, team: str, role: str = "agent") -> User:
        org = w.teams[team].organization
        u = do_create_user(
            None, username=name, password=None, organization=org, team=w.teams[team], role=role
        )
        w.users[name] = u
        return u

    a, b = user("agent_a", "alpha"), user("agent_b", "beta")
    user("supervisor_a", "alpha", "supervisor")
    outsider = user("outsider", "gamma")
    clients = {
        team: do_create_client(
            None,
            organization=w.teams[team].organization,
            team=w.teams[team],
            name=f"Client {team}",
            email=f"{team}@example.test",
        )
        for team in ("alpha", "beta", "gamma")
    }
    now = timezone.now()

    def case(key: str, team: str, who: User, channel: str, tags: tuple[str, ...] = ()) -> Case:
        c = do_create_case(
            who,
            client=clients[team],
            team=w.teams[team],
            subject=f"Case {key}",
            channel=channel,
            assignee=who,
            tags=tags,
        )
        w.cases[key] = c
        return c

    late = case("late", "alpha", a, "email", ("vip",))
    do_receive_message(None, case=late, text=ANGRY_EN, channel="email", language="en")
    do_send_reply(a, case=late, text="I am sorry. I will call you back today.", channel="email")
    w.promises["late"] = fu.do_add_followup(
        a, case=late, action="Call back", due_at=now + dt.timedelta(hours=2)
    )
    fu.do_close_followup(a, w.promises["late"])
    do_receive_message(None, case=late, text=CALM_EN, channel="email", language="en")
    do_set_root_cause(a, late, "delay")
    do_change_status(a, late, "resolved")
    survey = SatisfactionSurvey.objects.get(case=late)
    sa.do_rate_case(
        survey.pk, survey.nonce, 5, comment="Kind and quick.", now=now + dt.timedelta(minutes=1)
    )

    bill = case("bill", "alpha", a, "chat")
    do_receive_message(None, case=bill, text=UPSET_PL, channel="chat", language="pl")
    do_set_root_cause(a, bill, "billing")
    w.promises["bill"] = fu.do_add_followup(
        a, case=bill, action="Send a corrected invoice", due_at=now + dt.timedelta(days=2)
    )
    fu.do_close_followup(a, w.promises["bill"], status="missed")
    do_dismiss_finding(a, case=bill, rule_id="pl.blame.not-our-fault", principle=5, level="warning")

    bounce = case("bounce", "beta", b, "phone")
    do_receive_message(None, case=bounce, text=NEUTRAL_SR, channel="phone", language="sr")
    do_transfer_case(b, bounce, w.teams["alpha"], "Contract questions go to alpha.")
    do_transfer_case(
        a,
        bounce,
        w.teams["beta"],
        "Phone contracts are beta's after all.",
        tried="Checked the contract",
        promised="A call tomorrow",
        confirm=True,
    )

    south_case = case("south", "gamma", outsider, "email")
    do_receive_message(None, case=south_case, text=ANGRY_SOUTH, channel="email", language="en")
    do_set_root_cause(outsider, south_case, "delay")

    for i in range(5):
        extra = user(f"alpha_{i}", "alpha")
        checkin = wb.do_offer_checkin(extra, case=None, reason="self")
        wb.do_complete_checkin(
            extra, checkin, feeling=3, break_minutes=10, share_in_aggregates=True
        )
    checkin = wb.do_offer_checkin(b, case=None, reason="self")
    wb.do_complete_checkin(b, checkin, feeling=2, break_minutes=5, share_in_aggregates=True)
    from calmdesk.training.models import PracticeSession

    for trainee, overall, scores in ((a, 70, {"3": 80, "5": 60}), (b, 50, {"3": 40})):
        PracticeSession.objects.create(
            organization=north,
            trainee=trainee,
            scenario_id="late-parcel",
            lang="en",
            status=PracticeSession.Status.FINISHED,
            overall=overall,
            principle_scores=scores,
            finished_at=now,
        )
    for key in w.cases:
        w.cases[key].refresh_from_db()
    return w


@pytest.fixture
def rworld(db: Any) -> RWorld:
    return build_rworld()


def snapshot(org_id: int | None = None) -> list[tuple[Any, ...]]:
    """Every count row (without ids), sorted: two equal snapshots = identical tables."""
    from calmdesk.reports.models import DailyCount

    qs = DailyCount.objects.all()
    if org_id is not None:
        qs = qs.filter(organization_id=org_id)
    return sorted(qs.values_list(*COLUMNS))
