"""Training pages: scenarios, the chat-style practice, reports, history, progress, mentoring,
and scenario drafts made from resolved cases."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from calmdesk.desk.lib.access import NOT_FOUND_MESSAGE, access_case_by_id
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Case, User
from calmdesk.desk.views._common import display_name, render_page
from calmdesk.simulation import CATEGORIES, lang_pack
from calmdesk.training import actions
from calmdesk.training.access import (
    access_draft_by_id,
    access_session_by_id,
    can_mentor,
    drafts_visible_to,
    is_mentor,
    lead_teams,
    mentees_of,
    org_id,
    published_drafts_for,
    sessions_visible_to,
)
from calmdesk.training.lib import simulation as sim
from calmdesk.training.models import Assignment, PracticeSession

SCENARIO_LANGS = ("en", "pl", "sr", "sr-latn", "he")


def _scenario_lang(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in SCENARIO_LANGS else sim.scenario_lang_for(get_language())


def _principle_names() -> dict[int, str]:
    return dict(lang_pack(sim.scenario_lang_for(get_language())).principle_names)


def _meta(request: HttpRequest) -> RequestMeta:
    return RequestMeta.from_request(request)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --------------------------------------------------------------------------- scenarios


@login_required
@require_safe
def scenario_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    lang = _scenario_lang(request)
    assignments = list(
        Assignment.objects.filter(trainee=user, organization_id=org_id(user))
        .select_related("assigned_by", "draft")
        .order_by("due", "-created_at")
    )
    done = set(
        PracticeSession.objects.filter(trainee=user, status=PracticeSession.Status.FINISHED)
        .exclude(assignment=None)
        .values_list("assignment_id", flat=True)
    )
    titles: dict[tuple[str, str], str] = {}
    for a in assignments:
        if a.draft is not None:
            titles[(a.scenario_id, a.lang)] = a.draft.title
        else:
            try:
                titles[(a.scenario_id, a.lang)] = sim.load_scenario(a.scenario_id, a.lang).title
            except KeyError:
                titles[(a.scenario_id, a.lang)] = a.scenario_id
    assigned = [
        {
            "a": a,
            "title": titles[(a.scenario_id, a.lang)],
            "done": a.pk in done,
            "mentor": display_name(a.assigned_by),
        }
        for a in assignments
    ]
    return render_page(
        request,
        "training/scenarios.html",
        {
            "assigned": assigned,
            "scenarios": sim.list_scenarios(lang),
            "team_drafts": published_drafts_for(user).select_related("team"),
            "lang": lang,
            "langs": SCENARIO_LANGS,
            "is_mentor": is_mentor(user),
            "is_lead": lead_teams(user).exists(),
        },
    )


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    draft = None
    assignment = None
    if request.POST.get("assignment"):
        assignment = Assignment.objects.filter(
            pk=_int(request.POST["assignment"]), trainee=user
        ).first()
        if assignment is None:
            raise Http404(NOT_FOUND_MESSAGE)
        draft = assignment.draft
    elif request.POST.get("draft"):
        draft = published_drafts_for(user).filter(pk=_int(request.POST["draft"])).first()
        if draft is None:
            raise Http404(NOT_FOUND_MESSAGE)
    scenario_id = assignment.scenario_id if assignment else request.POST.get("scenario", "")
    lang = assignment.lang if assignment else request.POST.get("lang", "en")
    try:
        session = actions.do_start_practice(
            user,
            scenario_id=scenario_id,
            lang=lang,
            draft=draft,
            assignment=assignment,
            meta=_meta(request),
        )
    except ActionError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("training:scenarios"))
    return HttpResponseRedirect(reverse("training:practice", args=[session.pk]))


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


# --------------------------------------------------------------------------- practice


def _scenario_or_none(session: PracticeSession) -> Any:
    try:
        return sim.session_scenario(session)
    except (KeyError, sim.ScenarioError):
        return None


@login_required
@require_safe
def practice(request: HttpRequest, session_id: int) -> HttpResponse:
    session = access_session_by_id(request.user, session_id, own=True)
    if session.status == PracticeSession.Status.FINISHED:
        return HttpResponseRedirect(reverse("training:report", args=[session.pk]))
    return render_page(
        request,
        "training/practice.html",
        {
            "session": session,
            "scenario": _scenario_or_none(session),
            "turns": session.turns.all(),
            "state": _state(session.state),
        },
    )


def _state(values: list[int]) -> dict[str, int]:
    anger, trust, patience = [*list(values), 0, 0, 0][:3]
    return {"anger": anger, "trust": trust, "patience": patience}


@login_required
@require_POST
def turn(request: HttpRequest, session_id: int) -> HttpResponse:
    session = access_session_by_id(request.user, session_id, own=True)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        record = actions.do_practice_turn(
            _user(request), session, text=request.POST.get("text", ""), meta=_meta(request)
        )
    except ActionError as exc:
        if htmx:
            return render(request, "training/_error.html", {"error": str(exc)}, status=422)
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("training:practice", args=[session.pk]))
    if not htmx:
        return HttpResponseRedirect(reverse("training:practice", args=[session.pk]))
    response = render(
        request,
        "training/_turn.html",
        {"t": record, "session": session, "state": _state(session.state), "oob": True},
    )
    return response


@login_required
@require_POST
def end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = access_session_by_id(request.user, session_id, own=True)
    if session.status == PracticeSession.Status.ACTIVE:
        actions.do_end_practice(_user(request), session, meta=_meta(request))
    return HttpResponseRedirect(reverse("training:report", args=[session.pk]))


@login_required
@require_safe
def report(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_id(user, session_id)
    if session.status != PracticeSession.Status.FINISHED and session.trainee_id == user.pk:
        return HttpResponseRedirect(reverse("training:practice", args=[session.pk]))
    data: dict[str, Any] = session.report or {}
    scores = {int(k): v for k, v in (session.principle_scores or {}).items()}
    comments: dict[int, list[Any]] = defaultdict(list)
    for c in session.comments.select_related("mentor"):
        comments[c.turn_n].append(c)
    turns = [{"t": t, "comments": comments.get(t.n, [])} for t in session.turns.all()]
    principles = [
        {**p, "effective": scores.get(int(p["principle"]))} for p in data.get("principles", [])
    ]
    return render_page(
        request,
        "training/report.html",
        {
            "session": session,
            "report": data,
            "principles": principles,
            "turns": turns,
            "general_comments": comments.get(0, []),
            "overrides": session.overrides.select_related("mentor"),
            "mentoring": can_mentor(user, session),
            "principle_names": sorted(_principle_names().items()),
            "trainee_name": display_name(session.trainee),
        },
    )


def _mentor_session(request: HttpRequest, session_id: int) -> PracticeSession:
    session = access_session_by_id(request.user, session_id)
    if not can_mentor(request.user, session):
        raise Http404(NOT_FOUND_MESSAGE)
    return session


@login_required
@require_POST
def comment(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _mentor_session(request, session_id)
    try:
        actions.do_comment_turn(
            _user(request),
            session,
            turn_n=_int(request.POST.get("turn", "0")),
            text=request.POST.get("text", ""),
            meta=_meta(request),
        )
        messages.success(request, _("Comment saved."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("training:report", args=[session.pk]))


@login_required
@require_POST
def override(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _mentor_session(request, session_id)
    try:
        actions.do_override_score(
            _user(request),
            session,
            principle=_int(request.POST.get("principle")),
            new_score=_int(request.POST.get("score")),
            reason=request.POST.get("reason", ""),
            meta=_meta(request),
        )
        messages.success(request, _("Score changed."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("training:report", args=[session.pk]))


# --------------------------------------------------------------------------- history, progress


@login_required
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sessions = sessions_visible_to(user).filter(trainee=user)
    return render_page(request, "training/history.html", {"sessions": sessions})


def progress_data(sessions: Any) -> dict[str, Any]:
    """Chart data: one point per finished session and principle (overrides applied)."""
    names = _principle_names()
    finished = sessions.filter(status=PracticeSession.Status.FINISHED).order_by("finished_at", "id")
    labels: list[str] = []
    series: dict[int, list[int | None]] = {n: [] for n in range(1, 13)}
    overall: list[int | None] = []
    for s in finished:
        labels.append(s.finished_at.date().isoformat() if s.finished_at else "")
        overall.append(s.overall)
        for n in range(1, 13):
            series[n].append((s.principle_scores or {}).get(str(n)))
    datasets = [
        {"label": f"{n}. {names.get(n, str(n))}", "data": values}
        for n, values in series.items()
        if any(v is not None for v in values)
    ]
    return {"labels": labels, "overall": overall, "datasets": datasets}


@login_required
@require_safe
def progress(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data = progress_data(sessions_visible_to(user).filter(trainee=user))
    data["overall_label"] = _("Overall")
    return render_page(request, "training/progress.html", {"chart": data})


# --------------------------------------------------------------------------- mentors


@login_required
@require_safe
def mentor(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not is_mentor(user):
        raise Http404(NOT_FOUND_MESSAGE)
    mentees = list(mentees_of(user))
    sessions = sessions_visible_to(user).filter(trainee__in=mentees).select_related("trainee")[:200]
    lang = _scenario_lang(request)
    return render_page(
        request,
        "training/mentor.html",
        {
            "mentees": [(m, display_name(m)) for m in mentees],
            "sessions": [(s, display_name(s.trainee)) for s in sessions],
            "scenarios": sim.list_scenarios(lang),
            "lang": lang,
        },
    )


@login_required
@require_POST
def assign(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    trainee = mentees_of(user).filter(pk=_int(request.POST.get("trainee"))).first()
    if trainee is None:
        raise Http404(NOT_FOUND_MESSAGE)
    due: dt.date | None = None
    if request.POST.get("due"):
        try:
            due = dt.date.fromisoformat(request.POST["due"])
        except ValueError:
            messages.error(request, _("The due date is not a valid date."))
            return HttpResponseRedirect(reverse("training:mentor"))
    try:
        actions.do_assign_scenario(
            user,
            trainee=trainee,
            scenario_id=request.POST.get("scenario", ""),
            lang=request.POST.get("lang", "en"),
            due=due,
            meta=_meta(request),
        )
        messages.success(request, _("Scenario assigned."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("training:mentor"))


# --------------------------------------------------------------------------- drafts


@login_required
@require_safe
def drafts(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    teams = lead_teams(user)
    if not teams.exists():
        raise Http404(NOT_FOUND_MESSAGE)
    resolved = (
        Case.objects.filter(
            organization_id=org_id(user),
            team__in=teams,
            status__in=actions.CASE_DONE,
        )
        .select_related("client")
        .order_by("-resolved_at", "-id")[:50]
    )
    return render_page(
        request,
        "training/drafts.html",
        {
            "drafts": drafts_visible_to(user).select_related("team"),
            "cases": resolved,
            "categories": CATEGORIES,
        },
    )


@login_required
@require_POST
def case_draft(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    category = request.POST.get("category", "vague_complaint")
    try:
        draft = actions.do_create_draft_from_case(
            user,
            case,
            category=category if category in CATEGORIES else "vague_complaint",
            meta=_meta(request),
        )
    except ActionError as exc:
        if getattr(exc, "status", 422) == 403:
            raise Http404(NOT_FOUND_MESSAGE) from exc
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("training:drafts"))
    return HttpResponseRedirect(reverse("training:draft", args=[draft.pk]))


@login_required
def draft(request: HttpRequest, draft_id: int) -> HttpResponse:
    user = _user(request)
    item = access_draft_by_id(user, draft_id)
    yaml_text = item.yaml_text
    error = ""
    if request.method == "POST":
        yaml_text = request.POST.get("yaml_text", "")
        try:
            actions.do_update_draft(user, item, yaml_text=yaml_text, meta=_meta(request))
            messages.success(request, _("Draft saved."))
            return HttpResponseRedirect(reverse("training:draft", args=[item.pk]))
        except ActionError as exc:
            error = str(exc)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render_page(
        request,
        "training/draft.html",
        {"draft": item, "yaml_text": yaml_text, "error": error},
        status=422 if error else 200,
    )


@login_required
@require_POST
def publish(request: HttpRequest, draft_id: int) -> HttpResponse:
    user = _user(request)
    item = access_draft_by_id(user, draft_id)
    try:
        actions.do_publish_draft(user, item, meta=_meta(request))
        messages.success(request, _("Scenario published for the team."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("training:draft", args=[item.pk]))
