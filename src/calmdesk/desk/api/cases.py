"""Cases: list with filters and search, create, read, and every change of state."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from calmdesk.desk.actions import cases as case_actions
from calmdesk.desk.api.auth import request_user
from calmdesk.desk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from calmdesk.desk.api.schemas import (
    AssignIn,
    CaseIn,
    CaseOut,
    CasePage,
    CasePatch,
    ExpectationIn,
    Id,
    PriorityName,
    RootCauseIn,
    ShareIn,
    StatusIn,
    StatusName,
    TransferIn,
)
from calmdesk.desk.api.serializers import case_out
from calmdesk.desk.lib.access import (
    access_case_by_id,
    access_client_by_id,
    access_team_by_id,
    cases_visible_to,
    single_working_team,
    users_assignable_in,
)
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Case, Team, User

router = Router(tags=["cases"])


class CaseFilters(Schema):
    status: list[StatusName] = Field(default_factory=list)
    priority: PriorityName | None = None
    team_id: Id | None = None
    client_id: Id | None = None
    assignee: Annotated[str, Field(max_length=20, description='"me", "none" or a user id')] = ""
    q: Annotated[str, Field(max_length=200, description="subject, reference or client")] = ""
    open_only: bool = False
    cursor: Annotated[str, Field(max_length=100)] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    order: Literal["newest", "oldest"] = "newest"


def _filtered(user: Any, f: CaseFilters) -> Any:
    qs = cases_visible_to(user).select_related("team", "client", "root_cause")
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.open_only:
        qs = qs.exclude(status__in=["resolved", "closed"])
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.client_id:
        qs = qs.filter(client_id=f.client_id)
    if f.assignee == "me":
        qs = qs.filter(assignee=user)
    elif f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee:
        if not f.assignee.isdigit() or len(f.assignee) > 18:
            raise ActionError(
                'assignee must be "me", "none" or a user id.', details={"field": "assignee"}
            )
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.q:
        qs = qs.filter(
            Q(subject__icontains=f.q)
            | Q(reference__iexact=f.q.strip())
            | Q(client__name__icontains=f.q)
        )
    return qs


@router.get("/cases", response=CasePage)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    qs = _filtered(request_user(request), filters)
    rows, next_cursor = paginate(
        qs,
        key="id",
        descending=filters.order == "newest",
        cursor=filters.cursor or None,
        limit=filters.limit,
    )
    return {"items": [case_out(c) for c in rows], "next_cursor": next_cursor}


def _assignee(team: Team, assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = users_assignable_in(team).filter(pk=assignee_id).first()
    if assignee is None:
        raise ActionError(
            "The assignee must be an active member of the case's team.",
            code="invalid_assignee",
            details={"field": "assignee_id"},
        )
    return assignee


def _reload(case: Case) -> Case:
    return Case.objects.select_related("team", "client", "root_cause").get(pk=case.pk)


@router.post("/cases", response={201: CaseOut})
def create_case(request: HttpRequest, payload: CaseIn) -> Any:
    user = request_user(request)
    client = access_client_by_id(user, payload.client_id, for_write=True)
    team = (
        access_team_by_id(user, payload.team_id)
        if payload.team_id is not None
        else single_working_team(user)
    )
    case = case_actions.do_create_case(
        user,
        client=client,
        team=team,
        subject=payload.subject,
        channel=payload.channel,
        priority=payload.priority,
        assignee=_assignee(team, payload.assignee_id),
        tags=payload.tags,
        meta=RequestMeta.from_request(request),
    )
    return Status(201, case_out(_reload(case)))


@router.get("/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: Path[Id]) -> dict[str, Any]:
    return case_out(access_case_by_id(request_user(request), case_id))


@router.patch("/cases/{case_id}", response=CaseOut)
def update_case(request: HttpRequest, case_id: Path[Id], payload: CasePatch) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    case_actions.do_update_case(
        user,
        case,
        subject=payload.subject,
        priority=payload.priority,
        tags=payload.tags,
        meta=RequestMeta.from_request(request),
    )
    return case_out(_reload(case))


@router.post("/cases/{case_id}/status", response=CaseOut)
def change_status(request: HttpRequest, case_id: Path[Id], payload: StatusIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    case_actions.do_change_status(
        user, case, payload.status, payload.reason, meta=RequestMeta.from_request(request)
    )
    return case_out(_reload(case))


@router.post("/cases/{case_id}/assign", response=CaseOut)
def assign_case(request: HttpRequest, case_id: Path[Id], payload: AssignIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    assignee = _assignee(case.team, payload.assignee_id)
    case_actions.do_assign_case(user, case, assignee, meta=RequestMeta.from_request(request))
    return case_out(_reload(case))


@router.post("/cases/{case_id}/transfer", response={200: CaseOut, 202: None})
def transfer_case(request: HttpRequest, case_id: Path[Id], payload: TransferIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    # Any team of the organization may receive a case, not only the sender's own teams.
    team = Team.objects.filter(pk=payload.team_id, organization_id=case.organization_id).first()
    if team is None:
        raise ActionError("Unknown team.", code="invalid_team", details={"field": "team_id"})
    case_actions.do_transfer_case(
        user, case, team, payload.note, meta=RequestMeta.from_request(request)
    )
    visible = cases_visible_to(user).filter(pk=case.pk).exists()
    return case_out(_reload(case)) if visible else Status(202, None)


@router.post("/cases/{case_id}/expectation", response=CaseOut)
def set_expectation(request: HttpRequest, case_id: Path[Id], payload: ExpectationIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    case_actions.do_set_expectation(
        user, case, **payload.model_dump(), meta=RequestMeta.from_request(request)
    )
    return case_out(_reload(case))


@router.post("/cases/{case_id}/root-cause", response=CaseOut)
def set_root_cause(request: HttpRequest, case_id: Path[Id], payload: RootCauseIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    case_actions.do_set_root_cause(user, case, payload.code, meta=RequestMeta.from_request(request))
    return case_out(_reload(case))


@router.post("/cases/{case_id}/share", response=CaseOut)
def share_case(request: HttpRequest, case_id: Path[Id], payload: ShareIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    mentor = User.objects.filter(pk=payload.mentor_id, organization_id=case.organization_id).first()
    if mentor is None:
        raise ActionError("Unknown mentor.", details={"field": "mentor_id"})
    case_actions.do_share_case_with_mentor(
        user, case, mentor, meta=RequestMeta.from_request(request)
    )
    return case_out(_reload(case))
