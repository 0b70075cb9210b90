"""docs/deploy.md followed once from scratch: scripts/deploy_drill.py must pass.

The drill starts its own throwaway PostgreSQL cluster, gunicorn with 2 web processes and 2
task workers as real processes, posts raw MIME to the inbound endpoint, reads the result
through the API, backs up with pg_dump, restores into a new database and runs verify-log on
it (see the script's docstring for every step).  It runs in the PostgreSQL suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(1200)]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy_drill.py"


def test_the_deploy_documentation_works_from_scratch():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=1100
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    lines = done.stdout.splitlines()
    for number in range(1, 11):
        assert any(line.startswith(f"drill: {number}. ") for line in lines), number
    assert "drill: done: every step passed" in lines
