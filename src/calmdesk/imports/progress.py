"""A small progress display on stderr: a redrawn bar on a terminal, plain lines otherwise
(one per 10 %, so a log file stays short)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None, *, tty: bool | None = None):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._last_draw = 0.0
        self._last_step = -1
        self._drawn = False
        self._last: tuple[int, int] = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self._last = (done, total)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and done < total:
                return
            self._last_draw = now
            self.stream.write("\r" + self._bar(done, total))
            self._drawn = True
            self.stream.flush()
            return
        step = (done * 10 // total) if total else 10
        if step != self._last_step:
            self._last_step = step
            self.stream.write(self._line(done, total) + "\n")
            self.stream.flush()

    def _percent(self, done: int, total: int) -> int:
        return min(100, done * 100 // total) if total else 100

    def _bar(self, done: int, total: int) -> str:
        filled = min(BAR_WIDTH, done * BAR_WIDTH // total) if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"{self.label} [{bar}] {self._percent(done, total):3d}% {done}/{total}"

    def _line(self, done: int, total: int) -> str:
        return f"{self.label}: {done}/{total} ({self._percent(done, total)}%)"

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r" + self._bar(*self._last) + "\n")
            self.stream.flush()
