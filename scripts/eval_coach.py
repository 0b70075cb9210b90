"""Print the reply coach's quality table (issue 4) on the shared dev / held-back data.

    .venv/bin/python scripts/eval_coach.py [--datasets ../shared/datasets] [--markdown]
    .venv/bin/python scripts/eval_coach.py --csv path/to/test.csv --dataset stanford_politeness

``rows()`` returns the table rows (dataset, prediction, floor, measured, n, passed) for
``scripts/evaluate.py --suite coach``.  Which rows are read:

* epitome_empathy (NC, evaluation only, never trained on): the deterministic held-back 20 %
  of ``train.csv`` (CRC-32 of ``id`` mod 100 >= 80); ``--all-epitome`` reads every row.
* stanford_politeness, hedetox_he (only ``train.csv``): the held-back 20 % the training script
  never trains on (same hash, on ``id``).
* positive_frames: the official ``dev.csv`` (training reads ``train.csv`` only).

With ``--csv`` every row of the given file is evaluated (for the test splits kept apart).
Every prediction comes from the public ``review_reply`` (the reply as the draft, the post it
answers as ``client_message`` where the data set has one).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _splits import held_back, read  # noqa: E402
from calmdesk.analysis.coach import review_reply  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
Row = dict[str, Any]


def _f1(pairs: Iterable[tuple[bool, bool]]) -> float:
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp += gold and pred
        fp += (not gold) and pred
        fn += gold and not pred
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def macro_f1(pairs: list[tuple[bool, bool]]) -> float:
    return (_f1(pairs) + _f1([(not g, not p) for g, p in pairs])) / 2


def row(dataset: str, prediction: str, floor_txt: str, floor: float, measured: float,
        n: int) -> Row:  # fmt: skip
    return {"dataset": dataset, "prediction": prediction, "floor": floor_txt,
            "measured": round(measured, 4), "n": n, "passed": measured >= floor}  # fmt: skip


def score(text: str, key: str, lang: str, client: str | None = None) -> float:
    review = review_reply(text, lang=lang, client_message=client)
    return review.scores[key].value


def ev_epitome(rs: list[dict[str, str]]) -> list[Row]:
    out = []
    reviews = [review_reply(r["text"], lang="en", client_message=r["context"] or None) for r in rs]
    for label, key, floor in (
        ("emotional_reactions", "empathy_emotional_reaction", 0.70),
        ("interpretations", "empathy_interpretation", 0.74),
        ("explorations", "empathy_exploration", 0.84),
    ):
        pairs = [
            (int(r[label]) > 0, rv.scores[key].value >= 0.5)
            for r, rv in zip(rs, reviews, strict=True)
        ]
        out.append(
            row(
                f"epitome_empathy: {label} level > 0",
                f'scores["{key}"] >= 0.5',
                f"macro-F1 >= {floor}",
                floor,
                macro_f1(pairs),
                len(pairs),
            )
        )
    return out


def ev_stanford(rs: list[dict[str, str]]) -> list[Row]:
    rs = [r for r in rs if r["label"] in ("polite", "impolite")]
    pairs = [(r["label"] == "polite", score(r["text"], "politeness", "en") >= 0.5) for r in rs]
    return [
        row(
            "stanford_politeness: polite vs impolite",
            'scores["politeness"] >= 0.5',
            "macro-F1 >= 0.76",
            0.76,
            macro_f1(pairs),
            len(pairs),
        )
    ]


def ev_positive_frames(rs: list[dict[str, str]]) -> list[Row]:
    orig = [score(r["text"], "positivity", "en") for r in rs]
    ref = [score(r["reframed_text"], "positivity", "en") for r in rs]
    better = sum(1 for a, b in zip(orig, ref, strict=True) if b > a) / max(1, len(rs))
    pairs = [(False, a >= 0.5) for a in orig] + [(True, b >= 0.5) for b in ref]
    return [
        row(
            "positive_frames: pairs",
            "positivity(reframed_text) > positivity(text)",
            ">= 0.93 of pairs",
            0.93,
            better,
            len(rs),
        ),
        row(
            "positive_frames: text vs reframed_text",
            'scores["positivity"] >= 0.5',
            "macro-F1 >= 0.93",
            0.93,
            macro_f1(pairs),
            len(pairs),
        ),
    ]


def ev_hedetox(rs: list[dict[str, str]]) -> list[Row]:
    better = sum(
        1 for r in rs
        if score(r["detoxified"], "politeness", "he") > score(r["text"], "politeness", "he")
    )  # fmt: skip
    return [
        row(
            "hedetox_he: pairs",
            "politeness(detoxified) > politeness(text)",
            ">= 0.90 of pairs",
            0.90,
            better / max(1, len(rs)),
            len(rs),
        )
    ]


SUITE: dict[str, tuple[Callable[[list[dict[str, str]]], list[Row]], str, bool]] = {
    # name: (evaluator, file, held-back part only)
    "epitome_empathy": (ev_epitome, "train.csv", True),
    "stanford_politeness": (ev_stanford, "train.csv", True),
    "positive_frames": (ev_positive_frames, "dev.csv", False),
    "hedetox_he": (ev_hedetox, "train.csv", True),
}


def rows(datasets: Path = DATASETS, *, all_epitome: bool = False) -> list[Row]:
    """The coach quality table on the shared data (see the module docstring)."""
    out: list[Row] = []
    for name, (fn, file, held) in SUITE.items():
        rs = read(datasets / name / file)
        if held and not (all_epitome and name == "epitome_empathy"):
            rs = [r for r in rs if held_back(r["id"])]
        out.extend(fn(rs))
    return out


def render(table: list[Row], markdown: bool) -> str:
    head = ["dataset", "prediction", "floor", "measured", "n", "pass"]
    lines = []
    if markdown:
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table:
        cells = [str(r["dataset"]), str(r["prediction"]), str(r["floor"]),
                 f"{float(r['measured']):.3f}", str(r["n"]),
                 "PASS" if r["passed"] else "FAIL"]  # fmt: skip
        if markdown:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        else:
            lines.append(f"{cells[0][:44]:44} {cells[1][:46]:46} {cells[2]:18} {cells[3]:>6} "
                         f"{cells[4]:>5} {cells[5]}")  # fmt: skip
    lines.append(f"\n{sum(1 for r in table if r['passed'])}/{len(table)} rows pass")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    ap.add_argument("--csv", type=Path, help="evaluate every row of this CSV file")
    ap.add_argument("--dataset", choices=sorted(SUITE), help="which evaluator applies to --csv")
    ap.add_argument("--all-epitome", action="store_true", help="all EPITOME rows, not 20 %%")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args(argv)
    if a.csv:
        name = a.dataset or a.csv.resolve().parent.name
        if name not in SUITE:
            ap.error(f"unknown dataset {name!r}; one of {', '.join(SUITE)}")
        table = SUITE[name][0](read(a.csv))
    else:
        table = rows(a.datasets, all_epitome=a.all_epitome)
    print(render(table, a.markdown))
    return 0 if all(r["passed"] for r in table) else 1


if __name__ == "__main__":
    raise SystemExit(main())
