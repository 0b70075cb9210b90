"""Per-message facts: every client message analysed once per engine version."""

from __future__ import annotations

from typing import Any

import pytest

import calmdesk.analysis
from calmdesk.desk.models import Interaction, Kind
from calmdesk.reports.models import FillState, MessageFact, ReplyFact
from calmdesk.reports.signals import analyze_pending, engine_version, review_pending
from tests.reports.conftest import ANGRY_EN, UPSET_PL, RWorld


def test_every_client_message_gets_one_fact(rworld: RWorld) -> None:
    inbound = Interaction.objects.filter(kind=Kind.INBOUND).exclude(text="")
    seen: list[tuple[int, int]] = []
    done = analyze_pending(batch=2, progress=lambda d, t: seen.append((d, t)))
    assert done == inbound.count() == MessageFact.objects.count() == 5
    assert seen and seen[-1][0] == 5
    assert analyze_pending() == 0  # idempotent
    fact = MessageFact.objects.get(interaction__text=ANGRY_EN)
    late = rworld.cases["late"]
    assert (fact.case_id, fact.team_id, fact.channel) == (late.pk, late.team_id, "email")
    assert fact.engine_version == engine_version()
    assert fact.language == "en" and fact.negative and fact.anger > 0.3
    calm = MessageFact.objects.filter(case_id=late.pk).order_by("occurred_at").last()
    assert calm is not None and not calm.negative and calm.escalation < fact.escalation
    polish = MessageFact.objects.get(interaction__text=UPSET_PL)
    assert polish.language == "pl"
    # replies are never client facts
    assert not MessageFact.objects.filter(interaction__kind=Kind.OUTBOUND).exists()


def test_one_organization_only(rworld: RWorld) -> None:
    assert analyze_pending(rworld.orgs["south"].pk) == 1
    assert set(MessageFact.objects.values_list("organization_id", flat=True)) == {
        rworld.orgs["south"].pk
    }


def test_facts_of_an_older_engine_are_redone(rworld: RWorld) -> None:
    analyze_pending()
    MessageFact.objects.filter(case_id=rworld.cases["bill"].pk).update(engine_version="0.0.1")
    assert analyze_pending() == 1
    assert set(MessageFact.objects.values_list("engine_version", flat=True)) == {engine_version()}


def test_a_failed_analysis_is_retried_next_time(
    rworld: RWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = calmdesk.analysis.analyze_message

    def flaky(text: str, **kwargs: Any) -> Any:
        if text == UPSET_PL:
            raise RuntimeError("engine hiccup")
        return real(text, **kwargs)

    def many(texts: Any, *, lang: str | None = None) -> Any:
        for t in texts:
            yield flaky(t, lang=lang)

    monkeypatch.setattr(calmdesk.analysis, "analyze_message", flaky)
    monkeypatch.setattr(calmdesk.analysis, "analyze_many", many)
    first = analyze_pending(batch=1)
    assert not MessageFact.objects.filter(interaction__text=UPSET_PL).exists()
    state = FillState.objects.get(organization_id=rworld.orgs["north"].pk, table="facts")
    failed = Interaction.objects.get(text=UPSET_PL)
    assert state.last_interaction_id < failed.pk, "the watermark stops before the failure"
    monkeypatch.undo()
    second = analyze_pending()
    assert MessageFact.objects.filter(interaction__text=UPSET_PL).exists()
    assert first + second >= 5 and MessageFact.objects.count() == 5


def test_replies_are_reviewed_once(rworld: RWorld) -> None:
    assert review_pending() == 1
    assert review_pending() == 0
    fact = ReplyFact.objects.get()
    assert fact.author_id == rworld.users["agent_a"].pk
    assert all(isinstance(r, str) and r.count(".") >= 2 for r in fact.rules)
