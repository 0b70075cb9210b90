"""The engine's fast paths give exactly the numbers of the plain ones (issue 3, speed).

- ``TokenRowTable.featurize`` (cached feature ids, one gather) against
  ``HashFeaturizer.transform_parts`` + ``TokenRowTable.contributions``;
- ``analyze_many`` against ``analyze_message`` on each text;
- the rewritten regexes and helpers against their plain definitions.
"""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calmdesk.analysis import analyze_many, analyze_message, lat_to_cyr
from calmdesk.analysis._scoring import TokenRowTable
from calmdesk.analysis._text import normalize, sentences, tokenize
from calmdesk.analysis.message import (
    _ELONGATED,
    _EXCLAIM,
    _elongated,
    _featurizer,
    _joint,
    core_model,
)

TEXTS = [
    "Where is my parcel? I paid two weeks ago and nobody answers, where is it?",
    "Zamówiłem telefon miesiąc temu i nadal nic. To już trzeci raz piszę!!!",
    "Gde je moj paket? Platio sam pre dve nedelje, a niko ne odgovara.",
    lat_to_cyr("Gde je moj paket? Platio sam pre dve nedelje, a niko ne odgovara."),
    "החבילה לא הגיעה ואף אחד לא עונה לי, זו הפעם השלישית שאני כותב",
    "I will kill myself if this goes on. Sooooo tired of you!!!",
    "",
    "ok",
    "!!! ??? ... 😀",
    "I would never hurt myself, but this delay is killing me.",
] * 3


def _plain(table: TokenRowTable, text: str) -> tuple[np.ndarray, float]:
    tokens = tokenize(normalize(text).text)
    feats, bigrams = _featurizer().transform_parts(tokens)
    got = table.contributions([t.text for t in tokens], feats, bigrams)
    return got, float(feats.val[0]) if feats.val.size else 0.0


def test_featurize_equals_transform_and_contributions() -> None:
    # A tiny table so that it is cleared and refilled on the way.
    fast = TokenRowTable(_featurizer(), _joint(), max_rows=40)
    plain = TokenRowTable(_featurizer(), _joint(), max_rows=40)
    for text in TEXTS:
        words = [t.text for t in tokenize(normalize(text).text)]
        got, val = fast.featurize(words)
        want, wval = _plain(plain, text)
        assert got.shape == want.shape
        assert np.array_equal(got, want)
        assert val == wval


def test_featurize_matches_the_model() -> None:
    """The engine's contributions are the model's own token contributions (up to float32
    rounding: the table sums each token's rows once and scales afterwards)."""
    table = TokenRowTable(_featurizer(), _joint())
    model = core_model()
    for text in TEXTS[:10]:
        tokens = tokenize(normalize(text).text)
        got, _ = table.featurize([t.text for t in tokens])
        want = model.token_contributions(_featurizer().transform(tokens))
        assert got.shape[0] == want.shape[0]
        np.testing.assert_allclose(got[:, : len(model.heads)], want, rtol=1e-4, atol=1e-5)


def test_analyze_many_equals_analyze_message() -> None:
    texts = [*TEXTS, "x" * 25_000 + " I want to die", "plain text " * 800]
    many = [a.to_dict() for a in analyze_many(iter(texts))]
    assert many == [analyze_message(t).to_dict() for t in texts]
    hinted = [a.to_dict() for a in analyze_many(texts[:8], lang="hr")]
    assert hinted == [analyze_message(t, lang="hr").to_dict() for t in texts[:8]]


_OLD_EXCLAIM = re.compile(r"[!¡]{2,}|[?!]{3,}")
_OLD_SENT_END = re.compile(r"[.!?…。]+[\"'”’»)\]]*(?=\s|$)|\n\s*\n|\n")
_OLD_WORD = re.compile(r"\w+(?:['’\"״׳\-]\w+)*")
_ALPHABET = "ab Ab!?¡.…。\n\t \"'”’»)]-_1šЉњ\u05d0\u3000\u2028\x85😀"


def _old_sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    ends = [m.end() for m in _OLD_SENT_END.finditer(text)] + [len(text)]
    for end in ends:
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
        start = end
    return spans


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_rewritten_patterns_match_the_plain_ones(text: str) -> None:
    assert [m.span() for m in _EXCLAIM.finditer(text)] == [
        m.span() for m in _OLD_EXCLAIM.finditer(text)
    ]
    assert sentences(text) == _old_sentences(text)
    assert [(t.text, t.start, t.end) for t in tokenize(text)] == [
        (m.group(), m.start(), m.end()) for m in _OLD_WORD.finditer(text)
    ]
    assert _elongated(text) == len(_ELONGATED.findall(text))


def test_elongated_runs() -> None:
    assert _elongated("soooo bad") == 1
    assert _elongated("!!!! aaa") == 0
    assert _elongated("noooo and yeeees") == 2
