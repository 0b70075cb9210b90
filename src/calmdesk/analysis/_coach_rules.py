"""The coach rule engine: a closed set of check kinds driven by YAML rule packs.

A pack lives in ``lang/<code>/coach/``: ``lexicon.yaml`` (named word classes, usable in patterns as
``@name``) and ``rules/*.yaml`` (one file per rule family).  Every rule carries its own examples;
``tests/analysis/test_coach_rules.py`` turns each example into a test.  See ``docs/coach.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml

from ._coach_match import Normalized, match_view, sentences, words
from ._coach_types import CoachPolicy, Commitment, Level
from ._text import cyr_to_lat

__all__ = [
    "KINDS",
    "LANGS",
    "PRINCIPLES",
    "CheckContext",
    "Example",
    "Hit",
    "Pack",
    "PackError",
    "Rule",
    "load_pack",
    "run_rules",
]

LANGS: tuple[str, ...] = ("en", "pl", "sr", "he")
LEVELS: tuple[Level, ...] = ("suggestion", "warning", "error")
PRINCIPLES: dict[int, str] = {
    1: "understand-the-source",
    2: "listen-and-confirm",
    3: "empathise",
    4: "set-expectations",
    5: "stay-calm",
    6: "be-personal",
    7: "offer-solutions",
    8: "dont-pass-around",
    9: "ask-for-backup",
    10: "follow-through",
    11: "document-and-analyse",
    12: "train",
}
_LANG_DIR = Path(__file__).parent / "lang"
_MARK = re.compile(r"\[\[(.*?)\]\]", re.S)


class PackError(ValueError):
    """A rule pack is malformed; the message names the file and the rule."""


@dataclass(frozen=True, slots=True)
class Example:
    """One example of a rule: ``text`` with the expected span (None for a correct example)."""

    text: str
    expected: tuple[int, int] | None
    client: str | None = None
    history: tuple[str, ...] = ()
    previous: tuple[str, ...] = ()
    policy: CoachPolicy | None = None
    correction: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    family: str
    principle: int
    level: Level
    kind: str
    message: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    requires: tuple[re.Pattern[str], ...]
    suggestions: tuple[str, ...]
    insert: bool
    params: Mapping[str, Any]
    examples: tuple[Example, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Pack:
    lang: str
    rules: tuple[Rule, ...]
    lexicon: Mapping[str, re.Pattern[str]]
    stopwords: frozenset[str]
    markers: Mapping[str, re.Pattern[str]] = field(default_factory=dict)

    def has(self, name: str, text: str) -> bool:
        pat = self.lexicon.get(name)
        return bool(pat and pat.search(text))

    def count(self, name: str, text: str) -> int:
        pat = self.lexicon.get(name)
        return len(pat.findall(text)) if pat else 0


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule match on the draft: original-text range and the suggestions (already formatted)."""

    rule: Rule
    start: int
    end: int
    insert: bool
    suggestions: tuple[str, ...]
    args: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class CheckContext:
    """Everything a check may look at: the draft and what is known of the conversation."""

    draft: str
    lang: str
    pack: Pack
    client_message: str | None = None
    client_upset: bool = False
    client_questions: tuple[str, ...] = ()
    agent_history: Sequence[str] = ()
    previous_agent_turns: Sequence[str] = ()
    policy: CoachPolicy | None = None
    commitments: Sequence[Commitment] = ()
    now: datetime | None = None
    view: Normalized = field(init=False)
    sentence_ranges: list[tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.view = match_view(self.draft, self.lang)
        self.sentence_ranges = sentences(self.view.text)


# --------------------------------------------------------------------------- loading


# An apostrophe of a pattern matches as typed: ' or ’ or none at all ("thats our policy", "its
# your fault": drafts typed in a hurry) - inside a look-behind, which must keep a fixed width,
# ' or ’ only.
_APOSTROPHE = re.compile(r"\(\?<[!=][^()]*\)|'")


def _apostrophe(m: re.Match[str]) -> str:
    got = m.group()
    return "['’]?" if got == "'" else got.replace("'", "['’]")


def _compile(
    pattern: str, defs: Mapping[str, str], where: str, *, bounded: bool, prefix: str = ""
) -> re.Pattern[str]:
    def expand(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in defs:
            raise PackError(f"{where}: unknown word class @{name}")
        return f"(?:{defs[name]})"

    body = re.sub(r"@([a-z_]+)", expand, pattern)
    body = body.replace(" ?", r"\s*").replace(" ", r"\s+")
    body = _APOSTROPHE.sub(_apostrophe, body)
    if bounded:
        body = rf"(?<!\w){prefix}(?:{body})(?!\w)"
    try:
        return re.compile(body)
    except re.error as exc:
        raise PackError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _parse_example(raw: Mapping[str, Any], where: str) -> Example:
    if "incorrect" in raw:
        text = str(raw["incorrect"])
        marks = list(_MARK.finditer(text))
        if len(marks) != 1:
            raise PackError(f"{where}: an incorrect example needs exactly one [[marker]]: {text!r}")
        m = marks[0]
        clean = text[: m.start()] + m.group(1) + text[m.end() :]
        expected: tuple[int, int] | None = (m.start(), m.start() + len(m.group(1)))
    elif "correct" in raw:
        clean = str(raw["correct"])
        if "[[" in clean:
            raise PackError(f"{where}: a correct example has a marker: {clean!r}")
        expected = None
    else:
        raise PackError(f"{where}: an example needs 'incorrect' or 'correct'")
    policy = None
    if "policy" in raw:
        p = raw["policy"]
        policy = CoachPolicy(
            max_refund=p.get("max_refund"),
            min_lead_time_hours=p.get("min_lead_time_hours"),
            max_lead_time_days=p.get("max_lead_time_days"),
            forbidden_promises=tuple(p.get("forbidden_promises", ())),
            cannot_do=tuple(p.get("cannot_do", ())),
            glossary=dict(p.get("glossary", {})),
        )
    return Example(
        text=clean,
        expected=expected,
        client=raw.get("client"),
        history=tuple(raw.get("history", ())),
        previous=tuple(raw.get("previous", ())),
        policy=policy,
        correction=raw.get("correction"),
    )


@lru_cache(maxsize=8)
def load_pack(lang: str) -> Pack:
    """Load and validate the coach pack of *lang*; raises :class:`PackError` on any defect."""
    if lang not in LANGS:
        raise PackError(f"no coach pack for language {lang!r}; available: {', '.join(LANGS)}")
    root = _LANG_DIR / lang / "coach"
    lex_raw = yaml.safe_load((root / "lexicon.yaml").read_text(encoding="utf-8")) or {}
    defs: dict[str, str] = {}
    for name, entry in lex_raw.get("classes", {}).items():
        items = entry if isinstance(entry, list) else [entry]
        defs[name] = "|".join(f"(?:{i})" for i in items)
    # classes may refer to classes defined before them
    for name in list(defs):
        defs[name] = re.sub(r"@([a-z_]+)", lambda m: f"(?:{defs[m.group(1)]})", defs[name])
    lexicon = {
        name: _compile(body, defs, f"{lang}/coach/lexicon.yaml:{name}", bounded=True)
        for name, body in defs.items()
    }
    stop = frozenset(str(w) for w in lex_raw.get("stopwords", []))
    # Hebrew: "and" / "that" (ו ש) attach to the first word of a phrase: "ואנחנו לא עושים …"
    clitic = "(?:ו|ש|וש)?" if lang == "he" else ""
    rules: list[Rule] = []
    seen: set[str] = set()
    for path in sorted((root / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        family = str(data["family"])
        principle_default = int(data["principle"])
        for raw in data["rules"]:
            rid = f"{lang}.{family}.{raw['id']}"
            where = f"{path.relative_to(_LANG_DIR)}:{rid}"
            if rid in seen:
                raise PackError(f"{where}: duplicate rule id")
            seen.add(rid)
            kind = str(raw.get("kind", "phrase"))
            if kind not in KINDS:
                raise PackError(f"{where}: unknown kind {kind!r}")
            level = raw.get("level", "warning")
            if level not in LEVELS:
                raise PackError(f"{where}: unknown level {level!r}")
            principle = int(raw.get("principle", principle_default))
            if principle not in PRINCIPLES:
                raise PackError(f"{where}: unknown principle {principle}")
            bounded = bool(raw.get("bounded", True))
            examples = tuple(_parse_example(e, where) for e in raw.get("examples", ()))
            rules.append(
                Rule(
                    id=rid,
                    family=family,
                    principle=principle,
                    level=cast(Level, level),
                    kind=kind,
                    message=str(raw.get("message", family)),
                    patterns=tuple(
                        _compile(p, defs, where, bounded=bounded, prefix=clitic)
                        for p in raw.get("patterns", ())
                    ),
                    unless=tuple(
                        _compile(p, defs, where, bounded=True) for p in raw.get("unless", ())
                    ),
                    requires=tuple(
                        _compile(p, defs, where, bounded=True) for p in raw.get("requires", ())
                    ),
                    suggestions=tuple(str(s) for s in raw.get("suggestions", ())),
                    insert=bool(raw.get("insert", False)),
                    params=dict(raw.get("params", {})),
                    examples=examples,
                    source=str(path.relative_to(_LANG_DIR)),
                )
            )
    markers = {str(k): re.compile(str(v)) for k, v in (lex_raw.get("markers") or {}).items()}
    return Pack(lang=lang, rules=tuple(rules), lexicon=lexicon, stopwords=stop, markers=markers)


# --------------------------------------------------------------------------- checks

Check = Callable[[Rule, CheckContext], list[Hit]]


def _sentence_of(ctx: CheckContext, pos: int) -> tuple[int, int]:
    for s, e in ctx.sentence_ranges:
        if s <= pos < e:
            return s, e
    return 0, len(ctx.view.text)


def _window(ctx: CheckContext, pos: int, scope: str) -> str:
    text = ctx.view.text
    if scope == "text":
        return text
    s, e = _sentence_of(ctx, pos)
    if scope == "sentence+next":
        for s2, e2 in ctx.sentence_ranges:
            if s2 >= e:
                return text[s:e2]
    return text[s:e]


def _hit(rule: Rule, ctx: CheckContext, vs: int, ve: int, **args: str) -> Hit:
    start, end = ctx.view.span(vs, ve)
    if vs == ve:
        end = start
    matched = ctx.draft[start:end]
    fmt = {"match": matched, **args}
    sugg = tuple(s.format(**fmt) for s in rule.suggestions)
    return Hit(rule, start, end, rule.insert, sugg, {"match": matched, **args})


@lru_cache(maxsize=8)
def _rules_by_id(lang: str) -> dict[str, Rule]:
    return {r.id: r for r in load_pack(lang).rules}


@lru_cache(maxsize=65536)
def _phrase_matches(rule_id: str, lang: str, sent: str) -> tuple[tuple[int, int, int], ...]:
    """(match start, marked start, marked end) of a phrase rule in one sentence; cached, so
    while an agent types only the sentence that changed is matched again."""
    rule = _rules_by_id(lang)[rule_id]
    out: list[tuple[int, int, int]] = []
    for pat in rule.patterns:
        for m in pat.finditer(sent):
            if m.end() == m.start():
                continue
            g = "m" if "m" in pat.groupindex and m.group("m") is not None else 0
            out.append((m.start(), m.start(g), m.end(g)))
    return tuple(out)


def check_phrase(rule: Rule, ctx: CheckContext) -> list[Hit]:
    hits: list[Hit] = []
    scope = str(rule.params.get("scope", "sentence"))
    text = ctx.view.text
    for s, e in ctx.sentence_ranges:
        for start, ms, me in _phrase_matches(rule.id, ctx.lang, text[s:e]):
            win = _window(ctx, s + start, scope)
            if any(u.search(win) for u in rule.unless):
                continue
            if rule.requires and not all(r.search(win) for r in rule.requires):
                continue
            if "client" in rule.params and not _client_has(ctx, str(rule.params["client"])):
                continue
            hits.append(_hit(rule, ctx, s + ms, s + me))
    return hits


def _client_has(ctx: CheckContext, lex_name: str) -> bool:
    if not ctx.client_message:
        return False
    return ctx.pack.has(lex_name, match_view(ctx.client_message, ctx.lang).text)


_CAPS_CANDIDATE = re.compile(r"(?<!\w)[A-ZÀ-ÞĀ-ſА-ЯЀ-Џ]{2,}(?!\w)")


def check_caps(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """Shouting: a run of upper-case words (allowed acronyms excepted) of enough letters."""
    allowed = {str(a) for a in rule.params.get("allow", ())}
    min_letters = int(rule.params.get("min_letters", 6))
    draft = ctx.draft
    caps = [
        m
        for m in _CAPS_CANDIDATE.finditer(draft)
        if m.group().isupper() and cyr_to_lat(m.group()).upper() not in allowed
    ]
    runs: list[list[re.Match[str]]] = []
    for m in caps:
        if runs and draft[runs[-1][-1].end() : m.start()].strip(" ,") == "":
            runs[-1].append(m)
        else:
            runs.append([m])
    hits: list[Hit] = []
    for run in runs:
        letters = sum(len(m.group()) for m in run)
        if letters >= min_letters and (len(run) >= 2 or letters >= min_letters + 1):
            s, e = run[0].start(), run[-1].end()
            sugg = tuple(x.format(match=draft[s:e].capitalize()) for x in rule.suggestions)
            hits.append(Hit(rule, s, e, False, sugg))
    return hits


def _shingles(text: str, lang: str) -> list[str]:
    return [w for w in words(match_view(text, lang).text)]


def _norm_sentence(text: str, lang: str) -> str:
    return " ".join(_shingles(text, lang))


@lru_cache(maxsize=32)
def _history_counts(history: tuple[str, ...], lang: str) -> dict[str, int]:
    """In how many of the replies each (normalised) sentence occurs; cached per history."""
    seen: dict[str, int] = {}
    for reply in history:
        for key in {_norm_sentence(reply[s:e], lang) for s, e in sentences(reply)}:
            seen[key] = seen.get(key, 0) + 1
    return seen


def check_history_repeat(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """A sentence of the draft already sent in several of the agent's recent replies."""
    min_words = int(rule.params.get("min_words", 6))
    min_count = int(rule.params.get("min_count", 3))
    if len(ctx.agent_history) < min_count:
        return []
    seen = _history_counts(tuple(ctx.agent_history), ctx.lang)
    hits: list[Hit] = []
    for s, e in sentences(ctx.draft):
        key = _norm_sentence(ctx.draft[s:e], ctx.lang)
        if len(key.split()) >= min_words and seen.get(key, 0) >= min_count:
            hits.append(_hit_orig(rule, ctx, s, e, count=str(seen[key])))
    return hits


def _hit_orig(rule: Rule, ctx: CheckContext, start: int, end: int, **args: str) -> Hit:
    fmt = {"match": ctx.draft[start:end], **args}
    return Hit(rule, start, end, rule.insert, tuple(s.format(**fmt) for s in rule.suggestions), fmt)


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa = {tuple(a[i : i + 3]) for i in range(max(1, len(a) - 2))}
    sb = {tuple(b[i : i + 3]) for i in range(max(1, len(b) - 2))}
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def check_template_resend(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """The same reply already sent to this client in this conversation."""
    threshold = float(rule.params.get("similarity", 0.8))
    mine = _shingles(ctx.draft, ctx.lang)
    if len(mine) < int(rule.params.get("min_words", 8)):
        return []
    for prev in ctx.previous_agent_turns:
        if _jaccard(mine, _shingles(prev, ctx.lang)) >= threshold:
            return [_hit_orig(rule, ctx, 0, len(ctx.draft.rstrip()))]
    return []


def _stem(word: str, n: int) -> str:
    return word[:n]


_HE_PREFIXES = frozenset("והבלמשכ")
_HAS_DIGIT = re.compile(r"(?<!\w)(?=\w*\d)\w{3,}")


def _content_stems(text: str, ctx: CheckContext, n: int) -> frozenset[str]:
    return _stems(text, ctx.lang, n)


@lru_cache(maxsize=256)
def _stems(text: str, lang: str, n: int) -> frozenset[str]:
    """Stems (first *n* letters) of content words; Hebrew loses one clitic prefix first."""
    stop = load_pack(lang).stopwords
    hebrew = lang == "he"
    out: set[str] = set()
    for w in words(match_view(text, lang).text):
        if len(w) < n or w in stop or w.isdigit():
            continue
        if hebrew and len(w) >= n + 1 and w[0] in _HE_PREFIXES:
            w = w[1:]
        out.add(w[:n])
    out.update(_HAS_DIGIT.findall(text))
    return frozenset(out)


def check_generic(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """A reply that takes up nothing specific from the client's message."""
    if not ctx.client_message:
        return []
    n = int(rule.params.get("stem", 5))
    client = _content_stems(ctx.client_message, ctx, n)
    if len(client) < int(rule.params.get("min_client_words", 5)):
        return []
    mine = _content_stems(ctx.draft, ctx, n)
    if len(words(ctx.draft)) < int(rule.params.get("min_draft_words", 8)):
        return []
    if client & mine:
        return []
    s, e = ctx.sentence_ranges[0] if ctx.sentence_ranges else (0, len(ctx.view.text))
    return [_hit(rule, ctx, s, e)]


def check_long_sentence(rule: Rule, ctx: CheckContext) -> list[Hit]:
    limit = int(rule.params.get("max_words", 35))
    hits: list[Hit] = []
    for s, e in ctx.sentence_ranges:
        n = len(words(ctx.view.text[s:e]))
        if n > limit:
            hits.append(_hit(rule, ctx, s, e, words=str(n), limit=str(limit)))
    return hits


def check_glossary(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """Internal jargon from the organisation's glossary, with its plain wording."""
    if not ctx.policy or not ctx.policy.glossary:
        return []
    hits: list[Hit] = []
    for term, plain in ctx.policy.glossary.items():
        pat = re.compile(rf"(?<!\w){re.escape(match_view(term, ctx.lang).text)}(?!\w)")
        for m in pat.finditer(ctx.view.text):
            start, end = ctx.view.span(m.start(), m.end())
            hits.append(Hit(rule, start, end, False, (plain,), {"match": ctx.draft[start:end]}))
    return hits


_AMOUNT = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ .,\u00a0]\d{3})*|\d+)(?:[.,](\d{1,2}))?(?![\d])")


def _amount(text: str) -> float:
    m = _AMOUNT.fullmatch(text)
    if not m:
        return 0.0
    whole = re.sub(r"[ .,\u00a0]", "", m.group(1))
    return float(whole) + (float("0." + m.group(2)) if m.group(2) else 0.0)


def check_policy_refund(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """A promised amount (in a sentence with a refund word) above the policy maximum."""
    if not ctx.policy or ctx.policy.max_refund is None:
        return []
    hits: list[Hit] = []
    for s, e in ctx.sentence_ranges:
        sent = ctx.view.text[s:e]
        if not any(p.search(sent) for p in rule.requires):
            continue
        for m in _AMOUNT.finditer(sent):
            value = _amount(m.group())
            if value > ctx.policy.max_refund:
                hits.append(
                    _hit(rule, ctx, s + m.start(), s + m.end(), limit=f"{ctx.policy.max_refund:g}")
                )
    return hits


def check_policy_forbidden(rule: Rule, ctx: CheckContext) -> list[Hit]:
    if not ctx.policy or not ctx.policy.forbidden_promises:
        return []
    hits: list[Hit] = []
    for raw in ctx.policy.forbidden_promises:
        pat = re.compile(rf"(?<!\w)(?:{raw})(?!\w)")
        for m in pat.finditer(ctx.view.text):
            win = _window(ctx, m.start(), "sentence")
            if rule.requires and not any(r.search(win) for r in rule.requires):
                continue
            hits.append(_hit(rule, ctx, m.start(), m.end()))
    return hits


def check_policy_lead_time(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """A promised time sooner than the policy allows, or later than it permits to announce."""
    if not ctx.policy or ctx.now is None:
        return []
    lo = ctx.policy.min_lead_time_hours
    hi = ctx.policy.max_lead_time_days
    hits: list[Hit] = []
    for c in ctx.commitments:
        if c.due_at is None:
            continue
        delta = c.due_at.astimezone(UTC) - ctx.now.astimezone(UTC)
        if (lo is not None and delta < timedelta(hours=lo)) or (
            hi is not None and delta > timedelta(days=hi)
        ):
            s = ctx.draft.find(c.due_text, c.span.start) if c.due_text else -1
            start, end = (s, s + len(c.due_text)) if s >= 0 else (c.span.start, c.span.end)
            hits.append(Hit(rule, start, end, False, rule.suggestions, {"match": c.due_text}))
    return hits


def _greeting_end(ctx: CheckContext) -> int:
    """Where an insertion at the top belongs: right after a greeting ("Hi Anna,"), else at 0."""
    pat = ctx.pack.lexicon.get("greeting")
    text = ctx.view.text
    m = pat.match(text.lstrip()) if pat else None
    if m is None:
        return 0
    offset = len(text) - len(text.lstrip())
    stop = re.search(r"[,.!:;\n]", text[offset + m.end() : offset + m.end() + 40])
    if stop is None:
        return 0
    pos = offset + m.end() + stop.end()
    return ctx.view.span(pos, pos + 1)[0] if pos < len(text) else len(ctx.draft)


def _closing_start(ctx: CheckContext) -> int:
    """Where an insertion at the end belongs: before a sign-off, else at the end."""
    for s, e in reversed(ctx.sentence_ranges):
        if ctx.pack.has("signoff", ctx.view.text[s:e]) and len(words(ctx.view.text[s:e])) <= 6:
            return ctx.view.span(s, s + 1)[0]
        break
    return len(ctx.draft.rstrip())


def check_missing_empathy(rule: Rule, ctx: CheckContext) -> list[Hit]:
    if not ctx.client_upset or ctx.pack.has("ack", ctx.view.text):
        return []
    pos = _greeting_end(ctx)
    return [Hit(rule, pos, pos, True, rule.suggestions)]


def check_missing_paraphrase(rule: Rule, ctx: CheckContext) -> list[Hit]:
    if not ctx.client_message:
        return []
    min_words = int(rule.params.get("min_client_words", 70))
    if len(words(ctx.client_message)) < min_words:
        return []
    if ctx.pack.has("paraphrase", ctx.view.text):
        return []
    pos = _greeting_end(ctx)
    return [Hit(rule, pos, pos, True, rule.suggestions)]


def check_missing_questions(rule: Rule, ctx: CheckContext) -> list[Hit]:
    """Client questions whose content words the draft never takes up."""
    n = int(rule.params.get("stem", 5))
    mine = _content_stems(ctx.draft, ctx, n)
    hits: list[Hit] = []
    for q in ctx.client_questions:
        stems = _content_stems(q, ctx, n)
        if len(stems) >= 2 and not (stems & mine):
            pos = _closing_start(ctx)
            hits.append(Hit(rule, pos, pos, True, rule.suggestions, {"question": q.strip()}))
    return hits


def check_missing_next_step(rule: Rule, ctx: CheckContext) -> list[Hit]:
    if not ctx.client_message or not ctx.pack.has(
        "problem", match_view(ctx.client_message, ctx.lang).text
    ):
        return []
    if any(c.due_at is not None for c in ctx.commitments):
        return []
    if ctx.pack.has("resolution", ctx.view.text) or ctx.pack.has("next_step", ctx.view.text):
        return []
    if "?" in ctx.draft:
        return []
    pos = _closing_start(ctx)
    return [Hit(rule, pos, pos, True, rule.suggestions)]


def check_missing_boundary(rule: Rule, ctx: CheckContext) -> list[Hit]:
    if not ctx.client_message or not ctx.policy or not ctx.policy.cannot_do:
        return []
    client = match_view(ctx.client_message, ctx.lang).text
    if not any(re.search(p, client) for p in ctx.policy.cannot_do):
        return []
    if ctx.pack.has("boundary", ctx.view.text):
        return []
    pos = _greeting_end(ctx)
    return [Hit(rule, pos, pos, True, rule.suggestions)]


def check_missing_further_help(rule: Rule, ctx: CheckContext) -> list[Hit]:
    if not ctx.pack.has("resolution", ctx.view.text) or ctx.pack.has("further_help", ctx.view.text):
        return []
    pos = _closing_start(ctx)
    return [Hit(rule, pos, pos, True, rule.suggestions)]


KINDS: dict[str, Check] = {
    "phrase": check_phrase,
    "caps": check_caps,
    "history-repeat": check_history_repeat,
    "template-resend": check_template_resend,
    "generic": check_generic,
    "long-sentence": check_long_sentence,
    "glossary": check_glossary,
    "policy-refund": check_policy_refund,
    "policy-forbidden": check_policy_forbidden,
    "policy-lead-time": check_policy_lead_time,
    "missing-empathy": check_missing_empathy,
    "missing-paraphrase": check_missing_paraphrase,
    "missing-questions": check_missing_questions,
    "missing-next-step": check_missing_next_step,
    "missing-boundary": check_missing_boundary,
    "missing-further-help": check_missing_further_help,
}


def run_rules(ctx: CheckContext) -> list[Hit]:
    """Run every rule of the pack; overlapping hits of the same family keep the most severe."""
    hits: list[Hit] = []
    for rule in ctx.pack.rules:
        hits.extend(KINDS[rule.kind](rule, ctx))
    hits.sort(key=lambda h: (h.start, -LEVELS.index(h.rule.level), h.end))
    kept: list[Hit] = []
    for h in hits:
        if any(
            k.rule.family == h.rule.family
            and k.start < max(h.end, h.start + 1)
            and h.start < max(k.end, k.start + 1)
            for k in kept
        ):
            continue
        kept.append(h)
    return kept
