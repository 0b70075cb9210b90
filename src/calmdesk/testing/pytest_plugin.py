"""pytest plugin: ``--db=postgres`` runs the suite against a throwaway PostgreSQL cluster.

The cluster must exist before Django reads its settings, so the plugin starts it in a
``pytest_load_initial_conftests`` wrapper (before pytest-django sets Django up) and exports
``DATABASE_URL`` for the settings module.  Outside CI a missing PostgreSQL skips the run with
one line; under ``CI=true`` it is an error, because no suite may be skipped there.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator

import pytest

from calmdesk.testing.pgcluster import PostgresUnavailable, start_cluster


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="database to run the tests on (postgres: a throwaway cluster is started)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    # Tests never write into a real user's data folder.
    os.environ.setdefault("CALMDESK_DATA_DIR", tempfile.mkdtemp(prefix="calmdesk-test-"))
    options, _ = parser.parse_known_and_unknown_args(args)
    if getattr(options, "db", "sqlite") == "postgres":
        try:
            cluster = start_cluster()
        except PostgresUnavailable as exc:
            if _in_ci():
                raise
            early_config.stash[_skip_key] = str(exc)
        else:
            os.environ["DATABASE_URL"] = cluster.url
            early_config.add_cleanup(cluster.stop)
            early_config.stash[_cluster_key] = cluster.url
    return (yield)


_skip_key = pytest.StashKey[str]()
_cluster_key = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> str:
    if _cluster_key in config.stash:
        return f"calmdesk: throwaway PostgreSQL cluster at {config.stash[_cluster_key]}"
    if _skip_key in config.stash:
        return f"calmdesk: PostgreSQL suite skipped: {config.stash[_skip_key]}"
    return "calmdesk: database SQLite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Database-specific tests are deselected (not skipped) on the other database, so that a
    # CI run, where any skip is a failure, can run both suites.
    on_postgres = config.getoption("db") == "postgres"
    unwanted = "sqlite_only" if on_postgres else "postgres"
    keep = [item for item in items if item.get_closest_marker(unwanted) is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item.get_closest_marker(unwanted) is not None]
        )
        items[:] = keep
    if _skip_key in config.stash:
        marker = pytest.mark.skip(reason=f"PostgreSQL unavailable: {config.stash[_skip_key]}")
        for item in items:
            item.add_marker(marker)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failure: a missing tool must fail the run."""
    if not _in_ci():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped:
        if reporter is not None:
            reporter.write_line(
                f"calmdesk: {skipped} test(s) skipped under CI=true; install the missing tools",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
