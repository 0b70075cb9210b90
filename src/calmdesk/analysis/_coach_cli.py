"""``calmdesk coach``: review a draft reply from the command line.

    calmdesk coach [DRAFT_FILE|-] [--client FILE] [--lang xx] [--ui-lang xx]
                   [--format text|json] [--tz ZONE] [--now ISO-8601]

Prints the draft with each finding marked ``⟦…⟧¹``, then every finding with its why, its
suggestions and its principle page, then the scores and the promises with their due times.
Exit status: 0 = reviewed, 2 = bad input (unreadable file, unknown language, bad time).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._coach_types import ReplyReview
from .coach import UI_LANGS, review_reply

__all__ = ["coach_main", "render_text"]

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _read(path: str, stdin: TextIO) -> str:
    if path == "-":
        return stdin.read()
    return Path(path).read_text(encoding="utf-8")


def render_text(draft: str, review: ReplyReview) -> str:
    """The human-readable report: marked draft, findings, scores, promises."""
    marks: list[tuple[int, str]] = []
    for i, f in enumerate(review.findings, 1):
        tag = str(i).translate(_SUP)
        if f.span.start == f.span.end:
            marks.append((f.span.start, f"⟦+⟧{tag}"))
        else:
            marks.append((f.span.end, f"⟧{tag}"))
            marks.append((f.span.start, "⟦"))
    marked = draft
    for pos, text in sorted(marks, key=lambda m: m[0], reverse=True):
        marked = marked[:pos] + text + marked[pos:]
    out = [marked.rstrip(), "", review.overall, ""]
    for i, f in enumerate(review.findings, 1):
        out.append(f"{i}. [{f.level}] {f.rule_id} (principle {f.principle}: {f.principle_slug})")
        out.append(f"   {f.message}")
        out.append(f"   why: {f.why}")
        for s in f.suggestions:
            if s.text.strip():
                out.append(f"   {'insert' if s.kind == 'insert' else 'try'}: {s.text.strip()}")
        out.append(f"   see: {f.link}")
    out.append("")
    out.append("scores (0.5 = threshold):")
    for key, score in review.scores.items():
        ev = "; ".join(score.evidence[:3])
        out.append(f"  {key:28} {score.value:.2f}  {ev}")
    out.append("")
    if review.commitments:
        out.append("promises:")
        for c in review.commitments:
            when = c.due_at.isoformat(timespec="minutes") if c.due_at else "no time given"
            vague = " (vague)" if c.vague else ""
            out.append(f"  {c.action:8} {when}{vague}  “{c.span.text.strip()}”")
    else:
        out.append("promises: none")
    return "\n".join(out) + "\n"


def coach_main(argv: list[str], *, stdin: TextIO | None = None, stdout: TextIO | None = None,
               stderr: TextIO | None = None) -> int:  # fmt: skip
    """Entry point of ``calmdesk coach`` (see the module docstring)."""
    sin, sout, serr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    ap = argparse.ArgumentParser(prog="calmdesk coach", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("draft", nargs="?", default="-", help="draft file, or - for standard input")
    ap.add_argument("--client", help="file with the client's message the draft answers")
    ap.add_argument("--lang", help="language of the draft: en, pl, sr, he (default: detect)")
    ap.add_argument("--ui-lang", default="en", help=f"language of messages: {', '.join(UI_LANGS)}")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--tz", default="UTC", help="time zone of due times (default UTC)")
    ap.add_argument("--now", help="read promises against this time (ISO 8601; default now)")
    a = ap.parse_args(argv)
    try:
        zone = ZoneInfo(a.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"calmdesk coach: unknown time zone {a.tz!r}", file=serr)
        return 2
    try:
        now = datetime.fromisoformat(a.now) if a.now else datetime.now(zone)
    except ValueError:
        print(f"calmdesk coach: --now is not an ISO 8601 time: {a.now!r}", file=serr)
        return 2
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone)
    try:
        draft = _read(a.draft, sin)
        client = _read(a.client, sin) if a.client else None
    except (OSError, UnicodeDecodeError) as exc:
        print(f"calmdesk coach: cannot read input: {exc}", file=serr)
        return 2
    try:
        review = review_reply(draft, lang=a.lang, client_message=client, ui_lang=a.ui_lang,
                              now=now, tz=a.tz)  # fmt: skip
    except ValueError as exc:
        print(f"calmdesk coach: {exc}", file=serr)
        return 2
    if a.format == "json":
        sout.write(json.dumps(review.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sout.write(render_text(draft, review))
    return 0
