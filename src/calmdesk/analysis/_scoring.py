"""Hashed n-gram features and shipped linear models (numpy only at run time).

Featurizer
----------
``HashFeaturizer(bits=18)`` turns a *normalised* text (see ``_text.normalize``) into a sparse
vector: word unigrams, word bigrams and character 2-4-grams of each word padded with spaces,
each hashed with CRC-32 (``zlib.crc32`` of the UTF-8 bytes of ``kind + "\\x01" + gram``,
masked to ``bits``) - the same function at training and at run time, stable across
processes and platforms.  Values are term counts scaled to unit L2 norm.  For Hebrew, a
word that starts with one of the prefixes ו ה ב ל מ ש כ also yields the features of the
word without it (up to two prefixes).

``Features`` keeps, for each hashed feature, the index of the token that produced it
(``owner``), so evidence can point at words::

    fz = HashFeaturizer()
    feats = fz.transform(tokens)                 # tokens = _text.tokenize(norm.text)
    feats.idx, feats.val, feats.owner            # int64, float32, int32 arrays

Linear models
-------------
``LinearModel.load(path)`` reads an ``.npz`` written by ``scripts/train_models.py``:

* ``rows`` (int32) and ``weights`` (float16, ``len(rows) x n_heads``): the non-zero rows of
  the hashed weight matrix; ``dense_names`` / ``dense_weights``: weights of extra dense
  features (lexicon counts etc.) given by name; ``bias``; ``heads``; Platt calibration
  ``calib_a``/``calib_b``; ``meta`` (JSON: thresholds, training data, metrics).

``model.logits(feats, dense)`` -> raw scores per head, ``model.predict_proba(feats, dense)``
-> calibrated probabilities ``sigmoid(a * z + b)``, ``model.top_features(feats, head, k)``
-> ``[(token_index, contribution)]`` sorted by contribution (the tokens that pushed the head
up most), which callers turn into evidence spans.  ``model.token_contributions(feats)`` gives
the per-token matrix once; pass it as ``contrib=`` to the three methods above to avoid
recomputing it.  The coach reuses these for its own heads.

The engine's fast path: ``feats, bigrams = fz.transform_parts(tokens)`` (the same ``feats``)
and a :class:`TokenRowTable` over the weight matrix, which caches per token text the sum of
the rows of its own features, so per-token contributions take one gather of ``n`` rows.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._text import Token

__all__ = [
    "Features",
    "HashFeaturizer",
    "LinearModel",
    "TokenRowTable",
    "file_sha256",
    "shared_featurizer",
    "sigmoid",
]

HEBREW_PREFIXES = frozenset("והבלמשכ")


def sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
    return out


@dataclass(frozen=True, slots=True)
class Features:
    """A sparse hashed vector: ``idx`` (may repeat), ``val`` per entry, ``owner`` token."""

    idx: npt.NDArray[np.int64]
    val: npt.NDArray[np.float32]
    owner: npt.NDArray[np.int32]


def _h(s: str, mask: int) -> int:
    return zlib.crc32(s.encode("utf-8", "surrogatepass")) & mask


class HashFeaturizer:
    """See the module docstring.  Token features are cached (bounded) by token text."""

    def __init__(self, bits: int = 18, max_token_len: int = 40, cache_size: int = 200_000):
        self.bits = bits
        self.mask = (1 << bits) - 1
        self.max_token_len = max_token_len
        # Values are tuples of ints: the garbage collector stops tracking them, which keeps
        # full collections cheap however large the cache grows.
        self._cache: dict[str, tuple[int, ...]] = {}
        self._bigram_cache: dict[str, int] = {}
        self._cache_size = cache_size

    def _token_features(self, w: str) -> tuple[int, ...]:
        got = self._cache.get(w)
        if got is not None:
            return got
        m = self.mask
        w2 = w[: self.max_token_len]
        out = [_h("w\x01" + w2, m)]
        p = " " + w2 + " "
        n = len(p)
        for k in (2, 3, 4):
            for i in range(n - k + 1):
                out.append(_h("c\x01" + p[i : i + k], m))
        if w2 and w2[0] in HEBREW_PREFIXES and len(w2) >= 4:
            stem = w2[1:]
            out.append(_h("w\x01" + stem, m))
            if stem[0] in HEBREW_PREFIXES and len(stem) >= 4:
                out.append(_h("w\x01" + stem[1:], m))
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        res = tuple(out)
        self._cache[w] = res
        return res

    def _bigram_id(self, key: str) -> int:
        """Hashed id of the bigram ``key`` ("prev word"), cached (bounded)."""
        bc = self._bigram_cache
        if len(bc) >= self._cache_size:
            bc.clear()
        got = bc[key] = _h("b\x01" + key, self.mask)
        return got

    def transform(self, tokens: Sequence[Token]) -> Features:
        return self.transform_parts(tokens)[0]

    def transform_parts(self, tokens: Sequence[Token]) -> tuple[Features, list[int]]:
        """:meth:`transform` plus the bigram feature id of every token after the first.

        The engine uses the bigram ids with a :class:`TokenRowTable` to get per-token
        contributions without gathering every character n-gram again.
        """
        ids: list[int] = []
        lens: list[int] = []
        bigrams: list[int] = []
        cget, tf = self._cache.get, self._token_features
        bget, bid = self._bigram_cache.get, self._bigram_id
        extend, lappend, bappend = ids.extend, lens.append, bigrams.append
        prev = ""
        for t in tokens:
            w = t.text
            f = cget(w) or tf(w)
            extend(f)
            if prev:
                key = prev + " " + w
                b = bget(key) or bid(key)
                ids.append(b)
                bappend(b)
                lappend(len(f) + 1)
            else:
                lappend(len(f))
            prev = w
        if not ids:
            empty_i: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
            empty = Features(empty_i, np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32))
            return empty, bigrams
        # Sorting int32 is faster; ids fit when bits <= 31.
        ids32 = np.array(ids, dtype=np.int32 if self.bits <= 31 else np.int64)
        idx = ids32.astype(np.int64)
        owner = np.repeat(np.arange(len(lens), dtype=np.int32), lens)
        # L2 norm of the term counts: sum of squared run lengths of the sorted ids.
        ids32.sort()
        n = ids32.shape[0]
        cuts = np.flatnonzero(ids32[1:] != ids32[:-1])
        runs = np.diff(cuts, prepend=-1, append=n - 1)
        norm = float(np.sqrt(np.dot(runs, runs)))
        val = np.full(n, 1.0 / norm, dtype=np.float32)
        return Features(idx, val, owner), bigrams

    def config(self) -> dict[str, Any]:
        return {
            "kind": "hash-crc32-word12-char234",
            "bits": self.bits,
            "max_token_len": self.max_token_len,
        }


@lru_cache(maxsize=4)
def shared_featurizer(bits: int = 18) -> HashFeaturizer:
    """One featurizer (and token cache) per bit width for the whole process."""
    return HashFeaturizer(bits=bits)


class TokenRowTable:
    """Per-token sums of the weight rows of a token's own features (word, character n-grams,
    Hebrew prefix-stripped words), cached by token text.

    With ``feats, bigrams = featurizer.transform_parts(tokens)`` the per-token contributions
    are ``(rows(tokens) + weights[bigrams] on tokens 1..n-1) * feats.val[0]``: the same
    numbers as :meth:`LinearModel.token_contributions` (all values of one text are equal), up
    to float32 rounding, with one gather of ``n`` rows instead of every n-gram's row.

    :meth:`featurize` does the whole job from the words alone: the table also keeps each
    cached token's hashed feature ids (one flat array) and the bigram ids by pair of rows, so
    the L2 norm of the term counts and the contributions come from a few numpy gathers, with
    no per-feature Python work once the words have been seen.
    """

    def __init__(
        self, featurizer: HashFeaturizer, weights: npt.NDArray[np.float32], max_rows: int = 131_072
    ) -> None:
        self.featurizer = featurizer
        self.weights = weights
        self.max_rows = max_rows
        self._index: dict[str, int] = {}
        self._rows: npt.NDArray[np.float32] = np.zeros((1024, weights.shape[1]), np.float32)
        # Hashed feature ids of each cached token: _flat[_fstart[r] : _fstart[r] + _flen[r]].
        self._flat: npt.NDArray[np.int32] = np.zeros(16_384, np.int32)
        self._nflat = 0
        self._fstart: npt.NDArray[np.int64] = np.zeros(1024, np.int64)
        self._flen: npt.NDArray[np.int64] = np.zeros(1024, np.int64)
        # Bigram feature id by pair of rows ``(row_prev << 32) | row``; reset with the rows.
        self._bigrams: dict[int, int] = {}
        self._max_bigrams = 4 * max_rows

    def _reset(self) -> None:
        self._index.clear()
        self._bigrams.clear()
        self._nflat = 0

    def rows(self, words: Sequence[str]) -> npt.NDArray[np.intp]:
        """Row numbers in :attr:`table` of ``words`` (computing the rows not cached yet)."""
        index = self._index
        got = list(map(index.get, words, repeat(-1)))
        if -1 in got:
            new = list(dict.fromkeys(w for w, g in zip(words, got, strict=True) if g < 0))
            if len(index) + len(new) > self.max_rows:
                self._reset()
                new = list(dict.fromkeys(words))
            tf = self.featurizer._token_features
            feats = [tf(w) for w in new]
            lens = [len(f) for f in feats]
            nf = sum(lens)
            flat = np.fromiter(chain.from_iterable(feats), dtype=np.int64, count=nf)
            starts = np.concatenate(([0], np.cumsum(lens[:-1]))).astype(np.intp)
            sums = np.add.reduceat(self.weights[flat], starts, axis=0)
            base = len(index)
            need = base + len(new)
            if need > self._rows.shape[0]:
                cap = max(need, 2 * self._rows.shape[0])
                grown = np.zeros((cap, self._rows.shape[1]), np.float32)
                grown[:base] = self._rows[:base]
                self._rows = grown
                self._fstart = np.resize(self._fstart, cap)
                self._flen = np.resize(self._flen, cap)
            self._rows[base:need] = sums
            at = self._nflat
            if at + nf > self._flat.shape[0]:
                self._flat = np.resize(self._flat, max(at + nf, 2 * self._flat.shape[0]))
            self._flat[at : at + nf] = flat
            self._nflat = at + nf
            self._fstart[base:need] = starts + at
            self._flen[base:need] = lens
            for k, w in enumerate(new):
                index[w] = base + k
            got = [index[w] for w in words]
        return np.asarray(got, dtype=np.intp)

    def contributions(
        self, words: Sequence[str], feats: Features, bigrams: Sequence[int]
    ) -> npt.NDArray[np.float32]:
        """Per-token contributions ``(len(words), n_columns)`` for ``transform_parts`` output."""
        if not words:
            return np.zeros((0, self.weights.shape[1]), dtype=np.float32)
        rows = self.rows(words)  # may grow (replace) the table: index it afterwards
        out = self._rows[rows]
        if bigrams:
            out[1:] += self.weights[np.asarray(bigrams, dtype=np.intp)]
        out *= feats.val[0]
        return out

    def _bigram_ids(self, words: Sequence[str], rows: npt.NDArray[np.intp]) -> list[int]:
        """Hashed ids of the bigrams ``words[i-1] words[i]`` (i >= 1), cached by row pair."""
        keys = ((rows[:-1] << 32) | rows[1:]).tolist()
        bc = self._bigrams
        got = list(map(bc.get, keys))
        if None in got:
            if len(bc) + len(got) > self._max_bigrams:
                bc.clear()
            mask = self.featurizer.mask
            for i, g in enumerate(got):
                if g is None:
                    got[i] = bc[keys[i]] = _h("b\x01" + words[i] + " " + words[i + 1], mask)
        return got  # type: ignore[return-value]

    def featurize(self, words: Sequence[str]) -> tuple[npt.NDArray[np.float32], float]:
        """Per-token contributions of ``words`` and the feature value ``1 / norm``.

        The same numbers as ``contributions(words, *featurizer.transform_parts(tokens))``
        (``feats.val[0]`` is the value returned), computed from the cached feature ids.
        """
        n = len(words)
        if not n:
            return np.zeros((0, self.weights.shape[1]), dtype=np.float32), 0.0
        rows = self.rows(words)
        bigrams = np.array(self._bigram_ids(words, rows) if n > 1 else [], dtype=np.intp)
        lens = self._flen[rows]
        ends = np.cumsum(lens)
        total = int(ends[-1])
        offs = np.repeat(self._fstart[rows] - (ends - lens), lens)
        offs += np.arange(total)
        ids = np.empty(total + n - 1, dtype=np.int32)
        np.take(self._flat, offs, out=ids[:total])
        ids[total:] = bigrams
        # L2 norm of the term counts: sum of squared run lengths of the sorted ids.
        ids.sort()
        m = ids.shape[0]
        edges = np.empty(m + 1, dtype=np.bool_)
        edges[0] = edges[m] = True
        np.not_equal(ids[1:], ids[:-1], out=edges[1:m])
        cuts = np.flatnonzero(edges)
        runs = cuts[1:] - cuts[:-1]
        norm = float(np.sqrt(np.dot(runs, runs)))
        val = np.float32(1.0 / norm)
        out = self._rows[rows]
        if n > 1:
            out[1:] += self.weights[bigrams]
        out *= val
        return out, float(val)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class LinearModel:
    """Several linear heads over one hashed feature space plus named dense features."""

    def __init__(
        self,
        heads: Sequence[str],
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float64],
        dense_names: Sequence[str],
        dense_weights: npt.NDArray[np.float64],
        calib_a: npt.NDArray[np.float64],
        calib_b: npt.NDArray[np.float64],
        meta: Mapping[str, Any],
        version: str = "",
    ) -> None:
        self.heads = tuple(heads)
        self.head_index = {h: i for i, h in enumerate(self.heads)}
        self.weights = weights  # (2**bits, n_heads) float32
        self.bias = bias
        self.dense_names = tuple(dense_names)
        self.dense_index = {n: i for i, n in enumerate(self.dense_names)}
        self.dense_weights = dense_weights  # (n_dense, n_heads)
        self.calib_a = calib_a
        self.calib_b = calib_b
        self.meta = dict(meta)
        self.version = version
        self.featurizer = shared_featurizer(int(self.meta.get("bits", 18)))

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            bits = int(meta["bits"])
            heads = [str(h) for h in z["heads"]]
            w = np.zeros((1 << bits, len(heads)), dtype=np.float32)
            w[z["rows"].astype(np.int64)] = z["weights"].astype(np.float32)
            return cls(
                heads,
                w,
                z["bias"].astype(np.float64),
                [str(n) for n in z["dense_names"]],
                z["dense_weights"].astype(np.float64),
                z["calib_a"].astype(np.float64),
                z["calib_b"].astype(np.float64),
                meta,
                version=file_sha256(path),
            )

    def save(self, path: Path) -> None:
        rows = np.flatnonzero(np.any(self.weights != 0, axis=1)).astype(np.int32)
        meta = dict(self.meta)
        meta["bits"] = self.featurizer.bits
        np.savez_compressed(
            path,
            rows=rows,
            weights=self.weights[rows].astype(np.float16),
            bias=self.bias,
            heads=np.array(self.heads),
            dense_names=np.array(self.dense_names, dtype=str),
            dense_weights=self.dense_weights,
            calib_a=self.calib_a,
            calib_b=self.calib_b,
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
        )

    def dense_vector(self, dense: Mapping[str, float]) -> npt.NDArray[np.float64]:
        x = np.zeros(len(self.dense_names), dtype=np.float64)
        for k, v in dense.items():
            i = self.dense_index.get(k)
            if i is not None:
                x[i] = v
        return x

    def token_contributions(self, feats: Features) -> npt.NDArray[np.float32]:
        """Per-token contribution to every head: ``(n_tokens, n_heads)`` (one gather).

        Summed over tokens it is the n-gram part of the logits; a row tells how much one word
        (its word, character and bigram features) pushed each head.
        """
        if not feats.idx.size:
            return np.zeros((0, len(self.heads)), dtype=np.float32)
        w = self.weights[feats.idx]
        w *= feats.val[:, None]
        own = feats.owner
        starts = np.flatnonzero(np.concatenate(([True], own[1:] != own[:-1])))
        out: npt.NDArray[np.float32] = np.add.reduceat(w, starts, axis=0)
        return out

    def logits(
        self,
        feats: Features,
        dense: Mapping[str, float] | None = None,
        contrib: npt.NDArray[np.float32] | None = None,
    ) -> npt.NDArray[np.float64]:
        """Raw scores; pass ``contrib`` (from :meth:`token_contributions`) to reuse it."""
        z = self.bias.copy()
        if contrib is None and feats.idx.size:
            contrib = self.token_contributions(feats)
        if contrib is not None and contrib.size:
            z += contrib.sum(axis=0, dtype=np.float64)
        if dense and self.dense_names:
            z += self.dense_vector(dense) @ self.dense_weights
        return z

    def predict_proba(
        self,
        feats: Features,
        dense: Mapping[str, float] | None = None,
        contrib: npt.NDArray[np.float32] | None = None,
    ) -> npt.NDArray[np.float64]:
        return sigmoid(self.calib_a * self.logits(feats, dense, contrib) + self.calib_b)

    def top_features(
        self,
        feats: Features,
        head: str,
        k: int = 3,
        contrib: npt.NDArray[np.float32] | None = None,
    ) -> list[tuple[int, float]]:
        """Tokens (by index) whose features pushed ``head`` up most, with contributions."""
        if contrib is None:
            contrib = self.token_contributions(feats)
        if not contrib.size:
            return []
        col = contrib[:, self.head_index[head]]
        if col.shape[0] > k:
            part = np.argpartition(-col, k)[:k]
            order = part[np.argsort(-col[part])]
        else:
            order = np.argsort(-col)
        return [(int(i), float(col[i])) for i in order if col[i] > 0]
