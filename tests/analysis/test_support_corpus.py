"""The synthetic support corpus (scripts/data/support_corpus, ADR 0014) and the upset head.

The corpus is training data we write ourselves: these tests keep it well-formed, balanced and
independent of the check sets in ``fixtures/support_messages_*.tsv`` (a check-set line copied
into the training rows would make the support check meaningless), and check that the shipped
model carries the upset head that the calm-form gate reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calmdesk.analysis import analyze_message
from calmdesk.analysis.message import core_model

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from check_support_corpus import (  # noqa: E402
    CORPUS_DIR,
    HOSTILITY_DIR,
    NEGATIVE,
    parse,
    parse_hostility,
)

FIXTURES = Path(__file__).parent / "fixtures"
LANGS = ["en", "pl", "sr", "he"]


def _grams(text: str) -> set[str]:
    t = " ".join(text.casefold().split())
    return {t[i : i + 4] for i in range(len(t) - 3)} or {t}


@pytest.mark.parametrize("code", LANGS)
def test_corpus_file_is_valid_and_balanced(code: str) -> None:
    path = CORPUS_DIR / f"{code}.tsv"
    assert path.read_text(encoding="utf-8").startswith("# Written by the calmdesk developers")
    lines, errors = parse(path)
    assert not errors, errors[:5]
    upset = [ln for ln in lines if ln.upset]
    assert len(lines) >= 500
    assert 0.5 <= 1 - len(upset) / len(lines) <= 0.7  # mostly calm, as a desk's traffic is
    for emotion in sorted(NEGATIVE):
        assert sum(emotion in ln.emotions for ln in upset) >= 25, emotion
    # Every line says whether it is a complaint; calm complaints (calmly told problems) and
    # upset non-complaints (worry the organisation did not cause) are both there.
    assert all(ln.complaint is not None for ln in lines)
    assert 0.4 <= sum(bool(ln.complaint) for ln in lines) / len(lines) <= 0.7
    assert sum(bool(ln.complaint) and not ln.upset for ln in lines) >= 100
    assert sum(not ln.complaint and ln.upset for ln in lines) >= 10


@pytest.mark.parametrize("code", ["en", "sr", "he"])
def test_hostility_corpus_is_valid_and_balanced(code: str) -> None:
    path = HOSTILITY_DIR / f"{code}.tsv"
    assert path.read_text(encoding="utf-8").startswith("# Written by the calmdesk developers")
    lines, errors = parse_hostility(path)
    assert not errors, errors[:5]
    assert len(lines) >= 300
    assert 0.4 <= sum(ln.hostile for ln in lines) / len(lines) <= 0.6


@pytest.mark.parametrize("code", LANGS)
def test_corpus_shares_no_line_with_the_check_sets(code: str) -> None:
    checks = []
    paths = sorted(FIXTURES.glob(f"support_messages*_{code}.tsv"))  # design and holdout
    assert len(paths) == 2, paths
    for path in paths:
        checks += [ln.split("\t")[0] for ln in path.read_text(encoding="utf-8").splitlines()[1:]]
    grams = [_grams(t) for t in checks]
    lines, _ = parse(CORPUS_DIR / f"{code}.tsv")
    hostility = HOSTILITY_DIR / f"{code}.tsv"
    texts = [ln.text for ln in lines]
    texts += [ln.text for ln in parse_hostility(hostility)[0]] if hostility.exists() else []
    close = []
    for text in texts:
        g = _grams(text)
        best = max(len(g & h) / len(g | h) for h in grams)
        if best >= 0.6:
            close.append(text)
    assert not close, close


def test_parse_reports_every_kind_of_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "xx.tsv"
    bad.write_text(
        "# header\n"
        "Where is my parcel?\t-\tneutral\n"
        "Where is my parcel?\t-\tneutral\n"  # duplicate
        "I am calm\t-\tnegative\n"  # negative without a negative emotion
        "Great\tjoy;anger\tpositive\n"  # positive with a negative emotion
        "What?\tbewildered\tneutral\n"  # unknown emotion
        "Two columns only\t-\n"
        "Four columns\t-\tneutral\tmaybe\n",
        encoding="utf-8",
    )
    lines, errors = parse(bad)
    assert len(lines) == 5
    text = "\n".join(errors)
    for needle in (
        "duplicate",
        "negative sentiment",
        "positive sentiment",
        "unknown",
        "expected 3 tab",
    ):
        assert needle in text, (needle, errors)


def test_the_shipped_model_has_the_upset_head_calibrated_on_the_corpus() -> None:
    model = core_model()
    assert "upset" in model.heads
    assert model.meta["calibrated_on"] == {
        "upset": "calmdesk_support_corpus",
        "complaint": "calmdesk_support_corpus",
    }
    assert any("support corpus" in str(s) for s in model.meta["trained_on"])


@pytest.mark.parametrize(
    "text",
    [
        # Plain statements and calmly told problems: no question, no thanks - the old calm
        # form did not cover them (written for this test, not in the corpus).
        "Przesyłam w załączniku skan umowy najmu, podpisany przez oboje najemców.",
        "Licznik gazu w piwnicy pokazuje dziś 10233, zdjęcie dołączam.",
        "Šaljem vam potvrdu o uplati za oktobar, uplata je izvršena juče.",
        pytest.param(
            "Router je resetovan, sada lampica svetli zeleno.",
            marks=pytest.mark.xfail(
                strict=True,
                reason="a known miss since the sixth-session retrain: negative sentiment at "
                "p 0.413 against the threshold 0.41, the upset head at 0.344 (the gate needs "
                "< 0.3); 'sada' (now) pulls it. docs/quality.md, 'Complaint labels'",
            ),
        ),
        "מצרפת את אישור ההעברה הבנקאית מאתמול, מספר אסמכתא 77120.",
        "אני אהיה בבית ביום רביעי אחרי ארבע, אפשר לתאם את הטכנאי לאז.",
        "Attached is the signed lease form for unit 4B.",
    ],
)
def test_calm_statements_raise_no_alarm(text: str) -> None:
    a = analyze_message(text)
    assert not (NEGATIVE & a.labels), sorted(a.labels)
    assert a.sentiment.label != "negative"
