"""Per-message facts: what the engine read in each client message, and what the coach still
finds in each sent reply.  Stored once per interaction and engine version, so the count
tables never analyse text again (docs/reports.md).

``analyze_pending`` is the entry point (the history import calls it too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction

from calmdesk.desk.models import Case, Interaction, Kind, Organization
from calmdesk.reports.models import FillState, MessageFact, ReplyFact

logger = logging.getLogger(__name__)

LEVELS = {"low": 0, "medium": 1, "high": 2, "critical": 3}
LANGS = ("en", "pl", "sr", "he")
FACTS_TABLE = "facts"
REPLIES_TABLE = "reply-facts"


def engine_version() -> str:
    from calmdesk.analysis import ENGINE_VERSION

    return str(ENGINE_VERSION)


def fact_fields(analysis: Any) -> dict[str, Any]:
    """The columns of a :class:`MessageFact` for one ``MessageAnalysis``."""
    causes = sorted(analysis.root_causes, key=lambda r: -float(r.score))
    return {
        "language": str(analysis.language or "")[:10],
        "sentiment": round(float(analysis.sentiment.score), 4),
        "negative": analysis.sentiment.label == "negative",
        "anger": round(float(analysis.emotions.anger), 4),
        "frustration": round(float(analysis.emotions.frustration), 4),
        "intensity": round(float(analysis.intensity), 4),
        "escalation": LEVELS.get(str(analysis.escalation.level), 0),
        "hostility": bool(analysis.hostility.present),
        "complaint": bool(analysis.complaint.present),
        "crisis": bool(analysis.crisis),
        "root_cause": str(causes[0].code)[:50] if causes else "",
    }


def reply_rules(review: Any) -> list[str]:
    """Rule ids of the coach's findings on one reply (sorted, repeated rules once)."""
    return sorted({str(f.rule_id) for f in review.findings})


def applied_rules(data: Any) -> list[str]:
    """Rule ids of the suggestions the agent applied before sending (``data["coach_applied"]``,
    written by ``do_send_reply``); sorted, each once."""
    found = data.get("coach_applied") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return []
    return sorted({str(r)[:100] for r in found if isinstance(r, str) and r})


def _lang_hint(language: str) -> str | None:
    return language if language in LANGS else None


def _analyse(rows: Sequence[Interaction]) -> Iterator[tuple[Interaction, Any]]:
    from calmdesk.analysis import analyze_message

    many: Callable[..., Iterator[Any]] | None
    try:
        from calmdesk.analysis import analyze_many as many
    except ImportError:  # pragma: no cover - older engines
        many = None
    by_lang: dict[str | None, list[Interaction]] = {}
    for row in rows:
        by_lang.setdefault(_lang_hint(row.language), []).append(row)
    for lang, group in by_lang.items():
        if many is not None:
            try:
                yield from zip(group, many((r.text for r in group), lang=lang), strict=True)
                continue
            except Exception:
                logger.exception("batch analysis failed; analysing one by one")
        for row in group:
            try:
                yield row, analyze_message(row.text, lang=lang)
            except Exception:
                logger.exception("analysis of interaction %s failed", row.pk)


def _state(org_id: int, table: str) -> FillState:
    state, _ = FillState.objects.get_or_create(organization_id=org_id, table=table)
    return state


def _orgs(organization_id: int | None) -> Iterable[int]:
    if organization_id is not None:
        return [organization_id]
    return list(Organization.objects.order_by("pk").values_list("pk", flat=True))


def analyze_pending(
    organization_id: int | None = None,
    *,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Analyse every client message without a fact row for the current engine version (or
    with one of an older version); store one fact per interaction; return how many.

    New messages are found from the newest interaction seen (kept in ``FillState``), older
    facts by their engine version.  A message whose analysis fails is retried next time."""
    version = engine_version()
    done = 0
    for org_id in _orgs(organization_id):
        state = _state(org_id, FACTS_TABLE)
        base = Interaction.objects.filter(organization_id=org_id, kind=Kind.INBOUND).exclude(
            text=""
        )
        stale = list(
            MessageFact.objects.filter(organization_id=org_id)
            .exclude(engine_version=version)
            .values_list("interaction_id", flat=True)
        )
        total = base.filter(pk__gt=state.last_interaction_id).count() + len(stale)
        for start in range(0, len(stale), batch):
            done += _store_facts(list(base.filter(pk__in=stale[start : start + batch])), version)
            if progress:
                progress(done, total)
        while True:
            rows = list(base.filter(pk__gt=state.last_interaction_id).order_by("pk")[:batch])
            if not rows:
                break
            stored = _store_facts(rows, version)
            done += stored
            analysed = set(
                MessageFact.objects.filter(
                    interaction_id__in=[r.pk for r in rows], engine_version=version
                ).values_list("interaction_id", flat=True)
            )
            # Advance only over rows analysed: a failure stops here and is retried next time.
            last = state.last_interaction_id
            for row in rows:
                if row.pk not in analysed:
                    break
                last = row.pk
            FillState.objects.filter(pk=state.pk).update(last_interaction_id=last)
            if progress:
                progress(done, total)
            if last != rows[-1].pk:
                break
            state.last_interaction_id = last
    return done


def _store_facts(rows: Sequence[Interaction], version: str) -> int:
    if not rows:
        return 0
    teams = dict(Case.objects.filter(pk__in={r.case_id for r in rows}).values_list("pk", "team_id"))
    facts = [
        MessageFact(
            interaction_id=row.pk,
            organization_id=row.organization_id,
            case_id=row.case_id,
            team_id=teams[row.case_id],
            engine_version=version,
            occurred_at=row.occurred_at,
            channel=row.channel,
            **fact_fields(analysis),
        )
        for row, analysis in _analyse(rows)
    ]
    with transaction.atomic():
        MessageFact.objects.filter(interaction_id__in=[f.interaction_id for f in facts]).delete()
        MessageFact.objects.bulk_create(facts)
    return len(facts)


def review_pending(organization_id: int | None = None, *, batch: int = 200) -> int:
    """Run the coach over every sent reply not reviewed yet; store the rules it still finds
    and the rules whose suggestion the agent applied (the coaching report counts both per
    rule family).  Returns how many replies."""
    from calmdesk.analysis import review_reply

    version = engine_version()
    done = 0
    for org_id in _orgs(organization_id):
        state = _state(org_id, REPLIES_TABLE)
        base = Interaction.objects.filter(organization_id=org_id, kind=Kind.OUTBOUND).exclude(
            text=""
        )
        while True:
            rows = list(
                base.filter(pk__gt=state.last_interaction_id)
                .select_related("case")
                .order_by("pk")[:batch]
            )
            if not rows:
                break
            client_said = _previous_client_messages(rows)
            facts = []
            for row in rows:
                lang = _lang_hint(row.language)
                try:
                    review = review_reply(
                        row.text, lang=lang, client_message=client_said.get(row.pk)
                    )
                except Exception:
                    logger.exception("review of reply %s failed", row.pk)
                    continue
                facts.append(
                    ReplyFact(
                        interaction_id=row.pk,
                        organization_id=org_id,
                        case_id=row.case_id,
                        team_id=row.case.team_id,
                        author_id=row.author_id or 0,
                        engine_version=version,
                        occurred_at=row.occurred_at,
                        channel=row.channel,
                        language=str(review.lang or "")[:10],
                        rules=reply_rules(review),
                        applied=applied_rules(row.data),
                    )
                )
            with transaction.atomic():
                ReplyFact.objects.filter(interaction_id__in=[f.pk for f in facts]).delete()
                ReplyFact.objects.bulk_create(facts)
                FillState.objects.filter(pk=state.pk).update(last_interaction_id=rows[-1].pk)
            state.last_interaction_id = rows[-1].pk
            done += len(facts)
    return done


def _previous_client_messages(rows: Sequence[Interaction]) -> dict[int, str]:
    """For each reply, the text of the client's last message before it in the case."""
    wanted = {r.case_id for r in rows}
    inbound: dict[int, list[tuple[int, str]]] = {}
    for case_id, seq, text in (
        Interaction.objects.filter(case_id__in=wanted, kind=Kind.INBOUND)
        .exclude(text="")
        .order_by("case_id", "seq")
        .values_list("case_id", "seq", "text")
    ):
        inbound.setdefault(case_id, []).append((seq, text))
    found: dict[int, str] = {}
    for row in rows:
        earlier = [t for s, t in inbound.get(row.case_id, []) if s < row.seq]
        if earlier:
            found[row.pk] = earlier[-1]
    return found
