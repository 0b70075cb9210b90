"""Terminal mode, driven through a pseudo-terminal like a trainee at a keyboard."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time

import pytest

from calmdesk.simulation import train_main

_CHILD = (
    "import sys; from calmdesk.simulation.terminal import train_main; "
    "sys.exit(train_main(sys.argv[1:]))"
)


class _Pty:
    def __init__(self, *args: str) -> None:
        self.master, slave = os.openpty()
        env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.buffer = ""

    def expect(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not seen; got:\n{self.buffer}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    if text not in self.buffer:
                        raise AssertionError(f"{text!r} not seen before exit:\n{self.buffer}")
                    break
                self.buffer += chunk.decode("utf-8", "replace")
        return self.buffer

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode("utf-8"))

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        finally:
            os.close(self.master)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_role_play_in_a_pseudo_terminal_ends_with_the_score() -> None:
    term = _Pty("late-delivery", "--lang", "en", "--seed", "3")
    try:
        term.expect("Where is my parcel?")
        term.expect("You> ")
        term.send(
            "I'm really sorry, Dana, that sounds so frustrating. If I understand correctly, the "
            "parcel was guaranteed for Thursday and still shows in transit. What is the parcel for?"
        )
        term.expect("birthday")
        term.send("That makes the timing clear. What happened when you wrote to us before?")
        term.expect("You> ")
        term.send(
            "I'll call the courier depot now and email you by 2 pm today with the location. If it "
            "can't reach you by Friday, I'll send a replacement helmet by express today."
        )
        out = term.expect("Overall score")
        term.expect("Empathise")
    finally:
        code = term.close()
    assert code == 0
    assert "Outcome: Resolved" in out
    assert "--seed 3" in out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_quit_in_a_pseudo_terminal_still_reports_in_hebrew() -> None:
    term = _Pty("lakoach-gas", "--lang", "he", "--seed", "1")
    try:
        term.expect("אידיוטים")
        term.send("היית צריך לבדוק את הנתב. תירגע.")
        term.expect("לקוח:")
        term.send("/quit")
        out = term.expect("ציון כולל")
        term.expect("הישארו רגועים ומקצועיים")
    finally:
        code = term.close()
    assert code == 0
    assert "הופסק" in out or "הסלמה" in out


def test_list_and_errors() -> None:
    out = io.StringIO()
    assert train_main(["--lang", "pl"], stdout=out) == 0
    listing = out.getvalue()
    assert "spozniona-paczka" in listing and "samookaleczenie-dlug" in listing
    out = io.StringIO()
    assert train_main(["no-such-scenario"], stdout=out) == 2
    assert train_main(["--lang", "xx"], stdout=io.StringIO()) == 2


def test_scripted_stdin_replays_with_the_same_seed() -> None:
    replies = "I'm sorry. What is the parcel for?\n\nYou should have checked. Calm down.\n"
    runs = []
    for _ in range(2):
        out = io.StringIO()
        assert (
            train_main(["late-delivery", "--seed", "42"], stdin=io.StringIO(replies), stdout=out)
            == 0
        )
        runs.append(out.getvalue())
    assert runs[0] == runs[1]
    assert "Overall score" in runs[0]
