"""The only bridge from the desk to ``calmdesk.analysis`` (imported lazily).

``inline_check`` runs while a client message is being stored, inside its transaction: it
detects the language and any crisis signal (threat of violence or self-harm).  It must not
lose the message: if the engine fails, the message is stored anyway and the failure is
reported as ``error`` (the full analysis later retries).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

SEVERITY_ORDER = {"": 0, "medium": 1, "high": 2}
INTENSE_FROM = 0.8  # intensity from which a message counts as very intense (well-being loop)


@dataclass(frozen=True)
class CrisisHit:
    kind: str
    severity: str
    start: int
    end: int
    text: str
    rule: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "span": [self.start, self.end],
            "text": self.text,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class InlineCheck:
    language: str = ""
    crisis: tuple[CrisisHit, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)
    error: str = ""
    # For the agent's well-being loop: an abusive or a very intense message.
    abusive: bool = False
    intense: bool = False

    @property
    def severity(self) -> str:
        best = ""
        for hit in self.crisis:
            if SEVERITY_ORDER.get(hit.severity, 1) > SEVERITY_ORDER[best]:
                best = hit.severity if hit.severity in SEVERITY_ORDER else "medium"
        return best

    @property
    def kinds(self) -> list[str]:
        return sorted({h.kind for h in self.crisis})


def engine_version() -> str:
    from calmdesk.analysis import ENGINE_VERSION

    return str(ENGINE_VERSION)


def inline_check(text: str, *, lang: str | None = None) -> InlineCheck:
    """Language and crisis signals of one client message (fast, no model download)."""
    if not text.strip():
        return InlineCheck()
    try:
        from calmdesk.analysis import analyze_message

        result = analyze_message(text, lang=lang or None)
    except Exception as exc:
        logger.exception("inline analysis failed")
        return InlineCheck(error=f"{type(exc).__name__}: {exc}")
    hits = tuple(
        CrisisHit(
            kind=str(s.kind),
            severity=str(s.severity),
            start=int(s.span.start),
            end=int(s.span.end),
            text=str(s.span.text),
            rule=str(getattr(s, "rule", "")),
        )
        for s in result.crisis
    )
    versions = {str(k): str(v) for k, v in dict(result.versions).items()}
    versions.setdefault("engine", engine_version())
    return InlineCheck(
        language=str(result.language or ""),
        crisis=hits,
        versions=versions,
        abusive=bool(result.hostility.present),
        intense=float(result.intensity) >= INTENSE_FROM
        or str(result.escalation.level) in ("high", "critical"),
    )


@dataclass(frozen=True)
class Promise:
    action: str
    due_at: dt.datetime | None
    due_text: str
    start: int
    end: int
    vague: bool


def extract_promises(text: str, *, lang: str | None, now: dt.datetime, tz: str) -> list[Promise]:
    """Promises in an agent's reply, due times in ``tz`` (aware, or None when vague)."""
    try:
        from calmdesk.analysis.commitments import extract_commitments

        found = extract_commitments(text, lang=lang or None, now=now, tz=tz)
    except ValueError:
        raise
    except Exception:
        logger.exception("promise extraction failed")
        return []
    return [
        Promise(
            action=str(c.action),
            due_at=c.due_at,
            due_text=str(c.due_text),
            start=int(c.span.start),
            end=int(c.span.end),
            vague=bool(c.vague),
        )
        for c in found
    ]


# --- agent workspace (web helper): coaching drafts, reading cases for the case page ----------
# Only these functions reach calmdesk.analysis for the pages; results of analyze_message are
# cached per process by the interaction's hash (the hash changes with the content).

WORKSPACE_UI_LANGS = ("en", "pl", "sr", "sr-latn", "he")
_RECENT_TURNS = 12
_AGENT_HISTORY = 20
_CRISIS_SCAN = 50


def workspace_ui_lang(language: str | None) -> str:
    """The coach's ``ui_lang`` for a Django language code (``sr-latn`` stays, ``hr``/``bs`` →
    ``sr-latn``, anything unknown → ``en``)."""
    code = (language or "en").lower()
    if code in ("hr", "bs"):
        return "sr-latn"
    return code if code in WORKSPACE_UI_LANGS else "en"


@functools.lru_cache(maxsize=8192)
def _analysis_cached(key: str, text: str, lang: str | None) -> Any:
    from calmdesk.analysis import analyze_message

    return analyze_message(text, lang=lang or None)


def analyze_interaction(interaction: Any) -> Any:
    """``MessageAnalysis`` of a stored client message, cached per process by (interaction id,
    its hash, engine version): a stored message is analysed once per engine version."""
    lang = interaction.language if interaction.language in ("en", "pl", "sr", "he") else None
    return _analysis_cached(analysis_key(interaction), interaction.text, lang)


def analysis_key(interaction: Any) -> str:
    """The cache key of what is derived from a stored message's analysis: (interaction id, its
    hash, engine version) — the hash changes with the content, the version with the engine."""
    return f"{interaction.pk}:{interaction.hash}:{_engine_version()}"


@functools.cache
def _engine_version() -> str:
    return engine_version()


@functools.lru_cache(maxsize=4096)
def _analysis_with_context(key: str, text: str, lang: str | None, context: tuple[str, ...]) -> Any:
    from calmdesk.analysis import analyze_message

    return analyze_message(text, lang=lang or None, context=context)


def latest_client_analysis(case: Any) -> tuple[Any, Any] | None:
    """(interaction, ``MessageAnalysis``) of the client's latest message with text, read
    against up to four earlier client messages (for the trend); None when there is none."""
    from calmdesk.desk.models import Kind

    rows = list(case.interactions.filter(kind=Kind.INBOUND).exclude(text="").order_by("-seq")[:5])
    if not rows:
        return None
    latest = rows[0]
    context = tuple(r.text for r in reversed(rows[1:]))
    lang = latest.language if latest.language in ("en", "pl", "sr", "he") else None
    key = f"{latest.pk}:{latest.hash}:" + ":".join(r.hash for r in rows[1:])
    return latest, _analysis_with_context(key, latest.text, lang, context)


def analyze_draft_text(text: str) -> Any:
    """``MessageAnalysis`` of a text that is not stored (cached by the text)."""
    return _analysis_cached("text", text, None)


def coach_draft(case: Any, draft: str, user: Any, *, ui_lang: str = "en") -> Any:
    """``ReplyReview`` of an agent's draft for ``case``: the client's last message, the recent
    conversation and the agent's own recent replies (canned sentences) go to ``review_reply``;
    coaching messages follow ``ui_lang`` while the rules follow the draft's language."""
    from calmdesk.analysis import Turn, review_reply
    from calmdesk.desk.models import Interaction, Kind

    recent = list(
        Interaction.objects.filter(case=case, kind__in=(Kind.INBOUND, Kind.OUTBOUND))
        .exclude(text="")
        .order_by("-seq")
        .values_list("kind", "text")[:_RECENT_TURNS]
    )
    recent.reverse()
    conversation = [
        Turn(role="client" if kind == Kind.INBOUND else "agent", text=text) for kind, text in recent
    ]
    client_turns = [t.text for t in conversation if t.role == "client"]
    history = list(
        Interaction.objects.filter(author=user, kind=Kind.OUTBOUND)
        .exclude(case=case)
        .order_by("-id")
        .values_list("text", flat=True)[:_AGENT_HISTORY]
    )
    tz = str(getattr(user, "timezone", "") or "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        tz = "UTC"
    return review_reply(
        draft,
        client_message=client_turns[-1] if client_turns else None,
        conversation=conversation,
        agent_history=history,
        ui_lang=workspace_ui_lang(ui_lang),
        tz=tz,
    )


@dataclass(frozen=True)
class CrisisView:
    """What the case page shows about a crisis: kinds, the message(s) and protocol steps
    (empty when the protocol is not stored: the page then shows the default first steps)."""

    kinds: tuple[str, ...]
    severity: str
    seqs: tuple[int, ...]
    steps: tuple[str, ...] = ()
    source: str = "analysis"  # "incident" (stored inline on receipt) or "analysis"


def case_crisis(case: Any, inbound: Sequence[Any] | None = None) -> CrisisView | None:
    """The crisis signal of a case: the stored open incidents when the crisis protocol has
    stored any, else ``analyze_message`` over the last client messages."""
    incidents = getattr(case, "crisis_incidents", None)
    if incidents is not None:
        rows = list(incidents.filter(status="open").select_related("interaction"))
        if rows:
            kinds = sorted({str(k) for row in rows for k in (row.kinds or [])})
            steps: list[str] = []
            for row in rows[:1]:
                for step in row.steps or []:
                    if isinstance(step, dict):
                        label = step.get("text") or step.get("label") or step.get("title")
                    else:
                        label = step
                    if label:
                        steps.append(str(label))
            severity = "high" if any(r.severity == "high" for r in rows) else "medium"
            seqs = tuple(sorted(r.interaction.seq for r in rows))
            return CrisisView(tuple(kinds), severity, seqs, tuple(steps), "incident")
    if inbound is None:
        from calmdesk.desk.models import Kind

        inbound = list(case.interactions.filter(kind=Kind.INBOUND).order_by("-seq")[:_CRISIS_SCAN])
    kinds_found: set[str] = set()
    severity = ""
    seqs_found: list[int] = []
    for item in list(inbound)[-_CRISIS_SCAN:]:
        if not item.text:
            continue
        signals = analyze_interaction(item).crisis
        if signals:
            kinds_found.update(s.kind for s in signals)
            seqs_found.append(item.seq)
            if any(s.severity == "high" for s in signals):
                severity = "high"
            elif not severity:
                severity = "medium"
    if not kinds_found:
        return None
    return CrisisView(tuple(sorted(kinds_found)), severity, tuple(sorted(seqs_found)))


# --- end agent workspace ----------------------------------------------------------------------


def to_latin(text: str) -> str:
    """Serbian Cyrillic to Latin (the engine's transliteration)."""
    from calmdesk.analysis._text import cyr_to_lat

    return str(cyr_to_lat(text))


def to_cyrillic(text: str) -> str:
    """Serbian Latin to Cyrillic (the engine's transliteration)."""
    from calmdesk.analysis._text import lat_to_cyr

    return str(lat_to_cyr(text))


@functools.lru_cache(maxsize=1)
def coach_rule_ids() -> frozenset[str]:
    """Every rule id of the coach's packs (all languages): what a reply may name as applied."""
    from calmdesk.analysis._coach_rules import LANGS, load_pack

    return frozenset(rule.id for lang in LANGS for rule in load_pack(lang).rules)
