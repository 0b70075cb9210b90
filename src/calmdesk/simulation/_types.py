"""Value types of the training simulator: scenarios, persona state, turns, scores and reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from calmdesk.analysis import PRINCIPLES

__all__ = [
    "CATEGORIES",
    "EVENTS",
    "MOVES",
    "OUTCOMES",
    "PRINCIPLE_SLUGS",
    "CoachLines",
    "Fact",
    "Mark",
    "Outcome",
    "Persona",
    "PersonaState",
    "PrincipleScore",
    "Report",
    "Scenario",
    "ScenarioError",
    "SessionResult",
    "TurnRecord",
]

Outcome = Literal["resolved", "escalated", "abandoned", "turn_limit", "quit"]
OUTCOMES: tuple[str, ...] = ("resolved", "escalated", "abandoned", "turn_limit", "quit")

#: The nine situations of the issue (a scenario names one of them).
CATEGORIES: tuple[str, ...] = (
    "late_delivery",
    "unrealistic_expectations",
    "rude_client",
    "desperate_client",
    "passed_around",
    "policy_forbids",
    "legal_threat",
    "self_harm",
    "vague_complaint",
)

#: What a trainee's turn can do that calms the persona.
MOVES: tuple[str, ...] = (
    "acknowledge",
    "paraphrase",
    "open_question",
    "next_step",
    "boundary",
    "backup",
)

#: Persona line groups (``lines:`` keys of a scenario and of ``_common.yaml``).
EVENTS: tuple[str, ...] = (
    "opening",
    "calmer",
    "angrier",
    "neutral",
    "insulted",
    "blamed",
    "lectured",
    "robotic",
    "refused",
    "transferred",
    "quote_promise",
    "accept_promise",
    "vague_promise",
    "repeat_question",
    "wrong_paraphrase",
    "backup",
    "resolved",
    "escalated",
    "abandoned",
    "turn_limit",
)

# The twelve principles' page slugs: the same table the coach links with.
PRINCIPLE_SLUGS: dict[int, str] = dict(PRINCIPLES)


class ScenarioError(ValueError):
    """A scenario file that cannot be used: the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Fact:
    """A hidden fact the trainee must earn.

    ``earned_by``: moves that may reveal it; ``min_trust``: trust needed (0–100);
    ``lines``: how the persona tells it; ``ask``: an open question that would uncover it
    (used in the model reply); ``required``: resolution needs it uncovered.
    """

    id: str
    lines: tuple[str, ...]
    earned_by: tuple[str, ...]
    ask: str
    min_trust: int = 0
    required: bool = True


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    expected: str
    received: str
    since: str
    wants: str
    anger: int
    trust: int
    patience: int
    gender: str = ""  # "f", "m" or "" : picks the variant of "[female|male]" in lines


@dataclass(frozen=True, slots=True)
class CoachLines:
    """A skilled agent's building blocks, written per scenario: the model reply uses them."""

    acknowledge: str
    paraphrase: str
    next_step: str
    boundary: str = ""
    backup: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A role-play: the persona, what is hidden, what resolves it and the persona's lines."""

    id: str
    lang: str
    title: str
    category: str
    briefing: str
    persona: Persona
    facts: tuple[Fact, ...]
    key_terms: tuple[str, ...]
    requires: tuple[str, ...]
    cannot_grant: tuple[str, ...]
    coach: CoachLines
    lines: Mapping[str, tuple[str, ...]]
    max_turns: int = 12
    source: str = ""

    @property
    def script(self) -> str:
        return "Cyrl" if self.lang == "sr" else ("Hebr" if self.lang == "he" else "Latn")


@dataclass(slots=True)
class PersonaState:
    """Mutable state of the persona during a session (0–100 each)."""

    anger: int
    trust: int
    patience: int

    def snapshot(self) -> tuple[int, int, int]:
        return (self.anger, self.trust, self.patience)


@dataclass(frozen=True, slots=True)
class Mark:
    """Points earned (``delta`` > 0) or lost for a principle, with the turn and the evidence.

    ``turn`` is the 1-based trainee turn, ``0`` for the session as a whole.
    ``rule_id``: the coach finding behind it, or ``sim.<what>`` for the simulator's own reading.
    """

    principle: int
    delta: float
    turn: int
    reason: str
    rule_id: str
    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "principle": self.principle,
            "delta": self.delta,
            "turn": self.turn,
            "reason": self.reason,
            "rule_id": self.rule_id,
            "quote": self.quote,
        }


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One exchange: the trainee's text, how it was read and the persona's answer."""

    index: int
    trainee: str
    persona: str
    moves: tuple[str, ...]
    events: tuple[str, ...]
    rule_ids: tuple[str, ...]
    revealed: tuple[str, ...]
    state_before: tuple[int, int, int]
    state_after: tuple[int, int, int]
    marks: tuple[Mark, ...]
    promises: tuple[str, ...] = ()
    broken_promises: tuple[str, ...] = ()
    # the engine's scripted line when ``persona`` holds a model's wording of it (else "")
    scripted: str = ""

    def to_dict(self) -> dict[str, Any]:
        extra = {"scripted": self.scripted} if self.scripted else {}
        return {
            "index": self.index,
            "trainee": self.trainee,
            "persona": self.persona,
            "moves": list(self.moves),
            "events": list(self.events),
            "rule_ids": list(self.rule_ids),
            "revealed": list(self.revealed),
            "state_before": list(self.state_before),
            "state_after": list(self.state_after),
            "marks": [m.to_dict() for m in self.marks],
            "promises": list(self.promises),
            "broken_promises": list(self.broken_promises),
            **extra,
        }


@dataclass(frozen=True, slots=True)
class PrincipleScore:
    """Score of one principle, 0–100, or ``None`` when the session did not exercise it."""

    principle: int
    slug: str
    name: str
    score: int | None
    marks: tuple[Mark, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "principle": self.principle,
            "slug": self.slug,
            "name": self.name,
            "score": self.score,
            "marks": [m.to_dict() for m in self.marks],
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The final report: overall score, per-principle scores, feedback and a model reply."""

    overall: int
    outcome: str
    principles: tuple[PrincipleScore, ...]
    went_well: tuple[str, ...]
    practise_next: tuple[str, ...]
    weakest_turn: int | None
    model_reply: str
    broken_promises: tuple[str, ...]
    lang: str

    def principle(self, number: int) -> PrincipleScore:
        return self.principles[number - 1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "outcome": self.outcome,
            "principles": [p.to_dict() for p in self.principles],
            "went_well": list(self.went_well),
            "practise_next": list(self.practise_next),
            "weakest_turn": self.weakest_turn,
            "model_reply": self.model_reply,
            "broken_promises": list(self.broken_promises),
            "lang": self.lang,
        }


@dataclass(frozen=True, slots=True)
class SessionResult:
    """A finished (or stopped) session: everything needed to replay and to score it."""

    scenario_id: str
    lang: str
    seed: int
    outcome: str
    opening: str
    turns: tuple[TurnRecord, ...]
    closing: str
    revealed: tuple[str, ...]
    final_state: tuple[int, int, int]
    promises: tuple[str, ...] = field(default=())
    broken_promises: tuple[str, ...] = field(default=())

    def persona_lines(self) -> tuple[str, ...]:
        """The persona's opening and answers (the closing line is part of the last answer)."""
        lines = [self.opening, *(t.persona for t in self.turns)]
        return tuple(line for line in lines if line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario_id": self.scenario_id,
            "lang": self.lang,
            "seed": self.seed,
            "outcome": self.outcome,
            "opening": self.opening,
            "turns": [t.to_dict() for t in self.turns],
            "closing": self.closing,
            "revealed": list(self.revealed),
            "final_state": list(self.final_state),
            "promises": list(self.promises),
            "broken_promises": list(self.broken_promises),
        }
