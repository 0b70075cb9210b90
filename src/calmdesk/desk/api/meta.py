"""Who am I, my teams, the root-cause taxonomy, my API tokens."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Path, Router, Status

from calmdesk.desk.actions.cases import root_causes_for
from calmdesk.desk.actions.tokens import do_issue_token, do_revoke_token
from calmdesk.desk.api.auth import request_user
from calmdesk.desk.api.schemas import (
    Id,
    MeOut,
    RootCauseOut,
    TeamOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from calmdesk.desk.api.serializers import team_out
from calmdesk.desk.lib.access import NOT_FOUND_MESSAGE, teams_for
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import ApiToken, Membership

router = Router(tags=["account"])


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    memberships = Membership.objects.filter(
        user=user, team__organization_id=user.organization_id
    ).select_related("team")
    return {
        "id": user.id,
        "username": user.username,
        "organization_id": user.organization_id,
        "preferred_language": user.preferred_language,
        "timezone": user.timezone,
        "memberships": [{"team": team_out(m.team), "role": m.role} for m in memberships],
    }


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest) -> list[dict[str, Any]]:
    return [team_out(t) for t in teams_for(request_user(request)).order_by("name")]


@router.get("/root-causes", response=list[RootCauseOut])
def list_root_causes(request: HttpRequest) -> list[dict[str, Any]]:
    user = request_user(request)
    if user.organization_id is None:
        return []
    return [
        {"code": rc.code, "label": rc.label, "default": rc.organization_id is None}
        for rc in root_causes_for(user.organization_id)
    ]


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=request_user(request))


@router.post("/tokens", response={201: TokenCreatedOut})
def issue_token(request: HttpRequest, payload: TokenIn) -> Any:
    user = request_user(request)
    token, raw = do_issue_token(user, user, payload.name, meta=RequestMeta.from_request(request))
    body = TokenOut.model_validate(token).model_dump()
    return Status(201, {**body, "token": raw})


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: Path[Id]) -> Any:
    user = request_user(request)
    token = ApiToken.objects.filter(user=user, pk=token_id).select_related("user").first()
    if token is None:
        raise Http404(NOT_FOUND_MESSAGE)
    do_revoke_token(user, token, meta=RequestMeta.from_request(request))
    return Status(204, None)
