"""Clients: list and search, create, read, update."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from calmdesk.desk.actions.clients import do_create_client, do_update_client
from calmdesk.desk.api.auth import request_user
from calmdesk.desk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from calmdesk.desk.api.schemas import ClientIn, ClientOut, ClientPage, ClientPatch, Id
from calmdesk.desk.api.serializers import client_out
from calmdesk.desk.lib.access import (
    access_client_by_id,
    access_team_by_id,
    clients_visible_to,
    single_working_team,
)
from calmdesk.desk.lib.request_meta import RequestMeta

router = Router(tags=["clients"])


class ClientFilters(Schema):
    q: Annotated[str, Field(max_length=200)] = ""
    team_id: Id | None = None
    tag: Annotated[str, Field(max_length=50)] = ""
    cursor: Annotated[str, Field(max_length=100)] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT


@router.get("/clients", response=ClientPage)
def list_clients(request: HttpRequest, filters: Query[ClientFilters]) -> dict[str, Any]:
    qs = clients_visible_to(request_user(request)).prefetch_related("contact_points")
    if filters.q:
        qs = qs.filter(
            Q(name__icontains=filters.q) | Q(contact_points__value__icontains=filters.q)
        ).distinct()
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    rows, next_cursor = paginate(
        qs, key="id", descending=True, cursor=filters.cursor or None, limit=filters.limit
    )
    if filters.tag:
        rows = [c for c in rows if filters.tag in (c.tags or [])]
    return {"items": [client_out(c) for c in rows], "next_cursor": next_cursor}


@router.post("/clients", response={201: ClientOut})
def create_client(request: HttpRequest, payload: ClientIn) -> Any:
    user = request_user(request)
    team = (
        access_team_by_id(user, payload.team_id)
        if payload.team_id is not None
        else single_working_team(user)
    )
    client = do_create_client(
        user,
        organization=user.organization,
        team=team,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        preferred_language=payload.preferred_language,
        communication_preferences=payload.communication_preferences,
        banner=payload.banner,
        tags=payload.tags,
        meta=RequestMeta.from_request(request),
    )
    return Status(201, client_out(client))


@router.get("/clients/{client_id}", response=ClientOut)
def get_client(request: HttpRequest, client_id: Path[Id]) -> dict[str, Any]:
    return client_out(access_client_by_id(request_user(request), client_id))


@router.patch("/clients/{client_id}", response=ClientOut)
def update_client(request: HttpRequest, client_id: Path[Id], payload: ClientPatch) -> Any:
    user = request_user(request)
    client = access_client_by_id(user, client_id, for_write=True)
    fields = payload.model_dump(exclude_unset=True, exclude_none=True)
    client = do_update_client(user, client, meta=RequestMeta.from_request(request), **fields)
    return client_out(client)
