"""Rows of the training app's actions for test_audit's one-audit-entry-per-action table."""

from __future__ import annotations

from typing import Any

from calmdesk.desk.models import Case
from calmdesk.training import actions as tr
from calmdesk.training.models import PracticeSession, ScenarioDraft

MODULES = (tr,)


def training_calls(w: Any) -> dict[str, Any]:
    a, mentor, sup = w.users["agent_a"], w.users["mentor"], w.users["supervisor_a"]

    def session() -> PracticeSession:
        return PracticeSession.objects.filter(trainee=a).order_by("-id").first()

    def draft() -> ScenarioDraft:
        return ScenarioDraft.objects.order_by("-id").first()

    def make_draft() -> ScenarioDraft:
        # set up without an audit entry of its own (do_change_status would add one)
        Case.objects.filter(pk=w.cases["a"].pk).update(status="resolved")
        case = Case.objects.get(pk=w.cases["a"].pk)
        return tr.do_create_draft_from_case(sup, case, category="late_delivery")

    return {
        "do_start_practice": lambda: tr.do_start_practice(
            a, scenario_id="late-delivery", lang="en", seed=3
        ),
        "do_practice_turn": lambda: tr.do_practice_turn(
            a, session(), text="I'm sorry. What is the parcel for?"
        ),
        "do_end_practice": lambda: tr.do_end_practice(a, session()),
        "do_comment_turn": lambda: tr.do_comment_turn(mentor, session(), turn_n=1, text="Good."),
        "do_override_score": lambda: tr.do_override_score(
            mentor, session(), principle=3, new_score=80, reason="warm tone"
        ),
        "do_assign_scenario": lambda: tr.do_assign_scenario(
            mentor, trainee=a, scenario_id="late-delivery", lang="en"
        ),
        "do_create_draft_from_case": make_draft,
        "do_update_draft": lambda: tr.do_update_draft(sup, draft(), yaml_text=draft().yaml_text),
        "do_publish_draft": lambda: tr.do_publish_draft(sup, draft()),
    }
