"""Start and stop a throwaway PostgreSQL cluster with Debian's ``initdb``/``pg_ctl``.

Used by the test suite (``pytest --db=postgres``) and by benchmarks.  The cluster lives in a
temporary folder, listens only on 127.0.0.1 at a free port, trusts local connections and is
removed when stopped.  Running as root is supported: the cluster is then owned by the
``postgres`` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEARCH_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (Debian package ``postgresql``)."""


def find_pg_bin(name: str) -> str:
    for folder in SEARCH_DIRS:
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise PostgresUnavailable(
        f"{name} not found: install PostgreSQL's server (apt-get install postgresql)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    user: str
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def _cmd(self, argv: list[str]) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *argv]
        return argv

    def psql(self, sql: str, db: str = "postgres") -> str:
        argv = [
            find_pg_bin("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            db,
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        ]
        out = subprocess.run(argv, check=True, capture_output=True, text=True)
        return out.stdout

    def stop(self) -> None:
        pg_ctl = find_pg_bin("pg_ctl")
        subprocess.run(
            self._cmd([pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    initdb = find_pg_bin("initdb")
    pg_ctl = find_pg_bin("pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="calmdesk-pg-"))
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError as exc:  # pragma: no cover - Debian's package creates the user
            raise PostgresUnavailable("running as root but no 'postgres' system user") from exc
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        run_as = "postgres"
    user = "calmdesk"
    port = free_port()
    cluster = Cluster(folder=folder, port=port, user=user, run_as=run_as)
    data = folder / "data"
    subprocess.run(
        cluster._cmd(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    opts = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
    )
    subprocess.run(
        cluster._cmd(
            [
                pg_ctl,
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.psql("SELECT 1")
            break
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                cluster.stop()
                raise
            time.sleep(0.2)
    return cluster


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
