"""False-alarm check: on good replies we wrote (warm, specific, with next steps), the coach must
stay quiet.  Average warning-or-error findings per reply <= 0.2, per language (issue 4).

The corpus is tests/analysis/fixtures/good_replies_<lang>.txt (110 replies per language;
Serbian half in Cyrillic), composed by fixtures/make_good_replies.py from parts we wrote.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmdesk.analysis._text import script_of
from calmdesk.analysis.coach import review_reply

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


def good_replies(lang: str) -> list[str]:
    text = (FIXTURES / f"good_replies_{lang}.txt").read_text(encoding="utf-8")
    return [r.strip() for r in text.split("\n---\n") if r.strip()]


@pytest.mark.parametrize("lang", ["en", "pl", "sr", "he"])
def test_good_replies_raise_few_warnings(lang: str) -> None:
    replies = good_replies(lang)
    assert len(replies) >= 100
    counts: Counter[str] = Counter()
    total = 0
    for reply in replies:
        review = review_reply(reply, lang=lang, now=NOW, tz="Europe/Warsaw")
        serious = [f for f in review.findings if f.level in ("warning", "error")]
        total += len(serious)
        counts.update(f.rule_id for f in serious)
    average = total / len(replies)
    assert average <= 0.2, (
        f"{lang}: {average:.3f} warnings per reply; by rule: {counts.most_common()}"
    )


def test_serbian_corpus_has_both_scripts() -> None:
    scripts = Counter(script_of(r) for r in good_replies("sr"))
    assert scripts["Latn"] >= 50 and scripts["Cyrl"] >= 50


@pytest.mark.parametrize("lang", ["en", "pl", "sr", "he"])
def test_good_replies_score_well(lang: str) -> None:
    replies = good_replies(lang)
    reviews = [review_reply(r, lang=lang, now=NOW, tz="Europe/Warsaw") for r in replies]
    for key in ("expectation_setting", "ownership", "clarity"):
        share = sum(1 for rv in reviews if rv.scores[key].value >= 0.5) / len(reviews)
        assert share >= 0.8, f"{lang}: only {share:.2f} of good replies pass {key}"
    assert all(rv.commitments for rv in reviews)
