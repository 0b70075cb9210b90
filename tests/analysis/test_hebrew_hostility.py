"""Hebrew hostility on support messages (issue 3).

The Hebrew hostility head learned only from HeDetox (toxic comments and their polite rewrites),
so on everyday support messages it fired at random (41 % of our calm Hebrew check messages).
Below ``HOSTILITY_MODEL_ONLY_MIN_P`` an insult or profanity of the pack must now back it, and the
pack's bare "אפס" (zero; "מאפסים" = resetting) and "חמור" (serious) are no longer insults.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calmdesk.analysis import analyze_message

FIXTURES = Path(__file__).parent / "fixtures"


def _calm(name: str) -> list[str]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()[1:]
    return [ln.split("\t")[0] for ln in lines if ln.split("\t")[1] == "calm"]


@pytest.mark.parametrize(
    ("name", "bound"),
    [("support_messages_he.tsv", 0.08), ("support_messages_holdout_he.tsv", 0.14)],
)
def test_calm_hebrew_messages_are_rarely_hostile(name: str, bound: float) -> None:
    calm = _calm(name)
    hostile = [t for t in calm if analyze_message(t).hostility.present]
    assert len(hostile) / len(calm) <= bound, hostile


@pytest.mark.parametrize(
    "text",
    [
        "איך מאפסים סיסמה",
        "זו תקלה חמורה, אפשר לשלוח טכנאי?",
        "היתרה בחשבון שלי היא אפס, למה?",
    ],
)
def test_everyday_hebrew_is_not_hostile(text: str) -> None:
    a = analyze_message(text)
    assert not a.hostility.present, a.hostility


@pytest.mark.parametrize(
    "text",
    [
        "אתם אפסים, כל השירות שלכם זבל",
        "חבורת אידיוטים, תחזירו לי את הכסף",
        "אתה חמור, לא הבנת כלום",
    ],
)
def test_insults_stay_hostile(text: str) -> None:
    assert analyze_message(text).hostility.present
