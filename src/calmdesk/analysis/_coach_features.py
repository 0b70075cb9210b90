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
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from ._coach_match import sentences
from ._scoring import Features, HashFeaturizer
from ._text import Token, tokenize

__all__ = ["doc_features", "sentence_tokens"]

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
    import zlib

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
