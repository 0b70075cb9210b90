"""Train the reply coach's small linear models on OPEN datasets only.

    .venv/bin/python scripts/train_coach.py [--datasets ../shared/datasets]

Writes ``src/calmdesk/analysis/models/coach_{politeness_en,positivity_en,politeness_he}.npz``
(read at run time with numpy by ``calmdesk.analysis._scoring.LinearModel``) and prints the
figures that go into ``models/MODEL_CARD_coach.md``.

* ``politeness_en``: stanford_politeness (CC BY 4.0): ridge regression on ``normalized_score``
  (all rows, neutral included), Platt-calibrated on polite vs impolite;
* ``positivity_en``: positive_frames (CC BY-SA 4.0), ``text`` = 0, ``reframed_text`` = 1;
* ``politeness_he``: hedetox_he (GPL-3.0), ``text`` = 0, ``detoxified`` = 1.

Features: the engine's hashed word/bigram/char n-grams (``_scoring.HashFeaturizer``) of the
normalised text.  Held-back data: stanford_politeness and hedetox_he ship only ``train.csv``;
rows whose CRC-32 of ``id`` mod 100 >= 80 are never trained on (``scripts/eval_coach.py``
reports on them).  positive_frames trains on ``train.csv`` only (``dev.csv`` is reported).
Calibration (Platt ``a``, ``b``) is fitted on a further 15 % of the training rows, chosen by the
same hash (mod 100 in 65..79), which the linear weights do not see.  EPITOME (NC) is never read.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression, Ridge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calmdesk.analysis._coach_features import doc_features  # noqa: E402
from calmdesk.analysis._coach_rules import load_pack  # noqa: E402
from calmdesk.analysis._scoring import HashFeaturizer, LinearModel  # noqa: E402
from calmdesk.analysis._text import normalize  # noqa: E402

MODELS = ROOT / "src" / "calmdesk" / "analysis" / "models"
DATASETS = ROOT.parent / "shared" / "datasets"
BITS = 18
csv.field_size_limit(10**9)


def bucket(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % 100


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def featurize(texts: list[str], lang: str, fz: HashFeaturizer) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    markers = load_pack(lang).markers
    for i, t in enumerate(texts):
        norm = normalize(t, translit=lang == "sr")
        f, _ = doc_features(norm.text, markers, fz.bits)
        rows.extend([i] * len(f.idx))
        cols.extend(f.idx.tolist())
        vals.extend(f.val.tolist())
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << fz.bits))


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def train(name: str, lang: str, texts: list[str], labels: list[int], keys: list[str],
          c: float, source: dict[str, str], target: list[float] | None = None,
          ) -> dict[str, object]:  # fmt: skip
    """Fit on buckets 0-64, calibrate on 65-79 (labels -1 = no class: not calibrated on).

    With *target* a ridge regression on the continuous score (``c`` = alpha) replaces the
    logistic regression (used for politeness, whose neutral rows carry information too).
    """
    fz = HashFeaturizer(bits=BITS)
    y = np.asarray(labels)
    b = np.asarray([bucket(k) for k in keys])
    fit_m = b < 65
    cal_m = (b >= 65) & (b < 80) & (y >= 0)
    x = featurize(texts, lang, fz)
    t0 = time.time()
    if target is None:
        lr = LogisticRegression(C=c, max_iter=3000, solver="liblinear")
        lr.fit(x[fit_m], y[fit_m])
        coef, intercept = lr.coef_[0], float(lr.intercept_[0])
    else:
        rg = Ridge(alpha=c)
        rg.fit(x[fit_m], np.asarray(target)[fit_m])
        coef, intercept = rg.coef_, float(rg.intercept_)
    z_cal = x[cal_m] @ coef + intercept
    a, bb = platt(np.asarray(z_cal), y[cal_m])
    acc_cal = float(((a * z_cal + bb > 0).astype(int) == y[cal_m]).mean())
    weights = np.zeros((1 << BITS, 1), dtype=np.float32)
    weights[:, 0] = coef
    meta = {
        "bits": BITS, "head": name, "lang": lang, "trained_rows": int(fit_m.sum()),
        "calibration_rows": int(cal_m.sum()), "C": c, "calibration_accuracy": round(acc_cal, 4),
        "source": source, "featurizer": fz.config(),
        "trained_at": time.strftime("%Y-%m-%d", time.gmtime()),
    }  # fmt: skip
    model = LinearModel([name], weights, np.asarray([intercept]), [], np.zeros((0, 1)),
                        np.asarray([a]), np.asarray([bb]), meta)  # fmt: skip
    path = MODELS / f"coach_{name}_{lang}.npz"
    model.save(path)
    print(f"{path.name}: {fit_m.sum()} train rows, {cal_m.sum()} calibration rows, "
          f"calibration accuracy {acc_cal:.3f}, {time.time() - t0:.1f}s, "
          f"{path.stat().st_size / 1024:.0f} KiB")  # fmt: skip
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    a = ap.parse_args(argv)
    d: Path = a.datasets
    metas = {}
    # politeness (en): the held-back 20 % is never read here
    rs = [r for r in read(d / "stanford_politeness" / "train.csv") if bucket(r["id"]) < 80]
    metas["politeness_en"] = train(
        "politeness", "en", [r["text"] for r in rs],
        [{"polite": 1, "impolite": 0}.get(r["label"], -1) for r in rs],
        [r["id"] for r in rs], 1.0,
        {"dataset": "stanford_politeness", "licence": "CC BY 4.0", "use": "OPEN",
         "target": "normalized_score (ridge, all rows incl. neutral), "
                   "calibrated on polite/impolite"},
        target=[float(r["normalized_score"]) for r in rs],
    )  # fmt: skip
    # positivity (en): train.csv only; pairs share their id (both sides in the same part)
    rs = read(d / "positive_frames" / "train.csv")
    metas["positivity_en"] = train(
        "positivity", "en",
        [r["text"] for r in rs] + [r["reframed_text"] for r in rs],
        [0] * len(rs) + [1] * len(rs), [r["id"] for r in rs] * 2, 30.0,
        {"dataset": "positive_frames", "licence": "CC BY-SA 4.0", "use": "OPEN"},
    )  # fmt: skip
    # politeness (he): hedetox pairs, held-back 20 % never read
    rs = [r for r in read(d / "hedetox_he" / "train.csv") if bucket(r["id"]) < 80]
    metas["politeness_he"] = train(
        "politeness", "he",
        [r["text"] for r in rs] + [r["detoxified"] for r in rs],
        [0] * len(rs) + [1] * len(rs), [r["id"] for r in rs] * 2, 1.0,
        {"dataset": "hedetox_he", "licence": "GPL-3.0", "use": "OPEN"},
    )  # fmt: skip
    print(json.dumps(metas, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
