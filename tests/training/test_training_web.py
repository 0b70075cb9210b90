"""The training pages through HTTP: visibility, a full practice session, mentor review,
assignments and scenario drafts made from resolved cases."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from calmdesk.desk.actions.cases import do_change_status
from calmdesk.desk.models import AuditEntry
from calmdesk.simulation import load_scenario
from calmdesk.training.actions import do_practice_turn, do_start_practice
from calmdesk.training.models import (
    Assignment,
    MentorComment,
    PracticeSession,
    ScenarioDraft,
    ScoreOverride,
)
from tests.simulation.conftest import poor_script, skilled_script

pytestmark = pytest.mark.django_db

SCENARIO = "late-delivery"


def _session(world: Any, who: str) -> PracticeSession:
    return do_start_practice(world.users[who], scenario_id=SCENARIO, lang="en", seed=7)


def _play_http(client: Any, replies: list[str]) -> PracticeSession:
    r = client.post(reverse("training:start"), {"scenario": SCENARIO, "lang": "en"})
    assert r.status_code == 302
    session = PracticeSession.objects.order_by("-id").first()
    assert r["Location"] == reverse("training:practice", args=[session.pk])
    page = client.get(r["Location"])
    assert page.status_code == 200 and escape(session.opening) in page.content.decode()
    for text in replies:
        session.refresh_from_db()
        if session.status == "finished":
            break
        r = client.post(
            reverse("training:turn", args=[session.pk]), {"text": text}, HTTP_HX_REQUEST="true"
        )
        assert r.status_code == 200
        assert escape(session.turns.order_by("-n").first().persona_reply) in r.content.decode()
    session.refresh_from_db()
    if session.status != "finished":
        assert client.post(reverse("training:end", args=[session.pk])).status_code == 302
        session.refresh_from_db()
    return session


def test_skilled_trainee_resolves_and_outscores_a_poor_one(world):
    scenario = load_scenario(SCENARIO, "en")
    client = world.http("agent_a")
    skilled = _play_http(client, skilled_script(scenario))
    poor = _play_http(client, poor_script(scenario))
    assert skilled.outcome == "resolved"
    assert poor.outcome in ("escalated", "abandoned", "quit", "turn_limit")
    assert skilled.overall > poor.overall + 30
    report = client.get(reverse("training:report", args=[skilled.pk]))
    html = report.content.decode()
    assert report.status_code == 200 and 'id="overall"' in html and 'id="model-reply"' in html
    poor_html = client.get(reverse("training:report", args=[poor.pk])).content.decode()
    assert 'id="practise-next"' in poor_html
    assert AuditEntry.objects.filter(action="training.turn").count() == (
        skilled.turns.count() + poor.turns.count()
    )
    # history and progress list the attempts; the chart data is a JSON block
    assert escape(skilled.title) in client.get(reverse("training:history")).content.decode()
    progress = client.get(reverse("training:progress")).content.decode()
    assert 'id="progress-data" type="application/json"' in progress
    assert "<script>" not in progress


def test_trainee_sees_only_own_sessions(world):
    mine = _session(world, "agent_a")
    theirs = _session(world, "agent_b")
    client = world.http("agent_a")
    assert client.get(reverse("training:report", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("training:practice", args=[theirs.pk])).status_code == 404
    r = client.post(reverse("training:turn", args=[theirs.pk]), {"text": "Hello"})
    assert r.status_code == 404 and theirs.turns.count() == 0
    assert client.get(reverse("training:practice", args=[mine.pk])).status_code == 200
    assert client.get(reverse("training:mentor")).status_code == 404


def test_mentor_sees_mentees_only_and_another_org_sees_nothing(world):
    mentee = _session(world, "agent_a")  # agent_a is in alpha, where "mentor" mentors
    other_team = _session(world, "agent_b")  # beta: not a mentee
    outsider = _session(world, "outsider")
    mentor = world.http("mentor")
    page = mentor.get(reverse("training:mentor"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("training:report", args=[mentee.pk]) in html
    assert reverse("training:report", args=[other_team.pk]) not in html
    assert mentor.get(reverse("training:report", args=[mentee.pk])).status_code == 200
    missing = mentor.get(reverse("training:report", args=[10**9]))
    for s in (other_team, outsider):
        r = mentor.get(reverse("training:report", args=[s.pk]))
        assert r.status_code == 404 and r.content == missing.content
    # the mentor reads but never practises in a mentee's session
    assert mentor.get(reverse("training:practice", args=[mentee.pk])).status_code == 404
    south = world.http("outsider")
    for s in (mentee, other_team):
        assert south.get(reverse("training:report", args=[s.pk])).status_code == 404
    assert (
        reverse("training:report", args=[mentee.pk])
        not in south.get(reverse("training:history")).content.decode()
    )
    # a trainee who is not a mentor cannot comment on a colleague's session
    r = world.http("supervisor_a").post(
        reverse("training:comment", args=[mentee.pk]), {"turn": 0, "text": "x"}
    )
    assert r.status_code == 404 and MentorComment.objects.count() == 0


def test_mentor_comments_overrides_with_reason_and_assigns(world):
    session = _session(world, "agent_a")
    do_practice_turn(world.users["agent_a"], session, text="Calm down, that's our policy.")
    mentor = world.http("mentor")
    url = reverse("training:override", args=[session.pk])
    # not yet finished: refused
    mentor.post(url, {"principle": 3, "score": 90, "reason": "kind tone"})
    assert ScoreOverride.objects.count() == 0
    world.http("agent_a").post(reverse("training:end", args=[session.pk]))
    session.refresh_from_db()
    old = session.principle_scores.get("5")
    assert mentor.post(url, {"principle": 5, "score": 90, "reason": ""}).status_code == 302
    assert ScoreOverride.objects.count() == 0  # a reason is required
    before = AuditEntry.objects.count()
    r = mentor.post(url, {"principle": 5, "score": 90, "reason": "The caller was abusive."})
    assert r.status_code == 302
    o = ScoreOverride.objects.get()
    assert (o.principle, o.old_score, o.new_score, o.reason) == (
        5,
        old,
        90,
        "The caller was abusive.",
    )
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "training.override" and entry.actor == world.users["mentor"]
    assert entry.data["reason"] == "The caller was abusive." and entry.data["new"] == 90
    session.refresh_from_db()
    assert session.principle_scores["5"] == 90
    html = mentor.get(reverse("training:report", args=[session.pk])).content.decode()
    assert "The caller was abusive." in html
    # a comment on turn 1
    mentor.post(
        reverse("training:comment", args=[session.pk]), {"turn": 1, "text": "Try naming it."}
    )
    assert MentorComment.objects.get().turn_n == 1
    assert (
        "Try naming it."
        in world.http("agent_a").get(reverse("training:report", args=[session.pk])).content.decode()
    )
    # assignment: to a mentee only; it comes first on the mentee's list
    r = mentor.post(
        reverse("training:assign"),
        {"trainee": world.users["agent_a"].pk, "scenario": SCENARIO, "lang": "en"},
    )
    assert r.status_code == 302 and Assignment.objects.count() == 1
    r = mentor.post(
        reverse("training:assign"),
        {"trainee": world.users["agent_b"].pk, "scenario": SCENARIO, "lang": "en"},
    )
    assert r.status_code == 404 and Assignment.objects.count() == 1
    html = world.http("agent_a").get(reverse("training:scenarios")).content.decode()
    assert html.index('id="assigned-list"') < html.index('id="scenario-list"')


def test_case_to_scenario_draft_is_pseudonymised_and_published_for_the_team(world):
    case = world.cases["a2"]
    sup = world.http("supervisor_a")
    url = reverse("training:case_draft", args=[case.pk])
    # an open case cannot become a scenario yet
    sup.post(url, {"category": "late_delivery"})
    assert ScenarioDraft.objects.count() == 0
    do_change_status(world.users["agent_a"], case, "resolved")
    # agents and other teams cannot turn it into a scenario
    assert world.http("agent_a").post(url).status_code == 404
    assert world.http("agent_b").post(url).status_code == 404
    r = sup.post(url, {"category": "late_delivery"})
    draft = ScenarioDraft.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("training:draft", args=[draft.pk])
    assert AuditEntry.objects.filter(action="training.draft_create").count() == 1
    text = draft.yaml_text
    for detail in ("Kowalska", "Ana ", "a@example.test"):
        assert detail not in text, detail
    assert "parcel" in text  # the conversation itself is kept
    page = sup.get(reverse("training:draft", args=[draft.pk]))
    assert page.status_code == 200
    assert world.http("agent_a").get(reverse("training:draft", args=[draft.pk])).status_code == 404
    # a broken edit is refused with the field named, and nothing is lost
    r = sup.post(reverse("training:draft", args=[draft.pk]), {"yaml_text": "id: [broken"})
    assert r.status_code == 422
    draft.refresh_from_db()
    assert draft.yaml_text == text
    # published: the team's trainees see it and can practise it; other teams do not
    sup.post(reverse("training:publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "published"
    agent = world.http("agent_a")
    assert draft.title in agent.get(reverse("training:scenarios")).content.decode()
    assert (
        draft.title not in world.http("agent_b").get(reverse("training:scenarios")).content.decode()
    )
    r = agent.post(reverse("training:start"), {"draft": draft.pk})
    started = PracticeSession.objects.get(draft=draft)
    assert r["Location"] == reverse("training:practice", args=[started.pk])
    assert started.scenario_yaml == draft.yaml_text
    assert (
        world.http("agent_b").post(reverse("training:start"), {"draft": draft.pk}).status_code
        == 404
    )


def test_hebrew_session_through_http_replays_identically(world):
    from calmdesk.simulation import list_scenarios
    from calmdesk.training.lib.simulation import play, session_scenario

    scenario = list_scenarios("he")[0]
    client = world.http("agent_a")
    client.post(reverse("training:start"), {"scenario": scenario.id, "lang": "he"})
    session = PracticeSession.objects.get(lang="he")
    for text in skilled_script(scenario):
        session.refresh_from_db()
        if session.status == "finished":
            break
        r = client.post(
            reverse("training:turn", args=[session.pk]), {"text": text}, HTTP_HX_REQUEST="true"
        )
        assert r.status_code == 200 and 'dir="auto"' in r.content.decode()
    session.refresh_from_db()
    assert session.outcome == "resolved"
    turns = list(session.turns.order_by("n"))
    replayed = play(session_scenario(session), session.seed, [t.trainee_text for t in turns])
    assert [t.persona for t in replayed.turns] == [t.persona_reply for t in turns]
    # an empty reply is refused with a message, nothing is stored
    session2 = do_start_practice(world.users["agent_a"], scenario_id=scenario.id, lang="he")
    r = client.post(
        reverse("training:turn", args=[session2.pk]), {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 422 and session2.turns.count() == 0
