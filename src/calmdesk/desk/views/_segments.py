"""Split a text into plain and marked segments on the server, so templates can mark evidence
words and coach findings while every character is still escaped by the template engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class Segment:
    text: str
    keys: tuple[str, ...] = ()  # the marks covering this segment (empty: plain text)

    @property
    def marked(self) -> bool:
        return bool(self.keys)

    @property
    def key_list(self) -> str:
        return " ".join(self.keys)


def split_segments(text: str, marks: Iterable[tuple[int, int, str]]) -> list[Segment]:
    """``marks``: (start, end, key) with Python string offsets into ``text``; overlapping marks
    are allowed (a segment then carries several keys), empty or out-of-range ones are skipped.
    Joining the segments' texts gives back ``text`` exactly."""
    size = len(text)
    spans = [(s, e, k) for s, e, k in marks if 0 <= s < e <= size]
    if not spans:
        return [Segment(text)] if text else []
    cuts = sorted({0, size, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out: list[Segment] = []
    for start, end in pairwise(cuts):
        if start == end:
            continue
        keys = tuple(dict.fromkeys(k for s, e, k in spans if s <= start and end <= e))
        if out and out[-1].keys == keys:
            out[-1] = Segment(out[-1].text + text[start:end], keys)
        else:
            out.append(Segment(text[start:end], keys))
    return out
