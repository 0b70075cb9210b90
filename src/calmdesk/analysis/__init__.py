"""calmdesk.analysis: the pure-Python message analysis engine (no Django).

Public API (see docs/analysis.md)::

    analyze_message(text, *, lang=None, context=()) -> MessageAnalysis
    analyze_many(texts, *, lang=None) -> Iterator[MessageAnalysis]
    detect_language(text, hint=None) -> LanguageGuess
    RootCauseModel.fit(texts, labels) / .save(path) / RootCauseModel.load(path)
"""

from __future__ import annotations

from ._language import detect_language
from ._rootcause import RootCauseModel
from ._text import Normalized, cyr_to_lat, lat_to_cyr, normalize, script_of, sentences, tokenize
from ._types import (
    EMOTIONS,
    ROOT_CAUSES,
    SCHEMA,
    Complaint,
    CrisisSignal,
    EmotionScores,
    Escalation,
    EscalationReason,
    Evidence,
    ExpectationGap,
    Hostility,
    LanguageGuess,
    MessageAnalysis,
    Question,
    RootCause,
    Sentiment,
    Span,
)
from .message import ENGINE_VERSION, MAX_CHARS, analyze_many, analyze_message, warm_up

__all__ = [
    "EMOTIONS",
    "ENGINE_VERSION",
    "MAX_CHARS",
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
    "Normalized",
    "Question",
    "RootCause",
    "RootCauseModel",
    "Sentiment",
    "Span",
    "analyze_many",
    "analyze_message",
    "cyr_to_lat",
    "detect_language",
    "lat_to_cyr",
    "normalize",
    "script_of",
    "sentences",
    "tokenize",
    "warm_up",
]

# --- coach exports (coach helper) ---
from ._coach_rules import PRINCIPLES
from ._coach_types import (
    BusinessCalendar,
    CoachPolicy,
    Commitment,
    Finding,
    ReplyReview,
    Score,
    Suggestion,
    Turn,
)
from .coach import principle_link, review_reply
from .commitments import extract_commitments

__all__ += [
    "PRINCIPLES",
    "BusinessCalendar",
    "CoachPolicy",
    "Commitment",
    "Finding",
    "ReplyReview",
    "Score",
    "Suggestion",
    "Turn",
    "extract_commitments",
    "principle_link",
    "review_reply",
]
# --- end coach exports ---
