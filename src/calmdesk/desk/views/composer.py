"""The reply composer: live coaching of the draft (htmx partial), dismissing a finding, and
sending the reply after the promises found in it were confirmed."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from calmdesk.desk.actions.interactions import do_send_reply
from calmdesk.desk.actions.workspace import do_dismiss_finding
from calmdesk.desk.lib import analysis as bridge
from calmdesk.desk.lib.access import access_case_by_id
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Case, Channel
from calmdesk.desk.views._common import user_timezone
from calmdesk.desk.views._segments import split_segments

logger = logging.getLogger(__name__)

MAX_DRAFT = 20_000
MAX_APPLIED_FIELD = 4_000  # characters of the "applied" field read (rule ids, space-separated)

SCORE_KEYS = ("empathy", "positivity", "clarity", "politeness", "ownership", "expectation_setting")


def principle_name(number: int) -> str:
    names = {
        1: _("Understand the source"),
        2: _("Listen and confirm"),
        3: _("Empathise"),
        4: _("Set expectations and boundaries"),
        5: _("Stay calm and professional"),
        6: _("Be flexible and personal"),
        7: _("Offer solutions"),
        8: _("Don't pass the client around"),
        9: _("Ask for backup"),
        10: _("Follow through"),
        11: _("Document and analyse"),
        12: _("Train"),
    }
    return names.get(number, str(number))


def score_label(key: str) -> str:
    labels = {
        "empathy": _("Empathy"),
        "positivity": _("Positivity"),
        "clarity": _("Clarity"),
        "politeness": _("Politeness"),
        "ownership": _("Ownership"),
        "expectation_setting": _("Expectations set"),
    }
    return labels.get(key, key)


def level_label(level: str) -> str:
    return {"error": _("Fix"), "warning": _("Check"), "suggestion": _("Idea")}.get(level, level)


@dataclass
class FindingView:
    index: int
    finding: Any
    level_label: str
    principle_name: str


@dataclass
class MarkedSegment:
    text: str
    level: str  # the level of the first finding marking it ("" = plain text)
    findings: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.findings[0] if self.findings else ""


@dataclass
class PromiseView:
    index: int
    text: str
    due_at: Any
    due_text: str
    vague: bool


def _draft(request: HttpRequest) -> str:
    return str(request.POST.get("text", ""))[:MAX_DRAFT]


def applied_rules(request: HttpRequest) -> list[str]:
    """Rule ids of the findings whose suggestion the agent applied in the composer (the
    hidden field ``applied``, filled by desk.js): known rules of the coach only, each once,
    in order.  Anything else is ignored: it never stops the reply."""
    raw = str(request.POST.get("applied", ""))[:MAX_APPLIED_FIELD]
    try:
        known = bridge.coach_rule_ids()
    except Exception:  # a broken pack must not stop a reply; nothing is recorded then
        logger.exception("the coach's rule ids could not be read")
        return []
    picked: list[str] = []
    for rule in re.split(r"[\s,]+", raw):
        if rule in known and rule not in picked:
            picked.append(rule)
    return picked


def review_context(request: HttpRequest, case: Case, draft: str) -> dict[str, Any]:
    try:
        review = bridge.coach_draft(case, draft, request.user, ui_lang=get_language() or "en")
    except Exception:  # a failing coach must never block a reply: the agent writes without it
        logger.exception("the reply coach failed on case %s", case.pk)
        return {
            "case": case,
            "draft": draft,
            "review": None,
            "coach_failed": True,
            "findings": [],
            "segments": [],
            "scores": [],
            "promises": [],
            "user_timezone": user_timezone(request),
        }
    findings = [
        FindingView(i, f, level_label(f.level), principle_name(f.principle))
        for i, f in enumerate(review.findings, start=1)
    ]
    marks = [(f.span.start, f.span.end, str(i)) for i, f in enumerate(review.findings, start=1)]
    levels = {str(i): f.level for i, f in enumerate(review.findings, start=1)}
    segments = [
        MarkedSegment(seg.text, levels[seg.keys[0]] if seg.keys else "", seg.keys)
        for seg in split_segments(draft, marks)
    ]
    scores = [
        (key, score_label(key), round(review.scores[key].value, 2))
        for key in SCORE_KEYS
        if key in review.scores
    ]
    return {
        "case": case,
        "draft": draft,
        "review": review,
        "findings": findings,
        "segments": segments,
        "scores": scores,
        "promises": promise_views(review),
        "user_timezone": user_timezone(request),
    }


def promise_views(review: Any) -> list[PromiseView]:
    return [
        PromiseView(i, c.span.text, c.due_at, c.due_text, c.vague)
        for i, c in enumerate(review.commitments, start=1)
    ]


def promises_token(draft: str, review: Any) -> str:
    """Binds a confirmation to this exact draft and the promises read in it."""
    payload = json.dumps(
        [draft, [c.to_dict() for c in review.commitments]], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@require_POST
@login_required
def coach(request: HttpRequest, case_id: int) -> HttpResponse:
    """The coaching partial for the draft in ``text`` (called by htmx while the agent types)."""
    case = access_case_by_id(request.user, case_id, for_write=True)
    return render(request, "desk/_coach.html", review_context(request, case, _draft(request)))


@require_POST
@login_required
def dismiss_finding(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a dismissed finding with its optional reason; answers a short confirmation."""
    case = access_case_by_id(request.user, case_id, for_write=True)
    principle_raw = str(request.POST.get("principle", "0"))
    try:
        dismissal = do_dismiss_finding(
            request.user,  # type: ignore[arg-type]
            case=case,
            rule_id=str(request.POST.get("rule_id", "")),
            principle=int(principle_raw) if principle_raw.isdigit() else -1,
            level=str(request.POST.get("level", "")),
            language=str(request.POST.get("language", "")),
            span_text=str(request.POST.get("span_text", "")),
            reason=str(request.POST.get("reason", "")),
            meta=RequestMeta.from_request(request),
        )
    except ActionError as exc:
        return render(request, "desk/_dismissed.html", {"error": str(exc)}, status=422)
    return render(request, "desk/_dismissed.html", {"dismissal": dismissal})


@require_POST
@login_required
def send_reply(request: HttpRequest, case_id: int) -> HttpResponse:
    """Send (log) the reply.  When the draft holds promises, the agent first confirms each
    of them with its due time; the confirmation is bound to the exact draft."""
    case = access_case_by_id(request.user, case_id, for_write=True)
    draft = _draft(request)
    channel = str(request.POST.get("channel", "")) or case.channel
    htmx = request.headers.get("HX-Request") == "true"
    context = review_context(request, case, draft)
    review = context["review"]
    token = promises_token(draft, review) if review is not None else ""
    confirmed = set(request.POST.getlist("promise"))
    wanted = {str(p.index) for p in context["promises"]}
    applied = applied_rules(request)
    context["coach_applied"] = " ".join(applied)
    error = ""
    if not draft.strip():
        error = _("Write a reply first.")
    elif channel not in Channel.values:
        error = _("Choose a channel.")
    elif wanted and (request.POST.get("promises_token") != token or not wanted <= confirmed):
        if request.POST.get("promises_token") == token:
            error = _("Confirm every promise, or change the reply.")
        context.update({"confirm": True, "promises_token": token, "error": error})
        return _answer(request, case, context, htmx, draft)
    if not error:
        try:
            reply = do_send_reply(
                request.user,  # type: ignore[arg-type]
                case=case,
                text=draft,
                channel=channel,
                coach_applied=applied,
                meta=RequestMeta.from_request(request),
            )
        except ActionError as exc:
            error = str(exc)
        else:
            # a query string makes the browser load the page again (a changed #fragment alone
            # would only scroll)
            url = reverse("desk:case", kwargs={"case_id": case.pk})
            target = f"{url}?sent={reply.seq}#entry-{reply.seq}"
            if htmx:
                response = HttpResponse(status=200)
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
    context.update({"error": error})
    return _answer(request, case, context, htmx, draft)


def _answer(
    request: HttpRequest, case: Case, context: dict[str, Any], htmx: bool, draft: str
) -> HttpResponse:
    if htmx:
        return render(request, "desk/_send_step.html", context)
    from calmdesk.desk.views._common import render_page
    from calmdesk.desk.views.cases import case_context

    page = case_context(request, case, draft=draft)
    page.update(
        {
            "send_step": context,
            "coach_context": context,
            "coach_applied": context.get("coach_applied", ""),
        }
    )
    status = 422 if error_of(context) else 200
    return render_page(request, "desk/case_detail.html", page, status=status)


def error_of(context: dict[str, Any]) -> bool:
    return bool(context.get("error"))
