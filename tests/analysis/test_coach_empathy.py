"""The three EPITOME-style empathy scores of review_reply: what counts as exploration,
interpretation and emotional reaction (all sentences written by us)."""

from __future__ import annotations

import pytest

from calmdesk.analysis import review_reply


def _score(text: str, key: str, lang: str = "en", client: str | None = None) -> float:
    return review_reply(text, lang=lang, client_message=client).scores[key].value


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Thanks for writing. Which address did the courier have on file?"),
        ("en", "Have you tried restarting the router since then?"),
        ("en", "Tell me more about what happened at the counter."),
        ("pl", "Dziękuję za wiadomość. Od kiedy aplikacja się nie uruchamia?"),
        ("sr", "Hvala na poruci. Od kada aplikacija ne radi?"),
        ("sr", "Хвала на поруци. Од када апликација не ради?"),
        ("he", "תודה על הפנייה. ממתי האפליקציה לא עובדת?"),
    ],
)
def test_a_question_about_the_situation_is_exploration(lang: str, text: str) -> None:
    assert _score(text, "empathy_exploration", lang) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Your refund was sent today. Is there anything else I can do for you?",
        "If you ever want to talk, feel free to message me.",
        "I checked the order and it left the depot this morning.",
    ],
)
def test_offers_and_statements_are_not_exploration(text: str) -> None:
    assert _score(text, "empathy_exploration") < 0.5


def test_an_offer_to_talk_is_warmth() -> None:
    text = "If you ever want to talk, my inbox is open."
    assert _score(text, "empathy_emotional_reaction") >= 0.5


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I know how exhausting that is."),
        ("en", "When I was at university I went through the same thing with my landlord."),
        ("en", "My mom had the same problem with her bank last year."),
        ("pl", "Kiedy byłam w podobnej sytuacji, moja mama bardzo mi pomogła."),
        ("sr", "Kad sam bio student, prošao sam kroz slično."),
        ("sr", "Кад сам био студент, прошао сам кроз слично."),
        ("he", "כשהייתי סטודנט עברתי משהו דומה."),
    ],
)
def test_understanding_and_shared_experience_are_interpretation(lang: str, text: str) -> None:
    assert _score(text, "empathy_interpretation", lang) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "I had a look at your order and my colleague will call you tomorrow.",
        "I was able to reset the password; it works now.",
        "If you feel the screen is too bright, lower it in the settings.",
    ],
)
def test_reports_of_the_agents_own_actions_are_not_interpretation(text: str) -> None:
    assert _score(text, "empathy_interpretation") < 0.5


def test_evidence_names_the_question_and_the_experience() -> None:
    review = review_reply("I went through the same thing. How are you coping?", lang="en")
    assert any("question: How are you coping?" in e
               for e in review.scores["empathy_exploration"].evidence)  # fmt: skip
    assert any(e.startswith(("understanding:", "shared experience:"))
               for e in review.scores["empathy_interpretation"].evidence)  # fmt: skip


def test_a_question_alone_does_not_make_a_reply_empathetic() -> None:
    review = review_reply("Could you send me your order number?", lang="en")
    assert review.scores["empathy_exploration"].value >= 0.5
    assert review.scores["empathy"].value < 0.5
    warm = review_reply("I'm so sorry about this. How long has it been happening?", lang="en")
    assert warm.scores["empathy"].value >= 0.5
