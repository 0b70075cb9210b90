"""Every example of every coach rule is a test (LanguageTool style), plus meta-tests on the packs.

An ``incorrect`` example must produce a finding of its rule exactly on the ``[[marked]]`` span
(an empty marker ``[[]]`` = an insertion point); a ``correct`` example must produce none.  Serbian
examples run in both scripts: each example is also transliterated (Latin <-> Cyrillic).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmdesk.analysis._coach_rules import KINDS, LANGS, Example, Rule, load_pack
from calmdesk.analysis._text import cyr_to_lat, lat_to_cyr, script_of
from calmdesk.analysis.coach import UI_LANGS, _messages, build_context

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))  # a Wednesday
FAMILIES = {
    "negative-phrasing", "blame", "lecturing", "over-promising", "policy-shield",
    "passing-the-buck", "robotic", "shouting", "clarity", "missing",
}  # fmt: skip


_PRESENT = tuple(
    lang
    for lang in LANGS
    if (
        Path(__file__).parents[2] / "src/calmdesk/analysis/lang" / lang / "coach/lexicon.yaml"
    ).exists()
)


def _variants(lang: str, ex: Example) -> list[tuple[str, str, Example]]:
    out = [("orig", ex.text, ex)]
    if lang != "sr":
        return out
    conv = cyr_to_lat if script_of(ex.text) == "Cyrl" else lat_to_cyr
    text = conv(ex.text)
    expected = None
    if ex.expected is not None:
        s, e = ex.expected
        start = len(conv(ex.text[:s]))
        expected = (start, start + len(conv(ex.text[s:e])))
    other = Example(
        text=text,
        expected=expected,
        client=conv(ex.client) if ex.client else None,
        history=tuple(conv(h) for h in ex.history),
        previous=tuple(conv(p) for p in ex.previous),
        policy=ex.policy,
        correction=ex.correction,
    )
    return [*out, ("translit", text, other)]


def _cases(langs: tuple[str, ...] = LANGS) -> list[object]:
    cases: list[object] = []
    for lang in langs:
        for rule in load_pack(lang).rules:
            for i, ex in enumerate(rule.examples):
                for tag, _, variant in _variants(lang, ex):
                    kind = "bad" if ex.expected is not None else "ok"
                    cases.append(pytest.param(lang, rule, variant, id=f"{rule.id}-{kind}{i}-{tag}"))
    return cases


def _hits(lang: str, rule: Rule, ex: Example) -> list[tuple[int, int]]:
    ctx = build_context(
        ex.text,
        lang,
        client_message=ex.client,
        agent_history=ex.history,
        conversation=(),
        policy=ex.policy,
        now=NOW,
        tz="Europe/Warsaw",
    )
    ctx.previous_agent_turns = ex.previous
    return [(h.start, h.end) for h in KINDS[rule.kind](rule, ctx)], [
        h.suggestions for h in KINDS[rule.kind](rule, ctx)
    ]  # type: ignore[return-value]


@pytest.mark.parametrize(("lang", "rule", "ex"), _cases(_PRESENT))
def test_rule_example(lang: str, rule: Rule, ex: Example) -> None:
    spans, suggestions = _hits(lang, rule, ex)
    if ex.expected is None:
        assert spans == [], f"{rule.id} fired on a correct example: {ex.text!r} at {spans}"
        return
    s, e = ex.expected
    assert ex.expected in spans, (
        f"{rule.id}: expected {ex.text[s:e]!r} at {ex.expected} in {ex.text!r}, got "
        f"{[(a, b, ex.text[a:b]) for a, b in spans]}"
    )
    if ex.correction:
        got = suggestions[spans.index(ex.expected)]
        assert ex.correction in got, f"{rule.id}: {ex.correction!r} not in {got}"


@pytest.mark.parametrize("lang", LANGS)
def test_pack_has_all_families_and_enough_examples(lang: str) -> None:
    pack = load_pack(lang)
    assert {r.family for r in pack.rules} == FAMILIES
    for rule in pack.rules:
        bad = [e for e in rule.examples if e.expected is not None]
        good = [e for e in rule.examples if e.expected is None]
        assert len(bad) >= 2, f"{rule.id} needs at least two incorrect examples"
        assert len(good) >= 2, f"{rule.id} needs at least two correct examples"
        assert rule.id.startswith(f"{lang}.{rule.family}.")


def test_rule_ids_unique_across_packs() -> None:
    ids = [r.id for lang in LANGS for r in load_pack(lang).rules]
    assert len(ids) == len(set(ids))


def test_serbian_pack_has_examples_written_in_both_scripts() -> None:
    scripts = {script_of(e.text) for r in load_pack("sr").rules for e in r.examples}
    assert {"Latn", "Cyrl"} <= scripts


@pytest.mark.parametrize("ui_lang", UI_LANGS)
def test_every_message_key_is_translated(ui_lang: str) -> None:
    keys = {r.message for lang in LANGS for r in load_pack(lang).rules}
    catalog = _messages(ui_lang)
    missing = keys - set(catalog)
    assert not missing, f"{ui_lang}: no message for {sorted(missing)}"
    for key in keys:
        assert catalog[key]["message"] and catalog[key]["why"]
