"""``calmdesk import FILE``: the command-line side of the history import (docs/import.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from calmdesk.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError

EXIT_PARTIAL = 3  # the run finished, but some records failed (listed in the summary)
SHOW_FAILURES = 50


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the file to import")
    p.add_argument(
        "--format",
        choices=["csv", "jsonl", "zendesk"],
        help="file format (default: .csv is csv; JSON is told by its first object)",
    )
    p.add_argument("--org", required=True, metavar="SLUG", help="the organization to import into")
    p.add_argument(
        "--team", metavar="SLUG", help="team for new clients and cases (needed if several)"
    )
    p.add_argument(
        "--source",
        default="",
        help="name of the system the file comes from, part of every record's key "
        "(default: the format name)",
    )
    p.add_argument(
        "--author",
        metavar="USERNAME",
        help="user to credit for notes and replies whose author is not a known user",
    )
    p.add_argument(
        "--alert-days",
        type=int,
        default=14,
        metavar="N",
        help="a crisis message from the last N days alerts like a live one; older ones are "
        "flagged 'found in history' (default 14)",
    )
    p.add_argument("--timezone", default="UTC", help="zone of times given without one")
    p.add_argument("--batch", type=int, default=200, help="records per transaction")
    p.add_argument(
        "--dry-run", action="store_true", help="read and check everything, change nothing"
    )
    p.add_argument("--no-analysis", action="store_true", help="skip the batch analysis")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    from calmdesk.desk.models import Organization, Team, User
    from calmdesk.imports.formats import RecordError, detect_format
    from calmdesk.imports.importer import ImportAborted, run_import
    from calmdesk.imports.progress import ProgressBar

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    if args.batch < 1 or args.alert_days < 0:
        raise CliError("--batch must be at least 1 and --alert-days at least 0", EXIT_USAGE)
    org = Organization.objects.filter(slug=args.org).first()
    if org is None:
        known = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none yet"
        raise CliError(f"no organization {args.org!r} (known: {known})")
    teams = Team.objects.filter(organization=org)
    if args.team:
        team = teams.filter(slug=args.team).first()
        if team is None:
            known = ", ".join(teams.values_list("slug", flat=True)) or "none"
            raise CliError(f"no team {args.team!r} in {org.slug} (known: {known})")
    else:
        if teams.count() != 1:
            known = ", ".join(teams.values_list("slug", flat=True)) or "none"
            raise CliError(f"{org.slug} has {teams.count()} teams: pass --team (known: {known})")
        team = teams.get()
    author = None
    if args.author:
        author = User.objects.filter(organization=org, username=args.author).first()
        if author is None:
            raise CliError(f"no user {args.author!r} in {org.slug}")
    try:
        fmt = args.format or detect_format(path)
    except (RecordError, OSError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    bar = ProgressBar(f"import {path.name}", err)
    try:
        result = run_import(
            path,
            organization=org,
            team=team,
            file_format=fmt,
            source=args.source,
            dry_run=args.dry_run,
            batch=args.batch,
            alert_days=args.alert_days,
            author=author,
            time_zone=args.timezone,
            progress=bar,
        )
    except RecordError as exc:
        bar.close()
        raise CliError(str(exc)) from exc
    except ImportAborted as exc:
        bar.close()
        where = f" after {exc.run.position} of {exc.run.total} items" if exc.run else ""
        raise CliError(
            f"import stopped{where}: {exc}; run the same command again to continue"
        ) from exc
    bar.close()
    print_summary(result, path, org.slug, out)
    if not args.dry_run and not args.no_analysis:
        analyse(org.pk, out, err)
    return EXIT_PARTIAL if result.failed else EXIT_OK


def print_summary(result: object, path: Path, org: str, out: TextIO) -> None:
    from calmdesk.imports.importer import Result

    assert isinstance(result, Result)
    head = "dry run (nothing was changed)" if result.dry_run else "import"
    print(
        f"{head}: {path.name} ({result.file_format}, source {result.source!r}) into {org}", file=out
    )
    resumed = f", resumed after {result.resumed_at}" if result.resumed_at else ""
    print(f"  items in the file: {result.total}{resumed}", file=out)
    i = result.imported
    print(
        f"  imported: {result.imported_total} (clients {i['client']}, cases {i['case']}, "
        f"messages {i['message']})",
        file=out,
    )
    print(f"  skipped as duplicates: {result.duplicates}", file=out)
    if result.skipped:
        print(f"  skipped: {result.skipped_total}", file=out)
        for reason, count in sorted(result.skipped.items()):
            print(f"    {count} x {reason}", file=out)
    print(f"  failed: {result.failed}", file=out)
    for failure in result.failures[:SHOW_FAILURES]:
        key = f" {failure.key}" if failure.key else ""
        print(f"    line {failure.line}{key}: {failure.reason}", file=out)
    if result.failed > SHOW_FAILURES:
        print(f"    … and {result.failed - SHOW_FAILURES} more (Admin → Import runs)", file=out)
    print(
        f"  crisis signals: {result.crisis_alerted} alerted (recent messages), "
        f"{result.crisis_history} found in history (flagged, no alert)",
        file=out,
    )


def analyse(org_id: int, out: TextIO, err: TextIO) -> None:
    """The batch analysis of the imported history (it feeds the reports)."""
    from calmdesk.imports.progress import ProgressBar

    try:
        from calmdesk.reports.signals import analyze_pending
    except ImportError:
        print("analysis: not available in this version (calmdesk.reports.signals)", file=out)
        return
    bar = ProgressBar("analyse", err)
    try:
        count = analyze_pending(org_id, progress=bar)
    finally:
        bar.close()
    print(f"analysis: {count} message(s) analysed", file=out)


__all__ = ["EXIT_FAILURE", "EXIT_PARTIAL", "add_arguments", "run"]
