"""Language packs as data and the lexicon matcher that runs them.

A pack lives in ``analysis/lang/<code>/``: ``pack.toml`` (name, direction, scripts, the
languages it serves, negation words, Hebrew prefix handling) and ``lexicons/*.tsv``.

Lexicon line format (UTF-8, tab-separated, ``#`` starts a comment line)::

    pattern <TAB> category <TAB> weight [<TAB> note]

``pattern`` is one or more space-separated token patterns matched against normalised tokens
(NFKC, case-folded, Hebrew points removed, Serbian Cyrillic transliterated to Latin):

* ``word``   the token equals ``word``;
* ``stem*``  the token starts with ``stem`` (Polish and BCMS inflection, see ADR 0011);
* ``_``      any one token (a pattern needs at least one other token);
* ``a|b|c``  any of these (each a word or a stem): ``zabiję|zabije cię|was`` matches all four
  combinations (one entry; the matcher checks the alternatives, nothing is expanded).

In packs with ``hebrew_prefixes = true`` a token also matches after removing up to two of the
prefix letters ו ה ב ל מ ש כ.  ``pack.examples()`` reads ``examples.tsv``
(``text <TAB> expectation``), which the test-suite turns into test cases.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import tomllib
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from ._text import Token

__all__ = ["Entry", "Lexicon", "Match", "Pack", "TypoFixer", "load_pack", "pack_code_for"]

LANG_DIR = Path(__file__).parent / "lang"
_PREFIXES = frozenset("והבלמשכ")
_FOLD = str.maketrans("ąćęłńóśźżčšđž", "acelnoszzcsdz")


def fold(w: str) -> str:
    """Remove Polish and BCMS diacritics (clients often type without them)."""
    return w.translate(_FOLD)


PACK_FOR = {"en": "en", "pl": "pl", "sr": "sr", "hr": "sr", "bs": "sr", "he": "he"}


def pack_code_for(language: str) -> str:
    """The pack serving ``language`` (hr and bs are served by sr; und by en)."""
    return PACK_FOR.get(language, "en")


@dataclass(frozen=True, slots=True)
class Entry:
    pattern: tuple[str, ...]
    category: str
    weight: float
    source: str  # "<file>:<line>"
    # " ".join(pattern), computed once (evidence labels use it for every match).
    label: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", " ".join(self.pattern))


class Match(NamedTuple):
    """A lexicon match (a named tuple: the matcher builds dozens per message)."""

    entry: Entry
    first: int  # token index
    last: int  # token index, exclusive
    start: int  # normalised char offset
    end: int


_new_match = tuple.__new__


@dataclass(frozen=True, slots=True, eq=False)
class _Cand:
    entry: Entry
    off: int  # index of the anchor token in the pattern (see _anchor_index)
    length: int
    # (offset from anchor, kind, value) of the pattern's other tokens: kind 0 exact (value: the
    # word), 1 stem (the stem), 2 alternatives (a pair: frozenset of words, tuple of stems);
    # wildcards ("_") need no check beyond the pattern fitting in the text.
    checks: tuple[tuple[int, int, Any], ...]
    # A pattern token other than the anchor whose alternatives are all exact words (see
    # _key_token): its offset from the anchor and its words (the candidate is found through
    # that word: most candidates never get checked), or (0, ()) when there is none.
    key_rel: int
    keys: tuple[str, ...]
    rest: tuple[tuple[int, int, Any], ...]  # ``checks`` without the one of ``keys``


def _check(rel: int, token: str) -> tuple[int, int, Any]:
    """The check of one pattern token (see ``_Cand.checks``)."""
    alts = token.split("|")
    if len(alts) == 1:
        return (rel, 1, token[:-1]) if token.endswith("*") else (rel, 0, token)
    words = frozenset(a for a in alts if not a.endswith("*"))
    stems = tuple(a[:-1] for a in alts if a.endswith("*"))
    return (rel, 2, (words, stems))


def _exact_alternatives(token: str) -> tuple[str, ...]:
    """The words of ``token`` when every alternative is an exact word (else ``()``)."""
    alts = tuple(dict.fromkeys(token.split("|"))) if token else ()
    return () if any(a == "_" or a.endswith("*") for a in alts) else alts


def _rare(token: str, common: frozenset[str]) -> bool:
    """No alternative of the pattern token is a common word or a stem of under four letters."""
    return all((len(a) > 4 if a.endswith("*") else a not in common) for a in token.split("|"))


def _anchor_index(pattern: tuple[str, ...], common: frozenset[str]) -> int:
    """The token a pattern is indexed by: the first rare one (see :func:`_rare`), else the
    first that is not a wildcard."""
    tokens = [i for i, t in enumerate(pattern) if t != "_"]
    return next((i for i in tokens if _rare(pattern[i], common)), tokens[0])


def _key_token(
    pattern: tuple[str, ...], off: int, common: frozenset[str]
) -> tuple[int, tuple[str, ...]]:
    """The pattern token, other than the anchor, whose alternatives are all exact words and
    that rules out most candidates: rare before common, then the nearest to the anchor (later
    before earlier).  Its offset from the anchor and its words, or ``(0, ())``."""
    best: tuple[tuple[bool, int, bool], int, tuple[str, ...]] | None = None
    for j, t in enumerate(pattern):
        keys = _exact_alternatives(t) if j != off else ()
        if keys:
            rank = (not _rare(t, common), abs(j - off), j < off)
            if best is None or rank < best[0]:
                best = (rank, j - off, keys)
    return (0, ()) if best is None else (best[1], best[2])


# (single-token candidates, ((offset, {word there: candidates}), ...), the other candidates)
_Keyed = tuple[tuple[int, dict[str, tuple[_Cand, ...]]], ...]
_Anchor = tuple[tuple[_Cand, ...], _Keyed, tuple[_Cand, ...]]


def _fold_pat(p: str) -> str:
    return fold(p)


class Lexicon:
    """Token-pattern matcher over many entries (each indexed by one rare token of its pattern)."""

    def __init__(
        self,
        entries: Iterable[Entry],
        hebrew_prefixes: bool = False,
        fold: bool = False,
        common: Iterable[str] = (),
    ) -> None:
        """``common``: the language's most frequent word forms (the pack's ``common.txt``).  A
        pattern is indexed by its first token none of whose words is common, so that "i want
        to kill myself" is tried where "kill" appears, not at every "i"; the matches are the
        same whichever token a pattern is indexed by."""
        self.fold = fold
        frequent = frozenset(_fold_pat(w) if fold else w for w in common)
        self._frequent = frequent
        if fold:
            entries = [
                Entry(tuple(_fold_pat(p) for p in e.pattern), e.category, e.weight, e.source)
                for e in entries
            ]
        self.entries = tuple(entries)
        self.hebrew_prefixes = hebrew_prefixes
        self._exact: dict[str, list[_Cand]] = {}
        self._stem: dict[str, list[_Cand]] = {}
        lens: set[int] = set()
        for e in self.entries:
            off = _anchor_index(e.pattern, frequent)
            checks = tuple(
                _check(j - off, t) for j, t in enumerate(e.pattern) if j != off and t != "_"
            )
            key_rel, keys = _key_token(e.pattern, off, frequent)
            rest = tuple(c for c in checks if c[0] != key_rel) if keys else checks
            cand = _Cand(e, off, len(e.pattern), checks, key_rel, keys, rest)
            for first in dict.fromkeys(e.pattern[off].split("|")):
                if first.endswith("*"):
                    stem = first[:-1]
                    self._stem.setdefault(stem, []).append(cand)
                    lens.add(len(stem))
                else:
                    self._exact.setdefault(first, []).append(cand)
        self._stem_lens = tuple(sorted(lens))
        # File order of the entries: of two entries of one category matching the same tokens
        # with the same weight, the earlier line is the evidence (whatever order found them).
        self._rank = {id(e): k for k, e in enumerate(self.entries)}
        self._anchor_cache: dict[str, _Anchor | None] = {}
        self._forms_cache: dict[str, tuple[str, ...]] = {}

    def _forms(self, w: str) -> tuple[str, ...]:
        got = self._forms_cache.get(w)
        if got is not None:
            return got
        if self.fold:
            out: tuple[str, ...] = (fold(w),)
        elif not self.hebrew_prefixes or len(w) < 3 or w[0] not in _PREFIXES:
            out = (w,)
        elif len(w) >= 4 and w[1] in _PREFIXES:
            out = (w, w[1:], w[2:])
        else:
            out = (w, w[1:])
        if len(self._forms_cache) > 100_000:
            self._forms_cache.clear()
        self._forms_cache[w] = out
        return out

    def forms_of(self, w: str) -> tuple[str, ...]:
        return self._forms(w)

    def first_forms(self, words: Iterable[str]) -> list[str]:
        """``[forms_of(w)[0] for w in words]``: the word itself, or folded (fold packs)."""
        if self.fold:
            return [w.translate(_FOLD) for w in words]
        return list(words)

    def _anchor(self, w: str) -> _Anchor | None:
        """Candidates anchored on token ``w``: (single-token, by next exact word, others), or
        ``None`` when no pattern can start there (most tokens)."""
        if w in self._anchor_cache:
            return self._anchor_cache[w]
        cands: list[_Cand] = []
        for f in self._forms(w):
            g = self._exact.get(f)
            if g:
                cands.extend(g)
            for L in self._stem_lens:
                if len(f) < L:
                    break
                g = self._stem.get(f[:L])
                if g:
                    cands.extend(g)
        singles: list[_Cand] = []
        keyed: dict[int, dict[str, list[_Cand]]] = {}
        others: list[_Cand] = []
        seen: set[int] = set()
        for c in cands:
            if id(c) in seen:
                continue
            seen.add(id(c))
            if c.length == 1:
                singles.append(c)
            elif c.keys:
                # Found through its key word, whose check is then already done.
                view = _Cand(c.entry, c.off, c.length, c.rest, c.key_rel, c.keys, c.rest)
                table = keyed.setdefault(c.key_rel, {})
                for k in c.keys:
                    table.setdefault(k, []).append(view)
            else:
                others.append(c)
        by_rel: _Keyed = tuple(
            (rel, {k: tuple(v) for k, v in table.items()}) for rel, table in sorted(keyed.items())
        )
        res: _Anchor | None = (
            (tuple(singles), by_rel, tuple(others)) if singles or by_rel or others else None
        )
        self._anchor_cache[w] = res  # bounded by match(), never cleared mid-match
        return res

    def match(
        self,
        tokens: Sequence[Token],
        categories: frozenset[str] | None = None,
        *,
        words: Sequence[str] | None = None,
    ) -> list[Match]:
        """Matches of every entry in ``tokens`` (``words``: their texts, if the caller has
        them), sorted by position; a match covered by a longer one of its category is
        dropped."""
        out: list[Match] = []
        n = len(tokens)
        if words is None:
            words = [t.text for t in tokens]
        ac, anchor = self._anchor_cache, self._anchor
        if len(ac) > 100_000:
            ac.clear()
        anchors = list(map(ac.get, words, repeat(False)))
        if False in anchors:  # words not seen yet (an anchor is None or a tuple)
            for w in set(words).difference(ac):
                anchor(w)
            anchors = list(map(ac.get, words))
        # An anchor is a non-empty tuple (truthy); most tokens have none.
        hits = list(compress(range(n), anchors))
        if not hits:
            return out
        fc, fget = self._forms_cache, self._forms
        append = out.append
        for i in hits:
            singles, keyed, others = anchors[i]  # type: ignore[misc]
            if singles:
                t = tokens[i]
                ts, te = t.start, t.end
                for c in singles:
                    append(_new_match(Match, (c.entry, i, i + 1, ts, te)))
            todo: tuple[_Cand, ...] = others
            for rel, table in keyed:
                j = i + rel
                if j < 0:
                    continue
                if j >= n:
                    break
                wj = words[j]
                for f in fc.get(wj) or fget(wj):
                    g = table.get(f)
                    if g:
                        todo = todo + g
            for c in todo:
                s0 = i - c.off
                if s0 < 0 or s0 + c.length > n:
                    continue
                for rel, kind, val in c.checks:
                    wj = words[i + rel]
                    fs = fc.get(wj) or fget(wj)
                    if kind == 0:
                        if val not in fs:
                            break
                    elif kind == 1:
                        if not fs[0].startswith(val) and not (
                            len(fs) > 1 and any(x.startswith(val) for x in fs[1:])
                        ):
                            break
                    elif val[0].isdisjoint(fs) and not (
                        val[1] and any(x.startswith(val[1]) for x in fs)
                    ):
                        break
                else:
                    e = s0 + c.length - 1
                    append(_new_match(Match, (c.entry, s0, e + 1, tokens[s0].start, tokens[e].end)))
        if categories is not None:
            out = [m for m in out if m.entry.category in categories]
        return _dedupe(out, self._rank)


_BY_POSITION = itemgetter(3, 4)  # Match.start, Match.end


def _dedupe(ms: list[Match], rank: dict[int, int]) -> list[Match]:
    """Drop a match covered by a longer match of the same category, and exact duplicates (of
    two entries matching the same tokens, the one of higher weight, then the earlier line).
    The result is sorted by position, then by category."""
    if len(ms) < 2:
        return ms
    groups: dict[str, list[Match]] = {}
    for m in ms:
        g = groups.get(m.entry.category)
        if g is None:
            groups[m.entry.category] = [m]
        else:
            g.append(m)
    keep: list[Match] = []
    for cat in sorted(groups):
        g = groups[cat]
        if len(g) == 1:
            keep.append(g[0])
            continue
        # By start, longest first, strongest first, file order; a match ending inside the
        # last kept one (which starts no later) is covered.
        g.sort(key=lambda m: (m.start, m.start - m.end, -m.entry.weight, rank[id(m.entry)]))
        end = -1
        for m in g:
            if m.end > end:
                keep.append(m)
                end = m.end
    keep.sort(key=_BY_POSITION)
    return keep


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one typing slip: a letter left out, added, changed,
    or two neighbours swapped (optimal string alignment distance 1)."""
    la, lb = len(a), len(b)
    if a == b or abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # changed
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i:] if la > lb else a[i:] == b[i + 1 :]


class TypoFixer:
    """Reads a word mistyped by one slip as the word of the lexicon it was meant to be.

    Built over the exact words (at least ``min_len`` letters) of the entries of some
    categories (the engine uses the crisis ones: a threat typed in distress is often
    mistyped, "I want to kil myslef").  A token is fixed only when it is no word of the whole
    lexicon, starts with none of its stems, and exactly one such word lies one slip away
    (``_one_edit_apart``); candidates come from a deletion index (each word and each of its
    one-letter deletions), so a token costs a few dictionary lookups once, then one cache
    lookup.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        categories: frozenset[str],
        min_len: int = 5,
        words: Path | None = None,
        changed_letters: bool = True,
        stems_are_words: bool = False,
    ) -> None:
        self.lexicon = lexicon
        self.min_len = min_len
        # In Polish, BCMS and Hebrew the first and last letters carry person, number and
        # possession ("zabiłby" he would / "zabiłbym" I would kill, "תתקוף" you / "אתקוף" I
        # will attack): there a slip is read only inside the word.
        self.inner_only = lexicon.fold or lexicon.hebrew_prefixes
        self._words_path = words
        # Whether a changed letter counts as a slip (else only left out, added or swapped).
        self.changed_letters = changed_letters
        # Whether a form whose stem begins a listed word counts as a word (see _is_word).
        self.stems_are_words = stems_are_words
        self._words: frozenset[str] | None = None
        self._sorted: list[str] = []
        known: set[str] = set()
        vocab: set[str] = set()
        stems: set[str] = set()
        for e in lexicon.entries:
            for token in e.pattern:
                for alt in token.split("|"):
                    if alt == "_":
                        continue
                    if alt.endswith("*"):
                        stems.add(alt[:-1])
                        continue
                    known.add(alt)
                    if e.category in categories and len(alt) >= min_len:
                        vocab.add(alt)
        self._known = frozenset(known)
        self._stems = tuple(sorted(stems))
        index: dict[str, set[str]] = {}
        for v in vocab:
            index.setdefault(v, set()).add(v)
            for k in range(len(v)):
                index.setdefault(v[:k] + v[k + 1 :], set()).add(v)
        self._index = {k: tuple(sorted(v)) for k, v in index.items()}
        self._cache: dict[str, str | None] = {}

    def _fix_one(self, w: str) -> str | None:
        forms = self.lexicon.forms_of(w)
        if len(forms[0]) < self.min_len:
            return None
        for f in forms:
            if f in self._known or f.startswith(self._stems):
                return None
        found: set[str] = set()
        for f in forms:
            if len(f) < self.min_len:
                continue
            cands = set(self._index.get(f, ()))
            for k in range(len(f)):
                cands.update(self._index.get(f[:k] + f[k + 1 :], ()))
            found.update(
                c
                for c in cands
                if _one_edit_apart(f, c)
                and (not self.inner_only or (c[0] == f[0] and c[-1] == f[-1]))
                and (self.changed_letters or len(c) != len(f) or sorted(c) == sorted(f))
            )
        if len(found) != 1 or self._is_word(forms[0]):
            return None
        return found.pop()

    def _load_words(self) -> frozenset[str]:
        if self._words is None:
            path = self._words_path
            listed: list[str] = []
            if path is not None and path.exists():
                with gzip.open(path, "rt", encoding="utf-8") as f:
                    listed = f.read().split()
            self._words = frozenset(listed)
            self._sorted = sorted(listed)
        return self._words

    def _is_word(self, form: str) -> bool:
        """Whether ``form`` is a word of the language (the pack's ``words.txt.gz``, read the
        first time a token could be a slip).  With ``stems_are_words`` (BCMS: the open text
        is small, and its list holds few of each word's many endings), also a form whose stem
        (all but the last two letters) begins a listed word: "ističu" (they expire) is no slip
        of "istuću" (I will beat up), since listed words begin with "isti"; a slip inside a
        stem ("presećću") begins none."""
        if form in self._load_words():
            return True
        if not self.stems_are_words or len(form) < 5:
            return False
        stem = form[:-2]
        i = bisect_left(self._sorted, stem)
        return i < len(self._sorted) and self._sorted[i].startswith(stem)

    def fix(self, words: Sequence[str]) -> list[str] | None:
        """``words`` with each mistyped word replaced, or ``None`` when none is."""
        cache = self._cache
        got = list(map(cache.get, words, repeat(False)))
        if False in got:
            if len(cache) > 100_000:
                cache.clear()
            for w in set(words).difference(cache):
                cache[w] = self._fix_one(w)
            got = list(map(cache.get, words))
        if not any(got):
            return None
        return [g or w for g, w in zip(got, words, strict=True)]  # type: ignore[misc]


def _read_tsv(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise ValueError(f"{path}:{lineno}: expected pattern<TAB>category<TAB>weight")
        pattern = tuple(parts[0].casefold().split())
        if not pattern or all(t == "_" for t in pattern):
            raise ValueError(f"{path}:{lineno}: empty pattern or only wildcards")
        if any(not a or (a == "_") != (t == "_") for t in pattern for a in t.split("|")):
            raise ValueError(f"{path}:{lineno}: empty alternative or _ among them: {parts[0]!r}")
        entries.append(Entry(pattern, parts[1].strip(), float(parts[2]), f"{path.name}:{lineno}"))
    return entries


# Forms that would be other common words once the apostrophe is gone ("we'll" -> "well").
_APOSTROPHE_FREE_STOP = frozenset({"well", "were", "hell", "shell", "wed", "id", "its", "shed"})


def _without_apostrophes(e: Entry) -> Entry | None:
    """The entry as typed without apostrophes ("dont want to live", "ill kill you"), for packs
    with ``apostrophe_free_forms``, leaving out alternatives that would be another common word;
    ``None`` when it has no apostrophe or nothing is left of a token."""
    if not any("'" in t for t in e.pattern):
        return None
    tokens = []
    for t in e.pattern:
        alts = [a.replace("'", "") for a in t.split("|")]
        # Alternatives that would be another word are left out ("we'll" in "we'll|i'll").
        alts = [a for a in dict.fromkeys(alts) if a.strip("*") and a not in _APOSTROPHE_FREE_STOP]
        if not alts:
            return None
        tokens.append("|".join(alts))
    return Entry(tuple(tokens), e.category, e.weight, e.source)


@dataclass(frozen=True)
class Pack:
    code: str
    root: Path
    config: dict[str, Any]
    lexicon: Lexicon
    version: str
    negations: frozenset[tuple[str, ...]]

    @cached_property
    def negation_firsts(self) -> frozenset[str]:
        """First words of the negation phrases (a fast pre-check)."""
        return frozenset(n[0] for n in self.negations if n)

    @cached_property
    def conditionals(self) -> frozenset[str]:
        """Words that open a condition ("if", "jeśli", "ako", "אם"; pack.toml ``conditionals``),
        in the form the matcher compares (folded in fold packs)."""
        words = self.config.get("conditionals", [])
        return frozenset(self.lexicon.forms_of(str(w).casefold())[0] for w in words)

    @cached_property
    def negations_by_last(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """The negation phrases by their last word."""
        out: dict[str, list[tuple[str, ...]]] = {}
        for n in self.negations:
            if n:
                out.setdefault(n[-1], []).append(n)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def direction(self) -> str:
        return str(self.config.get("direction", "ltr"))

    def examples(self) -> list[tuple[str, str, int]]:
        """``(text, expectation, line)`` rows of examples.tsv."""
        path = self.root / "examples.tsv"
        rows: list[tuple[str, str, int]] = []
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            text, _, expect = raw.partition("\t")
            rows.append((text.replace("\\n", "\n"), expect.strip(), lineno))
        return rows

    def categories(self) -> frozenset[str]:
        return frozenset(e.category for e in self.lexicon.entries)


def _hash_dir(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "coach" not in p.relative_to(root).parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _read_list(path: Path) -> list[str]:
    """The words of a one-word-per-line file (``#`` comments), or none when it is missing."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.startswith("#")]


@lru_cache(maxsize=8)
def load_pack(code: str) -> Pack:
    """Load (once per process) the pack ``code`` (en, pl, sr, he)."""
    root = LANG_DIR / code
    config = tomllib.loads((root / "pack.toml").read_text(encoding="utf-8"))
    entries: list[Entry] = []
    for p in sorted((root / "lexicons").glob("*.tsv")):
        entries.extend(_read_tsv(p))
    negations = [str(w).casefold() for w in config.get("negations", [])]
    if config.get("apostrophe_free_forms", False):
        entries += [t for e in entries if (t := _without_apostrophes(e)) is not None]
        negations += [n.replace("'", "") for n in negations if "'" in n]
    lex = Lexicon(
        entries,
        hebrew_prefixes=bool(config.get("hebrew_prefixes", False)),
        fold=bool(config.get("fold_diacritics", False)),
        common=_read_list(root / "common.txt"),
    )
    negs = frozenset(tuple(lex.forms_of(t)[0] for t in w.split()) for w in negations)
    version = f"{config.get('version', '0')}+{_hash_dir(root)}"
    pack = Pack(code, root, config, lex, version, negs)
    _freeze_loaded()
    return pack


def _freeze_loaded() -> None:
    """Move every object alive now into the collector's permanent generation (ADR 0028).

    A pack is some 60,000 container objects that live as long as the process.  Without this,
    each full collection walks all of them again: about 0.1 ms per analysed message, a tenth
    of its cost.  Garbage is collected first, so that only live objects are frozen."""
    gc.collect()
    gc.freeze()
