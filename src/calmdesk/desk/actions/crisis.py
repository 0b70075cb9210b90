"""The crisis protocol: an incident opened inline when a client message carries a crisis
signal, the alert to the supervisor on duty (in-app and email, without a worker), and the
incident record that must be completed before the case can be resolved or closed.

Never an automatic reply to such a message: nothing here (or anywhere in the desk) sends
one to the client.
"""

from __future__ import annotations

import copy
import functools
import logging
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import system_event, write_audit
from calmdesk.desk.actions.notifications import (
    email_language,
    notify,
    org_admins,
    queue_email,
    render_email,
    supervisors_on_duty,
)
from calmdesk.desk.lib.analysis import InlineCheck, to_latin
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import (
    Case,
    CrisisIncident,
    IncidentStatus,
    Interaction,
    NotificationKind,
    Priority,
    Role,
    User,
)

logger = logging.getLogger(__name__)

DEFAULT_PROTOCOL_DIR = Path(__file__).resolve().parent.parent / "protocols"
KIND_LABELS = {
    "en": {"self_harm": "risk of self-harm", "violence": "threat of violence"},
    "pl": {"self_harm": "ryzyko samookaleczenia", "violence": "groźba przemocy"},
    "sr": {"self_harm": "ризик од самоповређивања", "violence": "претња насиљем"},
    "sr-latn": {"self_harm": "rizik od samopovređivanja", "violence": "pretnja nasiljem"},
    "he": {"self_harm": "סיכון לפגיעה עצמית", "violence": "איום באלימות"},
}


def _protocol_dirs() -> list[Path]:
    own = getattr(settings, "CALMDESK_CRISIS_PROTOCOL_DIR", "")
    return [Path(own)] if own else []


@functools.lru_cache(maxsize=16)
def _load_file(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or "protocols" not in data:
        raise ValueError(f"{path}: not a crisis protocol file")
    return data


def load_protocols(language: str) -> dict[str, Any]:
    """The protocol file for ``language`` (sr-latn is the Cyrillic file transliterated;
    unknown languages get English)."""
    lang = email_language(language)
    source = "sr" if lang == "sr-latn" else lang
    for folder in [*_protocol_dirs(), DEFAULT_PROTOCOL_DIR]:
        path = folder / f"{source}.yaml"
        if path.is_file():
            data = copy.deepcopy(_load_file(str(path)))
            if lang == "sr-latn":
                data = _transliterate(data)
                data["language"] = "sr-latn"
            data["source"] = "organization" if folder != DEFAULT_PROTOCOL_DIR else "default"
            return data
    raise FileNotFoundError(f"no crisis protocol for {language!r}")


def _transliterate(value: Any) -> Any:
    if isinstance(value, str):
        return to_latin(value)
    if isinstance(value, list):
        return [_transliterate(v) for v in value]
    if isinstance(value, dict):
        return {k: (_transliterate(v) if k != "id" else v) for k, v in value.items()}
    return value


def _steps_for(protocol: dict[str, Any], kinds: list[str]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for kind in kinds:
        for step in protocol["protocols"].get(kind, {}).get("steps", []):
            sid = f"{kind}:{step['id']}"
            if sid in seen:
                continue
            seen.add(sid)
            steps.append(
                {
                    "id": sid,
                    "text": str(step["text"]),
                    "required": bool(step.get("required", True)),
                    "done_by": None,
                    "done_at": None,
                    "note": "",
                }
            )
    return steps


def open_incident(case: Case, message: Interaction, check: InlineCheck) -> CrisisIncident:
    """Called by do_receive_message inside its transaction (its audit entry covers this)."""
    now = timezone.now()
    kinds = check.kinds
    staff_lang = (case.assignee.preferred_language if case.assignee else "") or ""
    protocol = load_protocols(staff_lang or message.language or "en")
    applied = {
        "language": protocol["language"],
        "version": protocol.get("version", ""),
        "source": protocol.get("source", "default"),
        "adapt_notice": protocol.get("adapt_notice", ""),
        "kinds": {
            k: {
                "title": protocol["protocols"].get(k, {}).get("title", k),
                "hotlines": protocol["protocols"].get(k, {}).get("hotlines", []),
                "alert": protocol["protocols"].get(k, {}).get("alert", []),
            }
            for k in kinds
        },
    }
    incident = CrisisIncident.objects.create(
        organization_id=case.organization_id,
        case=case,
        interaction=message,
        kinds=kinds,
        severity=check.severity,
        signals=[h.as_data() for h in check.crisis],
        engine_version=check.versions.get("engine", ""),
        protocol=applied,
        steps=_steps_for(protocol, kinds),
        detected_at=now,
    )
    # The case jumps to the top: urgent, with its crisis level set.
    fields = ["crisis_level", "crisis_at", "priority", "updated_at"]
    if not case.crisis_level or check.severity == "high":
        case.crisis_level = check.severity
    case.crisis_at = case.crisis_at or now
    case.priority = Priority.URGENT
    case.updated_at = now
    case.save(update_fields=fields)
    system_event(
        case,
        None,
        "crisis",
        {
            "incident": incident.pk,
            "kinds": kinds,
            "severity": check.severity,
            "message_seq": message.seq,
        },
    )
    alerted = _alert(case, incident)
    incident.alerted = alerted
    incident.save(update_fields=["alerted"])
    return incident


def _alert(case: Case, incident: CrisisIncident) -> list[int]:
    people = supervisors_on_duty(case)
    if case.assignee is not None and case.assignee.is_active and case.assignee not in people:
        people.append(case.assignee)
    url = case_url(case)
    email_ids: list[int] = []
    for person in people:
        lang = email_language(person.preferred_language)
        labels = KIND_LABELS[lang]
        kinds_label = " / ".join(labels.get(k, k) for k in incident.kinds)
        notify(
            person,
            kind=NotificationKind.CRISIS,
            key=f"crisis:{incident.pk}",
            text=f"{case.reference}: {kinds_label}",
            case=case,
            data={"incident": incident.pk, "severity": incident.severity},
        )
        # The wellbeing offer for the agent who has to handle this.
        if person == case.assignee:
            from calmdesk.desk.actions.wellbeing import offer_checkin

            offer_checkin(person, case, "crisis")
        if not person.email:
            continue
        subject, body = render_email(
            "crisis_alert",
            lang,
            {
                "recipient_name": person.get_full_name() or person.username,
                "case_ref": case.reference,
                "case_subject": case.subject,
                "kinds_label": kinds_label,
                "severity": incident.severity,
                "url": url,
            },
        )
        row, _ = queue_email(
            organization_id=case.organization_id,
            key=f"crisis:{incident.pk}:{person.pk}",
            kind="crisis_alert",
            case=case,
            to=[person.email],
            subject=subject,
            body=body,
            language=lang,
            enqueue=False,
        )
        email_ids.append(row.pk)
    transaction.on_commit(lambda: send_now(email_ids))
    return [p.pk for p in people]


def send_now(row_ids: list[int]) -> None:
    """Deliver crisis alerts in this process right after commit; what fails (mail server
    down) is handed to the worker and to ``tick``."""
    from calmdesk.desk.actions.notifications import enqueue_delivery
    from calmdesk.desk.lib.mail import deliver

    for row_id in row_ids:
        try:
            sent = deliver(row_id)
        except Exception:
            logger.exception("crisis alert %s not delivered inline", row_id)
            sent = False
        if not sent:
            try:
                enqueue_delivery(row_id)
            except Exception:
                logger.exception("could not enqueue crisis alert %s", row_id)


def case_url(case: Case) -> str:
    base = str(getattr(settings, "CALMDESK_BASE_URL", "") or "http://localhost:8000").rstrip("/")
    return f"{base}/cases/{case.pk}/"


def open_incident_blocks_closing(case: Case) -> CrisisIncident | None:
    return case.crisis_incidents.filter(status=IncidentStatus.OPEN).order_by("id").first()


@transaction.atomic
def do_record_crisis_step(
    actor: User,
    incident: CrisisIncident,
    step_id: str,
    *,
    note: str = "",
    meta: RequestMeta | None = None,
) -> CrisisIncident:
    incident = CrisisIncident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        raise ActionError("The incident record is already completed.", code="incident_closed")
    steps = list(incident.steps)
    for step in steps:
        if step["id"] == step_id:
            if step["done_at"]:
                raise ActionError("That step is already recorded.", code="step_done")
            step["done_by"] = actor.pk
            step["done_at"] = timezone.now().isoformat()
            step["note"] = clean_text(note).strip()[:2000]
            break
    else:
        raise ActionError(f"Unknown step {step_id!r}.", details={"field": "step_id"})
    incident.steps = steps
    incident.save(update_fields=["steps"])
    system_event(incident.case, actor, "crisis_step", {"incident": incident.pk, "step": step_id})
    write_audit(
        actor=actor,
        organization=incident.organization_id,
        action="crisis.step",
        obj=incident,
        data={"step": step_id},
        meta=meta,
    )
    return incident


@transaction.atomic
def do_complete_crisis_incident(
    actor: User, incident: CrisisIncident, *, summary: str, meta: RequestMeta | None = None
) -> CrisisIncident:
    incident = CrisisIncident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        raise ActionError("The incident record is already completed.", code="incident_closed")
    missing = [s["id"] for s in incident.steps if s["required"] and not s["done_at"]]
    if missing:
        raise ActionError(
            "Record every required step of the protocol first.",
            code="steps_missing",
            details={"missing": missing},
        )
    summary = clean_text(summary).strip()
    if not summary:
        raise ActionError("Write what happened and what was done.", details={"field": "summary"})
    incident.status = IncidentStatus.COMPLETED
    incident.completed_at = timezone.now()
    incident.completed_by = actor
    incident.summary = summary[:10000]
    incident.save(update_fields=["status", "completed_at", "completed_by", "summary"])
    system_event(incident.case, actor, "crisis_completed", {"incident": incident.pk})
    write_audit(
        actor=actor,
        organization=incident.organization_id,
        action="crisis.complete",
        obj=incident,
        data={"case": incident.case_id},
        meta=meta,
    )
    return incident


def alert_unfiled_crisis(
    *,
    organization_id: int,
    team_id: int | None,
    check: InlineCheck,
    key: str,
    text: str,
    subject: str,
    link: str,
    obj: Any,
    action: str,
    data: dict[str, Any],
) -> list[int]:
    """A crisis signal in something that reached no case (unreadable mail, a helpdesk webhook
    that could not be filed): alert the team's supervisors — or, without a team or
    supervisors, the organization's admins — in the app and by email (``link`` to the stored
    item), and write one audit entry ``action``.  Returns the ids of the people alerted."""
    people: list[User] = []
    if team_id is not None:
        people = list(
            User.objects.filter(
                is_active=True,
                organization_id=organization_id,
                memberships__team_id=team_id,
                memberships__role=Role.SUPERVISOR,
            )
            .distinct()
            .order_by("id")
        )
    alerted = []
    for person in people or org_admins(organization_id):
        notify(
            person,
            kind=NotificationKind.CRISIS,
            key=key,
            text=text,
            data={**data, "severity": check.severity, "kinds": check.kinds},
        )
        alerted.append(person.pk)
        if person.email:
            queue_email(
                organization_id=organization_id,
                key=f"{key}:{person.pk}",
                kind="crisis",
                to=[person.email],
                subject=subject,
                body=f"{text}\n\n{settings.CALMDESK_BASE_URL}{link}",
            )
    write_audit(
        actor=None,
        organization=organization_id,
        action=action,
        obj=obj,
        data={"kinds": check.kinds, "alerted": alerted, **data},
    )
    return alerted
