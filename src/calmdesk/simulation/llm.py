"""Optional model-backed wording of the persona (an OpenAI-compatible ``/chat/completions``).

The engine decides everything the persona *does* — state, revealed facts, quoted promises,
repeated questions, the outcome and the score — and the scripted line it would say.  A
:class:`Rephraser` may only reword that line.  :class:`ChatRephraser` asks a model to rephrase it
in the scenario's language and the persona's voice, given only the persona description and the
last few turns shown to the trainee (never a hidden fact that has not been revealed).  On any error
(connection refused, timeout, non-200, malformed JSON, empty or over-long text, a reply in the
wrong script) it returns ``None`` and the engine keeps the scripted line.

Off by default: nothing leaves the machine unless ``CALMDESK_PERSONA_LLM_URL`` is set and the
caller asks for it (:func:`rephraser_from_env`).  Standard library only.
"""

from __future__ import annotations

import json
import os
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, Protocol

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_KEY",
    "ENV_MODEL",
    "ENV_URL",
    "MAX_REPLY_CHARS",
    "ChatRephraser",
    "RecordedLines",
    "RephraseRequest",
    "Rephraser",
    "history_tail",
    "in_script",
    "rephraser_from_env",
]

ENV_URL = "CALMDESK_PERSONA_LLM_URL"
ENV_MODEL = "CALMDESK_PERSONA_LLM_MODEL"
ENV_KEY = "CALMDESK_PERSONA_LLM_KEY"
DEFAULT_TIMEOUT = 8.0
MAX_REPLY_CHARS = 600
_MAX_RESPONSE_BYTES = 256 * 1024
_HISTORY_TURNS = 6  # lines of the conversation sent with a request (both sides)

_LANG_NAMES: Mapping[str, str] = {
    "en": "English",
    "pl": "Polish",
    "sr": "Serbian, written in the Cyrillic script",
    "sr-latn": "Serbian, written in the Latin script",
    "he": "Hebrew",
}
_SCRIPT_PREFIX: Mapping[str, str] = {"Latn": "LATIN", "Cyrl": "CYRILLIC", "Hebr": "HEBREW"}


@dataclass(frozen=True, slots=True)
class RephraseRequest:
    """What a rephraser may see: the line to reword and what the trainee has already seen.

    ``persona``: the scenario's persona description (name, expectation gap, what they want);
    ``history``: the last lines of the conversation as ``(role, text)`` with role ``client`` or
    ``agent`` (the trainee's current reply last); ``line``: the engine's scripted answer.
    """

    turn: int
    lang: str
    script: str
    persona: Mapping[str, str]
    history: tuple[tuple[str, str], ...]
    line: str


class Rephraser(Protocol):
    """Rewords the persona's scripted line; ``None`` keeps the scripted line."""

    def rephrase(self, request: RephraseRequest) -> str | None: ...


def in_script(text: str, script: str, *, share: float = 0.8) -> bool:
    """Whether at least ``share`` of the letters of ``text`` are in ``script`` (Latn/Cyrl/Hebr)."""
    prefix = _SCRIPT_PREFIX.get(script)
    if prefix is None:
        raise ValueError(f"unknown script {script!r}: expected one of {sorted(_SCRIPT_PREFIX)}")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    inside = sum(1 for c in letters if unicodedata.name(c, "").startswith(prefix))
    return inside >= share * len(letters)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the request goes to the configured address or nowhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


class ChatRephraser:
    """Rephrases through an OpenAI-compatible ``POST {base_url}/chat/completions``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        max_chars: int = MAX_REPLY_CHARS,
    ) -> None:
        scheme = base_url.split(":", 1)[0].lower() if ":" in base_url else ""
        if scheme not in ("http", "https") or "//" not in base_url:
            raise ValueError(
                f"{ENV_URL} must be an http:// or https:// base URL "
                f"(such as http://127.0.0.1:8080/v1), not {base_url!r}"
            )
        if not model.strip():
            raise ValueError(f"{ENV_MODEL} must name the model when {ENV_URL} is set")
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        self.endpoint = base_url.rstrip("/") + "/chat/completions"
        self.model = model.strip()
        self.timeout = timeout
        self.max_chars = max_chars
        self._key = api_key
        # no proxies from the environment, no redirects: only the configured address is contacted
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self.last_error = ""

    def __repr__(self) -> str:  # never shows the key
        return f"ChatRephraser({self.endpoint!r}, model={self.model!r}, timeout={self.timeout})"

    def messages(self, request: RephraseRequest) -> list[dict[str, str]]:
        """The chat messages sent for ``request`` (only what the trainee may know)."""
        lang = _LANG_NAMES.get(request.lang, request.lang)
        system = (
            "You voice a customer in a role-play that trains support agents. Rewrite the "
            f"customer's next line in {lang}, in the customer's own voice and mood. Keep its "
            "meaning, every fact, name, number and date, and any words it quotes from the agent. "
            "Add no new facts, demands or promises. Answer with the rewritten line only, without "
            f"quotation marks or comments, in at most {self.max_chars} characters."
        )
        p = request.persona
        persona = "\n".join(f"{k}: {v}" for k, v in p.items() if v)
        talk = "\n".join(
            f"{'Customer' if role == 'client' else 'Agent'}: {text}"
            for role, text in request.history
        )
        user = (
            f"The customer:\n{persona}\n\nThe conversation so far:\n{talk}\n\n"
            f"The customer's next line, to rewrite:\n{request.line}"
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def body(self, request: RephraseRequest) -> bytes:
        payload = {
            "model": self.model,
            "messages": self.messages(request),
            "temperature": 0.7,
            "max_tokens": 400,
            "stream": False,
        }
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def rephrase(self, request: RephraseRequest) -> str | None:
        self.last_error = ""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        # the scheme is checked in __init__ (http or https only)
        req = urllib.request.Request(  # noqa: S310
            self.endpoint, data=self.body(request), headers=headers, method="POST"
        )
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                status = resp.status
                raw = resp.read(_MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            return self._fail(f"HTTP {exc.code}")
        except (OSError, HTTPException, ValueError) as exc:  # refused, timeout, bad URL
            return self._fail(f"{type(exc).__name__}: {exc}")
        if status != 200:
            return self._fail(f"HTTP {status}")
        if len(raw) > _MAX_RESPONSE_BYTES:
            return self._fail("response too large")
        try:
            data = json.loads(raw.decode("utf-8"))
            text = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return self._fail(f"malformed response: {type(exc).__name__}")
        if not isinstance(text, str):
            return self._fail("malformed response: content is not text")
        text = " ".join(text.split()).strip().strip("\"'“”„«»").strip()
        if not text:
            return self._fail("empty text")
        if len(text) > self.max_chars:
            return self._fail(f"text longer than {self.max_chars} characters")
        if not in_script(text, request.script):
            return self._fail(f"text not in the {request.script} script")
        return text

    def _fail(self, why: str) -> str | None:
        """Note why the wording failed; ``None`` keeps the scripted line."""
        self.last_error = why
        return None


class RecordedLines:
    """Gives back recorded wordings, so a session played with a model replays exactly.

    ``lines`` maps a turn index to ``(scripted, shown)``; the recorded wording is used only when
    the engine produces the same scripted line as in the recording.
    """

    def __init__(self, lines: Mapping[int, tuple[str, str]]) -> None:
        self._lines = dict(lines)

    def rephrase(self, request: RephraseRequest) -> str | None:
        scripted, shown = self._lines.get(request.turn, ("", ""))
        return shown if shown and scripted == request.line else None


def rephraser_from_env(
    environ: Mapping[str, str] | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> ChatRephraser | None:
    """A :class:`ChatRephraser` from ``CALMDESK_PERSONA_LLM_*``; ``None`` when the URL is unset.

    Raises ``ValueError`` with a clear message for a URL that is not http(s) or a missing model.
    """
    env = os.environ if environ is None else environ
    url = env.get(ENV_URL, "").strip()
    if not url:
        return None
    return ChatRephraser(
        url, env.get(ENV_MODEL, ""), api_key=env.get(ENV_KEY, "").strip(), timeout=timeout
    )


def history_tail(lines: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The last lines of a conversation that a request carries."""
    return tuple(lines[-_HISTORY_TURNS:])
