"""Text normalisation with an offset map back to the original, scripts, Serbian
transliteration, word tokens and sentences.

Everything the engine matches or featurises runs on a :class:`Normalized` text: NFKC,
case-folded, typographic apostrophes (’ ʼ) written as ', Hebrew points (niqqud,
cantillation) removed, zero-width and bidi controls removed, lone surrogates replaced by
U+FFFD and - when ``translit=True`` - Serbian Cyrillic written in Latin.
``Normalized.span(start, end)`` maps a span of the normalised
text back to the original string, so evidence always points at what the client wrote.

Public helpers::

    normalize(text, *, translit=False) -> Normalized
    tokenize(text) -> list[Token]            # word tokens with (start, end)
    sentences(text) -> list[tuple[int, int]] # sentence spans
    cyr_to_lat(text) -> str                  # Serbian Cyrillic -> Latin (gaj)
    lat_to_cyr(text) -> str                  # Serbian Latin -> Cyrillic (digraph aware)
    script_of(text) -> str                   # "Latn" | "Cyrl" | "Hebr" | "Zyyy"
    safe_text(text) -> str                   # lone surrogates replaced: encodable UTF-8
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, repeat
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "Normalized",
    "Token",
    "cyr_to_lat",
    "lat_to_cyr",
    "normalize",
    "safe_text",
    "script_of",
    "sentences",
    "tokenize",
]

_CYR_TO_LAT: dict[str, str] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "ђ": "đ",
    "е": "e",
    "ж": "ž",
    "з": "z",
    "и": "i",
    "ј": "j",
    "к": "k",
    "л": "l",
    "љ": "lj",
    "м": "m",
    "н": "n",
    "њ": "nj",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "ћ": "ć",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "č",
    "џ": "dž",
    "ш": "š",
}
for _c, _l in list(_CYR_TO_LAT.items()):
    _CYR_TO_LAT[_c.upper()] = _l[0].upper() + _l[1:]
_LAT_DIGRAPHS = {
    "lj": "љ",
    "nj": "њ",
    "dž": "џ",
    "Lj": "Љ",
    "Nj": "Њ",
    "Dž": "Џ",
    "LJ": "Љ",
    "NJ": "Њ",
    "DŽ": "Џ",
}
_LAT_TO_CYR: dict[str, str] = {v: k for k, v in _CYR_TO_LAT.items() if len(v) == 1}
_LAT_RE = re.compile(r"dž|lj|nj|Dž|Lj|Nj|DŽ|LJ|NJ|.", re.DOTALL)

# Characters removed outright: zero-width, bidi controls, soft hyphen, BOM.
_DROP = {
    0x00AD,
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2060,
    0x2061,
    0x2062,
    0x2063,
    0x2064,
    0xFEFF,
    0x061C,
}
_DROP.update(range(0x202A, 0x202F))
_DROP.update(range(0x2066, 0x206A))
# Hebrew points and cantillation marks (keep maqaf 05BE, paseq 05C0, sof pasuq 05C3, 05C6).
_DROP.update(c for c in range(0x0591, 0x05C8) if c not in (0x05BE, 0x05C0, 0x05C3, 0x05C6))

# Apostrophes as phones, mail programs and word processors write them ("don’t", "I’ll",
# "canʼt"): matched as the ASCII one, so "I don’t want to live" reads as "I don't want to live".
# One character for one, so offsets are unchanged.
_APOSTROPHES = {0x2019: "'", 0x02BC: "'", 0xFF07: "'"}

_CACHE: dict[str, str] = {}
_CACHE_TR: dict[str, str] = {}
_TABLE: dict[int, str] = {}
_TABLE_TR: dict[int, str] = {}
# Characters already in the translate tables, and those among them whose mapping is not one
# character long (dropped controls, lj/nj/dž, ligatures): offsets must be mapped for them.
_KNOWN: set[str] = set()
_KNOWN_TR: set[str] = set()
_IRREGULAR: set[str] = set()
_IRREGULAR_TR: set[str] = set()
# Known characters whose mapping is their ``str.lower()`` (most letters, digits, marks): a text
# made only of them is normalised by ``text.lower()``, which is much faster than ``translate``
# on non-Latin-1 text.  Capital sigma is left out: ``str.lower()`` gives it a final form.
_SIMPLE: set[str] = set()
_SIMPLE_TR: set[str] = set()


def _map_char(ch: str, translit: bool) -> str:
    cache = _CACHE_TR if translit else _CACHE
    got = cache.get(ch)
    if got is not None:
        return got
    o = ord(ch)
    if o in _DROP:
        out = ""
    elif o in _APOSTROPHES:
        out = _APOSTROPHES[o]
    elif 0xD800 <= o <= 0xDFFF:
        out = "\ufffd"
    else:
        out = unicodedata.normalize("NFKC", ch).casefold()
        # NFKC can produce points again (e.g. presentation forms): drop them too.
        out = "".join(c for c in out if ord(c) not in _DROP)
        if translit:
            out = "".join(_CYR_TO_LAT.get(c, c) for c in out)
    cache[ch] = out
    return out


def safe_text(text: str) -> str:
    """Return ``text`` with lone surrogates replaced by U+FFFD (same length)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and the map from its offsets to the original's.

    ``offsets`` is ``None`` when normalisation kept a one-to-one alignment (offsets are equal);
    otherwise ``offsets[i]`` is the original offset of normalised character ``i`` and
    ``offsets[len(text)] == len(original)``.
    """

    original: str
    text: str
    offsets: npt.NDArray[np.int64] | None

    def to_original(self, i: int) -> int:
        """Original offset of normalised offset ``i`` (clamped to the text)."""
        if self.offsets is None:
            return max(0, min(i, len(self.original)))
        i = max(0, min(i, len(self.text)))
        return int(self.offsets[i])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised span ``[start, end)``."""
        if self.offsets is None:
            n = len(self.original)
            return max(0, min(start, n)), max(0, min(end, n))
        s = self.to_original(start)
        if end <= start:
            return s, s
        last = self.to_original(end - 1)
        # end: one past the original character that produced the last normalised char, plus
        # the combining marks that belong to it (not dropped controls that follow it).
        e = last + 1
        orig = self.original
        while e < len(orig) and unicodedata.combining(orig[e]):
            e += 1
        return s, min(e, len(self.original))


def normalize(text: str, *, translit: bool = False) -> Normalized:
    """Normalise ``text`` for matching (see module docstring)."""
    if text.isascii():
        return Normalized(text, text.lower(), None)
    src = text
    if not unicodedata.is_normalized("NFC", _surrogate_free(text)):
        return _normalize_clusters(text, translit)
    if translit:
        table, known, irregular, simple = _TABLE_TR, _KNOWN_TR, _IRREGULAR_TR, _SIMPLE_TR
    else:
        table, known, irregular, simple = _TABLE, _KNOWN, _IRREGULAR, _SIMPLE
    chars = set(src)
    if not known.issuperset(chars):
        for ch in chars.difference(known):
            mapped = _map_char(ch, translit)
            table[ord(ch)] = mapped
            if len(mapped) != 1:
                irregular.add(ch)
            elif mapped == ch.lower() and ch != "\u03a3":
                simple.add(ch)
            known.add(ch)
    if simple.issuperset(chars):
        return Normalized(text, src.lower(), None)
    out = src.translate(table)
    odd = chars.intersection(irregular)
    if not odd:
        return Normalized(text, out, None)
    # Few characters change length (Serbian lj/nj/dž, ß, ligatures, dropped controls): find
    # them with one regex and fix the lengths there; everything else maps one to one.
    lengths = np.ones(len(src), dtype=np.int64)
    for m in _irregular_re(frozenset(odd), translit).finditer(src):
        lengths[m.start()] = len(table[ord(m.group())])
    offs = np.repeat(np.arange(len(src), dtype=np.int64), lengths)
    offs = np.append(offs, np.int64(len(src)))
    return Normalized(text, out, offs)


@lru_cache(maxsize=512)
def _irregular_re(chars: frozenset[str], translit: bool) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def _surrogate_free(text: str) -> str:
    return safe_text(text)


def _normalize_clusters(text: str, translit: bool) -> Normalized:
    """Slow path for text that is not NFC: normalise base + combining marks together."""
    out: list[str] = []
    offs: list[int] = []
    clean = safe_text(text)
    i, n = 0, len(clean)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(clean[j]) and ord(clean[j]) not in _DROP:
            j += 1
        cluster = clean[i:j]
        if j - i == 1:
            piece = _map_char(cluster, translit)
        else:
            piece = unicodedata.normalize("NFKC", cluster).casefold()
            piece = "".join(c for c in piece if ord(c) not in _DROP)
            if translit:
                piece = "".join(_CYR_TO_LAT.get(c, c) for c in piece)
        out.append(piece)
        offs.extend([i] * len(piece))
        i = j
    offs.append(n)
    return Normalized(text, "".join(out), np.asarray(offs, dtype=np.int64))


def cyr_to_lat(text: str) -> str:
    """Transliterate Serbian Cyrillic to Latin (Gaj's alphabet); other characters kept."""
    return "".join(_CYR_TO_LAT.get(c, c) for c in text)


def lat_to_cyr(text: str) -> str:
    """Transliterate Serbian Latin to Cyrillic (lj, nj, dž as one letter); others kept."""
    out: list[str] = []
    for m in _LAT_RE.finditer(text):
        g = m.group(0)
        out.append(_LAT_DIGRAPHS.get(g) or _LAT_TO_CYR.get(g, g))
    return "".join(out)


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_LATN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_CYRL = re.compile(r"[\u0400-\u04FF]")
_HEBR = re.compile(r"[\u05D0-\u05EA\uFB1D-\uFB4F]")
_CYRL_HEBR = re.compile(r"[\u0400-\u04FF\u05D0-\u05EA\uFB1D-\uFB4F]")
_LATN_CYRL = re.compile(r"[A-Za-z\u00C0-\u024F\u0400-\u04FF]")
_LATN_HEBR = re.compile(r"[A-Za-z\u00C0-\u024F\u05D0-\u05EA\uFB1D-\uFB4F]")


def script_of(text: str) -> str:
    """Dominant script of the letters in ``text``: Latn, Cyrl, Hebr, or Zyyy (none)."""
    return script_and_cyrillic(text)[0]


def script_and_cyrillic(text: str) -> tuple[str, bool]:
    """:func:`script_of` and whether ``text`` has a Cyrillic letter (anywhere in it)."""
    if text.isascii():
        return ("Latn" if _ASCII_LETTER.search(text) else "Zyyy"), False
    sample = text[:4000]
    # One scan for the non-Latin scripts; a text with one script needs one more at most.
    other = _CYRL_HEBR.search(sample)
    if other is None:
        cyr = len(text) > 4000 and _CYRL.search(text, 4000) is not None
        return ("Latn" if _LATN.search(sample) else "Zyyy"), cyr
    if other.group() >= "\u05d0":  # Hebrew first
        if _LATN_CYRL.search(sample) is None:
            return "Hebr", len(text) > 4000 and _CYRL.search(text, 4000) is not None
    elif _LATN_HEBR.search(sample) is None:  # Cyrillic first, and alone
        return "Cyrl", True
    counts = {
        "Latn": len(_LATN.findall(sample)),
        "Cyrl": len(_CYRL.findall(sample)),
        "Hebr": len(_HEBR.findall(sample)),
    }
    best = max(counts, key=lambda k: counts[k])
    has_cyr = counts["Cyrl"] > 0 or (len(text) > 4000 and _CYRL.search(text, 4000) is not None)
    return (best if counts[best] > 0 else "Zyyy"), has_cyr


class Token(NamedTuple):
    """A word token: its text and ``[start, end)`` offsets in the text it came from."""

    text: str
    start: int
    end: int


_WORD = re.compile(r"\w+(?:['’\"״׳\-]\w+)*")
_WORD_SPLIT = re.compile("(" + _WORD.pattern + ")")


_new_token = tuple.__new__


def tokenize(text: str) -> list[Token]:
    """Word tokens (letters/digits, with inner apostrophes, hyphens and Hebrew geresh)."""
    # Splitting on the word pattern (one capture group) gives ``[gap, word, gap, word, ...,
    # gap]``; the running sum of the piece lengths gives every word's offsets.  The tokens
    # are then built in C (``map``), with no Python work per word.
    parts = _WORD_SPLIT.split(text)
    if len(parts) == 1:
        return []
    ends = list(accumulate(map(len, parts)))
    spans = zip(parts[1::2], ends[0:-1:2], ends[1::2], strict=True)
    return list(map(_new_token, repeat(Token), spans))


# Sentence ends: ``[.!?…。]+[\"'”’»)\]]*(?=\s|$)|\n\s*\n|\n``, written to start with a
# character class (the regex engine then skips to the next candidate at once).
_SENT_END = re.compile(
    r"[.!?…。\n](?:(?<=[.!?…。])[.!?…。]*[\"'”’»)\]]*(?=\s|$)|(?<=\n)\s*\n|(?<=\n))"
)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)``, trimmed of surrounding whitespace, never empty."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        _add_trimmed(text, start, end, spans)
        start = end
    _add_trimmed(text, start, len(text), spans)
    return spans


def _add_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    # str.strip() and str.isspace() agree on what whitespace is.
    seg = text[start:end]
    core = seg.lstrip()
    if core:
        a = start + len(seg) - len(core)
        spans.append((a, a + len(core.rstrip())))
