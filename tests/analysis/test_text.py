"""Normalisation, offsets, transliteration, tokens, sentences, scripts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calmdesk.analysis import cyr_to_lat, lat_to_cyr, normalize, script_of, sentences, tokenize


def test_ascii_is_lowercased_with_identity_offsets() -> None:
    n = normalize("Hello WORLD")
    assert n.text == "hello world"
    assert n.span(6, 11) == (6, 11)


def test_hebrew_niqqud_and_bidi_controls_are_removed_and_mapped_back() -> None:
    src = "\u200fשָׁלוֹם עוֹלָם"
    n = normalize(src)
    assert n.text == "שלום עולם"
    a, b = n.span(5, 9)
    assert src[a:b].replace("\u05b9", "").replace("\u05b8", "") == "עולם"


def test_expanding_and_dropped_characters_keep_offsets() -> None:
    src = "Straße\u200b ist ﬁne"
    n = normalize(src)
    assert n.text == "strasse ist fine"
    i = n.text.index("fine")
    a, b = n.span(i, i + 4)
    assert src[a:b] == "ﬁne"
    a, b = n.span(0, 7)
    assert src[a:b] == "Straße"


def test_decomposed_text_is_composed() -> None:
    src = "Cafe\u0301 zamo\u0301wienie"
    n = normalize(src)
    assert n.text == "café zamówienie"
    a, b = n.span(5, 15)
    assert src[a:b] == "zamo\u0301wienie"


def test_lone_surrogates_are_replaced() -> None:
    n = normalize("ab\ud800cd")
    assert n.text == "ab\ufffdcd"
    n.text.encode("utf-8")


def test_serbian_transliteration_both_ways() -> None:
    assert (
        cyr_to_lat("Љубазно ћемо вам вратити новац, Џон") == "Ljubazno ćemo vam vratiti novac, Džon"
    )
    assert lat_to_cyr("Ljubazno ćemo vam vratiti novac") == "Љубазно ћемо вам вратити новац"
    n = normalize("Њихов рачун", translit=True)
    assert n.text == "njihov račun"
    a, b = n.span(7, 12)
    assert "Њихов рачун"[a:b] == "рачун"


def test_tokens_and_sentences() -> None:
    text = "I don't know. Why?! Call me\nNow"
    toks = [t.text for t in tokenize(text)]
    assert toks == ["I", "don't", "know", "Why", "Call", "me", "Now"]
    assert [text[a:b] for a, b in sentences(text)] == ["I don't know.", "Why?!", "Call me", "Now"]


def test_script_of() -> None:
    assert script_of("hello") == "Latn"
    assert script_of("здраво") == "Cyrl"
    assert script_of("שלום") == "Hebr"
    assert script_of("123 !!") == "Zyyy"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalized_spans_stay_inside_the_original(text: str) -> None:
    for translit in (False, True):
        n = normalize(text, translit=translit)
        for t in tokenize(n.text):
            a, b = n.span(t.start, t.end)
            assert 0 <= a <= b <= len(text)
