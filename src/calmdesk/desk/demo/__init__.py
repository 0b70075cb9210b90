"""Demo data: one organisation, its teams and users, and difficult cases in en, pl, sr, he.

The data lives in ``data/*.yaml`` (written by the calmdesk developers, synthetic).  Times in
the files are relative to "now", so the demo always looks current.  The loader writes only
through the ``do_*`` actions, so the hash chains and the audit log are the real thing.

    from calmdesk.desk.demo import load_demo, demo_logins
    summary = load_demo()          # does nothing if the database already has an organization
    for login in demo_logins(): ...

DEMO ONLY: every demo user shares one published password (see ``data/org.yaml``).
"""

from calmdesk.desk.demo._loader import (
    DemoDataError,
    DemoLogin,
    DemoSummary,
    LanguageFigures,
    demo_logins,
    load_demo,
)

__all__ = [
    "DemoDataError",
    "DemoLogin",
    "DemoSummary",
    "LanguageFigures",
    "demo_logins",
    "load_demo",
]
