"""Any str returns a result without raising, in bounded time."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmdesk.analysis import MAX_CHARS, MessageAnalysis, analyze_message

NASTY = [
    "",
    " ",
    "\x00\x01\x02",
    "😡😡😡 !!!! 💣🔪",
    "\u202eyltnerruc\u202c \u200f\u200e\u2066x\u2069",
    "ab\ud800cd\udfff",  # lone surrogates, e.g. from JSON
    "Mixed שלום здраво cześć hello 123",
    "a" * 50_000,
    "\n" * 10_000,
    "ﷺ" * 1000,
    "Z̷̢͎̈a̸̡̓l̴̰̈́g̷͓̈o̵̹͝" * 200,
]


def _valid(a: MessageAnalysis, text: str) -> None:
    assert set(a.emotions) == {
        "anger",
        "frustration",
        "disappointment",
        "fear",
        "sadness",
        "confusion",
        "gratitude",
        "joy",
    }
    assert all(0.0 <= v <= 1.0 for v in a.emotions.values())
    assert -1.0 <= a.sentiment.score <= 1.0
    assert 0.0 <= a.intensity <= 1.0
    json.dumps(a.to_dict())
    for e in a.evidence:
        assert 0 <= e.span.start <= e.span.end <= len(text)


def test_nasty_inputs() -> None:
    for text in NASTY:
        t = time.perf_counter()
        a = analyze_message(text)
        assert time.perf_counter() - t < 5.0
        _valid(a, text)
    assert analyze_message("").language == "und"


def test_one_megabyte_is_bounded_and_says_so() -> None:
    text = ("Paczka nie dotarła. " * 60_000)[:1_000_000]
    t = time.perf_counter()
    a = analyze_message(text)
    assert time.perf_counter() - t < 30.0
    assert a.truncated and a.length == len(text)
    assert a.analysed_ranges[0] == (0, 15_000)
    assert a.analysed_ranges[-1][1] == len(text)
    _valid(a, text)


def test_short_texts_are_not_truncated() -> None:
    a = analyze_message("x" * MAX_CHARS)
    assert not a.truncated and a.analysed_ranges == ((0, MAX_CHARS),)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000), st.sampled_from([None, "en", "pl", "sr", "hr", "bs", "he", "xx"]))
def test_any_text_any_hint(text: str, lang: str | None) -> None:
    a = analyze_message(text, lang=lang)
    _valid(a, text)
    assert a.language in {"en", "pl", "sr", "hr", "bs", "he", "und", "xx"} - {"xx"} | (
        {"xx"} if lang == "xx" else set()
    )
