"""The transfer guard: every move of a case between teams is counted; from the second one
the sender is warned and must give the full warm hand-off (why, what was tried, what was
promised) and confirm; a case sent back to a team it already left ("ping-pong") is flagged
to the supervisors of both teams.  The receiving team sees the hand-off first
(:func:`latest_handoff`)."""

from __future__ import annotations

from typing import Any

from calmdesk.desk.actions.notifications import notify, supervisors_on_duty
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import Case, Interaction, NotificationKind, Team, User

WARN_FROM = 2  # the second transfer of a case is warned about


def transfer_check(case: Case) -> dict[str, Any]:
    """What the sender is told before moving the case (for the API and the page)."""
    next_number = case.transfer_count + 1
    history = list(
        Interaction.objects.filter(case_id=case.pk, event_type="transfer")
        .order_by("seq")
        .values_list("data", flat=True)
    )
    return {
        "transfers_so_far": case.transfer_count,
        "this_would_be": next_number,
        "warning": next_number >= WARN_FROM,
        "needs": ["note", "tried", "promised", "confirm"] if next_number >= WARN_FROM else ["note"],
        "teams_visited": _teams_visited(case, history),
    }


def _teams_visited(case: Case, history: list[Any]) -> list[int]:
    visited: list[int] = []
    for data in history:
        if isinstance(data, dict) and data.get("from") is not None:
            visited.append(int(data["from"]))
    return visited


def prepare_handoff(
    case: Case, team: Team, *, note: str, tried: str, promised: str, confirm: bool
) -> dict[str, Any]:
    """Validate the hand-off; return the data the transfer event stores."""
    why = clean_text(note).strip()
    tried = clean_text(tried).strip()
    promised = clean_text(promised).strip()
    if not why:
        raise ActionError(
            "A transfer needs a hand-over note for the receiving team.", details={"field": "note"}
        )
    check = transfer_check(case)
    if check["warning"]:
        missing = [k for k, v in (("tried", tried), ("promised", promised)) if not v]
        if missing:
            raise ActionError(
                f"This would be transfer number {check['this_would_be']} of this case. Every "
                "transfer makes the client repeat themselves: give the full hand-off (why, what "
                "was tried, what was promised) or keep the case and ask for backup instead.",
                code="handoff_incomplete",
                details={"missing": missing, **check},
            )
        if not confirm:
            raise ActionError(
                f"This would be transfer number {check['this_would_be']} of this case; "
                "confirm that it is needed.",
                code="transfer_warning",
                details=check,
            )
    visited = set(check["teams_visited"])
    ping_pong = team.pk in visited
    return {
        "number": check["this_would_be"],
        "warned": check["warning"],
        "ping_pong": ping_pong,
        "handoff": {"why": why[:5000], "tried": tried[:5000], "promised": promised[:5000]},
    }


def flag_ping_pong(case: Case, actor: User | None, old_team_id: int, number: int) -> None:
    """Tell the supervisors of the case's new and old team that it bounced back."""
    people: list[User] = supervisors_on_duty(case)
    old = Case(pk=case.pk, organization_id=case.organization_id, team_id=old_team_id)
    for person in supervisors_on_duty(old):
        if person not in people:
            people.append(person)
    for person in people:
        notify(
            person,
            kind=NotificationKind.PING_PONG,
            key=f"pingpong:{case.pk}:{number}",
            text=f"{case.reference} was passed back to a team it already left (transfer {number}).",
            case=case,
            data={"transfer": number, "by": actor.pk if actor else None},
        )


def latest_handoff(case: Case) -> dict[str, Any] | None:
    """The hand-off of the last transfer (what the receiving team reads first)."""
    row = (
        Interaction.objects.filter(case_id=case.pk, event_type="transfer").order_by("-seq").first()
    )
    if row is None:
        return None
    data = dict(row.data)
    handoff = data.get("handoff") or {"why": row.text, "tried": "", "promised": ""}
    return {
        "seq": row.seq,
        "at": row.occurred_at,
        "by": row.author_id,
        "from_team": data.get("from"),
        "to_team": data.get("to"),
        "number": data.get("number"),
        "ping_pong": bool(data.get("ping_pong")),
        **handoff,
    }
