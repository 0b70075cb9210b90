"""`calmdesk demo` end to end: two instances side by side, login page served, logins printed,
Ctrl-C stops web server and worker; `calmdesk verify-log` on the demo data and after tampering."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

CALMDESK = [sys.executable, "-m", "calmdesk.cli"]
STARTUP_LIMIT_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CALMDESK_DATA_DIR"}}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Demo:
    def __init__(self, port: int, data_dir: Path) -> None:
        self.port = port
        self.data_dir = data_dir
        self.lines: list[str] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [*CALMDESK, "demo", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean_env(),
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self) -> float:
        while time.monotonic() - self.started < STARTUP_LIMIT_S + 120:
            if any("calmdesk is running at" in line for line in self.lines):
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError("demo did not start:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise


def fetch(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.geturl(), response.read().decode("utf-8")


@pytest.fixture
def demo_pair(tmp_path: Path):
    first = Demo(free_port(), tmp_path / "one")
    second = Demo(free_port(), tmp_path / "two")
    yield first, second
    for demo in (first, second):
        if demo.proc.poll() is None:
            demo.stop()


@pytest.mark.slow
def test_two_demos_side_by_side_serve_login_and_stop_cleanly(demo_pair) -> None:
    first, second = demo_pair
    for demo in (first, second):
        demo.wait_ready()
        status, final_url, body = fetch(f"http://127.0.0.1:{demo.port}/")
        assert status == 200
        assert final_url.startswith(f"http://127.0.0.1:{demo.port}/")
        assert 'type="password"' in body
        assert 'name="csrfmiddlewaretoken"' in body
        printed = "\n".join(demo.lines)
        assert "demo logins" in printed
        # one printed login per role at least
        for role in ("agent", "supervisor", "mentor", "admin"):
            assert re.search(rf"^\s+\S+\s+\S+\s+{role}\b", printed, re.MULTILINE), printed
        # the static CSS is served in production mode (whitenoise)
        css = re.search(r'href="(/static/[^"]+\.css)"', body)
        assert css, "the login page links a stylesheet"
        assert fetch(f"http://127.0.0.1:{demo.port}{css.group(1)}")[0] == 200
    assert (first.data_dir / "calmdesk.sqlite3").exists()
    assert (second.data_dir / "calmdesk.sqlite3").exists()
    for demo in (first, second):
        assert demo.stop() == 0
        with pytest.raises(OSError):
            fetch(f"http://127.0.0.1:{demo.port}/")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_ctrl_c_to_the_demo_alone_while_the_server_loads_stops_every_child(
    tmp_path: Path,
) -> None:
    """A Ctrl-C that reaches only the demo process (a supervisor's SIGINT, not the terminal's
    process group) before the web server answers: exit 0 and no child left behind. It used to
    raise KeyboardInterrupt out of the wait (exit 130) with gunicorn, the worker and the sweeper
    still running."""
    demo = Demo(free_port(), tmp_path)
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S + 120
        while not any("outgoing emails are written to" in line for line in demo.lines):
            assert demo.proc.poll() is None, "\n".join(demo.lines[-40:])
            assert time.monotonic() < deadline, "\n".join(demo.lines[-40:])
            time.sleep(0.05)
        time.sleep(1.0)  # the children are started; gunicorn has not loaded the app yet
        assert not any("calmdesk is running at" in line for line in demo.lines)
        os.kill(demo.proc.pid, signal.SIGINT)
        assert demo.proc.wait(timeout=60) == 0, "\n".join(demo.lines[-40:])
        gone_by = time.monotonic() + 20
        while group_alive(demo.proc.pid) and time.monotonic() < gone_by:
            time.sleep(0.2)
        assert not group_alive(demo.proc.pid), "a child of the demo outlived it"
        with pytest.raises(OSError):
            fetch(f"http://127.0.0.1:{demo.port}/")
    finally:
        if group_alive(demo.proc.pid):
            os.killpg(demo.proc.pid, signal.SIGKILL)


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALMDESK, *args], capture_output=True, text=True, env=clean_env(), timeout=300
    )


@pytest.mark.slow
def test_verify_log_on_demo_data_then_after_tampering(tmp_path: Path) -> None:
    demo = Demo(free_port(), tmp_path)
    try:
        demo.wait_ready()
    finally:
        assert demo.stop() == 0
    ok = run_cli(["verify-log", "--data-dir", str(tmp_path)])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "every chain is intact" in ok.stdout

    db = tmp_path / "calmdesk.sqlite3"
    # Straight to the database with the sqlite3 CLI: the triggers refuse.
    for sql in (
        "UPDATE desk_interaction SET text = 'rewritten' WHERE id = 5;",
        "DELETE FROM desk_interaction WHERE id = 5;",
    ):
        refused = subprocess.run(["sqlite3", str(db), sql], capture_output=True, text=True)
        assert refused.returncode != 0, sql
        assert "append-only" in (refused.stderr + refused.stdout).lower()

    # Drop the triggers (what an attacker with file access could do) and change one row.
    con = sqlite3.connect(db)
    triggers = [
        name
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='desk_interaction'"
        )
    ]
    assert triggers, "append-only triggers exist on desk_interaction"
    for name in triggers:
        con.execute(f'DROP TRIGGER "{name}"')
    case_id, seq = con.execute("SELECT case_id, seq FROM desk_interaction WHERE id = 5").fetchone()
    con.execute("UPDATE desk_interaction SET text = text || ' (edited)' WHERE id = 5")
    con.commit()
    con.close()

    broken = run_cli(["verify-log", "--data-dir", str(tmp_path)])
    assert broken.returncode == 1
    report = broken.stdout
    assert "BROKEN" in report
    assert str(case_id) in report and str(seq) in report, report
