"""A threat the engine catches is still caught however the client types it.

Distressed people write in capitals, in lower case, without punctuation, without apostrophes
and (in Polish and Serbian) without diacritics.  For every threat of the tuning sets
(``crisis_design*_<code>.tsv``; the blind held-out set is left alone), each of these typings
must give the same kind of signal.  A miss here is a rule that depends on the typing: the
negation check that ran over a missing comma ("jeśli tego nie załatwicie podetnę sobie żyły"),
a capital that ended an unpunctuated sentence ("gdyby mnie nie było Jestem dla nich ciężarem").
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from calmdesk.analysis import analyze_message

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import FIXTURES, read_crisis  # noqa: E402

_NO_DIACRITICS = str.maketrans("ąćęłńóśźżčšđžĄĆĘŁŃÓŚŹŻČŠĐŽ", "acelnoszzcsdzACELNOSZZCSDZ")
_PUNCTUATION = str.maketrans("", "", ".,!?;:")

TYPINGS: dict[str, Callable[[str], str]] = {
    "capitals": str.upper,
    "lower case": str.lower,
    "no punctuation": lambda t: t.translate(_PUNCTUATION),
    "no apostrophes": lambda t: t.replace("'", "").replace("\u2019", ""),
    "no diacritics": lambda t: t.translate(_NO_DIACRITICS),
}
DIACRITIC_LANGS = {"pl", "sr"}


def _threats(code: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for path in sorted(FIXTURES.glob(f"crisis_design*_{code}.tsv")):
        rows += [(text, kind) for text, kind in read_crisis(path) if kind != "none"]
    return rows


CASES = [
    (code, typing)
    for code in ("en", "pl", "sr", "he")
    for typing in TYPINGS
    if typing != "no diacritics" or code in DIACRITIC_LANGS
]


@pytest.mark.parametrize(("code", "typing"), CASES)
def test_a_caught_threat_is_caught_however_it_is_typed(code: str, typing: str) -> None:
    change = TYPINGS[typing]
    threats = _threats(code)
    assert len(threats) >= 140, "the tuning sets are read"
    lost = []
    for text, kind in threats:
        if kind not in {c.kind for c in analyze_message(text).crisis}:
            continue  # test_crisis_false_alarms holds the tuning sets' recall
        typed = change(text)
        if typed != text and kind not in {c.kind for c in analyze_message(typed).crisis}:
            lost.append(typed)
    assert not lost, f"{len(lost)} threats lost when typed with {typing}: {lost[:5]}"
