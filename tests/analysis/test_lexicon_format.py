"""The lexicon line format's alternatives (``a|b``) and scripts/compact_lexicon.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calmdesk.analysis._rules import LANG_DIR, Lexicon, _read_tsv
from calmdesk.analysis._text import Token, tokenize

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from compact_lexicon import compact, meaning  # noqa: E402


def _words(text: str) -> list[Token]:
    return tokenize(text.casefold())


def test_a_line_matches_every_combination_of_its_alternatives(tmp_path: Path) -> None:
    path = tmp_path / "crisis.tsv"
    path.write_text(
        "# c\nzabiję|zabije|ubij* cię|was|pana _ dziś|jutro\tviolence\t1.0\n"
        "skoczę z mostu\tself_harm\t1.0\n"
    )
    entries = _read_tsv(path)
    assert len(entries) == 2  # nothing is expanded
    lex = Lexicon(entries)
    for text in ("zabiję cię zaraz dziś", "ubiję was nocą jutro", "zabije pana wieczorem dziś"):
        assert [m.entry.source for m in lex.match(_words(text))] == ["crisis.tsv:2"], text
    for text in ("zabiję ich zaraz dziś", "zabiję cię dziś", "kocham cię zaraz dziś"):
        assert not lex.match(_words(text)), text


def test_an_alternative_anchors_the_pattern_after_a_wildcard(tmp_path: Path) -> None:
    path = tmp_path / "crisis.tsv"
    path.write_text("_ nóż|noża|nożem w|na drodze|drogę\tviolence\t1.0\n")
    lex = Lexicon(_read_tsv(path))
    assert lex.match(_words("przyjdę z nożem na drogę"))
    assert not lex.match(_words("przyjdę z nożem do kuchni"))


@pytest.mark.parametrize("bad", ["zabiję| cię", "zabiję _|cię", "|x y"])
def test_an_empty_or_wildcard_alternative_is_an_error(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "crisis.tsv"
    path.write_text(f"{bad}\tviolence\t1.0\n")
    with pytest.raises(ValueError, match="empty alternative"):
        _read_tsv(path)


def test_compacting_merges_lines_and_keeps_what_they_match() -> None:
    text = (
        "# threats\n"
        "zabiję cię\tviolence\t1.0\n"
        "zabiję was\tviolence\t1.0\n"
        "pobiję cię\tviolence\t1.0\n"
        "pobiję was\tviolence\t1.0\n"
        "zabiję cię\tviolence_medium\t0.6\n"
        "# idioms\n"
        "zabij mnie\tidiom\t1.0\n"
    )
    out = compact(text)
    assert meaning(out) == meaning(text)
    assert out.splitlines() == [
        "# threats",
        "pobiję|zabiję cię|was\tviolence\t1.0",
        "zabiję cię\tviolence_medium\t0.6",
        "# idioms",
        "zabij mnie\tidiom\t1.0",
    ]
    assert compact(out) == out


@pytest.mark.parametrize("code", ["en", "pl", "sr", "he"])
def test_the_crisis_lexicons_are_compact(code: str) -> None:
    """Generated combinations are written as alternatives: run scripts/compact_lexicon.py."""
    text = (LANG_DIR / code / "lexicons" / "crisis.tsv").read_text(encoding="utf-8")
    assert compact(text) == text
