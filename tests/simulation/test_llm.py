"""The optional model-backed persona, against a real local OpenAI-compatible HTTP server."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from calmdesk.simulation import load_scenario, replay, run_script, score_session, train_main
from calmdesk.simulation.llm import (
    ENV_KEY,
    ENV_MODEL,
    ENV_URL,
    ChatRephraser,
    in_script,
    rephraser_from_env,
)
from calmdesk.simulation.scenarios import gendered

from .conftest import poor_script, skilled_script

# the late-delivery scenario in each language used here
_LATE = {"en": "late-delivery", "he": "mishloach-meuchar", "sr": "kasna-isporuka"}

Answer = Callable[[int, dict[str, Any]], tuple[int, bytes, float]]


def _chat(text: str) -> bytes:
    body = {
        "id": "cmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


@dataclass
class FakeModel:
    """What the local server received and how it answers (status, body, delay in seconds)."""

    answer: Answer
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def model() -> Iterator[FakeModel]:
    fake = FakeModel(answer=lambda n, body: (200, _chat(f"Model wording number {n}."), 0.0))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            fake.requests.append({"path": self.path, **body})
            fake.headers.append(dict(self.headers))
            status, payload, delay = fake.answer(len(fake.requests), body)
            try:
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout): nothing to answer
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _rephraser(fake: FakeModel, timeout: float = 2.0) -> ChatRephraser:
    return ChatRephraser(fake.url, "test-model", api_key="sekret", timeout=timeout)


def test_wording_comes_from_the_model_while_state_and_score_stay_scripted(
    model: FakeModel,
) -> None:
    scenario = load_scenario("late-delivery", "en")
    script = skilled_script(scenario)
    plain = run_script(scenario, script, seed=3)
    worded = run_script(scenario, script, seed=3, rephraser=_rephraser(model))

    assert len(model.requests) == len(worded.turns) >= 2
    assert [t.persona for t in worded.turns] == [
        f"Model wording number {n}." for n in range(1, len(worded.turns) + 1)
    ]
    # the engine's own line is kept in the record, and it is the scripted run's line
    assert [t.scripted for t in worded.turns] == [t.persona for t in plain.turns]
    assert worded.opening == plain.opening
    for a, b in zip(plain.turns, worded.turns, strict=True):
        assert (a.moves, a.events, a.revealed) == (b.moves, b.events, b.revealed)
        assert (a.state_after, a.marks) == (b.state_after, b.marks)
    assert (worded.outcome, worded.revealed, worded.final_state) == (
        plain.outcome,
        plain.revealed,
        plain.final_state,
    )
    assert worded.outcome == "resolved"
    assert score_session(worded, scenario).to_dict() == score_session(plain, scenario).to_dict()

    # the request: the configured model, the key as a bearer token, the scripted line to reword
    first = model.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["model"] == "test-model"
    assert model.headers[0]["Authorization"] == "Bearer sekret"
    assert plain.turns[0].persona in first["messages"][-1]["content"]
    assert "English" in first["messages"][0]["content"]
    # the model sees what the trainee saw: its own earlier wording, not the scripted one
    assert "Model wording number 1." in model.requests[1]["messages"][-1]["content"]

    # a replay from the record is exact and asks no model
    asked = len(model.requests)
    assert replay(worded, scenario).to_dict() == worded.to_dict()
    assert len(model.requests) == asked
    assert worded.to_dict()["turns"][0]["scripted"] == plain.turns[0].persona
    assert "scripted" not in plain.to_dict()["turns"][0]


def _garbage(n: int, body: dict[str, Any]) -> tuple[int, bytes, float]:
    return 200, b"{not json at all", 0.0


@pytest.mark.parametrize(
    ("lang", "answer"),
    [
        ("en", lambda n, b: (500, b'{"error": "boom"}', 0.0)),
        ("en", _garbage),
        ("en", lambda n, b: (200, json.dumps({"choices": []}).encode(), 0.0)),
        ("en", lambda n, b: (200, _chat("   "), 0.0)),
        ("en", lambda n, b: (200, _chat("word " * 200), 0.0)),
        ("en", lambda n, b: (200, _chat("Too late."), 1.5)),  # past the timeout
        ("he", lambda n, b: (200, _chat("I am still waiting for my parcel."), 0.0)),
        ("sr", lambda n, b: (200, _chat("Još uvek čekam svoj paket."), 0.0)),
    ],
    ids=[
        "http-500",
        "garbage-json",
        "no-choices",
        "empty",
        "too-long",
        "timeout",
        "he-latin",
        "sr-latin",
    ],
)
def test_any_error_keeps_the_scripted_line_and_the_session_goes_on(
    model: FakeModel, lang: str, answer: Answer
) -> None:
    model.answer = answer
    scenario = load_scenario(_LATE[lang], lang)
    script = skilled_script(scenario)
    plain = run_script(scenario, script, seed=8)
    rephraser = _rephraser(model, timeout=0.4)
    started = time.monotonic()
    result = run_script(scenario, script, seed=8, rephraser=rephraser)
    assert time.monotonic() - started < 0.6 * len(script) + 5
    assert len(model.requests) == len(result.turns)
    assert result.to_dict() == plain.to_dict()  # scripted lines, same session, no "scripted"
    assert result.outcome == "resolved"
    assert rephraser.last_error


@pytest.mark.parametrize(
    ("lang", "text"),
    [("he", "אני עדיין מחכה לחבילה שלי."), ("sr", "Још увек чекам свој пакет.")],
)
def test_a_reply_in_the_right_script_is_used(model: FakeModel, lang: str, text: str) -> None:
    model.answer = lambda n, b: (200, _chat(f"«{text}»"), 0.0)
    scenario = load_scenario(_LATE[lang], lang)
    result = run_script(scenario, skilled_script(scenario)[:1], seed=1, rephraser=_rephraser(model))
    assert result.turns[0].persona == text
    assert in_script(text, scenario.script) and not in_script(text, "Latn")


def test_connection_refused_keeps_the_scripted_line() -> None:
    scenario = load_scenario("late-delivery", "en")
    script = skilled_script(scenario)
    dead = ChatRephraser("http://127.0.0.1:9/v1", "m", timeout=0.5)  # discard port: refused
    assert run_script(scenario, script, seed=2, rephraser=dead).to_dict() == (
        run_script(scenario, script, seed=2).to_dict()
    )
    assert dead.last_error


def test_without_the_url_no_request_is_made(
    model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    monkeypatch.setenv(ENV_MODEL, "test-model")
    assert rephraser_from_env() is None
    assert rephraser_from_env({ENV_MODEL: "m", ENV_KEY: "k"}) is None
    scenario = load_scenario("late-delivery", "en")
    run_script(scenario, skilled_script(scenario), seed=4)
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    out = io.StringIO()
    code = train_main(
        ["late-delivery", "--seed", "4", "--llm"], stdin=io.StringIO("Hello\n"), stdout=out
    )
    assert code == 0
    assert ENV_URL in err.getvalue()
    assert model.requests == []


def test_train_llm_flag_uses_the_configured_model(
    model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_URL, model.url)
    monkeypatch.setenv(ENV_MODEL, "test-model")
    monkeypatch.delenv(ENV_KEY, raising=False)
    out = io.StringIO()
    code = train_main(
        ["late-delivery", "--seed", "4", "--llm"],
        stdin=io.StringIO("I'm so sorry, Dana. What is the parcel for?\n/quit\n"),
        stdout=out,
    )
    assert code == 0
    assert "Model wording number 1." in out.getvalue()
    assert len(model.requests) == 1
    assert "Authorization" not in model.headers[0]
    # without --llm the same environment sends nothing
    train_main(
        ["late-delivery", "--seed", "4"], stdin=io.StringIO("Hi\n/quit\n"), stdout=io.StringIO()
    )
    assert len(model.requests) == 1


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/v1", "127.0.0.1:8080/v1", "javascript:x"]
)
def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match=ENV_URL):
        rephraser_from_env({ENV_URL: url, ENV_MODEL: "m"})
    with pytest.raises(ValueError, match=ENV_MODEL):
        rephraser_from_env({ENV_URL: "http://127.0.0.1:8080/v1"})


@pytest.mark.parametrize("lang", ["en", "he"])
def test_requests_carry_no_unrevealed_hidden_fact(model: FakeModel, lang: str) -> None:
    scenario = load_scenario(_LATE[lang], lang)
    g = scenario.persona.gender
    for script in (skilled_script(scenario), poor_script(scenario)):
        model.requests.clear()
        result = run_script(scenario, script, seed=6, rephraser=_rephraser(model))
        assert len(model.requests) == len(result.turns)
        known: set[str] = set()
        for turn, request in zip(result.turns, model.requests, strict=True):
            known.update(turn.revealed)
            sent = json.dumps(request, ensure_ascii=False)
            sent = " ".join(json.loads(sent)["messages"][i]["content"] for i in (0, 1))
            for fact in scenario.facts:
                if fact.id in known:
                    continue
                for line in fact.lines:
                    assert gendered(line, g) not in sent, (turn.index, fact.id)
                assert fact.ask not in sent  # the coach's question is not the persona's either
        assert known == set(result.revealed)
