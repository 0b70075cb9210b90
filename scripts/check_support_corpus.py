"""Check the format of the synthetic support corpus (scripts/data/support_corpus/<lang>.tsv).

The corpus holds client messages to a support desk written by the calmdesk developers; it is a
training source of scripts/train_models.py (see docs/decisions/0014-synthetic-support-corpus.md).
Each line is ``text<TAB>emotions<TAB>sentiment``; emotions is ``-`` or ``;``-separated names of
the eight emotions; a line with none of the five negative emotions must not be negative.

    .venv/bin/python scripts/check_support_corpus.py [FILE ...]

With no file, checks every file of the corpus.  Exit status 1 when any line is wrong.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _splits import held_back  # noqa: E402
from calmdesk.analysis._types import EMOTIONS  # noqa: E402

CORPUS_DIR = ROOT / "scripts" / "data" / "support_corpus"
NEGATIVE = frozenset(EMOTIONS) - {"confusion", "gratitude", "joy"}
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class CorpusLine:
    text: str
    emotions: frozenset[str]
    sentiment: str
    dev: bool  # in the held-back fifth (never trained on; "corpus dev" in evaluate.py)

    @property
    def upset(self) -> bool:
        return bool(self.emotions & NEGATIVE)


def parse(path: Path) -> tuple[list[CorpusLine], list[str]]:
    """Return the lines of one corpus file and the list of errors (empty when it is valid)."""
    out: list[CorpusLine] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 3:
            errors.append(f"{path.name}:{n}: expected 3 tab-separated columns, got {len(parts)}")
            continue
        text, emo, sent = (p.strip() for p in parts)
        names = frozenset() if emo == "-" else frozenset(e.strip() for e in emo.split(";"))
        bad = names - set(EMOTIONS)
        if not text:
            errors.append(f"{path.name}:{n}: empty text")
        if bad or (emo != "-" and not names):
            errors.append(f"{path.name}:{n}: unknown emotion(s) {sorted(bad) or emo!r}")
        if sent not in SENTIMENTS:
            errors.append(f"{path.name}:{n}: sentiment must be one of {SENTIMENTS}: {sent!r}")
        line = CorpusLine(text, names, sent, held_back(f"support-{path.stem}-{text}"))
        if not line.upset and sent == "negative":
            errors.append(f"{path.name}:{n}: negative sentiment without a negative emotion")
        if line.upset and sent == "positive":
            errors.append(f"{path.name}:{n}: positive sentiment with a negative emotion")
        key = " ".join(text.casefold().split())
        if key in seen:
            errors.append(f"{path.name}:{n}: duplicate of line {seen[key]}")
        seen[key] = n
        out.append(line)
    return out, errors


def read_corpus(path: Path) -> list[CorpusLine]:
    """The lines of one corpus file; ValueError listing every bad line if any is wrong."""
    lines, errors = parse(path)
    if errors:
        raise ValueError("\n".join(errors))
    return lines


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(CORPUS_DIR.glob("*.tsv"))
    status = 0
    for path in files:
        lines, errors = parse(path)
        for e in errors:
            print(e)
        status |= bool(errors)
        counts = Counter(e for ln in lines for e in ln.emotions)
        upset = sum(ln.upset for ln in lines)
        print(
            f"{path.name}: {len(lines)} lines, {len(lines) - upset} calm, {upset} upset; "
            + ", ".join(f"{e} {counts[e]}" for e in EMOTIONS)
            + ("" if not errors else f"; {len(errors)} error(s)")
        )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
