"""Insults aimed at the reader are hostility in every language (issue 3).

The hostility head has no say on its own in English and Serbian (no in-language training data)
and little on everyday Hebrew; "You are idiots" scored 0.04 and was not hostile.  An insult of
the pack in the same phrase as a second-person word (category ``addressee``) is now hostility
whatever the model says; an insult the client aims at themselves, a negated or a quoted one is
not.
"""

from __future__ import annotations

import pytest

from calmdesk.analysis import analyze_message


@pytest.mark.parametrize(
    "text",
    [
        "You are idiots, your service is garbage!!",
        "You people are useless.",
        "Jesteście bandą złodziei!",
        "Vi ste idioti!",
        "Ви сте лопови!",
        "אתם אידיוטים",
    ],
)
def test_insult_aimed_at_the_reader_is_hostile(text: str) -> None:
    a = analyze_message(text)
    assert a.hostility.present, a.hostility


@pytest.mark.parametrize(
    "text",
    [
        "I feel like an idiot for ordering this.",
        "I feel stupid, can you help me?",
        "You are not idiots, but the process is broken.",
        'He said "you idiots" on the phone, can you check the recording?',
        "Osećam se kao idiot.",
        "Czuję się jak idiota, możecie mi pomóc?",
    ],
)
def test_self_directed_negated_or_quoted_insult_is_not(text: str) -> None:
    a = analyze_message(text)
    assert not a.hostility.present, a.hostility
