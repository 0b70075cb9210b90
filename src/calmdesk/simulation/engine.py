"""The persona engine: a scripted difficult client driven by what the trainee actually writes.

Each trainee turn is read by the same coach that reviews real replies (``review_reply``) and by
the message engine (``analyze_message``); the simulator turns that reading into *moves* (what
calms) and *events* (what aggravates), updates the persona's anger, trust and patience, reveals a
hidden fact when it is earned, and answers with lines of the scenario and of the language pack —
never the same line twice in one session.  All choices come from a seeded ``random.Random``, and
promises are read against a fixed clock, so a session replays identically.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from calmdesk.analysis import (
    CoachPolicy,
    ReplyReview,
    Turn,
    analyze_message,
    cyr_to_lat,
    review_reply,
)

from ._types import PersonaState, Scenario, SessionResult, TurnRecord
from .llm import RecordedLines, Rephraser, RephraseRequest, history_tail
from .scenarios import LangPack, gendered, lang_pack, load_scenario
from .scoring import turn_marks

__all__ = ["DEFAULT_START", "MAX_TRAINEE_CHARS", "Reading", "Session", "replay", "run_script"]

#: The clock promises are read against (a Monday morning), so sessions replay identically.
DEFAULT_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MAX_TRAINEE_CHARS = 4000

_RESOLVE_ANGER = 35
_RESOLVE_TRUST = 55
_ESCALATE_ANGER = 95

# family of a coach rule id (``<lang>.<family>.<slug>``) -> simulator event
_FAMILY_EVENT: Mapping[str, str] = {
    "shouting": "insulted",
    "blame": "blamed",
    "passing-the-buck": "transferred",
    "lecturing": "lectured",
    "negative-phrasing": "refused",
    "policy-shield": "refused",
    "robotic": "robotic",
}
# strongest first: the persona reacts to one of them
_EVENT_ORDER = ("insulted", "blamed", "transferred", "lectured", "refused", "robotic")
# (anger, trust, patience) change per event
_EVENT_DELTA: Mapping[str, tuple[int, int, int]] = {
    "insulted": (28, -18, -15),
    "blamed": (16, -10, -8),
    "transferred": (16, -10, -15),
    "lectured": (13, -8, -8),
    "refused": (10, -6, -5),
    "robotic": (9, -6, -6),
    "ignored_question": (8, -5, -5),
    "no_empathy": (5, -3, 0),
    "no_boundary": (5, -4, 0),
    "vague_promise": (3, -2, 0),
    "wrong_paraphrase": (4, -3, 0),
    "over_promise": (-6, 6, 0),
}
_MOVE_DELTA: Mapping[str, tuple[int, int, int]] = {
    "acknowledge": (-12, 8, 3),
    "paraphrase": (-10, 10, 3),
    "open_question": (-6, 6, 2),
    "next_step": (-10, 8, 4),
    "boundary": (-5, 6, 0),
    "backup": (-10, 15, 5),
}
# the over-promising family: every rule is an over-promise except the vague-time rule, which the
# persona answers with "when exactly?" (read from the vague commitments)
_VAGUE_SLUGS = frozenset({"vague-time", "niejasny-termin", "neodredjen-rok", "zman-lo-barur"})
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Reading:
    """How one trainee turn was read."""

    moves: tuple[str, ...]
    events: tuple[str, ...]
    review: ReplyReview
    promises: tuple[str, ...]
    vague_promises: tuple[str, ...]
    over_promises: tuple[str, ...]
    unanswered: str
    uses_client_words: bool


def _coach_lang(lang: str) -> str:
    return "sr" if lang.startswith("sr") else lang


def _clip(text: str, limit: int = 90) -> str:
    text = " ".join(text.split()).strip(" .")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentence_at(text: str, offset: int) -> str:
    """The sentence of ``text`` that contains ``offset``."""
    start = 0
    for m in _SENT_SPLIT.finditer(text):
        if m.start() >= offset:
            return text[start : m.start()]
        start = m.end()
    return text[start:]


def _sentences(text: str) -> list[str]:
    return [s.strip().lower() for s in _SENT_SPLIT.split(text) if len(s.split()) >= 3]


class _SafeDict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Session:
    """One role-play session.  ``opening`` is the persona's first line; call :meth:`reply`."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 0,
        start: datetime = DEFAULT_START,
        pack: LangPack | None = None,
        rephraser: Rephraser | None = None,
    ) -> None:
        self.scenario = scenario
        # optional model wording of the answers (see llm.py); state and scoring never depend on it
        self.rephraser = rephraser
        self.seed = seed
        self.pack = pack or lang_pack(scenario.lang)
        self.start = start
        self._rng = random.Random(f"{scenario.lang}:{scenario.id}:{seed}")
        p = scenario.persona
        self.state = PersonaState(p.anger, p.trust, p.patience)
        self._used: set[str] = set()
        self._order: dict[str, list[str]] = {}
        self.turns: list[TurnRecord] = []
        self.revealed: list[str] = []
        self.moves_seen: set[str] = set()
        self.promises: list[str] = []
        self.broken: list[str] = []
        self.outcome: str | None = None
        self.closing = ""
        self._history: list[Turn] = []
        self._next_step_after_facts = False
        self._warned = False
        self.opening = self._line("opening")
        self._history.append(Turn("client", self.opening))
        self._shown: list[tuple[str, str]] = [("client", self.opening)]  # as the trainee saw it

    # ------------------------------------------------------------------ lines

    def _pool(self, event: str) -> list[str]:
        if event not in self._order:
            own = list(self.scenario.lines.get(event, ()))
            common = list(self.pack.lines.get(event, ()))
            self._rng.shuffle(own)
            self._rng.shuffle(common)
            self._order[event] = own + common
        return self._order[event]

    def _line(self, event: str, *, fallback: Sequence[str] = ("neutral",), **args: str) -> str:
        values = _SafeDict(name=self.scenario.persona.name, **args)
        for key in (event, *fallback):
            for template in self._pool(key):
                text = gendered(template, self.scenario.persona.gender).format_map(values)
                if text not in self._used:
                    self._used.add(text)
                    return text
        return ""

    # ------------------------------------------------------------------ reading

    def _latin(self, text: str) -> str:
        low = text.lower()
        return cyr_to_lat(low) if self.scenario.lang.startswith("sr") else low

    def _matches(self, key: str, text: str) -> bool:
        return any(p.search(text) for p in self.pack.patterns.get(key, ()))

    def _mentions_terms(self, text: str) -> bool:
        words = _WORD.findall(text)
        if self.scenario.lang == "he":  # a one-letter prefix (ו ה ב ל מ ש כ) joins the word
            words += [w[1:] for w in words if len(w) > 3 and w[0] in "והבלמשכ"]
        for term in self.scenario.key_terms:
            t = self._latin(term)
            if " " in t:
                if t in text:
                    return True
            elif any(w.startswith(t) for w in words):
                return True
        return False

    def read(self, text: str) -> Reading:
        """Read a trainee turn (no state change)."""
        s = self.scenario
        lang = _coach_lang(s.lang)
        last_client = next((t.text for t in reversed(self._history) if t.role == "client"), "")
        # what the client demands and cannot be granted: the coach checks that a reply to it sets
        # a boundary; promising it anyway is read by _forbidden_promises (negation-aware)
        policy = CoachPolicy(cannot_do=s.cannot_grant)
        review = review_reply(
            text,
            lang=lang,
            client_message=last_client,
            conversation=tuple(self._history),
            agent_history=tuple(t.trainee for t in self.turns),
            policy=policy,
            ui_lang=s.lang,
            now=self.start + timedelta(minutes=3 * (len(self.turns) + 1)),
        )
        analysis = analyze_message(text, lang=lang)
        latin = self._latin(text)
        scores = {k: getattr(v, "value", 0.0) for k, v in review.scores.items()}
        client_questions = analyze_message(last_client, lang=lang).questions if last_client else ()
        events: list[str] = []
        over: list[str] = []
        for f in review.findings:
            if f.level == "suggestion":
                continue
            parts = f.rule_id.split(".")
            family = parts[1] if len(parts) > 2 else ""
            slug = parts[-1]
            if family in _FAMILY_EVENT:
                events.append(_FAMILY_EVENT[family])
            elif family == "over-promising":
                if slug not in _VAGUE_SLUGS:
                    over.append(_clip(_sentence_at(text, f.span.start)))
            elif family == "missing":
                if f.principle == 2 and client_questions:
                    events.append("ignored_question")
                elif f.principle == 3:
                    events.append("no_empathy")
                elif f.principle == 4:
                    events.append("no_boundary")
        over.extend(self._forbidden_promises(text))
        earlier = {x for t in self.turns for x in _sentences(t.trainee)}
        if any(x in earlier for x in _sentences(text)) and "robotic" not in events:
            events.append("robotic")

        moves: list[str] = []
        if self._matches("acknowledge", latin) or (
            scores.get("empathy_emotional_reaction", 0.0) >= 0.6 and not events
        ):
            moves.append("acknowledge")
        uses_words = self._mentions_terms(latin)
        if self._matches("paraphrase", latin):
            if uses_words:
                moves.append("paraphrase")
            else:
                events.append("wrong_paraphrase")
        # the trainee's questions as the message engine reads them (falls back to "…?" sentences)
        asked = [q.span.text for q in analysis.questions] or re.findall(r"[^.!?]*\?", text)
        if any(self._matches("open_question_start", self._latin(q)) for q in asked):
            moves.append("open_question")
        promises: list[str] = []
        vague: list[str] = []
        for c in review.commitments:
            span_text = _clip(getattr(c.span, "text", "") or c.action)
            if getattr(c, "vague", False) or getattr(c, "due_at", None) is None:
                vague.append(span_text)
            else:
                promises.append(span_text)
        if vague and not promises:
            events.append("vague_promise")
        if promises or self._matches("next_step", latin):
            moves.append("next_step")
        if self._matches("boundary", latin) and (s.cannot_grant or "boundary" in s.requires):
            moves.append("boundary")
        if self._matches("backup", latin):
            moves.append("backup")
        # one over-promise per sentence; a promise that cannot be kept is no next step
        over = list(dict.fromkeys(over))
        if over:
            events.append("over_promise")
            promises = [p for p in promises if not any(p in o or o in p for o in over)]
            kept = " ".join(x for x in _SENT_SPLIT.split(text) if _clip(x) not in over)
            moves = [m for m in moves if m != "next_step"]
            if promises or self._matches("next_step", self._latin(kept)):
                moves.append("next_step")
        unanswered = ""
        if "ignored_question" in events:
            unanswered = _clip(client_questions[-1].span.text, 140)
        return Reading(
            moves=tuple(dict.fromkeys(moves)),
            events=tuple(dict.fromkeys(events)),
            review=review,
            promises=tuple(promises),
            vague_promises=tuple(vague),
            over_promises=tuple(over),
            unanswered=unanswered,
            uses_client_words=uses_words,
        )

    def _forbidden_promises(self, text: str) -> list[str]:
        """Sentences that promise what the scenario says cannot be granted (not negated)."""
        found: list[str] = []
        for sentence in _SENT_SPLIT.split(text):
            latin = self._latin(sentence)
            if self._matches("negation", latin):
                continue
            for pattern in self.scenario.cannot_grant:
                m = re.search(pattern, latin, re.IGNORECASE)
                if m:
                    found.append(_clip(sentence))
                    break
        return found

    # ------------------------------------------------------------------ a turn

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def reply(self, text: str) -> TurnRecord:
        """Play one trainee turn; returns the record with the persona's answer."""
        if self.finished:
            raise RuntimeError("the session has ended")
        if not isinstance(text, str):
            raise TypeError(f"the reply must be text, not {type(text).__name__}")
        text = text.strip()
        if not text:
            raise ValueError("the reply is empty: write something to the client")
        if len(text) > MAX_TRAINEE_CHARS:
            raise ValueError(f"the reply is longer than {MAX_TRAINEE_CHARS} characters")
        s = self.scenario
        index = len(self.turns) + 1
        reading = self.read(text)
        before = self.state.snapshot()

        # state update: diminishing returns for a move used again
        da, dt, dp = 0, 0, -6
        for move in reading.moves:
            if move == "boundary" and not (s.cannot_grant or "boundary" in s.requires):
                continue
            if move == "backup" and "backup" not in s.requires:
                continue
            a, t, p = _MOVE_DELTA[move]
            if move in self.moves_seen:
                a, t, p = a // 2, t // 2, p // 2
            if move == "next_step" and not self._facts_done():
                a, t = a // 2, t // 2
            da, dt, dp = da + a, dt + t, dp + p
        for event in reading.events:
            a, t, p = _EVENT_DELTA.get(event, (0, 0, 0))
            da, dt, dp = da + a, dt + t, dp + p
        self.state.anger = max(0, min(100, self.state.anger + da))
        self.state.trust = max(0, min(100, self.state.trust + dt))
        self.state.patience = max(0, min(100, self.state.patience + dp))
        self.moves_seen.update(reading.moves)
        if self.state.anger >= _ESCALATE_ANGER and not self._warned:
            # the first time, the persona warns instead of leaving: one more chance
            self._warned = True
            self.state.anger = _ESCALATE_ANGER
            escalate_now = False
        else:
            escalate_now = True

        # facts earned
        revealed: list[str] = []
        fact_line = ""
        for fact in s.facts:
            if fact.id in self.revealed:
                continue
            if set(fact.earned_by) & set(reading.moves) and self.state.trust >= fact.min_trust:
                self.revealed.append(fact.id)
                revealed.append(fact.id)
                fact_line = self._pick_fact(fact.lines)
                self.state.trust = min(100, self.state.trust + 4)
                break
        if "next_step" in reading.moves and self._facts_done() and not revealed:
            self._next_step_after_facts = True
        self.promises.extend(reading.promises)
        self.broken.extend(reading.over_promises)

        # outcome
        if self.state.anger >= _ESCALATE_ANGER and escalate_now:
            self.outcome = "escalated"
        elif self._resolved(reading):
            self.outcome = "resolved"
        elif self.state.patience <= 0:
            self.outcome = "abandoned"
        elif index >= s.max_turns:
            self.outcome = "turn_limit"

        answer = self._compose(reading, before, fact_line)
        shown = self._reword(index, text, answer)
        marks = turn_marks(s, index, text, reading, revealed)
        record = TurnRecord(
            index=index,
            trainee=text,
            persona=shown,
            moves=reading.moves,
            events=reading.events,
            rule_ids=tuple(f.rule_id for f in reading.review.findings),
            revealed=tuple(revealed),
            state_before=before,
            state_after=self.state.snapshot(),
            marks=marks,
            promises=reading.promises,
            broken_promises=reading.over_promises,
            scripted=answer if shown != answer else "",
        )
        self.turns.append(record)
        # the engine reads the next turn against its own line, so a model's wording never
        # changes the state, the facts or the score
        self._history.append(Turn("agent", text))
        self._history.append(Turn("client", answer))
        self._shown += [("agent", text), ("client", shown)]
        return record

    def _reword(self, index: int, trainee: str, line: str) -> str:
        """The rephraser's wording of ``line``, or ``line`` itself (no rephraser, any error)."""
        if self.rephraser is None or not line:
            return line
        p = self.scenario.persona
        request = RephraseRequest(
            turn=index,
            lang=self.scenario.lang,
            script=self.scenario.script,
            persona={
                "name": p.name,
                "expected": p.expected,
                "received": p.received,
                "since": p.since,
                "wants": p.wants,
            },
            history=history_tail([*self._shown, ("agent", trainee)]),
            line=line,
        )
        try:
            text = self.rephraser.rephrase(request)
        except Exception:  # any failure of the wording keeps the scripted line
            return line
        return text if isinstance(text, str) and text.strip() else line

    def _pick_fact(self, lines: Iterable[str]) -> str:
        options = [x for x in lines if x not in self._used]
        if not options:
            return ""
        choice = options[self._rng.randrange(len(options))]
        self._used.add(choice)
        return gendered(choice, self.scenario.persona.gender)

    def _facts_done(self) -> bool:
        return all(f.id in self.revealed for f in self.scenario.facts if f.required)

    def _resolved(self, reading: Reading) -> bool:
        s = self.scenario
        if not self._facts_done() or not set(s.requires) <= self.moves_seen:
            return False
        if s.category == "self_harm":
            return "backup" in self.moves_seen and "insulted" not in reading.events
        if not self._next_step_after_facts:
            return False
        return self.state.anger <= _RESOLVE_ANGER and self.state.trust >= _RESOLVE_TRUST

    def _compose(self, reading: Reading, before: tuple[int, int, int], fact_line: str) -> str:
        parts: list[str] = []
        aggravation = next((e for e in _EVENT_ORDER if e in reading.events), None)
        if aggravation:
            parts.append(self._line(aggravation, fallback=("angrier", "neutral")))
        if reading.over_promises:
            parts.append(self._line("accept_promise", promise=reading.over_promises[0]))
        elif reading.promises and not aggravation:
            parts.append(self._line("quote_promise", promise=reading.promises[0]))
        elif "vague_promise" in reading.events:
            parts.append(self._line("vague_promise", promise=reading.vague_promises[0]))
        if "backup" in reading.moves and "backup" in self.scenario.requires:
            parts.append(self._line("backup", fallback=("calmer",)))
        if fact_line:
            parts.append(fact_line)
        if reading.unanswered:
            parts.append(self._line("repeat_question", question=reading.unanswered))
        elif "wrong_paraphrase" in reading.events and len(parts) < 2:
            parts.append(self._line("wrong_paraphrase"))
        if self.outcome is not None:
            self.closing = self._line(self.outcome, fallback=("neutral",))
            parts.append(self.closing)
        elif not parts:
            change = self.state.anger - before[0]
            mood = "calmer" if change <= -5 else ("angrier" if change >= 5 else "neutral")
            parts.append(self._line(mood, fallback=("neutral", "calmer", "angrier")))
        answer = " ".join(p for p in parts if p)
        if not answer:  # every line used: an honest, short, unique answer is impossible
            answer = self._line("neutral", fallback=("calmer", "angrier", "opening")) or "…"
        return answer

    # ------------------------------------------------------------------ end

    def quit(self) -> None:
        """Stop the session early (the trainee left)."""
        if self.outcome is None:
            self.outcome = "quit"

    def result(self) -> SessionResult:
        return SessionResult(
            scenario_id=self.scenario.id,
            lang=self.scenario.lang,
            seed=self.seed,
            outcome=self.outcome or "quit",
            opening=self.opening,
            turns=tuple(self.turns),
            closing=self.closing,
            revealed=tuple(self.revealed),
            final_state=self.state.snapshot(),
            promises=tuple(self.promises),
            broken_promises=tuple(self.broken),
        )


def run_script(
    scenario: Scenario,
    replies: Iterable[str],
    *,
    seed: int = 0,
    rephraser: Rephraser | None = None,
) -> SessionResult:
    """Play scripted trainee replies until they run out or the session ends."""
    session = Session(scenario, seed=seed, rephraser=rephraser)
    for text in replies:
        if session.finished:
            break
        session.reply(text)
    if not session.finished:
        session.quit()
    return session.result()


def replay(result: SessionResult, scenario: Scenario | None = None) -> SessionResult:
    """Play a recorded session again (same scenario, seed and trainee turns).

    The result equals the recording as long as the scenario and the coach are unchanged; a
    mentor can compare both to see what a newer coach reads differently.  Answers worded by a
    model are taken from the recording (``TurnRecord.scripted``), so no model is asked again.
    """
    scenario = scenario or load_scenario(result.scenario_id, result.lang)
    worded = {t.index: (t.scripted, t.persona) for t in result.turns if t.scripted}
    return run_script(
        scenario,
        [t.trainee for t in result.turns],
        seed=result.seed,
        rephraser=RecordedLines(worded) if worded else None,
    )
