"""calmdesk.simulation: role-play difficult clients, scored by the same coach (no Django).

Public API (see docs/simulation.md)::

    list_scenarios(lang) -> tuple[Scenario, ...]         # en, pl, sr, sr-latn, he
    load_scenario(scenario_id, lang) -> Scenario
    Session(scenario, seed=0) -> .opening, .reply(text) -> TurnRecord, .result()
    run_script(scenario, replies, seed=0) -> SessionResult
    replay(result) -> SessionResult                        # same seed + turns = same session
    score_session(result, scenario) -> Report
    case_to_scenario(case) -> ScenarioDraft
    train_main(argv) -> int                               # the terminal mode
    rephraser_from_env() -> ChatRephraser | None          # optional model wording (llm.py)
"""

from __future__ import annotations

from ._types import (
    CATEGORIES,
    EVENTS,
    MOVES,
    OUTCOMES,
    PRINCIPLE_SLUGS,
    CoachLines,
    Fact,
    Mark,
    Persona,
    PersonaState,
    PrincipleScore,
    Report,
    Scenario,
    ScenarioError,
    SessionResult,
    TurnRecord,
)
from .case_to_scenario import CaseData, CaseMessage, ScenarioDraft, case_to_scenario, pseudonymise
from .engine import Reading, Session, replay, run_script
from .llm import ChatRephraser, Rephraser, RephraseRequest, rephraser_from_env
from .scenarios import LANGS, LangPack, lang_pack, list_scenarios, load_scenario, load_scenario_file
from .scoring import model_reply, principle_link, score_session
from .terminal import train_main

__all__ = [
    "CATEGORIES",
    "EVENTS",
    "LANGS",
    "MOVES",
    "OUTCOMES",
    "PRINCIPLE_SLUGS",
    "CaseData",
    "CaseMessage",
    "ChatRephraser",
    "CoachLines",
    "Fact",
    "LangPack",
    "Mark",
    "Persona",
    "PersonaState",
    "PrincipleScore",
    "Reading",
    "RephraseRequest",
    "Rephraser",
    "Report",
    "Scenario",
    "ScenarioDraft",
    "ScenarioError",
    "Session",
    "SessionResult",
    "TurnRecord",
    "case_to_scenario",
    "lang_pack",
    "list_scenarios",
    "load_scenario",
    "load_scenario_file",
    "model_reply",
    "principle_link",
    "pseudonymise",
    "rephraser_from_env",
    "replay",
    "run_script",
    "score_session",
    "train_main",
]
