"""A threat with a typing slip in a crisis word is still a threat; a real word is not a slip.

People in distress mistype.  ``_rules.TypoFixer`` reads a token one slip (a letter left out,
added, changed, or two swapped) away from exactly one crisis word of the pack as that word,
unless the token is a word of the pack's lexicon or of the language (``words.txt.gz``, built
by scripts/build_wordlists.py from open datasets), a name (capitalised inside a sentence), or
- in Polish, BCMS and Hebrew, where the first and last letters carry person and number - the
slip is at either end.  Words under five letters are never fixed, and in Hebrew (no vowels:
many real words lie one changed letter apart) only a letter left out, added or swapped is.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from calmdesk.analysis import analyze_message, lat_to_cyr
from calmdesk.analysis._rules import Entry, Lexicon, TypoFixer, _one_edit_apart

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import FIXTURES, read_crisis  # noqa: E402


@pytest.mark.parametrize(
    ("a", "b", "apart"),
    [
        ("myself", "myslef", True),  # swapped
        ("myself", "mysef", True),  # left out
        ("myself", "myselff", True),  # added
        ("myself", "mzself", True),  # changed
        ("myself", "myself", False),
        ("myself", "msyefl", False),  # two slips
        ("suicide", "suicdie", True),
        ("overdose", "ovredsoe", False),
    ],
)
def test_one_slip_apart(a: str, b: str, apart: bool) -> None:
    assert _one_edit_apart(a, b) is apart
    assert _one_edit_apart(b, a) is apart


def _lexicon(fold: bool = False) -> Lexicon:
    rows = [
        (("kill", "myself"), "self_harm"),
        (("overdose",), "self_harm"),
        (("poison", "you"), "violence"),
        (("prison", "time"), "topic"),  # a word of another category: known, never a slip
    ]
    return Lexicon([Entry(p, c, 1.0, f"t:{i}") for i, (p, c) in enumerate(rows)], fold=fold)


def test_a_slip_is_read_as_the_crisis_word_it_was_meant_to_be(tmp_path: Path) -> None:
    fixer = TypoFixer(_lexicon(), frozenset({"self_harm", "violence"}))
    assert fixer.fix(["i", "will", "kill", "myslef"]) == ["i", "will", "kill", "myself"]
    assert fixer.fix(["an", "ovrdoes"]) is None  # two slips
    assert fixer.fix(["an", "overdoes"]) == ["an", "overdose"]
    assert fixer.fix(["the", "prison", "time"]) is None  # "prison" is a word of the lexicon
    assert fixer.fix(["kil", "me"]) is None  # under five letters


def test_a_word_of_the_language_is_not_a_slip(tmp_path: Path) -> None:
    words = tmp_path / "words.txt.gz"
    import gzip

    with gzip.open(words, "wt", encoding="utf-8") as f:
        f.write("poisen\nmyselg\n")
    fixer = TypoFixer(_lexicon(), frozenset({"self_harm", "violence"}), words=words)
    assert fixer.fix(["poisen", "you"]) is None
    assert fixer.fix(["kill", "myselg"]) is None
    assert fixer.fix(["kill", "myslef"]) == ["kill", "myself"]


def test_without_changed_letters_only_omissions_additions_and_swaps_are_read() -> None:
    fixer = TypoFixer(_lexicon(), frozenset({"self_harm"}), changed_letters=False)
    assert fixer.fix(["kill", "mzself"]) is None
    assert fixer.fix(["kill", "myslef"]) == ["kill", "myself"]
    assert fixer.fix(["kill", "mysef"]) == ["kill", "myself"]


def test_with_stems_as_words_a_form_of_a_listed_stem_is_no_slip(tmp_path: Path) -> None:
    import gzip

    words = tmp_path / "words.txt.gz"
    with gzip.open(words, "wt", encoding="utf-8") as f:
        f.write("myselves\n")  # a listed word that begins with the stem "mysel"
    cats = frozenset({"self_harm"})
    lax = TypoFixer(_lexicon(), cats, words=words)
    strict = TypoFixer(_lexicon(), cats, words=words, stems_are_words=True)
    assert lax.fix(["kill", "myselr"]) == ["kill", "myself"]
    assert strict.fix(["kill", "myselr"]) is None  # "mysel" + two letters: a word's ending
    assert strict.fix(["kill", "myslef"]) == ["kill", "myself"]  # "mysl" begins no word


def test_in_inflected_languages_a_slip_at_either_end_is_not_read() -> None:
    fixer = TypoFixer(_lexicon(fold=True), frozenset({"self_harm", "violence"}))
    assert fixer.inner_only
    assert fixer.fix(["kill", "myselg"]) is None  # last letter: could be another ending
    assert fixer.fix(["kill", "nyself"]) is None  # first letter
    assert fixer.fix(["kill", "mysefl"]) is None  # the swap takes the last letter
    assert fixer.fix(["kill", "myslef"]) == ["kill", "myself"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("i want to kil myslef", "self_harm"),
        ("I am going to overdsoe on my pills tonight", "self_harm"),
        ("Chcę się zabbić, nie mam już siły", "self_harm"),
        ("I will shooot you all", "violence"),
    ],
)
def test_a_mistyped_threat_fires(text: str, kind: str) -> None:
    assert kind in {c.kind for c in analyze_message(text).crisis}, text


@pytest.mark.parametrize(
    "text",
    [
        "Dogovor s Tuskom je bio pogreška.",  # a name, not "s puškom" (with a rifle)
        "Zabiłby cię, gdyby to usłyszał.",  # he would kill, not "zabiłbym" (I would)
        "Neću da se vežem ni za jednu.",  # a real word one slip from "režem"
        "Kada ističu bodovi sa kartice lojalnosti?",  # "they expire", not "istuću" (beat up)
        "Ja se samo šalim, nemojte se ljutiti.",  # "I am joking", not "spalim" (I burn)
        "אני באמת אאמין למילה שלו",  # "I will believe", not "אטמין" (I will plant)
        "this delay is killling me",  # the idiom guard reads the slip too
    ],
)
def test_real_words_names_and_idioms_are_not_read_as_threats(text: str) -> None:
    assert not analyze_message(text).crisis, text


def _slip(text: str, rng: random.Random) -> str:
    """One slip (left out, doubled, or swapped with the next letter) inside a random word of
    five letters or more."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 5]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    letters = [k for k, ch in enumerate(w) if ch.isalpha()]
    k = rng.choice(letters[1:-2] or letters)
    op = rng.choice(("out", "double", "swap"))
    if op == "out":
        w = w[:k] + w[k + 1 :]
    elif op == "double":
        w = w[:k] + w[k] + w[k:]
    else:
        w = w[:k] + w[k + 1 : k + 2] + w[k] + w[k + 2 :]
    words[i] = w
    return " ".join(words)


# The share of the tuning sets' caught threats lost to one random slip inside a word (three
# seeded slips per threat; three design sets since the ninth session).  With the ninth
# session's final packs: without the fixer en 0.195, pl 0.211, sr 0.230, he 0.212; with it
# 0.030, 0.033, 0.070, 0.151.
SLIP_LOSS_CEILING = {"en": 0.08, "pl": 0.08, "sr": 0.10, "he": 0.20}


@pytest.mark.parametrize("code", ["en", "pl", "sr", "he"])
def test_one_slip_loses_few_threats(code: str) -> None:
    rng = random.Random(11)
    n = lost = 0
    for path in sorted(FIXTURES.glob(f"crisis_design*_{code}.tsv")):
        for text, kind in read_crisis(path):
            if kind == "none" or kind not in {c.kind for c in analyze_message(text).crisis}:
                continue
            for _ in range(3):
                n += 1
                lost += kind not in {c.kind for c in analyze_message(_slip(text, rng)).crisis}
    assert n >= 420
    assert lost / n <= SLIP_LOSS_CEILING[code], f"{lost}/{n} lost"


def test_cyrillic_slips_are_read_like_latin_ones() -> None:
    latin = "Ubiću se večeras, presećiću vene"
    slipped = "Ubiću se večeras, presećću vene"
    assert "self_harm" in {c.kind for c in analyze_message(slipped).crisis}
    assert "self_harm" in {c.kind for c in analyze_message(lat_to_cyr(slipped)).crisis}
    assert {c.kind for c in analyze_message(latin).crisis} == {"self_harm"}


def test_the_fixed_matches_are_weighed_with_the_message_own() -> None:
    """Typed "I will kill" is violence alone; read with the fixed "myself" it is self-harm only, as
    when typed right (the crisis rules see both passes' matches together)."""
    for text in ("I will kill myslef tonight", "I will kill myself tonight"):
        assert {c.kind for c in analyze_message(text).crisis} == {"self_harm"}, text
    long = "The invoice was wrong again. " * 20 + "I will kill myslef tonight."
    assert {c.kind for c in analyze_message(long).crisis} == {"self_harm"}
