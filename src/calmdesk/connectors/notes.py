"""The internal notes calmdesk posts back into the helpdesk: the analysis of a client message
and the coaching of an agent's reply, in the connector account's language.

Plain text (each product gets it in its own note format; Freshdesk's HTML body is escaped).
The analysis goes through the desk's bridge to ``calmdesk.analysis`` only.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from calmdesk.desk.lib import analysis as bridge

MAX_NOTE = 8000
MAX_QUOTE = 160


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"«{text[:MAX_QUOTE]}{'…' if len(text) > MAX_QUOTE else ''}»"


def next_step(result: Any) -> str:
    """One suggested next step, from the strongest signal of the analysis."""
    if result.crisis:
        return _(
            "Follow the crisis protocol: stay calm, do not argue, bring in your supervisor "
            "now and write down exactly what was said."
        )
    if result.escalation.level in ("high", "critical"):
        return _(
            "Acknowledge the client's feelings first, then give one concrete action with a "
            "time; ask your supervisor for backup if it keeps rising."
        )
    if result.questions:
        return _("Answer each open question explicitly before anything else.")
    return _("Restate the problem in the client's words and say what happens next and by when.")


def analysis_note(
    result: Any,
    *,
    language: str,
    case_reference: str = "",
    crisis_incident: bool = False,
) -> str:
    """The note for one client message from its ``MessageAnalysis`` (``language``: the
    note's language)."""
    from calmdesk.desk.views._common import ROOT_CAUSE_LABELS
    from calmdesk.desk.views.insight import (
        CRISIS_KIND_LABELS,
        EMOTION_LABELS,
        LEVEL_LABELS,
        REASON_LABELS,
    )

    with translation.override(language):
        lines = [_("calmdesk: analysis of the client's message")]
        if result.crisis:
            kinds = ", ".join(
                sorted({str(CRISIS_KIND_LABELS.get(s.kind, s.kind)) for s in result.crisis})
            )
            quotes = ", ".join(_quote(s.span.text) for s in result.crisis[:3])
            lines.append(
                _("CRISIS ALERT: %(kinds)s: %(quotes)s") % {"kinds": kinds, "quotes": quotes}
            )
            if crisis_incident:
                lines.append(
                    _(
                        "A crisis incident is open in calmdesk (case %(case)s); "
                        "supervisors were alerted."
                    )
                    % {"case": case_reference or "-"}
                )
        ranked = sorted(result.labels, key=lambda e: -result.emotions[e])
        emotions = ", ".join(
            f"{EMOTION_LABELS[e]} {round(100 * result.emotions[e])}%"
            for e in ranked[:3]
            if e in EMOTION_LABELS
        )
        lines.append(_("Emotions: %(list)s") % {"list": emotions or _("none detected")})
        lines.append(_("Intensity: %(value)s of 100") % {"value": round(100 * result.intensity)})
        level = str(LEVEL_LABELS.get(result.escalation.level, result.escalation.level))
        lines.append(
            _("Escalation: %(level)s (%(score)s)")
            % {"level": level, "score": f"{result.escalation.score:.2f}"}
        )
        for reason in result.escalation.reasons[:4]:
            label = str(REASON_LABELS.get(reason.code, reason.text))
            quotes = ", ".join(_quote(s.text) for s in reason.spans[:2])
            lines.append(f"  - {label}" + (f": {quotes}" if quotes else ""))
        causes = [c for c in result.root_causes if c.score >= 0.3][:3]
        lines.append(
            _("Root-cause candidates: %(list)s")
            % {
                "list": ", ".join(
                    f"{ROOT_CAUSE_LABELS.get(c.code, c.code)} ({c.score:.2f})" for c in causes
                )
                or _("none detected")
            }
        )
        if result.questions:
            lines.append(
                _("Open questions: %(list)s")
                % {"list": "; ".join(_quote(q.span.text) for q in result.questions[:4])}
            )
        lines.append(_("Suggested next step: %(step)s") % {"step": next_step(result)})
        if case_reference:
            lines.append(_("Case in calmdesk: %(case)s") % {"case": case_reference})
    return "\n".join(lines)[:MAX_NOTE]


def coaching_note(
    reply: str,
    *,
    language: str,
    conversation: list[tuple[str, str]],
    case_reference: str = "",
) -> str:
    """The note for an agent's reply: the coach's findings (why and a better wording).
    ``conversation``: earlier (role, text) turns of the case, oldest first."""
    # The pure engine's public API (lazy import: no Django in it, nothing of ours in it).
    from calmdesk.analysis import Turn, review_reply

    ui = bridge.workspace_ui_lang(language)
    turns = [Turn(role="client" if r == "client" else "agent", text=t) for r, t in conversation]
    client_turns = [t.text for t in turns if t.role == "client"]
    review = review_reply(
        reply,
        client_message=client_turns[-1] if client_turns else None,
        conversation=turns,
        ui_lang=ui,
    )
    with translation.override(language):
        lines = [_("calmdesk: coaching on the reply just sent")]
        if review.findings:
            lines.append(review.overall)
            for finding in review.findings[:8]:
                lines.append(f"- {finding.message}")
                lines.append(f"  {finding.why}")
                if finding.suggestions:
                    lines.append(
                        "  "
                        + _("Try: %(text)s")
                        % {"text": " / ".join(s.text.strip() for s in finding.suggestions[:2])}
                    )
        else:
            lines.append(_("No findings: the reply follows the principles."))
        if case_reference:
            lines.append(_("Case in calmdesk: %(case)s") % {"case": case_reference})
    return "\n".join(lines)[:MAX_NOTE]
