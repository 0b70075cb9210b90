"""False alarms on calm support messages (issue 3): our own synthetic support check set.

``fixtures/support_messages_{en,pl,sr,he}.tsv`` are written by the calmdesk developers
(text, calm|upset, the emotions an upset line names).  A calm message must not get a
negative-emotion label (anger, frustration, disappointment, fear, sadness) or a negative
sentiment; an upset message must get a negative-emotion label.  Serbian is read in Latin and
transliterated to Cyrillic.  The bounds are what the calm-form gate in ``message.py`` and the
models trained with the support corpus reach, with a little margin (before the gate: calm false
alarms en 0.18, pl 0.80, sr 0.69, he 0.86).
``scripts/evaluate.py --suite support`` prints the same figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calmdesk.analysis import analyze_message, lat_to_cyr
from calmdesk.analysis.message import in_calm_form, prepare

FIXTURES = Path(__file__).parent / "fixtures"
NEGATIVE = frozenset({"anger", "frustration", "disappointment", "fear", "sadness"})

# (set, language) -> (max share of calm messages with a false alarm, min recall of upset
# messages).  "design": the set the calm-form gate was built on; "holdout": written blind
# afterwards.  Measured (evaluate.py --suite support) with the support corpus and the upset head
# (ADR 0014): design en 0.015/0.98, pl 0.07/0.93, sr 0.06/0.95, he 0.09/1.00; holdout en
# 0.05/0.82, pl 0.16/0.80, sr 0.18/0.72, he 0.16/0.86 (before them: holdout pl 0.32/0.86,
# sr 0.29/0.76, he 0.44/0.94; docs/quality.md, "Support corpus").
BOUNDS = {
    ("design", "en"): (0.06, 0.90),
    ("design", "pl"): (0.12, 0.90),
    ("design", "sr-Latn"): (0.10, 0.90),
    ("design", "sr-Cyrl"): (0.10, 0.90),
    ("design", "he"): (0.13, 0.93),
    ("holdout", "en"): (0.10, 0.78),
    ("holdout", "pl"): (0.21, 0.76),
    ("holdout", "sr-Latn"): (0.23, 0.68),
    ("holdout", "sr-Cyrl"): (0.23, 0.68),
    ("holdout", "he"): (0.21, 0.80),
}
PREFIX = {"design": "support_messages_", "holdout": "support_messages_holdout_"}


def _read(code: str, part: str = "design") -> list[tuple[str, str, frozenset[str]]]:
    path = FIXTURES / f"{PREFIX[part]}{code}.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Written by the calmdesk developers")
    out = []
    for line in lines[1:]:
        text, kind, emos = line.split("\t")
        out.append((text, kind, frozenset(e for e in emos.split(";") if e != "-")))
    return out


def _items(part: str, name: str) -> list[tuple[str, str, frozenset[str]]]:
    code = name.split("-")[0]
    items = _read(code, part)
    if name == "sr-Cyrl":
        items = [(lat_to_cyr(t), k, e) for t, k, e in items]
    return items


@pytest.mark.parametrize("part", list(PREFIX))
@pytest.mark.parametrize("code", ["en", "pl", "sr", "he"])
def test_fixture_shape(part: str, code: str) -> None:
    items = _read(code, part)
    calm = [i for i in items if i[1] == "calm"]
    upset = [i for i in items if i[1] == "upset"]
    assert len(calm) >= 60 and len(upset) >= 40
    assert len(calm) + len(upset) == len(items)
    assert all(not e for _, _, e in calm)
    assert all(e and e <= NEGATIVE for _, _, e in upset)
    assert len({t for t, _, _ in items}) == len(items)


@pytest.mark.parametrize(("part", "name"), list(BOUNDS))
def test_calm_false_alarms_and_upset_recall(part: str, name: str) -> None:
    max_fa, min_recall = BOUNDS[part, name]
    alarms, misses = [], []
    n_calm = n_upset = 0
    for text, kind, _ in _items(part, name):
        a = analyze_message(text)
        neg = bool(NEGATIVE & a.labels)
        if kind == "calm":
            n_calm += 1
            if neg or a.sentiment.label == "negative":
                alarms.append(text)
        else:
            n_upset += 1
            if not neg:
                misses.append(text)
    fa = len(alarms) / n_calm
    recall = 1 - len(misses) / n_upset
    assert fa <= max_fa, f"{name}: calm false alarms {fa:.3f} > {max_fa}: {alarms[:5]}"
    assert recall >= min_recall, f"{name}: upset recall {recall:.3f} < {min_recall}: {misses}"


@pytest.mark.parametrize(
    "text",
    [
        "תודה רבה על העזרה!",  # "help" is a fear word in subtitles ("help!")
        "תודה, קיבלתי את החבילה היום",
        "Nie rozumiem tej opłaty.",
        "Šta je ovo na računu? Nije mi jasno.",
        "Шта је ово на рачуну? Није ми јасно.",
        "אני לא מבין את החיוב הזה.",
        "I don't understand this charge on my statement.",
        "Dziękuję bardzo za pomoc!",
    ],
)
def test_calm_message_gets_no_negative_label(text: str) -> None:
    a = analyze_message(text)
    assert not (NEGATIVE & a.labels), sorted(a.labels)
    assert a.sentiment.label != "negative"


def test_thanks_keep_their_positive_labels() -> None:
    a = analyze_message("תודה רבה על העזרה!")
    assert "gratitude" in a.labels
    assert a.sentiment.label == "positive"


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("Nie rozumiem tej opłaty i jestem wściekły.", "anger"),
        ("Ne razumem ovu naknadu!!! Vratite mi novac ODMAH!", "anger"),
        ("תודה רבה על העזרה, אבל אני עדיין מפחד שמישהו נכנס לחשבון שלי.", "fear"),
    ],
)
def test_signs_of_upset_keep_the_model_labels(text: str, emotion: str) -> None:
    """A named negative feeling, shouting or repeated ! turn the gate off."""
    a = analyze_message(text)
    assert emotion in a.labels
    assert a.sentiment.label == "negative"


def test_a_question_asked_in_anger_is_not_calm() -> None:
    """ "?!" / "??" mark a rhetorical, angry question: the gate stays off."""
    calm = "Kiedy zostanie wysłane zamówienie 77120?"
    angry = "Kiedy zostanie wysłane zamówienie 77120?!"
    assert not (NEGATIVE & analyze_message(calm).labels)
    assert NEGATIVE & analyze_message(angry).labels
    # The gate itself, whatever the models say: the form applies to the calm question only,
    # even where the upset head reads all three as calm.
    assert in_calm_form(prepare(calm), upset=0.0)
    for text in (angry, angry.replace("?!", "??"), angry.replace("?!", "!?")):
        assert not in_calm_form(prepare(text), upset=0.0), text


@pytest.mark.parametrize("name", ["en", "pl", "sr-Latn", "sr-Cyrl", "he"])
def test_intensity_separates_upset_from_calm(name: str) -> None:
    """Intensity reads the hostility probability only where it may speak for itself, so calm
    Serbian and Hebrew requests are not "intense" (design set: calm mean en 0.10, pl 0.22,
    sr 0.25, he 0.22; upset 0.32-0.44; before: calm sr 0.34, he 0.36)."""
    calm, upset = [], []
    for text, kind, _ in _items("design", name):
        (calm if kind == "calm" else upset).append(analyze_message(text).intensity)
    mean_calm, mean_upset = sum(calm) / len(calm), sum(upset) / len(upset)
    assert mean_calm <= 0.30, mean_calm
    assert mean_upset - mean_calm >= 0.14, (mean_calm, mean_upset)
