"""The case timeline: list, add a client message / a reply / a note, correct, download
attachments, and search across cases and interactions."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseBase
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from calmdesk.desk.actions.interactions import (
    do_add_note,
    do_correct_interaction,
    do_receive_message,
    do_send_reply,
)
from calmdesk.desk.api.auth import request_user
from calmdesk.desk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from calmdesk.desk.api.schemas import (
    AttachmentIn,
    CaseOut,
    CorrectionIn,
    Id,
    InteractionOut,
    InteractionPage,
    MessageIn,
    NoteIn,
    ReplyIn,
)
from calmdesk.desk.api.serializers import case_out, interaction_out
from calmdesk.desk.lib.access import (
    access_attachment_by_id,
    access_case_by_id,
    access_interaction_by_id,
    cases_visible_to,
    interactions_visible_to,
)
from calmdesk.desk.lib.analysis import coach_rule_ids
from calmdesk.desk.lib.attachments import IncomingFile, attachment_response
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Interaction

router = Router(tags=["interactions"])

KindName = Annotated[str, Field(max_length=20)]


class TimelineFilters(Schema):
    kind: list[KindName] = Field(default_factory=list)
    cursor: Annotated[str, Field(max_length=100)] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT


def _timeline(qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return qs.select_related("author").prefetch_related("attachments")


def _reload(row: Interaction) -> Interaction:
    return _timeline(Interaction.objects.filter(pk=row.pk)).get()


@router.get("/cases/{case_id}/interactions", response=InteractionPage)
def list_interactions(
    request: HttpRequest, case_id: Path[Id], filters: Query[TimelineFilters]
) -> dict[str, Any]:
    case = access_case_by_id(request_user(request), case_id)
    qs = _timeline(Interaction.objects.filter(case=case))
    if filters.kind:
        qs = qs.filter(kind__in=filters.kind)
    rows, next_cursor = paginate(
        qs, key="seq", descending=False, cursor=filters.cursor or None, limit=filters.limit
    )
    return {"items": [interaction_out(r) for r in rows], "next_cursor": next_cursor}


IDEMPOTENCY_HEADER = "Idempotency-Key"


def _idempotency_key(request: HttpRequest) -> str:
    return str(request.headers.get(IDEMPOTENCY_HEADER, "")).strip()


def _created(row: Interaction, replay: Interaction | None) -> Status[Any]:
    """201 for a new entry; 200 with the earlier entry when the key was seen before."""
    return Status(200 if replay is not None else 201, interaction_out(_reload(row)))


def _earlier(case_id: int, key: str) -> Interaction | None:
    if not key:
        return None
    return Interaction.objects.filter(case_id=case_id, idempotency_key=key).first()


def _files(items: list[AttachmentIn]) -> list[IncomingFile]:
    files = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ActionError(
                f"attachments[{index}].content_base64 is not valid base64.",
                details={"field": f"attachments.{index}.content_base64"},
            ) from exc
        files.append(IncomingFile(item.filename, item.content_type, content))
    return files


def _check_coach_rules(rule_ids: list[str]) -> None:
    """An API client names applied rules exactly: an unknown id is an error, not dropped."""
    known = coach_rule_ids()
    for index, rule in enumerate(rule_ids):
        if rule not in known:
            raise ActionError(
                f"coach_applied[{index}] is not a rule of the coach: {rule[:100]!r}.",
                details={"field": f"coach_applied.{index}"},
            )


WRITE_RESPONSES: dict[int, Any] = {200: InteractionOut, 201: InteractionOut}


@router.post("/cases/{case_id}/messages", response=WRITE_RESPONSES)
def receive_message(request: HttpRequest, case_id: Path[Id], payload: MessageIn) -> Any:
    """Log a message the client sent (email, phone transcript, letter …).

    Send an ``Idempotency-Key`` header to make retries safe: a repeated key answers 200 with
    the entry already made instead of logging the message twice."""
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    key = _idempotency_key(request)
    earlier = _earlier(case.pk, key)
    row = earlier or do_receive_message(
        user,
        case=case,
        text=payload.text,
        channel=payload.channel,
        occurred_at=payload.occurred_at,
        language=payload.language,
        attachments=_files(payload.attachments),
        idempotency_key=key,
        meta=RequestMeta.from_request(request),
    )
    return _created(row, earlier)


@router.post("/cases/{case_id}/replies", response=WRITE_RESPONSES)
def send_reply(request: HttpRequest, case_id: Path[Id], payload: ReplyIn) -> Any:
    """Log a reply sent to the client (``Idempotency-Key`` as for messages)."""
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    _check_coach_rules(payload.coach_applied)
    key = _idempotency_key(request)
    earlier = _earlier(case.pk, key)
    row = earlier or do_send_reply(
        user,
        case=case,
        text=payload.text,
        channel=payload.channel,
        occurred_at=payload.occurred_at,
        idempotency_key=key,
        fulfils=payload.fulfils,
        coach_applied=payload.coach_applied,
        meta=RequestMeta.from_request(request),
    )
    return _created(row, earlier)


@router.post("/cases/{case_id}/notes", response=WRITE_RESPONSES)
def add_note(request: HttpRequest, case_id: Path[Id], payload: NoteIn) -> Any:
    """Log a call, meeting or internal note (``Idempotency-Key`` as for messages)."""
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    key = _idempotency_key(request)
    earlier = _earlier(case.pk, key)
    row = earlier or do_add_note(
        user,
        case=case,
        kind=payload.kind,
        text=payload.text,
        channel=payload.channel,
        data={str(k): v for k, v in payload.data.items()},
        occurred_at=payload.occurred_at,
        idempotency_key=key,
        fulfils=payload.fulfils,
        meta=RequestMeta.from_request(request),
    )
    return _created(row, earlier)


@router.get("/interactions/{interaction_id}", response=InteractionOut)
def get_interaction(request: HttpRequest, interaction_id: Path[Id]) -> dict[str, Any]:
    row = access_interaction_by_id(request_user(request), interaction_id)
    return interaction_out(_reload(row))


@router.post("/interactions/{interaction_id}/corrections", response={201: InteractionOut})
def correct_interaction(
    request: HttpRequest, interaction_id: Path[Id], payload: CorrectionIn
) -> Any:
    user = request_user(request)
    original = access_interaction_by_id(user, interaction_id, for_write=True)
    row = do_correct_interaction(
        user,
        original=original,
        text=payload.text,
        reason=payload.reason,
        meta=RequestMeta.from_request(request),
    )
    return Status(201, interaction_out(_reload(row)))


@router.get("/attachments/{attachment_id}", response={200: None})
def download_attachment(
    request: HttpRequest, attachment_id: Path[Annotated[str, Field(max_length=64)]]
) -> HttpResponseBase:
    """The file, always as a download (never rendered by the browser)."""
    return attachment_response(access_attachment_by_id(request_user(request), attachment_id))


class SearchFilters(Schema):
    q: Annotated[str, Field(min_length=2, max_length=200)]
    limit: Annotated[int, Field(ge=1, le=50)] = 20


class SearchOut(Schema):
    cases: list[CaseOut]
    interactions: list[InteractionOut]


@router.get("/search", response=SearchOut, tags=["search"])
def search(request: HttpRequest, filters: Query[SearchFilters]) -> dict[str, Any]:
    """Cases whose subject, reference or client name match, and log entries whose text does."""
    user = request_user(request)
    q = filters.q.strip()
    cases = (
        cases_visible_to(user)
        .filter(Q(subject__icontains=q) | Q(reference__iexact=q) | Q(client__name__icontains=q))
        .select_related("team", "client", "root_cause")
        .order_by("-id")[: filters.limit]
    )
    rows = _timeline(interactions_visible_to(user).filter(text__icontains=q)).order_by("-id")[
        : filters.limit
    ]
    return {
        "cases": [case_out(c) for c in cases],
        "interactions": [interaction_out(r) for r in rows],
    }
