"""Request and response shapes.  Request models ignore unknown fields (``role``,
``organization``, ``hash`` …), so extra fields can never change protected state."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(max_length=5000)]
LongText = Annotated[str, StringConstraints(max_length=200_000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=30)]
Language = Literal["", "en", "pl", "sr", "sr-latn", "he"]
MessageLanguage = Literal["", "en", "pl", "sr", "sr-latn", "hr", "bs", "he"]
ChannelName = Literal["email", "phone", "in_person", "web", "chat", "letter", "other"]
StatusName = Literal[
    "new", "open", "waiting_on_client", "waiting_on_us", "escalated", "resolved", "closed"
]
PriorityName = Literal["low", "normal", "high", "urgent"]
NoteKind = Literal["call_note", "meeting_note", "internal_note"]


class In(Schema):
    model_config = ConfigDict(extra="ignore")


# ---- users, teams ----
class TeamOut(Schema):
    id: int
    name: str
    slug: str


class MembershipOut(Schema):
    team: TeamOut
    role: str


class MeOut(Schema):
    id: int
    username: str
    organization_id: int | None
    preferred_language: str
    timezone: str
    memberships: list[MembershipOut]


class RootCauseOut(Schema):
    code: str
    label: str
    default: bool


class TokenIn(In):
    name: Name


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself; shown only in this response.")


# ---- clients ----
class ContactOut(Schema):
    kind: str
    value: str
    is_primary: bool


class ClientOut(Schema):
    id: int
    name: str
    team_id: int | None
    preferred_language: str
    communication_preferences: str
    banner: str
    tags: list[str]
    contact_points: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientIn(In):
    name: Name
    team_id: Id | None = Field(
        None, description="Owning team; may be omitted when you work in exactly one team."
    )
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    preferred_language: Language = ""
    communication_preferences: ShortText = ""
    banner: Annotated[str, StringConstraints(max_length=2000)] = ""
    tags: Tags = Field(default_factory=list)


class ClientPatch(In):
    name: Name | None = None
    preferred_language: Language | None = None
    communication_preferences: ShortText | None = None
    banner: Annotated[str, StringConstraints(max_length=2000)] | None = None
    tags: Tags | None = None


class ClientPage(Schema):
    items: list[ClientOut]
    next_cursor: str | None


# ---- cases ----
class CaseOut(Schema):
    id: int
    reference: str
    subject: str
    status: str
    priority: str
    channel: str
    team: TeamOut
    client_id: int
    client_name: str
    client_banner: str
    assignee_id: int | None
    tags: list[str]
    expected: str
    received: str
    agreed_possible: str
    agreed_not_possible: str
    root_cause: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class CaseIn(In):
    client_id: Id
    team_id: Id | None = Field(None, description="Omit when you work in exactly one team.")
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    channel: ChannelName
    priority: PriorityName = "normal"
    assignee_id: Id | None = None
    tags: Tags = Field(default_factory=list)


class CasePatch(In):
    subject: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
        | None
    ) = None
    priority: PriorityName | None = None
    tags: Tags | None = None


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class StatusIn(In):
    status: StatusName
    reason: ShortText = ""


class AssignIn(In):
    assignee_id: Id | None


class TransferIn(In):
    team_id: Id
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class ExpectationIn(In):
    expected: ShortText | None = None
    received: ShortText | None = None
    agreed_possible: ShortText | None = None
    agreed_not_possible: ShortText | None = None


class RootCauseIn(In):
    code: Annotated[str, StringConstraints(max_length=50)] | None


class ShareIn(In):
    mentor_id: Id


# ---- interactions ----
class AttachmentOut(Schema):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    download_url: str


class AttachmentIn(In):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    content_type: Annotated[str, StringConstraints(max_length=200)] = "application/octet-stream"
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class InteractionOut(Schema):
    id: int
    case_id: int
    seq: int
    kind: str
    author_id: int | None
    channel: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    text: str
    language: str
    event_type: str
    data: dict[str, Any]
    corrects_id: int | None
    hash: str
    attachments: list[AttachmentOut]


class InteractionPage(Schema):
    items: list[InteractionOut]
    next_cursor: str | None


class MessageIn(In):
    text: LongText = ""
    channel: ChannelName
    occurred_at: AwareDatetime | None = None
    language: MessageLanguage = ""
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = Field(default_factory=list)


class ReplyIn(In):
    text: Annotated[LongText, StringConstraints(min_length=1)]
    channel: ChannelName
    occurred_at: AwareDatetime | None = None
    fulfils: list[Id] = Field(
        default_factory=list, max_length=50, description="open promises this reply keeps"
    )
    coach_applied: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=20,
        description="rule ids of the coach findings whose suggestion the agent applied "
        "(the `rule` of a finding, e.g. pl.blame.nie-nasza-wina); counted by the coaching report",
    )


class NoteIn(In):
    kind: NoteKind
    text: Annotated[LongText, StringConstraints(min_length=1)]
    channel: ChannelName | None = None
    occurred_at: AwareDatetime | None = None
    data: dict[
        Literal["expected", "received", "agreed", "promised", "participants", "duration"],
        ShortText,
    ] = Field(default_factory=dict)
    fulfils: list[Id] = Field(
        default_factory=list, max_length=50, description="open promises this entry keeps"
    )


class CorrectionIn(In):
    text: Annotated[LongText, StringConstraints(min_length=1)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
