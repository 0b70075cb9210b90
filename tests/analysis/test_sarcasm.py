"""Unambiguous sarcasm ("Thanks for nothing", "Is this a joke?") in a client's message (issue 3).

The pack's ``sarcasm`` phrases (``lang/<code>/lexicons/complaint.tsv``) mean the opposite of
their words: the thanks inside them is not gratitude, the message is negative, and the calm-form
gate does not treat it as calm.  Quoted, the phrase is someone else's words and changes nothing.
"""

from __future__ import annotations

import pytest

from calmdesk.analysis import analyze_message

POSITIVE = frozenset({"gratitude", "joy"})
NEGATIVE = frozenset({"anger", "frustration", "disappointment", "fear", "sadness"})


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for nothing.",
        "Thank you for wasting my time again.",
        "Dzięki za nic.",
        "Dziękuję za nic, naprawdę.",
        "Hvala na ničemu.",
        "Хвала на ничему.",
        "תודה על כלום.",
    ],
)
def test_ironic_thanks_is_not_gratitude(text: str) -> None:
    a = analyze_message(text)
    assert not (POSITIVE & a.labels), sorted(a.labels)
    assert a.labels & NEGATIVE, sorted(a.labels)  # at least frustration
    assert a.sentiment.label == "negative"
    assert a.sentiment.score <= 0


@pytest.mark.parametrize(
    "text",
    [
        "Is this a joke? You charged me twice for the same order.",
        "Czy to jakiś żart? Znowu podwójna opłata na rachunku.",
        "Je l' ovo šala? Opet mi je stigao dupli račun.",
        "זו בדיחה? שוב חייבתם אותי פעמיים.",
    ],
)
def test_disbelief_makes_the_message_negative(text: str) -> None:
    a = analyze_message(text)
    assert a.sentiment.label == "negative"
    assert a.labels & NEGATIVE, sorted(a.labels)
    lexicon = [(e.target, e.source) for e in a.evidence if e.source == "lexicon"]
    assert ("sentiment.negative", "lexicon") in lexicon, lexicon


def test_quoted_sarcasm_is_someone_elses_words() -> None:
    a = analyze_message('The courier said "thanks for nothing" and left. Thank you for your help!')
    assert "gratitude" in a.labels
    assert a.sentiment.label == "positive"


def test_real_thanks_stay_thanks() -> None:
    for text in ["Thank you so much for your help!", "Dziękuję bardzo za pomoc!", "תודה רבה!"]:
        a = analyze_message(text)
        assert "gratitude" in a.labels
        assert a.sentiment.label == "positive"
