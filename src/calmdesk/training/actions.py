"""Every write of the training app: a ``do_*`` function, atomic, with one audit entry each."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError, Forbidden
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Case, User
from calmdesk.simulation.scoring import OUTCOME_POINTS
from calmdesk.training.access import can_mentor, lead_teams, mentees_of
from calmdesk.training.lib import simulation as sim
from calmdesk.training.models import (
    Assignment,
    MentorComment,
    PracticeSession,
    PracticeTurn,
    ScenarioDraft,
    ScoreOverride,
)

MAX_TEXT = 4000


def _org(actor: User) -> int:
    if actor.organization_id is None:
        raise Forbidden("Training needs a user of an organization.")
    return int(actor.organization_id)


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionError(f"The {what} is empty.")
    if len(value) > limit:
        raise ActionError(f"The {what} is longer than {limit} characters.")
    return value


def _scores(report: sim.Report) -> dict[str, int]:
    return {str(p.principle): p.score for p in report.principles if p.score is not None}


def overall_from(scores: dict[str, int], outcome: str) -> int:
    """The engine's formula: 0.7 x mean of the scored principles + 0.3 x the outcome."""
    mean = sum(scores.values()) / len(scores) if scores else 0.0
    return round(0.7 * mean + 0.3 * OUTCOME_POINTS.get(outcome, 0))


def _finish(session: PracticeSession, played: sim.Session, scenario: sim.Scenario) -> None:
    report = sim.score_session(played.result(), scenario)
    session.status = PracticeSession.Status.FINISHED
    session.outcome = report.outcome
    session.overall = report.overall
    session.principle_scores = _scores(report)
    session.report = report.to_dict()
    session.finished_at = timezone.now()


def do_start_practice(
    actor: User,
    *,
    scenario_id: str,
    lang: str,
    draft: ScenarioDraft | None = None,
    assignment: Assignment | None = None,
    seed: int | None = None,
    meta: RequestMeta | None = None,
) -> PracticeSession:
    with transaction.atomic():
        yaml_text = ""
        if draft is not None:
            if draft.status != ScenarioDraft.Status.PUBLISHED:
                raise ActionError("This scenario is not published.")
            yaml_text, lang, scenario_id = draft.yaml_text, draft.lang, draft.scenario_id
            scenario = sim.parse_draft_yaml(yaml_text, lang)
        else:
            try:
                scenario = sim.load_scenario(scenario_id, lang)
            except (KeyError, FileNotFoundError, ValueError) as exc:
                raise ActionError("There is no such scenario.") from exc
        seed = secrets.randbelow(1_000_000) if seed is None else seed
        opening = sim.Session(scenario, seed=seed)
        session = PracticeSession.objects.create(
            organization_id=_org(actor),
            trainee=actor,
            scenario_id=scenario.id,
            lang=lang,
            title=scenario.title,
            draft=draft,
            scenario_yaml=yaml_text,
            assignment=assignment,
            seed=seed,
            opening=opening.opening,
            state=list(opening.state.snapshot()),
        )
        write_audit(
            actor=actor,
            organization=actor.organization_id,
            action="training.start",
            obj=session,
            data={"scenario": scenario.id, "lang": lang, "seed": seed, "draft": draft and draft.pk},
            meta=meta,
        )
        return session


def _locked(session: PracticeSession, actor: User) -> PracticeSession:
    locked = PracticeSession.objects.select_for_update().get(pk=session.pk)
    if locked.trainee_id != actor.pk:
        raise Forbidden("Only the trainee practises in a session.")
    if locked.status != PracticeSession.Status.ACTIVE:
        raise ActionError("This session has ended.")
    return locked


def _replayed(session: PracticeSession) -> tuple[sim.Scenario, sim.Session]:
    scenario = sim.session_scenario(session)
    texts = list(session.turns.order_by("n").values_list("trainee_text", flat=True))
    return scenario, sim.play(scenario, session.seed, texts)


def do_practice_turn(
    actor: User, session: PracticeSession, *, text: str, meta: RequestMeta | None = None
) -> PracticeTurn:
    text = _text(text, "reply")
    with transaction.atomic():
        locked = _locked(session, actor)
        scenario, played = _replayed(locked)
        record = played.reply(text)
        turn = PracticeTurn.objects.create(
            session=locked,
            n=record.index,
            trainee_text=record.trainee,
            persona_reply=record.persona,
            findings=record.to_dict(),
        )
        locked.state = list(record.state_after)
        if played.finished:
            _finish(locked, played, scenario)
        locked.save()
        write_audit(
            actor=actor,
            organization=locked.organization_id,
            action="training.turn",
            obj=turn,
            data={"session": locked.pk, "n": turn.n, "outcome": locked.outcome},
            meta=meta,
        )
        session.refresh_from_db()
        return turn


def do_end_practice(
    actor: User, session: PracticeSession, *, meta: RequestMeta | None = None
) -> PracticeSession:
    with transaction.atomic():
        locked = _locked(session, actor)
        scenario, played = _replayed(locked)
        played.quit()
        _finish(locked, played, scenario)
        locked.save()
        write_audit(
            actor=actor,
            organization=locked.organization_id,
            action="training.end",
            obj=locked,
            data={"outcome": locked.outcome, "overall": locked.overall},
            meta=meta,
        )
        session.refresh_from_db()
        return locked


def _mentor_check(actor: User, session: PracticeSession) -> None:
    if not can_mentor(actor, session):
        raise Forbidden("Only the trainee's mentor may do this.")


def do_comment_turn(
    actor: User,
    session: PracticeSession,
    *,
    turn_n: int,
    text: str,
    meta: RequestMeta | None = None,
) -> MentorComment:
    _mentor_check(actor, session)
    text = _text(text, "comment")
    if turn_n != 0 and not session.turns.filter(n=turn_n).exists():
        raise ActionError("There is no such turn.")
    with transaction.atomic():
        comment = MentorComment.objects.create(
            session=session, turn_n=turn_n, mentor=actor, text=text
        )
        write_audit(
            actor=actor,
            organization=session.organization_id,
            action="training.comment",
            obj=comment,
            data={"session": session.pk, "turn": turn_n},
            meta=meta,
        )
        return comment


def do_override_score(
    actor: User,
    session: PracticeSession,
    *,
    principle: int,
    new_score: int,
    reason: str,
    meta: RequestMeta | None = None,
) -> ScoreOverride:
    _mentor_check(actor, session)
    reason = _text(reason, "reason")
    if principle not in range(1, 13):
        raise ActionError("The principle must be a number from 1 to 12.")
    if new_score not in range(0, 101):
        raise ActionError("The score must be a whole number from 0 to 100.")
    with transaction.atomic():
        locked = PracticeSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != PracticeSession.Status.FINISHED:
            raise ActionError("Scores can be changed once the session has ended.")
        scores: dict[str, int] = dict(locked.principle_scores)
        old = scores.get(str(principle))
        scores[str(principle)] = new_score
        locked.principle_scores = scores
        locked.overall = overall_from(scores, locked.outcome)
        locked.save(update_fields=["principle_scores", "overall"])
        override = ScoreOverride.objects.create(
            session=locked,
            principle=principle,
            old_score=old,
            new_score=new_score,
            reason=reason,
            mentor=actor,
        )
        write_audit(
            actor=actor,
            organization=locked.organization_id,
            action="training.override",
            obj=override,
            data={
                "session": locked.pk,
                "principle": principle,
                "old": old,
                "new": new_score,
                "reason": reason,
            },
            meta=meta,
        )
        session.refresh_from_db()
        return override


def do_assign_scenario(
    actor: User,
    *,
    trainee: User,
    scenario_id: str,
    lang: str,
    draft: ScenarioDraft | None = None,
    due: dt.date | None = None,
    meta: RequestMeta | None = None,
) -> Assignment:
    if not mentees_of(actor).filter(id=trainee.pk).exists():
        raise Forbidden("You can assign scenarios to your mentees only.")
    if draft is not None:
        scenario_id, lang = draft.scenario_id, draft.lang
    else:
        try:
            sim.load_scenario(scenario_id, lang)
        except (KeyError, FileNotFoundError, ValueError) as exc:
            raise ActionError("There is no such scenario.") from exc
    with transaction.atomic():
        assignment = Assignment.objects.create(
            organization_id=_org(actor),
            scenario_id=scenario_id,
            lang=lang,
            draft=draft,
            trainee=trainee,
            assigned_by=actor,
            due=due,
        )
        write_audit(
            actor=actor,
            organization=actor.organization_id,
            action="training.assign",
            obj=assignment,
            data={"trainee": trainee.pk, "scenario": scenario_id, "lang": lang, "due": due},
            meta=meta,
        )
        return assignment


CASE_DONE = ("resolved", "closed")


def do_create_draft_from_case(
    actor: User, case: Case, *, category: str = "vague_complaint", meta: RequestMeta | None = None
) -> ScenarioDraft:
    if not lead_teams(actor).filter(id=case.team_id).exists():
        raise Forbidden("Only a supervisor of the case's team can turn it into a scenario.")
    if case.status not in CASE_DONE:
        raise ActionError("Only a resolved case can become a scenario.")
    try:
        made = sim.draft_from_case(case, category=category)
    except ValueError as exc:
        raise ActionError(str(exc)) from exc
    with transaction.atomic():
        draft = ScenarioDraft.objects.create(
            organization_id=case.organization_id,
            team=case.team,
            source_case=case,
            author=actor,
            lang=made.scenario.lang,
            scenario_id=made.scenario.id,
            title=made.scenario.title,
            yaml_text=made.yaml_text,
            warnings=list(made.warnings),
        )
        write_audit(
            actor=actor,
            organization=case.organization_id,
            action="training.draft_create",
            obj=draft,
            data={"case": case.pk, "replaced": dict(made.replaced)},
            meta=meta,
        )
        return draft


def _validated(draft: ScenarioDraft, yaml_text: str) -> Any:
    try:
        return sim.parse_draft_yaml(yaml_text, draft.lang)
    except sim.ScenarioError as exc:
        raise ActionError(str(exc).removeprefix("draft: ")) from exc


def _lead_check(actor: User, draft: ScenarioDraft) -> None:
    if not lead_teams(actor).filter(id=draft.team_id).exists():
        raise Forbidden("Only a supervisor of the team can change its scenarios.")


def do_update_draft(
    actor: User, draft: ScenarioDraft, *, yaml_text: str, meta: RequestMeta | None = None
) -> ScenarioDraft:
    _lead_check(actor, draft)
    yaml_text = _text(yaml_text, "scenario", limit=200_000)
    scenario = _validated(draft, yaml_text)
    with transaction.atomic():
        draft.yaml_text = yaml_text
        draft.scenario_id = scenario.id
        draft.title = scenario.title
        draft.save()
        write_audit(
            actor=actor,
            organization=draft.organization_id,
            action="training.draft_update",
            obj=draft,
            data={"scenario": scenario.id},
            meta=meta,
        )
        return draft


def do_publish_draft(
    actor: User, draft: ScenarioDraft, *, meta: RequestMeta | None = None
) -> ScenarioDraft:
    _lead_check(actor, draft)
    _validated(draft, draft.yaml_text)
    with transaction.atomic():
        draft.status = ScenarioDraft.Status.PUBLISHED
        draft.published_at = timezone.now()
        draft.save()
        write_audit(
            actor=actor,
            organization=draft.organization_id,
            action="training.draft_publish",
            obj=draft,
            data={"team": draft.team_id, "scenario": draft.scenario_id},
            meta=meta,
        )
        return draft
