"""Desk models, one module per aggregate (re-exported here)."""

from calmdesk.desk.models.audit import AuditEntry
from calmdesk.desk.models.cases import (
    ALLOWED_TRANSITIONS,
    Case,
    CaseShare,
    Channel,
    Priority,
    RootCause,
    Status,
)
from calmdesk.desk.models.clients import Client, ContactKind, ContactPoint
from calmdesk.desk.models.interactions import NOTE_KINDS, Attachment, Interaction, Kind
from calmdesk.desk.models.organization import Organization, Team
from calmdesk.desk.models.users import (
    LANGUAGE_CHOICES,
    LEAD_ROLES,
    WORKING_ROLES,
    ApiToken,
    Membership,
    Role,
    User,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "LANGUAGE_CHOICES",
    "LEAD_ROLES",
    "NOTE_KINDS",
    "WORKING_ROLES",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Case",
    "CaseShare",
    "Channel",
    "Client",
    "ContactKind",
    "ContactPoint",
    "Interaction",
    "Kind",
    "Membership",
    "Organization",
    "Priority",
    "Role",
    "RootCause",
    "Status",
    "Team",
    "User",
]
