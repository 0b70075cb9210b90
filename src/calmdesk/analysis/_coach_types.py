"""Value types of the reply coach: findings, scores, promises, policy and business calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from ._types import Span

__all__ = [
    "SCORE_KEYS",
    "BusinessCalendar",
    "CoachPolicy",
    "Commitment",
    "Finding",
    "Level",
    "ReplyReview",
    "Score",
    "Suggestion",
    "Turn",
]

Level = Literal["suggestion", "warning", "error"]

SCORE_KEYS: tuple[str, ...] = (
    "empathy",
    "empathy_emotional_reaction",
    "empathy_interpretation",
    "empathy_exploration",
    "politeness",
    "positivity",
    "clarity",
    "ownership",
    "expectation_setting",
)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A concrete fix: replace the finding's span with ``text`` (``insert``: insert there).

    An empty replacement means: delete the words (e.g. "Obviously")."""

    text: str
    kind: Literal["replace", "insert"] = "replace"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Finding:
    """One coach finding on the draft."""

    rule_id: str
    principle: int
    principle_slug: str
    level: Level
    span: Span
    message: str
    why: str
    suggestions: tuple[Suggestion, ...]
    link: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "principle": self.principle,
            "principle_slug": self.principle_slug,
            "level": self.level,
            "span": self.span.to_dict(),
            "message": self.message,
            "why": self.why,
            "suggestions": [s.to_dict() for s in self.suggestions],
            "link": self.link,
        }


@dataclass(frozen=True, slots=True)
class Score:
    """A score in [0, 1] (0.5 = decision threshold) with the evidence that moved it."""

    value: float
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"value": round(self.value, 4), "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class Commitment:
    """A promise found in a text: what, by when (timezone-aware) and where."""

    action: str
    due_at: datetime | None
    due_text: str
    span: Span
    vague: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "due_text": self.due_text,
            "span": self.span.to_dict(),
            "vague": self.vague,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of the conversation: ``role`` is ``client`` or ``agent``."""

    role: Literal["client", "agent"]
    text: str

    def __post_init__(self) -> None:
        if self.role not in ("client", "agent"):
            raise ValueError(f"Turn.role must be 'client' or 'agent', not {self.role!r}")
        if not isinstance(self.text, str):
            raise TypeError(f"Turn.text must be str, not {type(self.text).__name__}")


@dataclass(frozen=True, slots=True)
class CoachPolicy:
    """What the organisation allows its agents to promise.

    ``max_refund``: the largest amount an agent may promise (in any currency written in the draft);
    ``min_lead_time_hours``: the shortest time an agent may promise for a follow-up;
    ``max_lead_time_days``: the longest delay an agent may announce;
    ``forbidden_promises``: phrases (regular expressions, lower case) agents may not promise;
    ``cannot_do``: requests (regular expressions) that cannot be granted: a reply to them needs
    a clear, kind boundary;
    ``glossary``: internal jargon mapped to plain words for clients.
    """

    max_refund: float | None = None
    min_lead_time_hours: float | None = None
    max_lead_time_days: float | None = None
    forbidden_promises: tuple[str, ...] = ()
    cannot_do: tuple[str, ...] = ()
    glossary: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working weekdays (0 = Monday … 6 = Sunday), holidays and the end of the working day."""

    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()
    end_of_day: time = time(17, 0)

    @classmethod
    def for_language(cls, lang: str) -> BusinessCalendar:
        """A default calendar: Sunday–Thursday for Hebrew, Monday–Friday otherwise."""
        if lang == "he":
            return cls(workdays=frozenset({6, 0, 1, 2, 3}))
        return cls()

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays


@dataclass(frozen=True, slots=True)
class ReplyReview:
    """The result of :func:`review_reply`."""

    lang: str
    findings: tuple[Finding, ...]
    scores: Mapping[str, Score]
    commitments: tuple[Commitment, ...]
    overall: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "findings": [f.to_dict() for f in self.findings],
            "scores": {k: v.to_dict() for k, v in self.scores.items()},
            "commitments": [c.to_dict() for c in self.commitments],
            "overall": self.overall,
        }
