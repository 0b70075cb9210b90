"""Frozen result types of the analysis engine and their versioned JSON form.

``Span`` is the shared unit of evidence (also reused by the coach's types): offsets are
Python ``str`` indices into the *original* text the caller passed in, ``end`` exclusive.
``MessageAnalysis.to_dict()`` returns plain JSON data with ``"schema": SCHEMA``;
``MessageAnalysis.from_dict()`` reads it back (round trip is exact).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = [
    "EMOTIONS",
    "ROOT_CAUSES",
    "SCHEMA",
    "Complaint",
    "CrisisSignal",
    "EmotionScores",
    "Escalation",
    "EscalationReason",
    "Evidence",
    "ExpectationGap",
    "Hostility",
    "LanguageGuess",
    "MessageAnalysis",
    "Question",
    "RootCause",
    "Sentiment",
    "Span",
]

SCHEMA = "calmdesk.analysis/1"

EMOTIONS: tuple[str, ...] = (
    "anger",
    "frustration",
    "disappointment",
    "fear",
    "sadness",
    "confusion",
    "gratitude",
    "joy",
)

ROOT_CAUSES: tuple[str, ...] = (
    "delay",
    "expectation_gap",
    "defect",
    "billing",
    "communication",
    "staff_conduct",
    "policy",
    "runaround",
    "unclear_information",
    "external",
)


@dataclass(frozen=True, slots=True)
class Span:
    """``text == original[start:end]``."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Span:
        return cls(int(d["start"]), int(d["end"]), str(d["text"]))


_object_new = object.__new__


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The ``__set__`` of the slot descriptor ``name`` of ``cls`` (bypasses frozenness)."""
    setter: Callable[[Any, Any], None] = getattr(cls, name).__set__
    return setter


_set_span_start = _slot_setter(Span, "start")
_set_span_end = _slot_setter(Span, "end")
_set_span_text = _slot_setter(Span, "text")


def _new_span(start: int, end: int, text: str) -> Span:
    """``Span(start, end, text)`` without the frozen dataclass ``__init__`` (the engine builds
    dozens per message): the same object, fields set through the slot descriptors."""
    sp: Span = _object_new(Span)
    _set_span_start(sp, start)
    _set_span_end(sp, end)
    _set_span_text(sp, text)
    return sp


def _span_or_none(d: Mapping[str, Any] | None) -> Span | None:
    return None if d is None else Span.from_dict(d)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """``language`` in en, pl, sr, hr, bs, he, und; ``script`` an ISO 15924 code."""

    language: str
    script: str
    confidence: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a score moved: ``target`` (e.g. ``"emotion.anger"``), ``source`` (``model``,
    ``lexicon`` or ``rule``), a short ``label`` (feature or rule name), signed ``weight``."""

    target: str
    source: str
    label: str
    weight: float
    span: Span

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "source": self.source,
            "label": self.label,
            "weight": round(self.weight, 4),
            "span": self.span.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(
            str(d["target"]),
            str(d["source"]),
            str(d["label"]),
            float(d["weight"]),
            Span.from_dict(d["span"]),
        )


_set_ev = tuple(_slot_setter(Evidence, f) for f in ("target", "source", "label", "weight", "span"))


def _new_evidence(target: str, source: str, label: str, weight: float, span: Span) -> Evidence:
    """``Evidence(...)`` without the frozen dataclass ``__init__`` (see :func:`_new_span`)."""
    ev: Evidence = _object_new(Evidence)
    st, ss, sl, sw, sp = _set_ev
    st(ev, target)
    ss(ev, source)
    sl(ev, label)
    sw(ev, weight)
    sp(ev, span)
    return ev


@dataclass(frozen=True, slots=True)
class EmotionScores(Mapping[str, float]):
    """Calibrated probabilities in [0, 1]; a mapping with exactly the keys of ``EMOTIONS``."""

    anger: float = 0.0
    frustration: float = 0.0
    disappointment: float = 0.0
    fear: float = 0.0
    sadness: float = 0.0
    confusion: float = 0.0
    gratitude: float = 0.0
    joy: float = 0.0

    def __getitem__(self, key: str) -> float:
        if key not in EMOTIONS:
            raise KeyError(key)
        value: float = getattr(self, key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(EMOTIONS)

    def __len__(self) -> int:
        return len(EMOTIONS)


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str  # negative | neutral | positive
    score: float  # [-1, 1]


@dataclass(frozen=True, slots=True)
class Hostility:
    score: float
    present: bool


@dataclass(frozen=True, slots=True)
class Complaint:
    score: float
    present: bool


@dataclass(frozen=True, slots=True)
class CrisisSignal:
    """A possible threat of violence or of self-harm. ``severity``: ``high`` (explicit
    first-person intent or plan) or ``medium`` (ideation, veiled or model-only signal)."""

    kind: str  # self_harm | violence
    severity: str
    span: Span
    evidence: tuple[Evidence, ...]
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "span": self.span.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
            "rule": self.rule,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CrisisSignal:
        return cls(
            str(d["kind"]),
            str(d["severity"]),
            Span.from_dict(d["span"]),
            tuple(Evidence.from_dict(e) for e in d["evidence"]),
            str(d.get("rule", "")),
        )


@dataclass(frozen=True, slots=True)
class EscalationReason:
    code: str
    text: str
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "spans": [s.to_dict() for s in self.spans]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EscalationReason:
        return cls(str(d["code"]), str(d["text"]), tuple(Span.from_dict(s) for s in d["spans"]))


@dataclass(frozen=True, slots=True)
class Escalation:
    level: str  # low | medium | high | critical
    score: float
    reasons: tuple[EscalationReason, ...]
    trend: float = 0.0  # change against the context's earlier messages (-1..1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "score": round(self.score, 4),
            "trend": round(self.trend, 4),
            "reasons": [r.to_dict() for r in self.reasons],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Escalation:
        return cls(
            str(d["level"]),
            float(d["score"]),
            tuple(EscalationReason.from_dict(r) for r in d["reasons"]),
            float(d["trend"]),
        )


@dataclass(frozen=True, slots=True)
class RootCause:
    code: str
    score: float
    evidence: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "score": round(self.score, 4),
            "evidence": [s.to_dict() for s in self.evidence],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RootCause:
        return cls(
            str(d["code"]), float(d["score"]), tuple(Span.from_dict(s) for s in d["evidence"])
        )


@dataclass(frozen=True, slots=True)
class ExpectationGap:
    """What the client expected, what they received, since when, what they want now."""

    expected: Span | None = None
    received: Span | None = None
    since: Span | None = None
    wants: Span | None = None

    @property
    def found(self) -> bool:
        return any(s is not None for s in (self.expected, self.received, self.since, self.wants))

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if v is None else v.to_dict())
            for k, v in (
                ("expected", self.expected),
                ("received", self.received),
                ("since", self.since),
                ("wants", self.wants),
            )
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ExpectationGap:
        return cls(
            _span_or_none(d.get("expected")),
            _span_or_none(d.get("received")),
            _span_or_none(d.get("since")),
            _span_or_none(d.get("wants")),
        )


@dataclass(frozen=True, slots=True)
class Question:
    """An explicit question or request of the client (``kind``: question | request)."""

    kind: str
    span: Span

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "span": self.span.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Question:
        return cls(str(d["kind"]), Span.from_dict(d["span"]))


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass(frozen=True, slots=True)
class MessageAnalysis:
    """Everything the engine reads in one client message (see docs/analysis.md)."""

    language: str
    script: str
    language_confidence: float
    emotions: EmotionScores
    labels: frozenset[str]
    sentiment: Sentiment
    hostility: Hostility
    complaint: Complaint
    intensity: float
    crisis: tuple[CrisisSignal, ...]
    escalation: Escalation
    root_causes: tuple[RootCause, ...]
    expectation_gap: ExpectationGap
    questions: tuple[Question, ...]
    evidence: tuple[Evidence, ...]
    versions: Mapping[str, str] = field(default_factory=dict)
    length: int = 0
    truncated: bool = False
    analysed_ranges: tuple[tuple[int, int], ...] = ()

    @property
    def has_crisis(self) -> bool:
        return bool(self.crisis)

    def evidence_for(self, target: str) -> tuple[Evidence, ...]:
        """Evidence whose target equals ``target`` or starts with ``target + '.'``."""
        return tuple(
            e for e in self.evidence if e.target == target or e.target.startswith(target + ".")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "language": self.language,
            "script": self.script,
            "language_confidence": _r(self.language_confidence),
            "emotions": {k: _r(v) for k, v in self.emotions.items()},
            "labels": sorted(self.labels),
            "sentiment": {"label": self.sentiment.label, "score": _r(self.sentiment.score)},
            "hostility": {"score": _r(self.hostility.score), "present": self.hostility.present},
            "complaint": {"score": _r(self.complaint.score), "present": self.complaint.present},
            "intensity": _r(self.intensity),
            "crisis": [c.to_dict() for c in self.crisis],
            "escalation": self.escalation.to_dict(),
            "root_causes": [r.to_dict() for r in self.root_causes],
            "expectation_gap": self.expectation_gap.to_dict(),
            "questions": [q.to_dict() for q in self.questions],
            "evidence": [e.to_dict() for e in self.evidence],
            "versions": dict(self.versions),
            "length": self.length,
            "truncated": self.truncated,
            "analysed_ranges": [list(r) for r in self.analysed_ranges],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MessageAnalysis:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"unsupported analysis schema: {d.get('schema')!r}")
        return cls(
            language=str(d["language"]),
            script=str(d["script"]),
            language_confidence=float(d["language_confidence"]),
            emotions=EmotionScores(**{k: float(d["emotions"][k]) for k in EMOTIONS}),
            labels=frozenset(str(x) for x in d["labels"]),
            sentiment=Sentiment(str(d["sentiment"]["label"]), float(d["sentiment"]["score"])),
            hostility=Hostility(float(d["hostility"]["score"]), bool(d["hostility"]["present"])),
            complaint=Complaint(float(d["complaint"]["score"]), bool(d["complaint"]["present"])),
            intensity=float(d["intensity"]),
            crisis=tuple(CrisisSignal.from_dict(c) for c in d["crisis"]),
            escalation=Escalation.from_dict(d["escalation"]),
            root_causes=tuple(RootCause.from_dict(r) for r in d["root_causes"]),
            expectation_gap=ExpectationGap.from_dict(d["expectation_gap"]),
            questions=tuple(Question.from_dict(q) for q in d["questions"]),
            evidence=tuple(Evidence.from_dict(e) for e in d["evidence"]),
            versions={str(k): str(v) for k, v in d["versions"].items()},
            length=int(d["length"]),
            truncated=bool(d["truncated"]),
            analysed_ranges=tuple((int(a), int(b)) for a, b in d["analysed_ranges"]),
        )


def _maker(cls: type[_T]) -> Callable[..., _T]:
    """A constructor of the frozen slotted dataclass ``cls`` taking every field positionally,
    in declaration order, that skips the generated ``__init__`` (the same object results;
    the engine builds many small results per message)."""
    setters = tuple(_slot_setter(cls, f.name) for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def make(*args: Any) -> _T:
        if len(args) != len(setters):
            raise TypeError(f"{cls.__name__} takes {len(setters)} fields, got {len(args)}")
        obj: _T = new(cls)
        for setter, value in zip(setters, args, strict=True):
            setter(obj, value)
        return obj

    return make


_new_crisis_signal = _maker(CrisisSignal)
_new_analysis = _maker(MessageAnalysis)
_set_reason = tuple(_slot_setter(EscalationReason, f) for f in ("code", "text", "spans"))
_set_root = tuple(_slot_setter(RootCause, f) for f in ("code", "score", "evidence"))
_set_question = tuple(_slot_setter(Question, f) for f in ("kind", "span"))


def _new_escalation_reason(code: str, text: str, spans: tuple[Span, ...]) -> EscalationReason:
    obj: EscalationReason = _object_new(EscalationReason)
    a, b, c = _set_reason
    a(obj, code)
    b(obj, text)
    c(obj, spans)
    return obj


def _new_root_cause(code: str, score: float, evidence: tuple[Span, ...]) -> RootCause:
    obj: RootCause = _object_new(RootCause)
    a, b, c = _set_root
    a(obj, code)
    b(obj, score)
    c(obj, evidence)
    return obj


def _new_question(kind: str, span: Span) -> Question:
    obj: Question = _object_new(Question)
    a, b = _set_question
    a(obj, kind)
    b(obj, span)
    return obj
