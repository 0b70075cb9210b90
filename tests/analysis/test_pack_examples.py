"""Every example line of every language pack is a test case (lang/<code>/examples.tsv)."""

from __future__ import annotations

import pytest

from calmdesk.analysis import analyze_message, lat_to_cyr
from calmdesk.analysis._rules import load_pack

CASES = [
    (code, text, expect, line)
    for code in ("en", "pl", "sr", "he")
    for text, expect, line in load_pack(code).examples()
]
HINT = {"en": "en", "pl": "pl", "sr": "sr", "he": "he"}


def _check(code: str, text: str, expect: str) -> None:
    hint = None if any(e.startswith("lang=") for e in expect.split(";")) else HINT[code]
    a = analyze_message(text, lang=hint)
    from calmdesk.analysis.message import prepare

    cats = {m.entry.category for m in prepare(text, lang=hint).matches}
    for e in expect.split(";"):
        key, _, val = e.strip().partition("=")
        if key == "crisis":
            kinds = {c.kind for c in a.crisis if not c.rule.startswith("model:")}
            if val == "none":
                assert not kinds, f"false alarm {[(c.kind, c.span.text) for c in a.crisis]}"
            else:
                assert val in kinds, f"missed {val}: {[(c.kind, c.span.text) for c in a.crisis]}"
                assert a.escalation.level == "critical"
                for c in a.crisis:
                    assert text[c.span.start : c.span.end] == c.span.text
        elif key == "lex":
            assert val in cats, f"category {val} not matched; got {sorted(cats)}"
        elif key == "root":
            assert a.root_causes and a.root_causes[0].code == val, a.root_causes
        elif key == "lang":
            assert a.language == val, a.language
        else:
            raise AssertionError(f"unknown expectation {key}")


@pytest.mark.parametrize(
    ("code", "text", "expect", "line"), CASES, ids=[f"{c[0]}:{c[3]}" for c in CASES]
)
def test_pack_example(code: str, text: str, expect: str, line: int) -> None:
    _check(code, text, expect)


SR = [(t, e, ln) for t, e, ln in load_pack("sr").examples() if not e.startswith("lang=")]


@pytest.mark.parametrize(("text", "expect", "line"), SR, ids=[f"sr-Cyrl:{c[2]}" for c in SR])
def test_serbian_example_in_cyrillic(text: str, expect: str, line: int) -> None:
    _check("sr", lat_to_cyr(text), expect)


def test_every_pack_has_examples_and_sources() -> None:
    for code in ("en", "pl", "sr", "he"):
        pack = load_pack(code)
        assert len(pack.examples()) >= 15
        assert (pack.root / "SOURCES.md").read_text().count("calmdesk developers") >= 3
        kinds = {
            e.split("=")[1]
            for _, ex, _ in pack.examples()
            for e in ex.split(";")
            if e.startswith("crisis=")
        }
        assert kinds == {"self_harm", "violence", "none"}
