"""Check the format of the synthetic support corpus (scripts/data/support_corpus/<lang>.tsv).

The corpus holds client messages to a support desk written by the calmdesk developers; it is a
training source of scripts/train_models.py (see docs/decisions/0014-synthetic-support-corpus.md).
Each line is ``text<TAB>emotions<TAB>sentiment<TAB>complaint``; emotions is ``-`` or
``;``-separated names of the eight emotions; a line with none of the five negative emotions must
not be negative; complaint is ``complaint`` or ``-``.  A file may leave out the complaint column
altogether (every line then has three columns and ``CorpusLine.complaint`` is None).

A complaint reports or clearly implies that something the client expected from the organisation
did not happen or went wrong: a fault, a delay, a wrong or double charge, a broken promise, a
mistake in a document, unhelpful staff, a runaround - said calmly ("The invoice shows 120 instead
of the 100 we agreed."), angrily, ironically, or as a question that implies a failure.  Not a
complaint: questions and requests where nothing went wrong, thanks, plain statements and
confirmations, follow-ups that only ask for news, the client's own mishap ("I lost my card"),
worry or grief the organisation did not cause, hypothetical questions.

The hostility corpus (scripts/data/hostility_corpus/<lang>.tsv, same ADR) holds messages to
support and public comments, also written by us, each ``text<TAB>hostile`` or ``text<TAB>-``:
training rows for the hostility head in the languages that have little or no open data for it.

    .venv/bin/python scripts/check_support_corpus.py [FILE ...]

With no file, checks every file of both corpora (a file in a ``hostility_corpus`` folder is read
as a hostility file).  Exit status 1 when any line is wrong.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _splits import held_back  # noqa: E402
from calmdesk.analysis._types import EMOTIONS  # noqa: E402

CORPUS_DIR = ROOT / "scripts" / "data" / "support_corpus"
HOSTILITY_DIR = ROOT / "scripts" / "data" / "hostility_corpus"
NEGATIVE = frozenset(EMOTIONS) - {"confusion", "gratitude", "joy"}
SENTIMENTS = ("negative", "neutral", "positive")
T = TypeVar("T")


@dataclass(frozen=True)
class CorpusLine:
    text: str
    emotions: frozenset[str]
    sentiment: str
    dev: bool  # in the held-back fifth (never trained on; "corpus dev" in evaluate.py)
    complaint: bool | None = None  # None: the file has no complaint column

    @property
    def upset(self) -> bool:
        return bool(self.emotions & NEGATIVE)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped tab-separated columns) of every line that is not a comment."""
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.strip() and not raw.startswith("#"):
            yield n, [p.strip() for p in raw.split("\t")]


def _duplicate(seen: dict[str, int], text: str, n: int) -> str | None:
    """The error for a text already seen (case and spaces ignored), None for a new one."""
    key = " ".join(text.casefold().split())
    first = seen.setdefault(key, n)
    return f"duplicate of line {first}" if first != n else None


def parse(path: Path) -> tuple[list[CorpusLine], list[str]]:
    """Return the lines of one corpus file and the list of errors (empty when it is valid)."""
    out: list[CorpusLine] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    width = 0  # columns of the first line; every line of a file has the same
    for n, parts in _rows(path):
        width = width or len(parts)
        if len(parts) not in (3, 4) or len(parts) != width:
            errors.append(
                f"{path.name}:{n}: expected {width if width in (3, 4) else '3 or 4'} "
                f"tab-separated columns, got {len(parts)}"
            )
            continue
        text, emo, sent = parts[:3]
        complaint = None if len(parts) == 3 else parts[3] == "complaint"
        if len(parts) == 4 and parts[3] not in ("complaint", "-"):
            errors.append(f"{path.name}:{n}: complaint must be 'complaint' or '-': {parts[3]!r}")
        names = frozenset() if emo == "-" else frozenset(e.strip() for e in emo.split(";"))
        bad = names - set(EMOTIONS)
        if not text:
            errors.append(f"{path.name}:{n}: empty text")
        if bad or (emo != "-" and not names):
            errors.append(f"{path.name}:{n}: unknown emotion(s) {sorted(bad) or emo!r}")
        if sent not in SENTIMENTS:
            errors.append(f"{path.name}:{n}: sentiment must be one of {SENTIMENTS}: {sent!r}")
        line = CorpusLine(text, names, sent, held_back(f"support-{path.stem}-{text}"), complaint)
        if not line.upset and sent == "negative":
            errors.append(f"{path.name}:{n}: negative sentiment without a negative emotion")
        if line.upset and sent == "positive":
            errors.append(f"{path.name}:{n}: positive sentiment with a negative emotion")
        if dup := _duplicate(seen, text, n):
            errors.append(f"{path.name}:{n}: {dup}")
        out.append(line)
    return out, errors


def _valid(parsed: tuple[list[T], list[str]]) -> list[T]:
    """The lines of a parse; ValueError listing every bad line if any is wrong."""
    lines, errors = parsed
    if errors:
        raise ValueError("\n".join(errors))
    return lines


def read_corpus(path: Path) -> list[CorpusLine]:
    """The lines of one corpus file; ValueError listing every bad line if any is wrong."""
    return _valid(parse(path))


@dataclass(frozen=True)
class HostilityLine:
    text: str
    hostile: bool
    dev: bool  # held back like the support corpus's fifth (never trained on)


def parse_hostility(path: Path) -> tuple[list[HostilityLine], list[str]]:
    """Return the lines of one hostility-corpus file and the list of errors."""
    out: list[HostilityLine] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, parts in _rows(path):
        if len(parts) != 2 or not parts[0] or parts[1] not in ("hostile", "-"):
            errors.append(f"{path.name}:{n}: expected text<TAB>hostile or text<TAB>-: {parts!r}")
            continue
        text = parts[0]
        if dup := _duplicate(seen, text, n):
            errors.append(f"{path.name}:{n}: {dup}")
        out.append(
            HostilityLine(text, parts[1] == "hostile", held_back(f"hostility-{path.stem}-{text}"))
        )
    return out, errors


def read_hostility(path: Path) -> list[HostilityLine]:
    """The lines of one hostility-corpus file; ValueError listing every bad line if any is wrong."""
    return _valid(parse_hostility(path))


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [
        *sorted(CORPUS_DIR.glob("*.tsv")),
        *sorted(HOSTILITY_DIR.glob("*.tsv")),
    ]
    status = 0
    for path in files:
        if path.resolve().parent.name == HOSTILITY_DIR.name:
            hlines, errors = parse_hostility(path)
            for e in errors:
                print(e)
            status |= bool(errors)
            hostile = sum(ln.hostile for ln in hlines)
            print(
                f"{path.name}: {len(hlines)} lines, {hostile} hostile, {len(hlines) - hostile} not"
            )
            continue
        lines, errors = parse(path)
        for e in errors:
            print(e)
        status |= bool(errors)
        counts = Counter(e for ln in lines for e in ln.emotions)
        upset = sum(ln.upset for ln in lines)
        complaints = sum(bool(ln.complaint) for ln in lines)
        print(
            f"{path.name}: {len(lines)} lines, {len(lines) - upset} calm, {upset} upset, "
            f"{complaints} complaint; "
            + ", ".join(f"{e} {counts[e]}" for e in EMOTIONS)
            + ("" if not errors else f"; {len(errors)} error(s)")
        )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
