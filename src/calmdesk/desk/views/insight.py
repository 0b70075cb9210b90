"""What the case page shows from the analysis engine (reached only through lib.analysis):
emotion chips with their evidence words, the analysis card, open questions, the crisis banner."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.lib import analysis as bridge
from calmdesk.desk.models import Case, Interaction, Kind
from calmdesk.desk.views._common import ROOT_CAUSE_LABELS
from calmdesk.desk.views._segments import Segment, split_segments
from calmdesk.desk.views._timeline_html import segments_html

MAX_CHIPS = 3

EMOTION_LABELS: dict[str, Promise] = {
    "anger": _("Anger"),
    "frustration": _("Frustration"),
    "disappointment": _("Disappointment"),
    "fear": _("Fear"),
    "sadness": _("Sadness"),
    "confusion": _("Confusion"),
    "gratitude": _("Gratitude"),
    "joy": _("Joy"),
}

LEVEL_LABELS: dict[str, Promise] = {
    "low": _("Low"),
    "medium": _("Medium"),
    "high": _("High"),
    "critical": _("Critical"),
}

REASON_LABELS: dict[str, Promise] = {
    "crisis": _("Possible threat of violence or self-harm"),
    "ultimatum": _("Ultimatum or outside escalation (lawyer, press, cancelling)"),
    "repeat_contact": _("The client says they have written or called before"),
    "recurrence": _("The problem keeps happening"),
    "manager": _("Asks for a manager"),
    "insult": _("Insults or abuse aimed at people"),
    "anger": _("Strong anger or frustration"),
    "intensity": _("Intense wording"),
    "rising": _("Rising against earlier messages"),
    "calming": _("Calmer than earlier messages"),
}

CRISIS_KIND_LABELS: dict[str, Promise] = {
    "self_harm": _("possible self-harm"),
    "violence": _("possible threat of violence"),
}


@dataclass
class Chip:
    emotion: str
    label: str
    percent: int


@dataclass
class MessageView:
    segments: list[Segment]
    chips: list[Chip] = field(default_factory=list)
    crisis: bool = False
    html: SafeString = field(default_factory=SafeString)  # the segments, escaped and marked


@dataclass(frozen=True)
class _Marked:
    """What a message view derives from the analysis, independent of the UI language."""

    segments: tuple[Segment, ...]
    html: SafeString
    chips: tuple[tuple[str, int], ...]  # (emotion, percent)
    crisis: bool


_MARKED_MAX = 8192
_marked_cache: OrderedDict[str, _Marked] = OrderedDict()
_marked_lock = threading.Lock()


def _mark(item: Interaction) -> _Marked:
    result = bridge.analyze_interaction(item)
    chips: list[tuple[str, int]] = []
    marks: list[tuple[int, int, str]] = []
    ranked = sorted(result.labels, key=lambda e: -result.emotions[e])
    for emotion in ranked[:MAX_CHIPS]:
        if emotion not in EMOTION_LABELS:
            continue
        chips.append((emotion, round(100 * result.emotions[emotion])))
        for ev in result.evidence_for(f"emotion.{emotion}"):
            marks.append((ev.span.start, ev.span.end, emotion))
    for signal in result.crisis:
        marks.append((signal.span.start, signal.span.end, "crisis"))
    segments = split_segments(item.text, marks)
    return _Marked(tuple(segments), segments_html(segments), tuple(chips), bool(result.crisis))


@functools.lru_cache(maxsize=32)
def _emotion_names(language: str) -> dict[str, str]:
    """The emotion labels translated into ``language`` (the active one when called)."""
    return {code: str(label) for code, label in EMOTION_LABELS.items()}


def message_view(item: Interaction) -> MessageView:
    """Emotion chips and evidence-marked segments of one client message.  The marked-up text
    is cached per process by (interaction id, hash, engine version), like the analysis."""
    key = bridge.analysis_key(item)
    with _marked_lock:
        marked = _marked_cache.get(key)
        if marked is not None:
            _marked_cache.move_to_end(key)
    if marked is None:
        marked = _mark(item)
        with _marked_lock:
            _marked_cache[key] = marked
            while len(_marked_cache) > _MARKED_MAX:
                _marked_cache.popitem(last=False)
    names = _emotion_names(get_language() or "")
    chips = [Chip(e, names[e], pct) for e, pct in marked.chips]
    return MessageView(list(marked.segments), chips, marked.crisis, marked.html)


@dataclass
class Reason:
    label: str
    quotes: list[str]


@dataclass
class AnalysisCard:
    level: str
    level_label: str
    score: float
    reasons: list[Reason]
    root_cause_code: str
    root_cause_label: str
    since: str
    wants: str
    expected: str
    received: str
    questions: list[str]
    language: str
    versions: dict[str, str]


def _span_text(span: Any) -> str:
    return "" if span is None else str(span.text)


def analysis_card(case: Case) -> AnalysisCard | None:
    found = bridge.latest_client_analysis(case)
    if found is None:
        return None
    _latest, result = found
    reasons = [
        Reason(
            str(REASON_LABELS.get(r.code, r.text)),
            [s.text for s in r.spans],
        )
        for r in result.escalation.reasons
    ]
    cause = next((r for r in result.root_causes if r.score >= 0.5), None)
    gap = result.expectation_gap
    return AnalysisCard(
        level=result.escalation.level,
        level_label=str(LEVEL_LABELS.get(result.escalation.level, result.escalation.level)),
        score=round(result.escalation.score, 2),
        reasons=reasons,
        root_cause_code=cause.code if cause else "",
        root_cause_label=str(ROOT_CAUSE_LABELS.get(cause.code, cause.code)) if cause else "",
        since=_span_text(gap.since),
        wants=_span_text(gap.wants),
        expected=_span_text(gap.expected),
        received=_span_text(gap.received),
        questions=open_questions(case),
        language=result.language,
        versions=dict(result.versions),
    )


def open_questions(case: Case) -> list[str]:
    """Questions and requests in the client's messages since our last reply."""
    last_reply = (
        case.interactions.filter(kind=Kind.OUTBOUND).order_by("-seq").values_list("seq", flat=True)
    ).first()
    pending = case.interactions.filter(kind=Kind.INBOUND).exclude(text="").order_by("seq")
    if last_reply is not None:
        pending = pending.filter(seq__gt=last_reply)
    questions: list[str] = []
    for item in list(pending)[-10:]:
        for q in bridge.analyze_interaction(item).questions:
            text = " ".join(q.span.text.split())
            if text and text not in questions:
                questions.append(text)
    return questions[:12]


@dataclass
class CrisisBanner:
    kinds: list[str]
    severity: str
    seqs: list[int]
    steps: list[str]


def crisis_banner(case: Case) -> CrisisBanner | None:
    found = bridge.case_crisis(case)
    if found is None:
        return None
    return CrisisBanner(
        kinds=[str(CRISIS_KIND_LABELS.get(k, k)) for k in found.kinds],
        severity=found.severity,
        seqs=list(found.seqs),
        steps=list(found.steps),
    )
