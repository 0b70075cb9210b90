"""Rewrite a pack lexicon with ``a|b`` alternatives, without changing what it matches.

    .venv/bin/python scripts/compact_lexicon.py src/calmdesk/analysis/lang/pl/lexicons/crisis.tsv
    .venv/bin/python scripts/compact_lexicon.py --check FILE...   # exit 1 if a file would change

Lines that differ in one token only (same category and weight, same section - the run of lines
between two comment lines; a wildcard ``_`` is never merged with words) become one line listing
that token's alternatives
(``zabiję cię`` + ``zabiję was`` -> ``zabiję cię|was``), again and again until nothing merges.
Comment lines and the order of sections stay; each merged line takes the place of the first of
its lines.  The patterns the file stands for (every combination of every line's alternatives,
see ``calmdesk.analysis._rules``) are the same before and after: the script checks it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from itertools import product
from pathlib import Path

Slots = tuple[frozenset[str], ...]
Key = tuple[str, str]  # category, weight as written


def expand(pattern: str) -> set[tuple[str, ...]]:
    """Every token sequence a pattern of the lexicon format stands for."""
    return set(product(*(t.split("|") for t in pattern.casefold().split())))


def merge(lines: list[tuple[Slots, Key]]) -> list[tuple[Slots, Key]]:
    """Merge lines that differ in one slot only, per (category, weight), until none do."""
    changed = True
    while changed:
        changed = False
        width = max((len(s) for s, _ in lines), default=0)
        for i in range(width):
            groups: dict[tuple[Key, int, Slots], list[int]] = {}
            for n, (slots, key) in enumerate(lines):
                if i < len(slots):
                    rest = slots[:i] + slots[i + 1 :]
                    groups.setdefault((key, len(slots), rest), []).append(n)
            drop: set[int] = set()
            for (key, _, _), members in groups.items():
                # "_" (any one token) is never one alternative among others.
                members = [m for m in members if lines[m][0][i] != frozenset(["_"])]
                if len(members) < 2:
                    continue
                first = members[0]
                slots = lines[first][0]
                union = frozenset().union(*(lines[m][0][i] for m in members))
                lines[first] = ((*slots[:i], union, *slots[i + 1 :]), key)
                drop.update(members[1:])
                changed = True
            lines = [ln for n, ln in enumerate(lines) if n not in drop]
    return lines


def _render(slots: Slots, key: Key) -> str:
    pattern = " ".join("|".join(sorted(s)) for s in slots)
    return f"{pattern}\t{key[0]}\t{key[1]}"


def compact(text: str) -> str:
    out: list[str] = []
    section: list[tuple[Slots, Key]] = []

    def flush() -> None:
        concrete: dict[tuple[tuple[str, ...], Key], None] = {}
        for slots, key in section:
            for p in product(*slots):
                concrete.setdefault((p, key), None)
        merged = merge([(tuple(frozenset([t]) for t in p), key) for p, key in concrete])
        out.extend(_render(s, k) for s, k in merged)
        section.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            flush()
            out.append(raw)
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise SystemExit(f"compact_lexicon: expected pattern<TAB>category<TAB>weight: {raw!r}")
        tokens = parts[0].casefold().split()
        section.append((tuple(frozenset(t.split("|")) for t in tokens), (parts[1], parts[2])))
    flush()
    return "\n".join(out) + "\n"


def meaning(text: str) -> set[tuple[tuple[str, ...], str, float]]:
    """What a lexicon file matches: (tokens, category, weight) for every combination."""
    got: set[tuple[tuple[str, ...], str, float]] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            pattern, category, weight = line.split("\t")[:3]
            got.update((p, category, float(weight)) for p in expand(pattern))
    return got


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="only say which files would change")
    a = ap.parse_args(list(argv) if argv is not None else None)
    status = 0
    for path in a.files:
        before = path.read_text(encoding="utf-8")
        after = compact(before)
        if meaning(after) != meaning(before):
            raise SystemExit(f"compact_lexicon: {path}: the compacted file would match otherwise")
        n0 = sum(1 for ln in before.splitlines() if ln.strip() and not ln.startswith("#"))
        n1 = sum(1 for ln in after.splitlines() if ln.strip() and not ln.startswith("#"))
        if after == before:
            print(f"{path}: already compact ({n0} lines)")
        elif a.check:
            print(f"{path}: would go from {n0} to {n1} lines")
            status = 1
        else:
            path.write_text(after, encoding="utf-8")
            print(f"{path}: {n0} -> {n1} lines")
    return status


if __name__ == "__main__":
    sys.exit(main())
