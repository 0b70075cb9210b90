"""Training tests reuse the desk's small world (tests/desk/conftest.py)."""

from tests.desk.conftest import _fast_and_isolated, flushable_logs, world  # noqa: F401
