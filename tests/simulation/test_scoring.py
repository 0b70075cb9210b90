"""Scores and reports over every scenario: each is winnable, each punishes a poor trainee."""

from __future__ import annotations

import pytest

from calmdesk.analysis import review_reply
from calmdesk.simulation import (
    PRINCIPLE_SLUGS,
    lang_pack,
    list_scenarios,
    principle_link,
    run_script,
    score_session,
)

from .conftest import LANGS, poor_script, skilled_script


@pytest.mark.parametrize("lang", LANGS)
def test_every_scenario_is_winnable_by_a_skilled_trainee(lang: str) -> None:
    for scenario in list_scenarios(lang):
        result = run_script(scenario, skilled_script(scenario), seed=7)
        report = score_session(result, scenario)
        assert result.outcome == "resolved", (scenario.id, [t.events for t in result.turns])
        assert report.overall >= 80, (scenario.id, report.overall)
        assert not report.broken_promises, scenario.id


@pytest.mark.parametrize("lang", LANGS)
def test_every_scenario_punishes_a_poor_trainee(lang: str) -> None:
    pack = lang_pack(lang)
    for scenario in list_scenarios(lang):
        result = run_script(scenario, poor_script(scenario), seed=7)
        report = score_session(result, scenario)
        assert result.outcome in ("escalated", "abandoned"), scenario.id
        assert report.overall <= 30, (scenario.id, report.overall)
        named = " ".join(report.practise_next)
        assert pack.principle_names[5] in named or pack.principle_names[3] in named, scenario.id
        if scenario.category == "self_harm":
            assert report.principle(9).score == 0, scenario.id


@pytest.mark.parametrize("lang", ["en", "pl", "sr", "he"])
def test_model_reply_for_the_weakest_turn_passes_the_coach(lang: str) -> None:
    code = "sr" if lang.startswith("sr") else lang
    for scenario in list_scenarios(lang):
        result = run_script(scenario, poor_script(scenario), seed=1)
        report = score_session(result, scenario)
        assert report.weakest_turn is not None
        model = report.model_reply
        assert scenario.coach.acknowledge in model
        review = review_reply(model, lang=code, client_message=scenario.lines["opening"][0])
        bad = [
            f.rule_id
            for f in review.findings
            if f.level == "error" or f.rule_id.split(".")[1] in ("blame", "lecturing", "shouting")
        ]
        assert not bad, (scenario.id, bad)


def test_report_cites_turns_and_findings() -> None:
    from calmdesk.simulation import load_scenario

    scenario = load_scenario("late-delivery", "en")
    result = run_script(
        scenario,
        [
            "I'm sorry about the wait. What is the parcel for?",
            "You should have checked the tracking. Calm down.",
        ],
        seed=3,
    )
    report = score_session(result, scenario)
    marks = [m for p in report.principles for m in p.marks]
    lost = [m for m in marks if m.delta < 0 and m.turn == 2]
    assert {m.rule_id for m in lost} >= {"en.blame.you-should-have", "en.lecturing.calm-down"}
    assert all(m.principle == 5 for m in lost if m.rule_id.startswith("en.blame"))
    earned = [m for m in marks if m.delta > 0 and m.turn == 1]
    assert {"sim.acknowledge", "sim.open_question"} <= {m.rule_id for m in earned}
    assert report.weakest_turn == 2
    assert report.principle(11).score is None  # not exercised in a role-play
    assert report.to_dict()["principles"][4]["slug"] == PRINCIPLE_SLUGS[5]
    assert principle_link(5, "sr-latn") == "/docs/principles/sr/05-stay-calm"
    assert any("turn 1" in x for x in report.went_well)
