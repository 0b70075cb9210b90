"""review_reply: lint an agent's draft against the twelve principles, with why and rewrites.

Pipeline (pure, no network; fast enough for every pause in typing):

1. Language of the draft (the client's message as a hint), the pack ``lang/<code>/coach``.
2. What is known of the client: ``analyze_message(client_message)`` (emotions, questions) —
   cached, since the agent types many drafts against one message.
3. Promises in the draft (``extract_commitments``).
4. The rule engine (``_coach_rules``): ten families, each rule data with its own examples.
5. Scores in [0, 1] (0.5 = decision threshold), each with evidence: lexicon features of the
   pack, the rule findings and, where an OPEN data set exists, a small linear model
   (``models/coach_*.npz``, see ``models/MODEL_CARD_coach.md``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from ._coach_match import Normalized, match_view, sentences, words
from ._coach_rules import PRINCIPLES, CheckContext, Hit, Pack, load_pack, run_rules
from ._coach_types import (
    SCORE_KEYS,
    BusinessCalendar,
    CoachPolicy,
    Commitment,
    Finding,
    ReplyReview,
    Score,
    Suggestion,
    Turn,
)
from ._text import lat_to_cyr, script_of
from ._types import Span
from .commitments import commitments_for, resolve_language

__all__ = ["UI_LANGS", "principle_link", "review_reply"]

UI_LANGS: tuple[str, ...] = ("en", "pl", "sr", "sr-latn", "he")
_MESSAGES_DIR = Path(__file__).parent / "messages"
_MODELS_DIR = Path(__file__).parent / "models"
_MAX_DRAFT = 20_000
# The engine's emotion probabilities are calibrated at 0.5; the coach warns about a missing
# acknowledgement only when the engine is confident (precision first), or on the pack's own
# upset words.
_ENGINE_UPSET = 0.8


def principle_link(principle: int, ui_lang: str = "en") -> str:
    """Link to the principle page: ``/docs/principles/<lang>/<NN>-<slug>``."""
    page_lang = "sr" if ui_lang.startswith("sr") else ui_lang
    return f"/docs/principles/{page_lang}/{principle:02d}-{PRINCIPLES[principle]}"


@lru_cache(maxsize=8)
def _messages(ui_lang: str) -> Mapping[str, Mapping[str, str]]:
    if ui_lang == "sr":
        latin = _messages("sr-latn")
        return {k: {f: _cyr_keep_fields(t) for f, t in v.items()} for k, v in latin.items()}
    raw = yaml.safe_load((_MESSAGES_DIR / f"coach.{ui_lang}.yaml").read_text(encoding="utf-8"))
    return {str(k): {str(f): str(t) for f, t in v.items()} for k, v in raw.items()}


def _cyr_keep_fields(text: str) -> str:
    """Serbian Latin to Cyrillic, leaving ``{placeholders}`` as they are."""
    parts = re.split(r"(\{[a-z_]+\})", text)
    return "".join(p if p.startswith("{") else lat_to_cyr(p) for p in parts)


class _SafeDict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _finding(hit: Hit, draft: str, ui_lang: str, *, cyrillic: bool = False) -> Finding:
    """``cyrillic``: the draft is Serbian in Cyrillic, so replacement texts (written in Latin in
    the pack) are given in Cyrillic too."""
    msg = _messages(ui_lang).get(hit.rule.message) or _messages("en")[hit.rule.message]
    args = _SafeDict(hit.args)
    args.setdefault("match", draft[hit.start : hit.end])
    kind: Literal["replace", "insert"] = "insert" if hit.insert else "replace"
    return Finding(
        rule_id=hit.rule.id,
        principle=hit.rule.principle,
        principle_slug=PRINCIPLES[hit.rule.principle],
        level=hit.rule.level,
        span=Span(hit.start, hit.end, draft[hit.start : hit.end]),
        message=msg["message"].format_map(args),
        why=msg["why"].format_map(args),
        suggestions=tuple(
            Suggestion(_cyr_keep_fields(s) if cyrillic else s, kind) for s in hit.suggestions
        ),
        link=principle_link(hit.rule.principle, ui_lang),
    )


# --------------------------------------------------------------------------- the client


@lru_cache(maxsize=64)
def _client_facts(text: str, lang: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(upset, questions, evidence) for the client's message; cached per message."""
    pack = load_pack(lang)
    view = match_view(text, lang).text
    evidence: list[str] = []
    upset = False
    questions: list[str] = []
    try:
        from .message import analyze_message

        analysis = analyze_message(text, lang=lang)
        strong = {
            k: v
            for k, v in analysis.emotions.items()
            if k in ("anger", "frustration", "disappointment", "fear", "sadness")
        }
        top = max(strong, key=lambda k: strong[k])
        if strong[top] >= _ENGINE_UPSET:
            upset = True
            evidence.append(f"client {top} {strong[top]:.2f}")
        questions = [q.span.text for q in analysis.questions if q.kind == "question"]
    except (ImportError, ValueError, OSError):  # the engine (or its model) may be absent
        pass
    if pack.has("upset", view):
        upset = True
        evidence.append("client upset words")
    if not questions:
        questions = [text[s:e] for s, e in sentences(text) if text[s:e].rstrip().endswith("?")]
    return upset, tuple(questions), tuple(evidence)


@lru_cache(maxsize=64)
def _content_words(text: str, lang: str) -> frozenset[str]:
    """Words of four letters or more that are not the pack's stop words (cached per text)."""
    stop = load_pack(lang).stopwords
    return frozenset(w for w in words(match_view(text, lang).text) if len(w) >= 4 and w not in stop)


# --------------------------------------------------------------------------- scores


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=65536)
def _lex_spans(lang: str, name: str, sent: str) -> tuple[tuple[int, int], ...]:
    pat = load_pack(lang).lexicon.get(name)
    if pat is None:
        return ()
    return tuple((m.start(), m.end()) for m in pat.finditer(sent))


def _found(pack: Pack, name: str, view: Normalized, draft: str, limit: int = 3) -> list[str]:
    """The draft's words matched by the word class *name* (per sentence, cached)."""
    out: list[str] = []
    for s, e in sentences(view.text):
        for ms, me in _lex_spans(pack.lang, name, view.text[s:e]):
            o_s, o_e = view.span(s + ms, s + me)
            out.append(draft[o_s:o_e])
            if len(out) >= limit:
                return out
    return out


@lru_cache(maxsize=8)
def _model(name: str) -> Any:
    path = _MODELS_DIR / f"coach_{name}.npz"
    if not path.exists():
        return None
    from ._scoring import LinearModel

    return LinearModel.load(path)


def _model_logit(name: str, draft: str, lang: str) -> tuple[float, list[str]] | None:
    model = _model(name)
    if model is None:
        return None
    from ._coach_features import doc_features, model_features, plain_features

    norm = match_view(draft[:_MAX_DRAFT], lang)
    pack = load_pack(lang)
    markers = pack.markers
    cues: list[str] = []
    if model.meta.get("version") == 3:  # style-free: plain words, word classes, characters
        feats, ranges = plain_features(norm.text, markers, pack.lexicon, model.meta)
        z = float(model.logits(feats)[0])
    elif model.meta.get("version") == 2:  # words + cased character n-grams + a dense block
        feats, ranges, dense = model_features(norm.text, norm.original, norm.span, markers,
                                              model.meta)  # fmt: skip
        z = float(model.logits(feats)[0])
        if dense is not None:
            if dense.shape[0] != model.dense_weights.shape[0]:
                raise ValueError(
                    f"coach_{name}.npz expects {model.dense_weights.shape[0]} dense features, "
                    f"the code gives {dense.shape[0]}: retrain with scripts/train_coach.py"
                )
            contrib = dense * model.dense_weights[:, 0]
            z += float(contrib.sum())
            best = int(contrib.argmax()) if contrib.size else -1
            if best >= 0 and contrib[best] > 0:
                cues.append(f"model: {model.dense_names[best]} (+{contrib[best]:.2f})")
    else:
        chars = bool(model.meta.get("chars", True))
        feats, ranges = doc_features(norm.text, markers, model.featurizer.bits, chars=chars)
        z = float(model.logits(feats)[0])
    z = float(model.calib_a[0]) * z + float(model.calib_b[0])
    top = model.top_features(feats, model.heads[0], k=2)
    ev = []
    for i, c in top:
        s, e = norm.span(*ranges[i])
        ev.append(f"model: {draft[s:e][:60]} (+{c:.2f})")
    return z, ev + cues


_QUESTION_END = re.compile(r"[?？؟][\s\"'”’»)\]]*$")


def _questions(pack: Pack, view: Normalized) -> list[tuple[int, int]]:
    """Spans (in the draft) of the sentences that end in a question mark, except offers of
    further help ("Is there anything else I can do?"), which ask nothing about the client."""
    out = []
    for s, e in sentences(view.text):
        sent = view.text[s:e]
        if _QUESTION_END.search(sent) and not _lex_spans(pack.lang, "further_help", sent):
            out.append(view.span(s, e))
    return out


def _without(pack: Pack, name: str, view: Normalized, draft: str) -> str:
    """*draft* without the sentences in which the word class *name* matches."""
    pat = pack.lexicon.get(name)
    if pat is None:
        return draft
    keep = []
    for s, e in sentences(view.text):  # the coach's cached sentence split
        if not pat.search(view.text[s:e]):
            o_s, o_e = view.span(s, e)
            keep.append(draft[o_s:o_e])
    return " ".join(keep)


_NO_EVIDENCE = {
    "empathy": "no acknowledgement of feelings found",
    "empathy_emotional_reaction": "no expression of warmth, compassion or concern found",
    "empathy_interpretation": "no sign of understanding the client's experience found",
    "empathy_exploration": "no question about the client's situation found",
    "politeness": "no politeness markers found",
    "positivity": "no framing cues found",
    "clarity": "short, plain sentences",
    "ownership": "no first-person action or responsibility found",
    "expectation_setting": "no promise with a time found",
}

_NEG_FAMILIES = {"blame", "lecturing", "shouting"}


def _scores(
    draft: str,
    lang: str,
    pack: Pack,
    view: Normalized,
    findings: Sequence[Finding],
    commitments: Sequence[Commitment],
    client_upset: bool,
    client_words: frozenset[str] = frozenset(),
) -> dict[str, Score]:
    n_words = max(1, len(words(view.text)))

    def lex(name: str) -> list[str]:
        return _found(pack, name, view, draft)

    fam_hits: dict[str, list[Finding]] = {}
    for f in findings:
        fam_hits.setdefault(f.rule_id.split(".")[1], []).append(f)

    def bad(*families: str) -> list[Finding]:
        return [f for fam in families for f in fam_hits.get(fam, ()) if f.level != "suggestion"]

    # empathy mechanisms (EPITOME): lexicon evidence, hand-set weights (no training on EPITOME)
    warmth = lex("ack") + lex("warmth")
    er = _sig(-1.6 + 2.2 * min(len(warmth), 2))
    # understanding: said outright ("I know how that feels"), shown by sharing one's own
    # experience ("when I was …", "my mom had the same"), reflected back ("you feel …", weaker:
    # the words are common in advice too), or by taking up the client's own words
    interp = lex("interpret")
    reflect = lex("reflect")
    experience = _found(pack, "experience", view, draft, limit=3)
    disclose = len(_found(pack, "disclose", view, draft, limit=6))
    echoed = sorted(client_words & _content_words(draft, lang)) if client_words else []
    ip = _sig(
        -1.2
        + 2.3 * min(len(interp), 2)
        + 0.3 * min(len(reflect), 2)
        + 1.2 * len(experience)
        + 0.2 * min(disclose, 6)
        + 0.3 * min(len(echoed), 4)
    )
    # exploration is asking: every question sentence counts, the pack's phrases add to it
    # (and catch "tell me more about …" without a question mark)
    explore = lex("explore")
    asked = _questions(pack, view)
    ex = _sig(-1.5 + 2.4 * min(len(asked), 2) + 1.6 * min(len(explore), 2))
    # a question alone (e.g. asking for an order number) does not make a reply empathetic
    emp = 1.0 - (1.0 - er) * (1.0 - ip) * (1.0 - 0.15 * ex)
    emp_ev = [f"warmth: {w}" for w in warmth] + [f"understanding: {w}" for w in interp]
    if client_upset and not warmth and not interp:
        emp = min(emp, 0.3)
        emp_ev.append("client is upset and the reply does not acknowledge it")
    # politeness
    polite = lex("polite")
    rude = bad(*_NEG_FAMILIES) + bad("negative-phrasing", "policy-shield", "passing-the-buck")
    z_pol = -0.2 + 0.9 * min(len(polite), 3) - 1.3 * len(rude)
    pol_ev = [f"polite: {w}" for w in polite] + [f"{f.rule_id}: {f.span.text}" for f in rude]
    model = _model_logit(f"politeness_{lang}", draft, lang)
    if model is not None:
        z_pol = model[0] - 1.3 * len(rude)
        pol_ev += model[1]
    politeness = _sig(z_pol)
    # positivity (positive framing)
    pos, neg = lex("positive"), lex("negative")
    # condescension and shouting frame the reply negatively too, whatever its words promise
    framing = bad("negative-phrasing", "policy-shield", "passing-the-buck", *_NEG_FAMILIES)
    z_pos = 0.2 + 0.8 * min(len(pos), 3) - 0.7 * min(len(neg), 3) - 1.2 * len(framing)
    pos_ev = [f"positive: {w}" for w in pos] + [f"negative: {w}" for w in neg]
    pos_ev += [f"{f.rule_id}: {f.span.text}" for f in framing]
    # acknowledging the client's trouble ("I'm sorry the parcel is late") is empathy, not
    # negative framing: the framing model reads the other sentences
    framed = _without(pack, "ack", view, draft)
    model = _model_logit(f"positivity_{lang}", framed, lang) if framed.strip() else None
    if model is not None:
        z_pos = model[0] - 1.2 * len(framing)
        pos_ev += model[1]
    positivity = _sig(z_pos)
    # clarity
    sents = [s for s in view.text.replace("\n", ". ").split(". ") if s.strip()]
    avg = n_words / max(1, len(sents))
    unclear = fam_hits.get("clarity", [])
    z_cl = 1.6 - 0.08 * max(0.0, avg - 18.0) - 0.9 * len(unclear)
    clarity = _sig(z_cl)
    cl_ev = [f"{avg:.0f} words per sentence"] + [f"{f.rule_id}: {f.span.text}" for f in unclear]
    # ownership
    own = lex("own")
    dodges = bad("passing-the-buck", "blame", "policy-shield") + [
        f for f in fam_hits.get("clarity", []) if f.rule_id.endswith("passive-evasion")
    ]
    firm = [c for c in commitments if not c.vague]
    z_own = -0.6 + 0.9 * min(len(own), 3) + 0.6 * min(len(firm), 2) - 1.4 * len(dodges)
    ownership = _sig(z_own)
    own_ev = [f"ownership: {w}" for w in own] + [f"{f.rule_id}: {f.span.text}" for f in dodges]
    # expectation setting
    vague = [c for c in commitments if c.vague]
    bound = lex("boundary")
    over = bad("over-promising")
    z_exp = -0.9 + 1.8 * min(len(firm), 2) - 0.7 * min(len(vague), 2) + 0.5 * min(len(bound), 1)
    z_exp -= 1.2 * len(over)
    expect = _sig(z_exp)
    exp_ev = [f"promise with time: {c.due_text}" for c in firm]
    exp_ev += [f"promise without a time: {c.span.text[:60]}" for c in vague]
    exp_ev += [f"{f.rule_id}: {f.span.text}" for f in over]

    def sc(v: float, ev: list[str]) -> Score:
        return Score(round(min(1.0, max(0.0, v)), 4), tuple(ev[:6]))

    out = {
        "empathy": sc(emp, emp_ev),
        "empathy_emotional_reaction": sc(er, [f"warmth: {w}" for w in warmth]),
        "empathy_interpretation": sc(
            ip,
            [f"understanding: {w}" for w in interp]
            + [f"shared experience: {w}" for w in experience]
            + [f"reflects: {w}" for w in reflect]
            + ([f"{disclose} first-person statements"] if disclose else [])
            + ([f"takes up the client's words: {', '.join(echoed[:4])}"] if echoed else []),
        ),
        "empathy_exploration": sc(
            ex,
            [f"asks: {w}" for w in explore]
            + [f"question: {draft[s:e].strip()[:60]}" for s, e in asked[:2]],
        ),
        "politeness": sc(politeness, pol_ev),
        "positivity": sc(positivity, pos_ev),
        "clarity": sc(clarity, cl_ev),
        "ownership": sc(ownership, own_ev),
        "expectation_setting": sc(expect, exp_ev),
    }
    out = {k: v if v.evidence else Score(v.value, (_NO_EVIDENCE[k],)) for k, v in out.items()}
    assert tuple(out) == SCORE_KEYS
    return out


_SUMMARY = {
    "en": (
        "Ready to send.",
        "{n} thing(s) to fix before sending; start with: {first}",
        "Good, {n} suggestion(s) to consider.",
    ),
    "pl": (
        "Gotowe do wysłania.",
        "Do poprawy przed wysłaniem: {n}; zacznij od: {first}",
        "Dobrze, sugestie do rozważenia: {n}.",
    ),
    "sr-latn": (
        "Spremno za slanje.",
        "Za ispravku pre slanja: {n}; počnite od: {first}",
        "Dobro, predloga za razmatranje: {n}.",
    ),
    "he": (
        "מוכן לשליחה.",
        "{n} דברים לתקן לפני השליחה; התחילו ב: {first}",
        "טוב, {n} הצעות לשקול.",
    ),
}


def _overall(findings: Sequence[Finding], ui_lang: str) -> str:
    key = "sr-latn" if ui_lang == "sr" else ui_lang
    ok, fix, consider = _SUMMARY[key]
    serious = [f for f in findings if f.level != "suggestion"]
    if serious:
        text = fix.format(n=len(serious), first=serious[0].message)
    elif findings:
        text = consider.format(n=len(findings))
    else:
        text = ok
    return lat_to_cyr(text) if ui_lang == "sr" else text


def build_context(
    draft: str,
    lang: str,
    *,
    client_message: str | None = None,
    conversation: Sequence[Turn] = (),
    agent_history: Sequence[str] = (),
    policy: CoachPolicy | None = None,
    now: datetime | None = None,
    tz: str | None = None,
    business_days: BusinessCalendar | None = None,
) -> CheckContext:
    """Everything the rules look at (also used by the rule-example harness)."""
    pack = load_pack(lang)
    upset, questions, _ = _client_facts(client_message, lang) if client_message else (False, (), ())
    commitments = (
        tuple(commitments_for(draft, lang, now, tz, business_days)) if draft.strip() else ()
    )
    return CheckContext(
        draft=draft,
        lang=lang,
        pack=pack,
        client_message=client_message,
        client_upset=upset,
        client_questions=questions,
        agent_history=tuple(agent_history),
        previous_agent_turns=tuple(t.text for t in conversation if t.role == "agent"),
        policy=policy,
        commitments=commitments,
        now=commitments_now(now, tz),
    )


def review_reply(
    draft: str,
    *,
    lang: str | None = None,
    client_message: str | None = None,
    conversation: Sequence[Turn] = (),
    agent_history: Sequence[str] = (),
    policy: CoachPolicy | None = None,
    ui_lang: str = "en",
    now: datetime | None = None,
    tz: str | None = None,
    business_days: BusinessCalendar | None = None,
) -> ReplyReview:
    """Review an agent's draft reply.

    ``conversation``: earlier turns of this case (agent turns are checked for a resent
    template; client turns stand in for ``client_message`` when it is not given);
    ``agent_history``: the agent's recent replies to any client (canned sentences);
    ``policy``: what may be promised; ``ui_lang``: language of messages and links (en, pl, sr,
    sr-latn, he); ``now``: the time promises are read against (default: the current time).
    Raises ``ValueError`` for an unsupported ``lang`` or ``ui_lang``, ``TypeError`` for a draft
    that is not a string.
    """
    if not isinstance(draft, str):
        raise TypeError(f"draft must be str, not {type(draft).__name__}")
    ui = ui_lang.lower()
    if ui not in UI_LANGS:
        raise ValueError(f"unsupported ui_lang {ui_lang!r}: use one of {', '.join(UI_LANGS)}")
    text = draft[:_MAX_DRAFT]
    if client_message is None:
        client_turns = [t.text for t in conversation if t.role == "client"]
        client_message = client_turns[-1] if client_turns else None
    code = resolve_language(text if text.strip() else (client_message or "x"), lang)
    pack = load_pack(code)
    ctx = build_context(
        text,
        code,
        client_message=client_message,
        conversation=conversation,
        agent_history=agent_history,
        policy=policy,
        now=now,
        tz=tz,
        business_days=business_days,
    )
    commitments = tuple(ctx.commitments)
    upset = ctx.client_upset
    hits = run_rules(ctx) if text.strip() else []
    cyrillic = code == "sr" and script_of(text) == "Cyrl"
    findings = tuple(_finding(h, text, ui, cyrillic=cyrillic) for h in hits)
    client_words = _content_words(client_message, code) if client_message else frozenset()
    scores = _scores(text, code, pack, ctx.view, findings, commitments, upset, client_words)
    return ReplyReview(
        lang=code,
        findings=findings,
        scores=scores,
        commitments=commitments,
        overall=_overall(findings, ui),
    )


def commitments_now(now: datetime | None, tz: str | None) -> datetime:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz or "UTC")
    if now is None:
        return datetime.now(zone)
    return now if now.tzinfo else now.replace(tzinfo=zone)
