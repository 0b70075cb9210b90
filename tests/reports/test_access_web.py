"""Who may see which report, through HTTP (helper R2's access rules, calmdesk.reports.access).

World (tests/desk/conftest.py): north has teams alpha and beta, south has gamma; agent_a
(alpha agent), agent_b (beta agent), supervisor_a (alpha supervisor), mentor (alpha mentor),
admin (org admin, also beta supervisor), inactive, outsider (south).
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/reports/_web.py)

from __future__ import annotations

import pytest
from django.urls import reverse

from calmdesk.reports.access import may_view, report_scope, scope_for
from tests.reports._web import (  # noqa: F401
    DEFINITIONS,
    SEEN,
    _fast_and_isolated,
    synthetic_reports,
    world,
)

pytestmark = pytest.mark.django_db

# who -> the reports they see listed and may open
VISIBLE = {
    "agent_a": {"replies"},
    "agent_b": {"replies"},
    "supervisor_a": {"cases", "replies", "wellbeing"},
    "mentor": {"replies"},
    "admin": {"cases", "replies", "wellbeing"},
    "outsider": {"replies"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_sees_exactly_its_reports(world, synthetic_reports, who):
    client = world.http(who)
    index = client.get(reverse("reports:index"))
    assert index.status_code == 200
    html = index.content.decode()
    for slug in DEFINITIONS:
        listed = f'data-report="{slug}"' in html
        assert listed == (slug in VISIBLE[who]), (who, slug)
        for name in ("reports:report", "reports:csv", "reports:pdf"):
            r = client.get(reverse(name, args=[slug]))
            expected = 200 if slug in VISIBLE[who] else 404
            assert r.status_code == expected, (who, slug, name, r.status_code)


def test_forbidden_report_answers_like_a_missing_one(world, synthetic_reports):
    client = world.http("agent_a")
    forbidden = client.get(reverse("reports:report", args=["cases"]))
    missing = client.get(reverse("reports:report", args=["no-such-report"]))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_anonymous_and_deactivated_users_are_sent_to_sign_in(world, synthetic_reports):
    for who in (None, "inactive"):
        client = world.http(who)
        for url in (
            reverse("reports:index"),
            reverse("reports:report", args=["cases"]),
            reverse("reports:csv", args=["cases"]),
            reverse("reports:pdf", args=["cases"]),
            reverse("reports:subscription"),
        ):
            r = client.get(url)
            assert r.status_code == 302 and r["Location"].startswith(reverse("desk:login")), url


def test_scopes_follow_the_rules(world):
    u, t = world.users, world.teams
    sup = report_scope(u["supervisor_a"])
    assert sup.team_ids == (t["alpha"].id,)
    assert u["agent_a"].id in sup.agent_ids and u["agent_b"].id not in sup.agent_ids
    assert sup.text_team_ids == (t["alpha"].id,) and sup.wellbeing
    admin = report_scope(u["admin"])
    assert set(admin.team_ids) == {t["alpha"].id, t["beta"].id}
    assert {u["agent_a"].id, u["agent_b"].id} <= set(admin.agent_ids)
    assert u["outsider"].id not in admin.agent_ids
    agent = report_scope(u["agent_a"])
    assert agent.team_ids == () and agent.agent_ids == (u["agent_a"].id,)
    assert not agent.wellbeing
    mentor = report_scope(u["mentor"])
    # the mentor sees the agents of the team they mentor, no team aggregate, no client text
    assert mentor.team_ids == () and mentor.text_team_ids == ()
    assert set(mentor.agent_ids) == {u["mentor"].id, u["agent_a"].id, u["inactive"].id}
    assert report_scope(u["inactive"]) is None
    assert report_scope(None) is None
    outsider = report_scope(u["outsider"])
    assert outsider.organization_id != sup.organization_id
    # another organization passed in: nothing
    assert report_scope(u["supervisor_a"], t["gamma"].organization) is None
    assert scope_for(u["agent_a"], DEFINITIONS["wellbeing"]) is None


def test_agent_level_figures_only_to_self_supervisor_and_mentor(world, synthetic_reports):
    u = world.users
    replies = DEFINITIONS["replies"]
    agent_a = u["agent_a"].id
    for who, allowed in [
        ("agent_a", True),  # themselves
        ("supervisor_a", True),  # their supervisor
        ("mentor", True),  # their team's mentor
        ("admin", True),  # organization admin
        ("agent_b", False),  # a colleague of another team
        ("outsider", False),  # another organization
    ]:
        assert may_view(u[who], replies, agent_a) is allowed, who
        r = world.http(who).get(reverse("reports:report", args=["replies"]), {"agent": agent_a})
        assert r.status_code == (200 if allowed else 404), (who, r.status_code)
    # a mentor never sees a supervisor's own figures, nor a well-being figure per person
    assert not may_view(u["mentor"], replies, u["supervisor_a"].id)
    assert not may_view(u["admin"], DEFINITIONS["wellbeing"], agent_a)


def test_an_agent_opening_an_agent_report_sees_only_themselves(world, synthetic_reports):
    r = world.http("agent_a").get(reverse("reports:report", args=["replies"]))
    assert r.status_code == 200
    filters, scope = SEEN[-1]
    assert filters.agent_id == world.users["agent_a"].id
    assert scope.team_ids == ()
    html = r.content.decode()
    assert "agent_a" in html and "agent_b" not in html and "supervisor_a" not in html


def test_a_team_outside_the_scope_is_404(world, synthetic_reports):
    client = world.http("supervisor_a")
    url = reverse("reports:report", args=["cases"])
    assert client.get(url, {"team": world.teams["alpha"].id}).status_code == 200
    foreign = client.get(url, {"team": world.teams["beta"].id})
    other_org = client.get(url, {"team": world.teams["gamma"].id})
    missing = client.get(url, {"team": 10**9})
    assert foreign.status_code == other_org.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    csv = client.get(reverse("reports:csv", args=["cases"]), {"team": world.teams["beta"].id})
    assert csv.status_code == 404


def test_wellbeing_scope_carries_no_person_and_no_text(world, synthetic_reports):
    r = world.http("supervisor_a").get(reverse("reports:report", args=["wellbeing"]))
    assert r.status_code == 200
    _filters, scope = SEEN[-1]
    assert scope.wellbeing and scope.agent_ids == () and scope.text_team_ids == ()
