"""The coach's matching view of a text, built on the engine's normaliser (``_text``).

Patterns match a *matching view*: ``_text.normalize`` (NFKC, case-folded, Hebrew points removed)
with Serbian Cyrillic written in Latin so one pattern covers both scripts.  ``view.span(s, e)``
maps a match back to the original text.  Views are cached: the coach looks at the same client
message and history many times while an agent types.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._text import Normalized, normalize
from ._text import sentences as _sentences

__all__ = ["Normalized", "match_view", "sentences", "words"]


@lru_cache(maxsize=512)
def match_view(text: str, lang: str) -> Normalized:
    """The matching view of *text* for pack *lang* (``en``, ``pl``, ``sr``, ``he``)."""
    return normalize(text, translit=lang == "sr")


@lru_cache(maxsize=512)
def _sentences_cached(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(_sentences(text))


def sentences(text: str) -> list[tuple[int, int]]:
    """``_text.sentences``, cached: the coach splits the same texts several times."""
    return list(_sentences_cached(text))


_WORD = re.compile(r"\w+(?:['’\"״׳\-]\w+)*")


def words(text: str) -> list[str]:
    """Word tokens of *text*, as ``_text.tokenize`` finds them (strings only, for speed)."""
    return _WORD.findall(text)
