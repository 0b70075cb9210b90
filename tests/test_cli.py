"""The `calmdesk` command as a user runs it: real processes, real exit codes, one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CALMDESK = [sys.executable, "-m", "calmdesk.cli"]


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 60):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [*CALMDESK, *args], capture_output=True, text=True, env=full_env, timeout=timeout
    )


@pytest.mark.parametrize(
    "command",
    ["demo", "serve", "worker", "tick", "poll-mail", "migrate", "createuser", "verify-log"],
)
def test_every_subcommand_has_help(command: str) -> None:
    result = run([command, "--help"])
    assert result.returncode == 0, result.stderr
    assert "usage: calmdesk" in result.stdout


def test_top_level_help_lists_commands() -> None:
    result = run(["--help"])
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "migrate", "createuser", "verify-log", "manage"):
        assert command in result.stdout


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run(["demo", "--port", str(port), "--data-dir", str(tmp_path)])
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"postgresql://nobody@127.0.0.1:{closed_port}/calmdesk"
    result = run(["migrate", "--data-dir", str(tmp_path)], env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "database not reachable (postgresql at 127.0.0.1)" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_database_url_is_a_configuration_error(tmp_path: Path) -> None:
    result = run(
        ["migrate", "--data-dir", str(tmp_path)], env={"DATABASE_URL": "mysql://x@host/db"}
    )
    assert result.returncode == 1
    assert "configuration error: DATABASE_URL must start with postgres://" in result.stderr


def test_createuser_unknown_organization(tmp_path: Path) -> None:
    assert run(["migrate", "--data-dir", str(tmp_path)]).returncode == 0
    result = run(
        [
            "createuser",
            "ana",
            "--organization",
            "nope",
            "--password",
            "x" * 12,
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert result.returncode == 1
    assert "no organization 'nope'" in result.stderr


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    assert run(["migrate", "--data-dir", str(tmp_path)]).returncode == 0
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    assert run(["migrate", "--data-dir", str(tmp_path)]).returncode == 0
    assert key_file.read_text() == first
    assert (tmp_path / "calmdesk.sqlite3").exists()


@pytest.mark.django_db
def test_createuser_gives_the_role_in_the_team(capsys: pytest.CaptureFixture[str]) -> None:
    from calmdesk.cli import main
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
    from calmdesk.desk.models import Membership

    org = do_create_organization(name="Town Hall")
    team = do_create_team(None, org, name="Permits")
    code = main(
        [
            "createuser", "milica", "--organization", org.slug, "--team", team.slug,
            "--role", "supervisor", "--language", "sr-latn", "--password", "ne-zaboravi-42",
        ]
    )  # fmt: skip
    assert code == 0
    assert f"created user milica as supervisor in {team.slug}" in capsys.readouterr().out
    membership = Membership.objects.get(user__username="milica")
    assert membership.team == team and membership.role == "supervisor"
    assert membership.user.check_password("ne-zaboravi-42")
    assert membership.user.preferred_language == "sr-latn"
    # the same name twice is refused with a clear message, not a traceback
    again = main(["createuser", "milica", "--organization", org.slug, "--password", "x" * 14])
    assert again == 1
    assert "milica" in capsys.readouterr().err
