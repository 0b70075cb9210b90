"""An organization's own root-cause taxonomy, learned from a few labelled cases per class.

``RootCauseModel.fit(texts, labels)`` trains an L2-regularised softmax regression (numpy only,
full-batch gradient descent with Nesterov momentum) over the engine's hashed n-gram features
and the language packs' lexicon categories.  ``rank(text)`` returns ranked
:class:`RootCause` results with evidence spans (the tokens that pushed the class up most);
``save(path)`` / ``RootCauseModel.load(path)`` use a compressed ``.npz`` (no pickle).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._types import RootCause, Span

__all__ = ["RootCauseModel"]


def _lex_names(p: object) -> list[str]:
    matches = getattr(p, "matches", [])
    return sorted({"lex:" + m.entry.category for m in matches})


class RootCauseModel:
    def __init__(
        self,
        classes: Sequence[str],
        columns: npt.NDArray[np.int64],
        lex: Sequence[str],
        weights: npt.NDArray[np.float64],
        bias: npt.NDArray[np.float64],
    ) -> None:
        self.classes = tuple(classes)
        self.columns = columns  # sorted hashed feature ids known to the model
        self.lex = tuple(lex)
        self._lex_index = {n: i for i, n in enumerate(self.lex)}
        self.weights = weights  # (len(columns) + len(lex), n_classes)
        self.bias = bias
        h = hashlib.sha256(weights.tobytes() + "|".join(self.classes).encode())
        self.version = h.hexdigest()[:16]

    # -- features
    def _row(
        self, text: str, lang: str | None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], list[int], object]:
        from .message import prepare

        p = prepare(text, lang=lang)
        pos = np.searchsorted(self.columns, p.feats.idx)
        pos = np.minimum(pos, max(len(self.columns) - 1, 0))
        ok = (self.columns[pos] == p.feats.idx) if len(self.columns) else np.zeros(0, bool)
        cols = pos[ok].astype(np.int64)
        vals = p.feats.val[ok].astype(np.float64)
        owners = [int(o) for o in p.feats.owner[ok]]
        lex_cols = [
            len(self.columns) + self._lex_index[n] for n in _lex_names(p) if n in self._lex_index
        ]
        cols = np.concatenate([cols, np.asarray(lex_cols, dtype=np.int64)])
        vals = np.concatenate([vals, np.full(len(lex_cols), 0.5)])
        owners += [-1] * len(lex_cols)
        return cols, vals, owners, p

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        lang: str | None = None,
        l2: float = 1e-3,
        iterations: int = 300,
    ) -> RootCauseModel:
        """Train on ``texts`` with one class label each (at least two classes)."""
        from .message import prepare

        if len(texts) != len(labels) or not texts:
            raise ValueError("texts and labels must be non-empty and of equal length")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError("need at least two classes")
        preps = [prepare(t, lang=lang) for t in texts]
        columns = np.unique(np.concatenate([p.feats.idx for p in preps] or [np.zeros(0, np.int64)]))
        lex = sorted({n for p in preps for n in _lex_names(p)})
        model = cls(
            classes,
            columns.astype(np.int64),
            lex,
            np.zeros((len(columns) + len(lex), len(classes))),
            np.zeros(len(classes)),
        )
        rows_l, cols_l, vals_l = [], [], []
        for i, t in enumerate(texts):
            c, v, _, _ = model._row(t, lang)
            rows_l.append(np.full(len(c), i))
            cols_l.append(c)
            vals_l.append(v)
        rows = np.concatenate(rows_l)
        cols = np.concatenate(cols_l)
        vals = np.concatenate(vals_l)
        n, d, k = len(texts), model.weights.shape[0], len(classes)
        y = np.zeros((n, k))
        y[np.arange(n), [classes.index(lab) for lab in labels]] = 1.0
        w = np.zeros((d, k))
        b = np.log(y.mean(axis=0) + 1e-9)
        vw, vb = np.zeros_like(w), np.zeros_like(b)
        lr, mom = 2.0, 0.9
        for _ in range(iterations):
            wl, bl = w + mom * vw, b + mom * vb
            z = np.zeros((n, k))
            np.add.at(z, rows, vals[:, None] * wl[cols])
            z += bl
            z -= z.max(axis=1, keepdims=True)
            pz = np.exp(z)
            pz /= pz.sum(axis=1, keepdims=True)
            g = (pz - y) / n
            gw = np.zeros((d, k))
            np.add.at(gw, cols, vals[:, None] * g[rows])
            gw += l2 * wl
            gb = g.sum(axis=0)
            vw = mom * vw - lr * gw
            vb = mom * vb - lr * gb
            w, b = w + vw, b + vb
        return cls(classes, model.columns, lex, w, b)

    def predict_proba(self, text: str, *, lang: str | None = None) -> dict[str, float]:
        cols, vals, _, _ = self._row(text, lang)
        z = self.bias + vals @ self.weights[cols] if len(cols) else self.bias.copy()
        z = z - z.max()
        p = np.exp(z) / np.exp(z).sum()
        return {c: float(p[i]) for i, c in enumerate(self.classes)}

    def rank(self, text: str, *, lang: str | None = None, k: int = 3) -> list[RootCause]:
        """Top ``k`` classes with probability and evidence spans."""
        cols, vals, owners, p = self._row(text, lang)
        z = self.bias + (vals @ self.weights[cols] if len(cols) else 0.0)
        z = z - np.max(z)
        prob = np.exp(z) / np.exp(z).sum()
        out: list[RootCause] = []
        tokens = getattr(p, "tokens", [])
        for ci in np.argsort(-prob)[:k]:
            contrib: dict[int, float] = {}
            for j, (c, v) in enumerate(zip(cols, vals, strict=True)):
                o = owners[j]
                if o >= 0:
                    contrib[o] = contrib.get(o, 0.0) + float(v * self.weights[c, ci])
            top = sorted((t for t in contrib.items() if t[1] > 0), key=lambda t: -t[1])[:3]
            spans: list[Span] = []
            for ti, _ in top:
                tok = tokens[ti]
                spans.append(p.orig_span(tok.start, tok.end))  # type: ignore[attr-defined]
            out.append(RootCause(self.classes[int(ci)], round(float(prob[ci]), 4), tuple(spans)))
        return out

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            Path(path),
            classes=np.array(self.classes, dtype=str),
            columns=self.columns,
            lex=np.array(self.lex, dtype=str),
            weights=self.weights,
            bias=self.bias,
            meta=np.array(json.dumps({"kind": "calmdesk.rootcause/1"})),
        )

    @classmethod
    def load(cls, path: str | Path) -> RootCauseModel:
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("kind") != "calmdesk.rootcause/1":
                raise ValueError(f"not a calmdesk root-cause model: {path}")
            return cls(
                [str(c) for c in z["classes"]],
                z["columns"].astype(np.int64),
                [str(n) for n in z["lex"]],
                z["weights"].astype(np.float64),
                z["bias"].astype(np.float64),
            )
