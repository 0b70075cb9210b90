"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    at: float
    envelope_from: str
    rcpt: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Sink:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        with self.lock:
            self.messages.append(
                Received(time.time(), envelope.mail_from, list(envelope.rcpt_tos), raw, msg)
            )
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    @property
    def messages(self) -> list[Received]:
        with self.sink.lock:
            return list(self.sink.messages)

    def count(self) -> int:
        return self.sink.count()

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
