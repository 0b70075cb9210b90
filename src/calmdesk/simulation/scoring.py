"""Scoring a session per principle (1–12) and writing the final report.

Every point has a turn and a reason: a coach finding (its rule id and message) or the
simulator's own reading (``sim.*``).  A principle's score is the share of points earned among
points earned and lost (0–100); a principle the session did not exercise has no score.  The
overall score is 70 % the mean of the exercised principles and 30 % the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmdesk.analysis import principle_link as analysis_principle_link

from ._types import (
    PRINCIPLE_SLUGS,
    Mark,
    PrincipleScore,
    Report,
    Scenario,
    SessionResult,
    TurnRecord,
)
from .scenarios import LangPack, lang_pack

if TYPE_CHECKING:
    from .engine import Reading

__all__ = ["OUTCOME_POINTS", "principle_link", "score_session", "turn_marks"]

OUTCOME_POINTS: dict[str, int] = {
    "resolved": 100,
    "turn_limit": 40,
    "abandoned": 20,
    "escalated": 0,
    "quit": 0,
}
_MOVE_MARK: dict[str, tuple[int, float]] = {
    "acknowledge": (3, 1.0),
    "paraphrase": (2, 1.0),
    "open_question": (1, 1.0),
    "next_step": (7, 1.0),
    "boundary": (4, 1.0),
    "backup": (9, 1.5),
}
_LEVEL_WEIGHT = {"warning": 1.0, "error": 2.0}


def principle_link(principle: int, lang: str = "en") -> str:
    """Link to the principle page (the same pages the coach links to)."""
    return analysis_principle_link(principle, lang)


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def turn_marks(
    scenario: Scenario, turn: int, text: str, reading: Reading, revealed: list[str]
) -> tuple[Mark, ...]:
    """The points one trainee turn earned and lost."""
    pack = lang_pack(scenario.lang)
    marks: list[Mark] = []
    for f in reading.review.findings:
        weight = _LEVEL_WEIGHT.get(f.level)
        if weight is None or not 1 <= f.principle <= 12:
            continue
        marks.append(Mark(f.principle, -weight, turn, f.message, f.rule_id, _clip(f.span.text)))
    for move in reading.moves:
        if move == "boundary" and not (scenario.cannot_grant or "boundary" in scenario.requires):
            continue
        if move == "backup" and "backup" not in scenario.requires:
            continue
        principle, weight = _MOVE_MARK[move]
        marks.append(Mark(principle, weight, turn, pack.text(f"sim.{move}"), f"sim.{move}", ""))
    for fact in revealed:
        marks.append(Mark(1, 1.0, turn, pack.text("sim.fact-revealed"), f"sim.fact.{fact}", ""))
    if reading.promises:
        quote = _clip(reading.promises[0])
        marks.append(
            Mark(10, 0.5, turn, pack.text("sim.dated-promise"), "sim.dated-promise", quote)
        )
    if "wrong_paraphrase" in reading.events:
        marks.append(
            Mark(2, -0.5, turn, pack.text("sim.wrong-paraphrase"), "sim.wrong-paraphrase", "")
        )
    if "robotic" in reading.events and not any(m.principle == 6 for m in marks):
        marks.append(Mark(6, -1.0, turn, pack.text("sim.repeated"), "sim.repeated", ""))
    if "insulted" in reading.events and not any(m.principle == 5 for m in marks):
        marks.append(Mark(5, -2.0, turn, pack.text("sim.hostile"), "sim.hostile", _clip(text)))
    calm = not {"insulted", "blamed", "lectured"} & set(reading.events)
    clean = not any(m.delta < 0 for m in marks)
    if reading.uses_client_words and clean:
        marks.append(Mark(6, 0.5, turn, pack.text("sim.client-words"), "sim.client-words", ""))
    ownership = reading.review.scores.get("ownership")
    if (
        scenario.category == "passed_around"
        and ownership is not None
        and ownership.value >= 0.5
        and not any(m.principle == 8 for m in marks)
    ):
        reason = pack.text("sim.ownership")
        marks.append(Mark(8, 1.0, turn, reason, "sim.ownership", ""))
    if calm and scenario.category in ("rude_client", "legal_threat") and reading.moves:
        marks.append(Mark(5, 0.5, turn, pack.text("sim.stayed-calm"), "sim.stayed-calm", ""))
    return tuple(marks)


def _session_marks(scenario: Scenario, result: SessionResult, pack: LangPack) -> list[Mark]:
    seen = {m for t in result.turns for m in t.moves}
    marks: list[Mark] = []
    if not result.turns:
        return marks
    if "acknowledge" not in seen:
        reason = pack.text("sim.never-acknowledged")
        marks.append(Mark(3, -2.0, 0, reason, "sim.never-acknowledged"))
    for fact in scenario.facts:
        if fact.required and fact.id not in result.revealed:
            reason = pack.text("sim.fact-missed")
            marks.append(Mark(1, -1.0, 0, reason, f"sim.fact-missed.{fact.id}"))
    if "backup" in scenario.requires and "backup" not in seen:
        marks.append(Mark(9, -3.0, 0, pack.text("sim.no-backup"), "sim.no-backup"))
    if "boundary" in scenario.requires and "boundary" not in seen:
        marks.append(Mark(4, -2.0, 0, pack.text("sim.no-boundary"), "sim.no-boundary"))
    if "next_step" in scenario.requires and "next_step" not in seen:
        marks.append(Mark(7, -2.0, 0, pack.text("sim.no-next-step"), "sim.no-next-step"))
    for promise in result.broken_promises:
        marks.append(
            Mark(10, -2.0, 0, pack.text("sim.broken-promise"), "sim.broken-promise", promise)
        )
    if result.outcome == "resolved":
        marks.append(Mark(10, 1.0, 0, pack.text("sim.resolved"), "sim.resolved"))
    return marks


def _turn_score(turn: TurnRecord) -> float:
    return sum(m.delta for m in turn.marks)


def score_session(result: SessionResult, scenario: Scenario) -> Report:
    """The final report of a session (in the scenario's language)."""
    pack = lang_pack(scenario.lang)
    all_marks = [m for t in result.turns for m in t.marks]
    all_marks += _session_marks(scenario, result, pack)
    principles: list[PrincipleScore] = []
    for n in range(1, 13):
        ms = tuple(m for m in all_marks if m.principle == n)
        pos = sum(m.delta for m in ms if m.delta > 0)
        neg = -sum(m.delta for m in ms if m.delta < 0)
        score = round(100 * pos / (pos + neg)) if pos + neg > 0 else None
        principles.append(PrincipleScore(n, PRINCIPLE_SLUGS[n], pack.principle_names[n], score, ms))
    exercised = [p.score for p in principles if p.score is not None]
    mean = sum(exercised) / len(exercised) if exercised else 0.0
    overall = round(0.7 * mean + 0.3 * OUTCOME_POINTS.get(result.outcome, 0))

    quotes = {t.index: t.trainee for t in result.turns}
    went_well: list[str] = []
    good = sorted(
        (p for p in principles if p.score is not None and p.score >= 70),
        key=lambda p: (-(p.score or 0), -sum(m.delta for m in p.marks if m.delta > 0), p.principle),
    )
    for p in good[:3]:
        positive = [m for m in p.marks if m.delta > 0]
        best = max(positive, key=lambda m: (m.turn > 0, m.delta, -m.turn))
        if best.turn == 0:
            went_well.append(
                pack.text(
                    "report.went-well-session", name=p.name, score=p.score, reason=best.reason
                )
            )
            continue
        went_well.append(
            pack.text(
                "report.went-well",
                name=p.name,
                score=p.score,
                reason=best.reason,
                turn=best.turn,
                quote=_clip(quotes.get(best.turn, "")),
            )
        )
    practise: list[str] = []
    weak = sorted(
        (p for p in principles if p.score is not None and p.score < 60),
        key=lambda p: (p.score or 0, sum(m.delta for m in p.marks), p.principle),
    )
    for p in weak[:3]:
        worst = min(p.marks, key=lambda m: m.delta)
        where = (
            pack.text("report.turn", turn=worst.turn) if worst.turn else pack.text("report.whole")
        )
        practise.append(
            pack.text(
                "report.practise",
                name=p.name,
                score=p.score,
                reason=worst.reason,
                where=where,
                link=principle_link(p.principle, scenario.lang),
            )
        )
    if not practise and result.outcome != "resolved":
        practise.append(pack.text("report.practise-outcome"))
    weakest: TurnRecord | None = (
        min(result.turns, key=lambda t: (_turn_score(t), t.index)) if result.turns else None
    )
    model = model_reply(scenario, result, weakest)
    return Report(
        overall=overall,
        outcome=result.outcome,
        principles=tuple(principles),
        went_well=tuple(went_well),
        practise_next=tuple(practise),
        weakest_turn=weakest.index if weakest else None,
        model_reply=model,
        broken_promises=result.broken_promises,
        lang=scenario.lang,
    )


def model_reply(scenario: Scenario, result: SessionResult, turn: TurnRecord | None) -> str:
    """A reply the trainee could have written at ``turn``, built from the scenario's data."""
    c = scenario.coach
    parts = [c.acknowledge]
    if scenario.category == "self_harm":
        parts.append(c.backup or c.next_step)
        return " ".join(p for p in parts if p)
    index = turn.index if turn else 1
    revealed_before = {f for t in result.turns if t.index < index for f in t.revealed}
    if index <= 2 or (turn is not None and "paraphrase" not in turn.moves):
        parts.append(c.paraphrase)
    events = set(turn.events) if turn else set()
    if c.boundary and (events & {"refused", "over_promise", "no_boundary"} or index <= 2):
        parts.append(c.boundary)
    hidden = [f for f in scenario.facts if f.required and f.id not in revealed_before]
    if hidden:
        parts.append(hidden[0].ask)
    else:
        parts.append(c.next_step)
    if "backup" in scenario.requires and c.backup and len(parts) < 4:
        parts.append(c.backup)
    return " ".join(p for p in parts if p)
