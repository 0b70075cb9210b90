"""Command-line entry points (wired into ``calmdesk`` by src/calmdesk/cli.py).

calmdesk analyze [FILE|-] [--lang xx] [--format text|json]
calmdesk analyze-batch IN.csv|IN.jsonl OUT.jsonl [--text-column text] [--lang xx]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ._types import EMOTIONS, MessageAnalysis, Span
from .message import analyze_message

__all__ = ["analyze_batch_main", "analyze_main", "render_card"]


def _q(s: Span | None) -> str:
    return "-" if s is None else f"«{s.text}»"


def _highlight(text: str, spans: list[Span], limit: int = 2000) -> str:
    marks = sorted({(s.start, s.end) for s in spans if s.end > s.start and s.end <= limit})
    out, pos = [], 0
    for a, b in marks:
        if a < pos:
            continue
        out.append(text[pos:a])
        out.append("[[" + text[a:b] + "]]")
        pos = b
    out.append(text[pos:limit])
    return "".join(out) + (" …" if len(text) > limit else "")


def render_card(text: str, a: MessageAnalysis) -> str:
    """A readable analysis card (plain text; evidence shown as [[…]] in the message)."""
    lines: list[str] = []
    lines.append(
        f"Language   {a.language} ({a.script}, confidence {a.language_confidence:.2f})"
        + ("   [long text: analysed on a bounded head and tail]" if a.truncated else "")
    )
    esc = a.escalation
    lines.append(f"Escalation {esc.level.upper()} ({esc.score:.2f}, trend {esc.trend:+.2f})")
    for r in esc.reasons:
        lines.append(
            f"   - {r.text}" + (" " + ", ".join(_q(s) for s in r.spans) if r.spans else "")
        )
    if a.crisis:
        lines.append("CRISIS     follow the organization's protocol for threats now")
        for c in a.crisis:
            lines.append(f"   ! {c.kind} ({c.severity}): {_q(c.span)}  [{c.rule}]")
    lines.append("Emotions")
    for e in EMOTIONS:
        v = a.emotions[e]
        bar = "#" * round(v * 20)
        mark = " *" if e in a.labels else ""
        ev = [x.span for x in a.evidence_for(f"emotion.{e}")][:3] if e in a.labels else []
        lines.append(
            f"   {e:15} {v:4.2f} {bar:20}{mark}"
            + (("  " + ", ".join(_q(s) for s in ev)) if ev else "")
        )
    lines.append(
        f"Sentiment  {a.sentiment.label} ({a.sentiment.score:+.2f})   "
        f"hostility {a.hostility.score:.2f}{' (present)' if a.hostility.present else ''}"
        f"   complaint {a.complaint.score:.2f}"
        f"{' (present)' if a.complaint.present else ''}   intensity {a.intensity:.2f}"
    )
    if a.root_causes:
        lines.append(
            "Root cause "
            + "; ".join(
                f"{r.code} {r.score:.2f} " + ", ".join(_q(s) for s in r.evidence[:2])
                for r in a.root_causes[:3]
            )
        )
    g = a.expectation_gap
    if g.found:
        lines.append(
            f"Expectation gap  expected {_q(g.expected)} | received {_q(g.received)}"
            f" | since {_q(g.since)} | wants {_q(g.wants)}"
        )
    for q in a.questions:
        lines.append(f"   {'?' if q.kind == 'question' else '>'} {q.kind}: {_q(q.span)}")
    lines.append("")
    lines.append(_highlight(text, [e.span for e in a.evidence]))
    return "\n".join(lines)


def analyze_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="calmdesk analyze", description="Analyse one client message.")
    ap.add_argument("file", nargs="?", default="-", help="a text file, or - for standard input")
    ap.add_argument("--lang", help="the client's language (hint): en, pl, sr, hr, bs, he")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    a = ap.parse_args(argv)
    try:
        if a.file == "-":
            text = sys.stdin.read()
        else:
            text = Path(a.file).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        print(f"calmdesk analyze: cannot read {a.file}: {exc.strerror}", file=sys.stderr)
        return 2
    res = analyze_message(text, lang=a.lang)
    if a.format == "json":
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(render_card(text, res))
    return 0


def _read_rows(path: Path, column: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        csv.field_size_limit(1 << 30)
        with open(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as f:
            for i, r in enumerate(csv.DictReader(f)):
                yield i, dict(r)
    else:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for i, line in enumerate(f):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield i, {"__error__": f"line {i + 1}: invalid JSON ({exc.msg})"}
                    continue
                yield i, obj if isinstance(obj, dict) else {column: obj}


def _count(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return max(0, sum(1 for _ in f) - (1 if path.suffix.lower() == ".csv" else 0))
    except OSError:
        return 0


def _progress(err: TextIO, done: int, total: int, t0: float) -> None:
    rate = done / max(1e-9, time.perf_counter() - t0)
    if total:
        frac = min(1.0, done / total)
        bar = "#" * int(frac * 30)
        err.write(f"\r[{bar:30}] {done}/~{total}  {rate:,.0f} msg/s")
    else:
        err.write(f"\r{done} messages  {rate:,.0f} msg/s")
    err.flush()


def analyze_batch_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="calmdesk analyze-batch", description="Analyse every message of a CSV or JSONL file."
    )
    ap.add_argument("input", type=Path, help="IN.csv or IN.jsonl")
    ap.add_argument("output", type=Path, help="OUT.jsonl (one analysis per input row)")
    ap.add_argument("--text-column", default="text")
    ap.add_argument("--lang", help="language hint for all rows (else a 'lang' column is used)")
    a = ap.parse_args(argv)
    if not a.input.exists():
        print(f"calmdesk analyze-batch: no such file: {a.input}", file=sys.stderr)
        return 2
    total = _count(a.input)
    err = sys.stderr
    t0 = time.perf_counter()
    stats: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    done = 0
    with open(a.output, "w", encoding="utf-8") as out:
        for i, r in _read_rows(a.input, a.text_column):
            rec: dict[str, Any] = {"index": i}
            if "id" in r:
                rec["id"] = r["id"]
            text = r.get(a.text_column)
            if "__error__" in r or not isinstance(text, str):
                rec["error"] = r.get("__error__") or f"no text in column {a.text_column!r}"
                stats["errors"] += 1
            else:
                hint = a.lang or (r.get("lang") if isinstance(r.get("lang"), str) else None)
                res = analyze_message(text, lang=hint)
                rec["analysis"] = res.to_dict()
                langs[res.language] += 1
                levels[res.escalation.level] += 1
                stats["crisis"] += bool(res.crisis)
                stats["truncated"] += res.truncated
                stats["analysed"] += 1
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            done += 1
            if done % 50 == 0:
                _progress(err, done, total, t0)
    _progress(err, done, total, t0)
    dt = time.perf_counter() - t0
    err.write("\n")
    print(f"{done} rows -> {a.output} in {dt:.1f}s ({done / max(dt, 1e-9):,.0f} msg/s)")
    print(
        f"analysed {stats['analysed']}, errors {stats['errors']} (kept as error records), "
        f"truncated {stats['truncated']}"
    )
    print("languages  " + ", ".join(f"{k} {v}" for k, v in langs.most_common()))
    print(
        "escalation " + ", ".join(f"{k} {levels[k]}" for k in ("low", "medium", "high", "critical"))
    )
    print(
        f"CRISIS signals in {stats['crisis']} message(s)"
        if stats["crisis"]
        else "no crisis signals"
    )
    return 0
