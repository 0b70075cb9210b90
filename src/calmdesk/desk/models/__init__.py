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
from calmdesk.desk.models.crisis import CrisisIncident, CrisisKind, IncidentStatus
from calmdesk.desk.models.escalations import EscalationRequest, RequestKind, RequestStatus
from calmdesk.desk.models.followups import FollowUp, FollowUpSource, FollowUpStatus, TeamWorkflow
from calmdesk.desk.models.interactions import NOTE_KINDS, Attachment, Interaction, Kind
from calmdesk.desk.models.notifications import (
    Notification,
    NotificationKind,
    OutboundEmail,
    OutboxState,
)
from calmdesk.desk.models.organization import Organization, Team
from calmdesk.desk.models.satisfaction import SatisfactionSurvey
from calmdesk.desk.models.users import (
    LANGUAGE_CHOICES,
    LEAD_ROLES,
    WORKING_ROLES,
    ApiToken,
    Membership,
    Role,
    User,
)
from calmdesk.desk.models.wellbeing import CheckInReason, WellbeingCheckIn

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
    "CheckInReason",
    "Client",
    "ContactKind",
    "ContactPoint",
    "CrisisIncident",
    "CrisisKind",
    "EscalationRequest",
    "FollowUp",
    "FollowUpSource",
    "FollowUpStatus",
    "IncidentStatus",
    "Interaction",
    "Kind",
    "Membership",
    "Notification",
    "NotificationKind",
    "Organization",
    "OutboundEmail",
    "OutboxState",
    "Priority",
    "RequestKind",
    "RequestStatus",
    "Role",
    "RootCause",
    "SatisfactionSurvey",
    "Status",
    "Team",
    "TeamWorkflow",
    "User",
    "WellbeingCheckIn",
]

# --- agent workspace (web helper) ---
from calmdesk.desk.models.workspace import FindingDismissal, SavedView

__all__ += ["FindingDismissal", "SavedView"]
