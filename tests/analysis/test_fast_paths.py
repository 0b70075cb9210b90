"""The engine's fast paths give exactly the numbers of the plain ones (issue 3, speed).

- ``TokenRowTable.featurize`` (cached feature ids, one gather) against
  ``HashFeaturizer.transform_parts`` + ``TokenRowTable.contributions``;
- ``analyze_many`` against ``analyze_message`` on each text;
- the rewritten regexes and helpers against their plain definitions.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from calmdesk.analysis import analyze_many, analyze_message, lat_to_cyr
from calmdesk.analysis._scoring import TokenRowTable
from calmdesk.analysis._text import _map_char, normalize, script_and_cyrillic, sentences, tokenize
from calmdesk.analysis.message import (
    _ELONGATED,
    _EXCLAIM,
    _dense_features,
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


# Letters of every script the engine reads, with the characters whose normalisation is not
# their lower case: capital sigma (final form), sharp s, a ligature, an ellipsis, niqqud, a bidi
# mark, a typographic apostrophe, Serbian Cyrillic letters that become two Latin ones.
_SCRIPTS = "aZłŁčĆßﬁΣσ…'’ЉљЖжшאבשׁ\u05b0\u200f 1!?.\n"


def _normalize_by_table(text: str, translit: bool) -> str:
    """What ``normalize`` gave before its ``str.lower()`` shortcut: the translate table."""
    if text.isascii():
        return text.lower()
    return "".join(_map_char(c, translit) for c in text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_SCRIPTS, max_size=40), st.booleans())
def test_normalizing_by_lower_case_gives_the_table_s_text(text: str, translit: bool) -> None:
    if not unicodedata.is_normalized("NFC", text):
        return  # the slow path, which normalises clusters
    assert normalize(text, translit=translit).text == _normalize_by_table(text, translit)


def _old_script(text: str) -> tuple[str, bool]:
    """``script_of`` and the Cyrillic check as prepare() made them before (three scans)."""
    latn = re.compile(r"[A-Za-z\u00C0-\u024F]")
    cyrl = re.compile(r"[\u0400-\u04FF]")
    hebr = re.compile(r"[\u05D0-\u05EA\uFB1D-\uFB4F]")
    has_cyr = not text.isascii() and cyrl.search(text) is not None
    if text.isascii():
        return ("Latn" if re.search("[A-Za-z]", text) else "Zyyy"), has_cyr
    sample = text[:4000]
    counts = {
        "Latn": len(latn.findall(sample)),
        "Cyrl": len(cyrl.findall(sample)),
        "Hebr": len(hebr.findall(sample)),
    }
    best = max(counts, key=lambda k: counts[k])
    return (best if counts[best] > 0 else "Zyyy"), has_cyr


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_SCRIPTS, max_size=40), st.integers(0, 2))
@example("Жאבש", 0)  # Cyrillic first, more Hebrew, no Latin
@example("אЖжш", 0)  # Hebrew first, more Cyrillic
@example("шЖ aZł", 0)
@example("", 1)
def test_the_script_scan_agrees_with_counting_letters(text: str, pad: int) -> None:
    # ``pad`` pushes part of the text past the 4,000 characters the script is judged on.
    text = text + " " * (4000 * pad) + text[: len(text) // 2]
    assert script_and_cyrillic(text) == _old_script(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aBcDEFgh ŁóŹ12!.\n", max_size=60))
def test_the_capitals_share_skips_only_texts_without_words_in_capitals(text: str) -> None:
    words = re.findall(r"[^\W\d_]{2,}", text[:5000])
    share = sum(map(str.isupper, words)) / len(words) if len(words) >= 3 else 0.0
    assert _dense_features(text, [], "en")[0].get("style:caps", 0.0) == share
