"""Where calmdesk keeps its data and how it reads its configuration.

Everything here is read from the environment, so the same code serves the embedded
default (SQLite in a per-user data folder) and a scaled-out production set-up
(PostgreSQL via ``DATABASE_URL``).  See README.md, "Configuration reference".
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import platformdirs


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message says which and how to fix it."""


def data_dir() -> Path:
    """The data folder: ``CALMDESK_DATA_DIR`` or the per-user data folder of this OS user."""
    raw = os.environ.get("CALMDESK_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("calmdesk", False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path.resolve()


def secret_key(folder: Path) -> str:
    """``CALMDESK_SECRET_KEY``, else a key generated once and kept (mode 0600) in the data dir."""
    from_env = os.environ.get("CALMDESK_SECRET_KEY")
    if from_env:
        return from_env
    key_file = folder / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


@dataclass(frozen=True)
class PostgresURL:
    name: str
    user: str
    password: str
    host: str
    port: str
    options: dict[str, str]


def parse_database_url(url: str) -> PostgresURL:
    """Parse ``postgres://user:pass@host:port/name?sslmode=require`` (or ``postgresql://``)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"DATABASE_URL must start with postgres:// or postgresql:// (got {parsed.scheme!r}); "
            "leave it unset to use the embedded SQLite database."
        )
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ConfigError("DATABASE_URL names no database: add /<name> after the host.")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return PostgresURL(
        name=name,
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        host=unquote(parsed.hostname or ""),
        port=str(parsed.port or ""),
        options=query,
    )


def database_settings(folder: Path) -> dict[str, object]:
    """The ``default`` database: PostgreSQL if ``DATABASE_URL`` is set, else SQLite (WAL)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        pg = parse_database_url(url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": pg.name,
            "USER": pg.user,
            "PASSWORD": pg.password,
            "HOST": pg.host,
            "PORT": pg.port,
            "OPTIONS": pg.options,
            "CONN_MAX_AGE": int(os.environ.get("CALMDESK_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(folder / "calmdesk.sqlite3"),
        "OPTIONS": {
            # Writers queue instead of failing with "database is locked" (THREATS.md row 16).
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
