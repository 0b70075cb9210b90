"""Features the coach's linear models read, built sentence by sentence.

Tokens of a sentence: the engine's word tokens plus a few pseudo-tokens, because politeness
and framing live partly in position and punctuation, which word n-grams miss:

* the first word of the sentence ("Please …", "Why …", "Thanks …") as ``^please``;
* a sentence ending in ``?`` adds ``_qs_`` + its first word (``_qs_why``);
* each ``?`` ``!`` ``#`` ``@`` ``:`` ``(`` as ``_q_`` ``_x_`` ``_hash_`` ``_at_`` …; URLs,
  ellipses, letters repeated three times, emoji and numbers as ``_url_`` … ``_digit_``;
* *markers* (the pack's ``markers``, e.g. the politeness strategies) add ``_m_<name>`` when
  they match the sentence (``^`` = start of the sentence).

Each sentence is hashed with the engine's ``HashFeaturizer`` (word uni/bigrams, character
2-4-grams unless a model says ``"chars": false`` in its meta) and cached, so while an agent
types only the changed sentence is featurised again;
the document vector is the sum of the entries, each weighing ``1/sqrt(n)``.  Training
(scripts/train_coach.py) and run time use :func:`doc_features`, so the features agree.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from itertools import pairwise

import numpy as np

from ._coach_match import sentences
from ._scoring import Features, HashFeaturizer
from ._text import Token, tokenize

__all__ = [
    "STRATEGY_NAMES",
    "STYLE_NAMES",
    "doc_features",
    "model_features",
    "sentence_tokens",
    "strategy_vector",
    "style_vector",
]

_PUNCT = {"?": "_q_", "!": "_x_", "#": "_hash_", "@": "_at_", ":": "_colon_", "(": "_paren_"}
_PUNCT_RE = re.compile("[?!#@:(]")
_STYLE = re.compile(
    r"(?P<url>https?://\S+|www\.\S+)|(?P<ellipsis>\.\.\.|…)|(?P<repeat>(\w)\4{2,})"
    r"|(?P<emoji>[\U0001F300-\U0001FAFF\u2600-\u27BF])|(?P<digit>\d+)"
)
_FIRST = re.compile(r"\w+")
_FEATURIZERS: dict[int, HashFeaturizer] = {}
_MARKERS: dict[int, Mapping[str, re.Pattern[str]]] = {}


def sentence_tokens(sent: str, markers: Mapping[str, re.Pattern[str]] | None = None) -> list[Token]:
    """Word tokens of one normalised sentence followed by its pseudo-tokens."""
    toks = tokenize(sent)
    first = _FIRST.search(sent)
    if first:
        toks.append(Token("^" + first.group(), first.start(), first.end()))
        if sent.rstrip().endswith("?"):
            toks.append(Token("_qs_" + first.group(), first.start(), first.end()))
    for name, pat in (markers or {}).items():
        m = pat.search(sent)
        if m:
            toks.append(Token("_m_" + name, m.start(), m.end()))
    for m in _PUNCT_RE.finditer(sent):
        toks.append(Token(_PUNCT[m.group()], m.start(), m.end()))
    for m in _STYLE.finditer(sent):
        toks.append(Token("_" + str(m.lastgroup) + "_", m.start(), m.end()))
    return toks


@lru_cache(maxsize=4096)
def _sentence_ids(
    sent: str, bits: int, markers_key: int, chars: bool = True
) -> tuple[np.ndarray, int]:
    fz = _FEATURIZERS.setdefault(bits, HashFeaturizer(bits=bits))
    toks = sentence_tokens(sent, _MARKERS.get(markers_key))
    ids: list[int] = []
    prev = ""
    for t in toks:
        feats = fz._token_features(t.text)  # the engine's hashing, per token
        if chars:
            ids.extend(feats)
        else:  # the word itself only (its first feature), no character n-grams
            ids.append(feats[0])
        if prev:
            ids.append(_bigram(fz, prev, t.text))
        prev = t.text
    return np.asarray(ids, dtype=np.int64), len(toks)


def _bigram(fz: HashFeaturizer, a: str, b: str) -> int:
    return zlib.crc32(("b\x01" + a + " " + b).encode("utf-8", "surrogatepass")) & fz.mask


def doc_features(
    norm_text: str,
    markers: Mapping[str, re.Pattern[str]] | None,
    bits: int,
    max_sentences: int = 400,
    *,
    chars: bool = True,
) -> tuple[Features, list[tuple[int, int]]]:
    """Hashed features of a normalised text, and the sentence ranges (owner = sentence index).

    ``chars=False``: word tokens, pseudo-tokens and bigrams only, without the character
    n-grams (the politeness model: requests are judged by words and position, and the character
    n-grams mostly add noise on 7,000 training rows).
    """
    key = id(markers) if markers else 0
    if markers:
        _MARKERS[key] = markers
    ranges = sentences(norm_text)[:max_sentences]
    parts = [_sentence_ids(norm_text[s:e], bits, key, chars)[0] for s, e in ranges]
    sizes = [p.size for p in parts]
    total = sum(sizes)
    if not total:
        empty = np.zeros(0, dtype=np.int64)
        return Features(empty, np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32)), ranges
    idx = np.concatenate(parts)
    owner = np.repeat(np.arange(len(parts), dtype=np.int32), sizes)
    # every hashed entry weighs 1/sqrt(n): the L2 norm of the count vector when the entries are
    # distinct (cheaper than counting duplicates on every keystroke; training does the same)
    val = np.full(total, 1.0 / float(np.sqrt(total)), dtype=np.float32)
    return Features(idx, val, owner), ranges


# --------------------------------------------------------------------------- second version
#
# The English models (meta ``"version": 2``) read three blocks, each with its own weight:
#
# * the word block of :func:`doc_features` above (words, bigrams, pseudo-tokens, markers);
# * character 1-5-grams of each sentence as written (case kept: "I", "URGENT", "lol", ":)"),
#   ``"char_ngrams": [lo, hi]`` and ``"char_weight"`` in the meta;
# * for politeness (``"dense": "strategies"``) a dense vector of request strategies (after the
#   strategy list of Danescu-Niculescu-Mizil et al., ACL 2013: gratitude, deference, greeting,
#   apology, "please" at the start or inside, "by the way", direct questions and starts,
#   factuality, hedges, first/second person at the start, "could you" vs "can you", positive
#   and negative words ...) in the sentence they occur in: anywhere, first, last.  The
#   patterns are written by the calmdesk developers.

_I = re.IGNORECASE
_STRATEGIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pat, flags))
    for name, pat, flags in (
        ("gratitude", r"\b(?:thanks?|thank you|thx|appreciated?|grateful)\b", _I),
        ("deference", r"^\W*(?:great|good|nice|interesting|cool|excellent|awesome|wonderful"
                      r"|fair|fine)\b", _I),
        ("greeting", r"^\W*(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening))"
                     r"\b", _I),
        ("apology", r"\b(?:sorry|apologi[sz]e|apologies|excuse me|pardon|forgive me|my bad"
                    r"|i was wrong)\b", _I),
        ("please", r"\bplease\b|\bpls\b", _I),
        ("please_start", r"^\W*please\b", _I),
        ("by_the_way", r"\bby the way\b|\bbtw\b|\bincidentally\b|\banyway\b", _I),
        ("question_word_start", r"^\W*(?:what|why|who|how|where|when|which)\b", _I),
        ("why_start", r"^\W*why\b", _I),
        ("conjunction_start", r"^\W*(?:so|then|and|but|or|also)\b", _I),
        ("factuality", r"\b(?:in fact|actually|the point is|the reality is|the truth is"
                       r"|the fact is|obviously|clearly|of course|really)\b", _I),
        ("hedge", r"\b(?:i think|i believe|i suppose|i guess|perhaps|maybe|possibly|probably"
                  r"|might|may|seems?|suggest\w*|somewhat|sort of|kind of|wonder(?:ing)?"
                  r"|assume|presumably|not sure)\b", _I),
        ("first_person_start", r"^\W*(?:i|i'm|i've|i'd|i'll|my|me)\b", _I),
        ("first_person", r"\b(?:i|i'm|i've|i'd|i'll|my|me|mine|myself)\b", _I),
        ("first_plural", r"\b(?:we|our|us|let's)\b", _I),
        ("second_person_start", r"^\W*(?:you|your|you're|you've|you'd|you'll)\b", _I),
        ("second_person", r"\b(?:you|your|you're|you've|you'd|you'll|yourself)\b", _I),
        ("counterfactual", r"\b(?:could|would) you\b|\bwould it be\b|\bif you could\b", _I),
        ("indicative", r"\b(?:can|will) you\b", _I),
        ("did_you_even", r"\b(?:did|have|do|didn't|don't|haven't) you (?:even |really "
                         r"|actually |ever )?(?:read|try|tried|look|looked|check|checked"
                         r"|bother|understand|see|notice|know|think)\b", _I),
        ("you_should", r"\byou (?:should|need to|have to|must|ought to)\b", _I),
        ("why_not", r"\bwhy (?:not|don't|didn't|would|did|do|are|is|on earth)\b", _I),
        ("negation", r"\b(?:not|no|never|nothing|nobody|none)\b|n't\b", _I),
        ("negative_words", r"\b(?:wrong|bad|stupid|useless|nonsense|ridiculous|terrible|awful"
                           r"|hate|damn|crap|idiot\w*|silly|pointless|lazy|waste|dumb|ugly"
                           r"|worse|worst|annoying|rude|garbage|sucks?|broken|mess|confus\w*"
                           r"|unclear|vague|fail\w*|problem)\b", _I),
        ("positive_words", r"\b(?:great|good|nice|helpful|excellent|awesome|welcome|glad|happy"
                           r"|interesting|wonderful|love|like|enjoy\w*|cool|best|better"
                           r"|clever|brilliant|perfect|fantastic|useful|kind|agree)\b", _I),
        ("just", r"\bjust\b", _I),
        ("any_idea", r"\bany (?:idea|ideas|suggestions?|thoughts|hints?|help|advice|chance)\b",
         _I),
        ("help", r"\bhelp\w*", _I),
        ("conditional", r"^\W*if\b|\bif you\b", _I),
        ("agreement", r"\b(?:i agree|good point|you're right|you are right|fair enough"
                      r"|makes sense)\b", _I),
        ("ellipsis", r"\.\.\.|…", 0),
        ("repeated_question", r"\?\s*\?|\?!|!\?", 0),
        ("exclamation", r"!", 0),
        ("caps_word", r"\b[A-Z]{3,}\b", 0),
        ("link", r"<url>|https?://", _I),
        ("mention", r"@\w", 0),
        ("code", r"`|\b\w+\(\)|\w+\.\w+\(", 0),
        ("quote", r"[\"“”]", 0),
        ("emoticon", r"[:;]-?[)(DPp]", 0),
    )
)  # fmt: skip
_GLOBAL = ("log_words", "sentences", "question_first", "question_last", "question_share",
           "questions_2", "lower_start", "end_punct")  # fmt: skip


def _strategy_names() -> tuple[str, ...]:
    out: list[str] = []
    for name, pat in _STRATEGIES:
        kinds = ("any", "first", "last") if pat.pattern.startswith("^") else (
            "any", "count", "first", "last")  # fmt: skip
        out.extend(f"{name}.{k}" for k in kinds)
    return (*out, *_GLOBAL)


STRATEGY_NAMES = _strategy_names()


@lru_cache(maxsize=4096)
def _sentence_strategies(sent: str) -> tuple[int, ...]:
    """Hits of every strategy in one sentence as written (count; 0/1 for sentence starts)."""
    s = sent.strip()
    return tuple(
        int(bool(p.search(s))) if p.pattern.startswith("^") else len(p.findall(s))
        for _, p in _STRATEGIES
    )


def strategy_vector(sents: list[str]) -> np.ndarray:
    """The dense strategy features (:data:`STRATEGY_NAMES`) of a text given as its sentences."""
    sents = [s for s in sents if s.strip()] or [""]
    hits = np.asarray([_sentence_strategies(s) for s in sents], dtype=np.float64)
    out: list[float] = []
    total = hits.sum(axis=0)
    for j, (_, pat) in enumerate(_STRATEGIES):
        first, last = float(hits[0, j] > 0), float(hits[-1, j] > 0)
        if pat.pattern.startswith("^"):
            out += [float(total[j] > 0), first, last]
        else:
            out += [float(total[j] > 0), min(total[j], 3.0) / 3.0, first, last]
    text = " ".join(s.strip() for s in sents)
    n = len(sents)
    q = [s.rstrip().endswith("?") for s in sents]
    out += [
        float(np.log1p(len(text.split()))) / 4.0, min(n, 5) / 5.0, float(q[0]), float(q[-1]),
        sum(q) / n, float(sum(q) >= 2), float(text[:1].islower()),
        float(text.rstrip()[-1:] in (".", "!", "?")),
    ]  # fmt: skip
    return np.asarray(out, dtype=np.float64)


_STYLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pat, flags))
    for name, pat, flags in (
        ("future_first_person", r"\b(?:i|we)(?:'ll| will| am going to|'m going to| are going to"
                                r"|'re going to| shall)\b", _I),
        ("contrast", r"\b(?:but|though|although|however|yet|at least|still|instead)\b", _I),
        ("hope", r"\b(?:hope\w*|wish|looking forward|can't wait|excited|optimis\w*)\b", _I),
        ("gratitude", r"\b(?:thank\w*|grateful|gratitude|appreciat\w*|blessed|lucky)\b", _I),
        ("growth", r"\b(?:learn\w*|grow\w*|improv\w*|better|stronger|lesson|opportunit\w*"
                   r"|challenge\w*|progress)\b", _I),
        ("negative_feeling", r"\b(?:hate|sick of|tired|stress\w*|depress\w*|annoy\w*|angry"
                             r"|sad|ugh|fml|worst|sucks?|miserable|awful|terrible)\b", _I),
        ("profanity", r"\b(?:fuck\w*|shit\w*|damn\w*|crap|hell|wtf|bitch\w*|piss\w*)\b", _I),
        ("exclamation", r"!", 0),
        ("repeated_punct", r"[!?]{2,}|\.{2,}|…", 0),
        ("caps_word", r"\b[A-Z]{3,}\b", 0),
        ("emoticon", r"[:;=]-?[)(DPp/\\]", 0),
        ("stretched", r"(\w)\1{2,}", 0),
    )
)  # fmt: skip
# no length or sentence-count features: the reframes of positive_frames are shorter than the
# tweets, but a long, multi-sentence reply is not negative (a positivity model with them rated
# the good-reply corpus of tests/analysis negative).  No hashtag or emoji features either: the
# data set's tweets have them stripped (1 hashtag in 6,679 tweets, 10 in the reframes).
_STYLE_GLOBAL = ("end_punct", "end_period", "end_exclamation", "end_question", "lower_start")
STYLE_NAMES = (*(f"{n}.{k}" for n, _ in _STYLE_PATTERNS for k in ("any", "count")),
               *_STYLE_GLOBAL)  # fmt: skip


@lru_cache(maxsize=4096)
def _sentence_style(sent: str) -> tuple[int, ...]:
    return tuple(len(p.findall(sent)) for _, p in _STYLE_PATTERNS)


def style_vector(sents: list[str]) -> np.ndarray:
    """Dense framing/style features (:data:`STYLE_NAMES`) of a text given as its sentences:
    tweet-like writing (no final full stop, lower-case start, caps, "!!", emoticons)
    against composed prose, plus hope, gratitude, growth and first-person future words."""
    sents = [s for s in sents if s.strip()] or [""]
    total = np.asarray([_sentence_style(s) for s in sents], dtype=np.float64).sum(axis=0)
    out: list[float] = []
    for c in total:
        out += [float(c > 0), min(float(c), 3.0) / 3.0]
    text = " ".join(s.strip() for s in sents)
    end = text.rstrip()[-1:]
    out += [
        float(end in (".", "!", "?")), float(end == "."), float(end == "!"), float(end == "?"),
        float(text[:1].islower()),
    ]  # fmt: skip
    return np.asarray(out, dtype=np.float64)


@lru_cache(maxsize=4096)
def _char_ids(sent: str, bits: int, lo: int, hi: int) -> np.ndarray:
    """Hashed character lo..hi-grams of one sentence as written (case kept)."""
    mask = (1 << bits) - 1
    s = " ".join(sent.split())
    crc = zlib.crc32
    out = [
        crc(("k\x01" + s[i : i + k]).encode("utf-8", "surrogatepass")) & mask
        for k in range(lo, hi + 1)
        for i in range(len(s) - k + 1)
    ]
    return np.asarray(out, dtype=np.int64)


def model_features(
    norm_text: str,
    original: str,
    to_original: Callable[[int, int], tuple[int, int]],
    markers: Mapping[str, re.Pattern[str]] | None,
    meta: Mapping[str, object],
    max_sentences: int = 400,
) -> tuple[Features, list[tuple[int, int]], np.ndarray | None]:
    """Features of a model with ``meta["version"] == 2`` (see above): hashed entries (owner =
    sentence index), the sentence ranges in *norm_text* and the dense strategy vector (None
    when the model has none).  *to_original* maps a range of *norm_text* to *original*."""
    bits = int(str(meta.get("bits", 18)))
    words, ranges = doc_features(
        norm_text, markers, bits, max_sentences, chars=bool(meta.get("chars", True))
    )
    raw = [original[a:b] for a, b in (to_original(s, e) for s, e in ranges)]
    grams = meta.get("char_ngrams")
    parts = [words]
    if isinstance(grams, list) and raw:
        lo, hi = int(grams[0]), int(grams[1])
        ids = [_char_ids(r, bits, lo, hi) for r in raw]
        sizes = [p.size for p in ids]
        total = sum(sizes)
        if total:
            w = float(str(meta.get("char_weight", 1.0))) / float(np.sqrt(total))
            parts.append(
                Features(
                    np.concatenate(ids),
                    np.full(total, w, dtype=np.float32),
                    np.repeat(np.arange(len(ids), dtype=np.int32), sizes),
                )
            )
    if meta.get("sentence_mean") and ranges:
        # the mean of the sentences' own vectors (each block L2-scaled per sentence): a long,
        # many-sentence reply scores like its average sentence, not like one huge bag of
        # n-grams whose sum grows with the square root of its length
        n = len(ranges)
        for i, p in enumerate(parts):
            size = np.bincount(p.owner, minlength=n).astype(np.float32)
            size[size == 0] = 1.0
            w = float(str(meta.get("char_weight", 1.0))) if i else 1.0
            val = (w / (np.sqrt(size) * n))[p.owner].astype(np.float32)
            parts[i] = Features(p.idx, val, p.owner)
    owner = np.concatenate([p.owner for p in parts])
    order = np.argsort(owner, kind="stable")  # one run per sentence (``token_contributions``)
    feats = Features(
        np.concatenate([p.idx for p in parts])[order],
        np.concatenate([p.val for p in parts])[order],
        owner[order],
    )
    kind = meta.get("dense")
    dense = None
    if kind == "strategies":
        dense = strategy_vector(raw)
    elif kind == "style":
        dense = style_vector(raw)
    return feats, ranges, dense


# --------------------------------------------------------------------------- third version
#
# The style-free positivity model (meta ``"version": 3``, the fifth pass, shipped;
# docs/quality.md): every sentence is reduced to its words before it is featurised
# (lower case, no punctuation, hashtags, emoji or links, one space), so final full stops,
# capitals, "!!" and sentence count carry nothing; what is left is the wording.  Blocks: words
# and word bigrams of the plain sentence, counts of the pack's word classes (``"lexicon"`` in
# the meta: positive, negative ...) and markers, and optionally character n-grams of the plain
# sentence (``"char_ngrams"``).  Each block is L2-scaled over the whole text (1/sqrt(n)).

_PLAIN_DROP = re.compile(r"https?://\S+|www\.\S+|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")
_PLAIN_NONWORD = re.compile(r"[^\w' ]+")


def plain_sentence(sent: str) -> str:
    """*sent* as words only: lower case, no punctuation, emoji or links, single spaces."""
    s = _PLAIN_DROP.sub(" ", sent.lower()).replace("’", "'")
    return " ".join(_PLAIN_NONWORD.sub(" ", s).split())


def _h(key: str, mask: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) & mask


_LEXICONS: dict[int, Mapping[str, re.Pattern[str]]] = {}


@lru_cache(maxsize=4096)
def _plain_ids(
    sent: str, bits: int, markers_key: int, classes: tuple[str, ...], lexicon_key: int
) -> np.ndarray:
    """Hashed word, bigram, word-class and marker ids of one normalised sentence."""
    mask = (1 << bits) - 1
    p = plain_sentence(sent)
    ws = p.split()
    ids = [_h("w\x01" + w, mask) for w in ws]
    ids += [_h("b\x01" + a + " " + b, mask) for a, b in pairwise(ws)]
    lexicon = _LEXICONS.get(lexicon_key, {})
    for name in classes:
        pat = lexicon.get(name)
        if pat is not None:
            ids += [_h("X\x01" + name, mask)] * len(pat.findall(sent))
    for name, pat in (_MARKERS.get(markers_key) or {}).items():
        if pat.search(sent):
            ids.append(_h("M\x01" + name, mask))
    return np.asarray(ids, dtype=np.int64)


def plain_features(
    norm_text: str,
    markers: Mapping[str, re.Pattern[str]] | None,
    lexicon: Mapping[str, re.Pattern[str]] | None,
    meta: Mapping[str, object],
    max_sentences: int = 400,
) -> tuple[Features, list[tuple[int, int]]]:
    """Features of a ``"version": 3`` model (see above) and the sentence ranges of
    *norm_text* (owner = sentence index, one run of entries per sentence)."""
    bits = int(str(meta.get("bits", 20)))
    mkey = id(markers) if markers else 0
    if markers:
        _MARKERS[mkey] = markers
    lkey = id(lexicon) if lexicon else 0
    if lexicon:
        _LEXICONS[lkey] = lexicon
    raw_classes = meta.get("lexicon", [])
    classes = tuple(str(c) for c in raw_classes) if isinstance(raw_classes, list) else ()
    grams = meta.get("char_ngrams")
    ranges = sentences(norm_text)[:max_sentences]
    words_ = [_plain_ids(norm_text[s:e], bits, mkey, classes, lkey) for s, e in ranges]
    blocks = [(words_, 1.0)]
    if isinstance(grams, list):
        lo, hi = int(grams[0]), int(grams[1])
        chars_ = [_char_ids(plain_sentence(norm_text[s:e]), bits, lo, hi) for s, e in ranges]
        blocks.append((chars_, float(str(meta.get("char_weight", 1.0)))))
    idx: list[np.ndarray] = []
    val: list[np.ndarray] = []
    own: list[np.ndarray] = []
    scales = []
    for parts, w in blocks:
        total = sum(p.size for p in parts)
        scales.append(w / float(np.sqrt(total)) if total else 0.0)
    for i in range(len(ranges)):  # sentence by sentence: one run per sentence
        for (parts, _), sc in zip(blocks, scales, strict=True):
            p = parts[i]
            if p.size:
                idx.append(p)
                val.append(np.full(p.size, sc, dtype=np.float32))
                own.append(np.full(p.size, i, dtype=np.int32))
    if not idx:
        empty = np.zeros(0, dtype=np.int64)
        return Features(empty, np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32)), ranges
    return Features(np.concatenate(idx), np.concatenate(val), np.concatenate(own)), ranges
