"""Build the word lists that tell a real word from a typing slip (``lang/<code>/words.txt.gz``).

    .venv/bin/python scripts/build_wordlists.py [--min-count 2] [--datasets ../shared/datasets]

The crisis rules read a word one slip away from a crisis word as that word ("myslef" ->
"myself"), but only when the token is no word of the language: "borbu" (a fight) is one slip
from a threat word and is a word.  This script counts the word forms of the OPEN datasets'
training rows (never the held-back 20 % nor a dev split), each read as the engine reads it
(normalised, tokenised, Serbian in Latin, diacritics folded in the packs that fold them, Hebrew
prefixes left on), and keeps the forms seen at least ``--min-count`` times (default 2), plus
every form of our synthetic support corpus (spelled right).  Forms seen once in open data
include its typos, and the common typos of crisis words are among them: GoEmotions has
"myslef".  The price: the open Serbian text is small, so ordinary words of a client's message
may be read as slips of a crisis pattern's word ("odjavim" -> "objavim", "ističu" expire ->
"istuću" I will beat up).  Words of digits only are left out.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from _splits import held_back, read  # noqa: E402
from calmdesk.analysis._rules import LANG_DIR, load_pack  # noqa: E402
from calmdesk.analysis._text import normalize, tokenize  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
CORPUS_DIR = ROOT / "scripts" / "data" / "support_corpus"

# (dataset, text columns, row filter on the "lang" column or None) per pack; OPEN sets only.
SOURCES: dict[str, list[tuple[str, tuple[str, ...], frozenset[str] | None]]] = {
    "en": [
        ("goemotions", ("text",), None),
        ("xed_emotions", ("text",), frozenset({"en"})),
        ("stanford_politeness", ("text",), None),
        ("positive_frames", ("text", "reframed_text"), None),
        ("bitext_customer_support", ("text",), None),
    ],
    "pl": [
        ("xed_emotions", ("text",), frozenset({"pl"})),
        ("clarin_emo_pl", ("text",), None),
        ("poleval2019_cyberbullying", ("text",), None),
    ],
    "sr": [("xed_emotions", ("text",), frozenset({"sr-Latn", "sr-Cyrl", "hr", "bs"}))],
    "he": [
        ("xed_emotions", ("text",), frozenset({"he"})),
        ("hebrew_sentiment", ("text",), None),
        ("hedetox_he", ("text", "detoxified"), None),
    ],
}


def _texts(code: str, datasets: Path) -> Iterator[str]:
    for name, columns, langs in SOURCES[code]:
        for row in read(datasets / name / "train.csv"):
            if held_back(row["id"]) or (langs is not None and row.get("lang") not in langs):
                continue
            for col in columns:
                if row.get(col):
                    yield row[col]


def _corpus_texts(code: str) -> Iterator[str]:
    """Our synthetic support corpus (spelled right: each of its forms counts)."""
    path = CORPUS_DIR / f"{code}.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t", 1)[0]


def count_words(code: str, texts: Iterable[str]) -> Counter[str]:
    """Word forms as the engine's matcher compares them."""
    lex = load_pack(code).lexicon
    counts: Counter[str] = Counter()
    for text in texts:
        norm = normalize(text, translit=code == "sr")
        counts.update(lex.forms_of(t.text)[0] for t in tokenize(norm.text) if not t.text.isdigit())
    return counts


COMMON_FORMS = 300  # forms listed in common.txt


def write_common(code: str, counts: Counter[str], n: int) -> Path:
    """``lang/<code>/common.txt``: the ``n`` most frequent forms, most frequent first.  The
    matcher indexes a pattern by its first token none of whose words is listed (a pattern
    anchored on "i" or "nie" would be tried at every "i" or "nie" of every message)."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    common = [w for w, _ in ranked if not w.isdigit()][:n]
    out = LANG_DIR / code / "common.txt"
    head = (
        f"# The {len(common)} most frequent word forms of the open training rows and our support"
        " corpus, most frequent first\n# (scripts/build_wordlists.py; see _rules.Lexicon).\n"
    )
    out.write_text(head + "\n".join(common) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    ap.add_argument("--only", action="append", choices=sorted(SOURCES))
    ap.add_argument("--common", type=int, default=COMMON_FORMS)
    a = ap.parse_args(argv)
    for code in a.only or sorted(SOURCES):
        counts = count_words(code, _texts(code, a.datasets))
        ours = count_words(code, _corpus_texts(code))
        words = sorted({w for w, n in counts.items() if n >= a.min_count} | set(ours))
        counts.update(ours)
        out = LANG_DIR / code / "words.txt.gz"
        data = ("\n".join(words) + "\n").encode("utf-8")
        # mtime 0: the same words give the same bytes (the pack's version hashes the folder)
        with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
            f.write(data)
        print(f"{out.relative_to(ROOT)}: {len(words):,} forms (seen >= {a.min_count} times "
              f"in open data, or in our corpus) of {len(counts):,}, "
              f"{out.stat().st_size / 1024:.0f} KiB")  # fmt: skip
        common = write_common(code, counts, a.common)
        print(f"{common.relative_to(ROOT)}: the {a.common} most frequent forms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
