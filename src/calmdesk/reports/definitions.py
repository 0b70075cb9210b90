"""The report registry: ``REPORTS`` (slug → ReportDefinition), in the order pages list them.

Every ``build(filters, scope)`` reads the count tables (calmdesk.reports.query), never client
text — except the satisfaction comments and the emerging problems' example messages, which
come only from the teams of ``ReportScope.text_team_ids``.  How to add a report:
docs/reports.md.
"""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy

from calmdesk.reports.defs.cases import (
    build_escalations,
    build_hot_spots,
    build_response_times,
    build_root_causes,
    build_transfers,
)
from calmdesk.reports.defs.emerging import build_emerging
from calmdesk.reports.defs.people import (
    build_coaching,
    build_promises,
    build_satisfaction,
    build_training,
    build_wellbeing,
)
from calmdesk.reports.types import ReportDefinition


def _(text: str) -> str:
    """Marked for translation, translated when shown (``str()`` of a lazy string)."""
    return cast(str, gettext_lazy(text))


_ALL = (
    ReportDefinition(
        slug="root-causes",
        title=_("Conflicts by root cause"),
        description=_(
            "Cases with a negative or escalated client message, by root cause, over time."
        ),
        audience="team",
        build=build_root_causes,
        principle="document-and-analyse",
    ),
    ReportDefinition(
        slug="hot-spots",
        title=_("Hot spots"),
        description=_("Where conflicts gather: root cause by client tag and by channel."),
        audience="team",
        build=build_hot_spots,
        principle="document-and-analyse",
    ),
    ReportDefinition(
        slug="escalations",
        title=_("Escalations"),
        description=_("How often cases escalate and how fast they calm down again."),
        audience="team",
        build=build_escalations,
        principle="stay-calm",
    ),
    ReportDefinition(
        slug="transfers",
        title=_("Transfers"),
        description=_("Transfers per case and cases passed back to a team they had left."),
        audience="team",
        build=build_transfers,
        principle="dont-pass-around",
    ),
    ReportDefinition(
        slug="promises",
        title=_("Promises"),
        description=_("Promises made to clients: kept on time, kept late, missed."),
        audience="team",
        build=build_promises,
        principle="follow-through",
    ),
    ReportDefinition(
        slug="response-times",
        title=_("Response and resolution times"),
        description=_("Time to the first reply and to resolution, per team."),
        audience="team",
        build=build_response_times,
    ),
    ReportDefinition(
        slug="satisfaction",
        title=_("Client satisfaction"),
        description=_("Ratings of the satisfaction check after resolution, and its comments."),
        audience="team",
        build=build_satisfaction,
    ),
    ReportDefinition(
        slug="coaching",
        title=_("Coaching"),
        description=_(
            "Coach findings in sent replies per rule family, suggestions accepted and "
            "findings dismissed."
        ),
        audience="agent",
        build=build_coaching,
        principle="train",
    ),
    ReportDefinition(
        slug="training",
        title=_("Training progress"),
        description=_("Practice sessions and average scores per principle."),
        audience="team",
        build=build_training,
        principle="train",
    ),
    ReportDefinition(
        slug="wellbeing",
        title=_("Team well-being"),
        description=_("Check-ins after difficult conversations, from agents who opted in."),
        audience="wellbeing",
        build=build_wellbeing,
    ),
    ReportDefinition(
        slug="emerging-problems",
        title=_("Emerging problems"),
        description=_("New or growing groups of similar complaints in the last two weeks."),
        audience="team",
        build=build_emerging,
        principle="document-and-analyse",
    ),
)

REPORTS: dict[str, ReportDefinition] = {d.slug: d for d in _ALL}
