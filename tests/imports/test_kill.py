"""A real ``calmdesk import`` process killed with SIGKILL midway, then run again: the second
run continues after the last committed batch and the end state is exactly one copy of every
record (its own SQLite data folder, so it runs the same under --db=postgres)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CALMDESK = [sys.executable, "-m", "calmdesk.cli"]
CASES, PER_CASE = 20, 12  # 20 clients + 20 cases + 240 messages = 280 records


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["CALMDESK_DATA_DIR"] = str(data_dir)
    return env


def _run(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALMDESK, *args], capture_output=True, text=True, env=env, timeout=timeout
    )


SETUP = """
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
org = do_create_organization("North", slug="north")
do_create_team(None, org, "Alpha", slug="alpha")
"""

COUNT = """
from calmdesk.desk.models import Interaction
from calmdesk.imports.models import ImportedRecord, ImportRun
msgs = Interaction.objects.exclude(kind="system_event")
keys = list(msgs.values_list("idempotency_key", flat=True))
runs = list(ImportRun.objects.values_list("state", "position"))
print("COUNTS", msgs.count(), len(set(keys)), ImportedRecord.objects.count(), runs)
"""


@pytest.mark.timeout(600)
def test_kill_9_midway_then_resume(tmp_path):
    data_dir = tmp_path / "data"
    env = _env(data_dir)
    assert _run(["migrate", "--data-dir", str(data_dir)], env).returncode == 0
    setup = _run(["manage", "--data-dir", str(data_dir), "shell", "-c", SETUP], env)
    assert setup.returncode == 0, setup.stderr
    path = tmp_path / "bulk.jsonl"
    rows = []
    for c in range(CASES):
        rows.append({"type": "client", "id": f"k{c}", "name": f"Client {c}"})
        rows.append({"type": "case", "id": f"c{c}", "client": f"k{c}", "subject": f"Case {c}"})
        for m in range(PER_CASE):
            rows.append(
                {
                    "type": "message",
                    "id": f"m{c}-{m}",
                    "case": f"c{c}",
                    "direction": "inbound",
                    "occurred_at": f"2022-02-{1 + m:02d}T10:00:00Z",
                    "text": f"Message {m} of case {c}: the meter reading is wrong again.",
                }
            )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    total = len(rows)
    args = [
        "import",
        str(path),
        "--org",
        "north",
        "--batch",
        "10",
        "--no-analysis",
        "--data-dir",
        str(data_dir),
    ]
    proc = subprocess.Popen(
        [*CALMDESK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 240
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        done = line.rsplit(": ", 1)[-1].split("/")[0]
        if done.isdigit() and int(done) >= total * 0.3:  # a line comes after a committed batch
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    middle = _run(["manage", "--data-dir", str(data_dir), "shell", "-c", COUNT], env)
    counts = middle.stdout.split("COUNTS", 1)[1].split()
    assert 0 < int(counts[0]) < CASES * PER_CASE
    again = _run(args, env)
    assert again.returncode == 0, again.stderr
    assert "resumed after" in again.stdout
    assert f"imported: {total} (clients {CASES}, cases {CASES}, messages {CASES * PER_CASE})" in (
        again.stdout
    )
    end = _run(["manage", "--data-dir", str(data_dir), "shell", "-c", COUNT], env)
    msgs, unique, records = (int(x) for x in end.stdout.split("COUNTS", 1)[1].split()[:3])
    assert msgs == unique == CASES * PER_CASE and records == total
    assert "[('done', 280)]" in end.stdout
    verify = _run(["verify-log", "--data-dir", str(data_dir)], env)
    assert verify.returncode == 0, verify.stdout
