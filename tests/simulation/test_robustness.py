"""Whatever a trainee types, the session goes on, ends in time and never repeats a line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmdesk.simulation import Session, load_scenario

_WORDS = st.sampled_from(
    [
        "sorry",
        "I",
        "will",
        "call",
        "you",
        "today",
        "by",
        "3",
        "pm",
        "what",
        "happened",
        "?",
        "!!!",
        "CALM",
        "DOWN",
        "policy",
        "przykro",
        "mi",
        "żao",
        "мени",
        "жао",
        "מצטער",
        "מה",
        "קרה",
        "guarantee",
        "refund",
        "😀",
        "\u200f",
        "\n",
        "you should have",
        "not my department",
    ]
)
_REPLY = st.lists(_WORDS, min_size=1, max_size=25).map(" ".join)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(replies=st.lists(_REPLY, min_size=1, max_size=14), seed=st.integers(0, 10_000))
def test_random_replies_never_break_the_session(replies: list[str], seed: int) -> None:
    scenario = load_scenario("late-delivery", "en")
    session = Session(scenario, seed=seed)
    for text in replies:
        if session.finished:
            break
        if not text.strip():
            continue
        turn = session.reply(text)
        assert turn.persona
        assert all(0 <= v <= 100 for v in turn.state_after)
    assert len(session.turns) <= scenario.max_turns
    lines = session.result().persona_lines()
    assert len(lines) == len(set(lines))
