"""A client who names a feeling outright gets that label, in every language (synthetic texts).

The models are trained on subtitles, reviews and comments; in a client's message "I am angry"
is the client telling us what they feel, so the pack's emotion words decide with the model.
"""

from __future__ import annotations

import pytest

from calmdesk.analysis import analyze_message

NAMED_ANGER = [
    ("en", "I am really angry about how my order was handled."),
    ("pl", "Jestem bardzo zły na waszą obsługę."),
    ("pl", "Jestem wściekła, bo nikt nie oddzwonił."),
    ("sr", "Veoma sam ljut na vašu uslugu."),
    ("sr", "Веома сам љут на вашу услугу."),
    ("he", "אני מאוד כועס על השירות"),
    ("he", "אני כועסת מאוד על השירות שלכם!"),
]


@pytest.mark.parametrize(("lang", "text"), NAMED_ANGER)
def test_named_anger_is_labelled_and_negative(lang: str, text: str) -> None:
    r = analyze_message(text, lang=lang)
    assert "anger" in r.labels
    assert not r.labels & {"joy", "gratitude"}
    assert r.sentiment.label == "negative"
    assert any(e.target == "emotion.anger" and e.source == "lexicon" for e in r.evidence)


def test_serbian_scripts_agree_on_named_feelings() -> None:
    lat = analyze_message("Veoma sam ljut na vašu uslugu.", lang="sr")
    cyr = analyze_message("Веома сам љут на вашу услугу.", lang="sr")
    assert lat.labels == cyr.labels
    assert lat.sentiment.label == cyr.sentiment.label


@pytest.mark.parametrize(
    ("lang", "text", "word"),
    [
        ("pl", "Nie jestem zły na was, chcę tylko zapytać o termin dostawy.", "zły"),
        ("en", 'My colleague wrote "I am furious" in the form by mistake; all is fine.', "furious"),
    ],
)
def test_negated_or_quoted_words_do_not_name_a_feeling(lang: str, text: str, word: str) -> None:
    from calmdesk.analysis.message import _lexicon_emotions, prepare

    p = prepare(text, lang=lang)
    assert any(word in p.norm.text[m.start : m.end] for m in p.matches)  # the word is matched
    assert "anger" not in _lexicon_emotions(p)  # ... but does not count as named


def test_named_joy_keeps_positive_labels() -> None:
    r = analyze_message("Thank you so much, I am delighted with the quick fix!", lang="en")
    assert r.labels & {"joy", "gratitude"}
    assert r.sentiment.label == "positive"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pl", "Do kiedy mogę zapłacić fakturę?"),
        ("sr", "Do kada mogu da platim račun?"),
        ("sr", "Internet ne radi od jutros, možete li proveriti?"),
        ("he", "עד מתי אפשר לאסוף את החבילה?"),
        ("he", "האינטרנט לא עובד מהבוקר, אפשר לבדוק?"),
        ("he", "תוכלו להוסיף לחשבון שלנו עוד 3 רישיונות?"),  # "נו" inside "שלנו"
        ("en", "Every time I log in I get a code by SMS, is that normal?"),
    ],
)
def test_a_frustration_cue_is_not_a_named_feeling(lang: str, text: str) -> None:
    # "by when", "not working", "every time": calm clients write them too.  They are a model
    # feature (category frustration_cue), not a feeling the client names.
    a = analyze_message(text, lang=lang)
    assert not a.labels & {"anger", "frustration"}, sorted(a.labels)
    lexicon = {e.target for e in a.evidence if e.source == "lexicon"}
    assert "emotion.frustration" not in lexicon, lexicon


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pl", "Znowu nie działa!!! Trzeci raz piszę!"),
        ("sr", "Opet ne radi. Dosta mi je."),
        ("he", "שוב לא עובד. כבר שבועיים."),
        ("en", "Still not working. Two weeks now."),
    ],
)
def test_the_same_cues_in_an_upset_message_still_read_as_frustration(lang: str, text: str) -> None:
    assert "frustration" in analyze_message(text, lang=lang).labels
