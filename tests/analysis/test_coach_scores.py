"""The reply coach's English politeness and positivity models (second version, issue 4).

Texts here are written by the calmdesk developers; the good-reply corpus is
``tests/analysis/fixtures/good_replies_en.txt`` (also ours).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from calmdesk.analysis import coach
from calmdesk.analysis._coach_features import (
    STRATEGY_NAMES,
    STYLE_NAMES,
    model_features,
    plain_features,
    plain_sentence,
    strategy_vector,
    style_vector,
)
from calmdesk.analysis._coach_rules import load_pack
from calmdesk.analysis._scoring import LinearModel
from calmdesk.analysis._text import normalize
from calmdesk.analysis.coach import review_reply

MODELS = Path(__file__).resolve().parents[2] / "src" / "calmdesk" / "analysis" / "models"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _meta(name: str) -> dict[str, object]:
    with np.load(MODELS / f"coach_{name}.npz") as z:
        meta: dict[str, object] = json.loads(str(z["meta"]))
        assert z["dense_weights"].shape[0] == len(z["dense_names"])
        return meta


def test_shipped_politeness_model_matches_the_feature_code():
    meta = _meta("politeness_en")
    assert meta["version"] == 2 and meta["dense"] == "strategies"
    with np.load(MODELS / "coach_politeness_en.npz") as z:
        assert tuple(str(n) for n in z["dense_names"]) == STRATEGY_NAMES


def test_sentence_mean_does_not_grow_with_length():
    """``"sentence_mean"`` (the second-version positivity features, not shipped): a text made
    of one sentence repeated has the same feature vector as the sentence alone."""
    meta = {"bits": 20, "chars": False, "char_ngrams": [1, 5], "char_weight": 1.0,
            "dense": "style", "sentence_mean": True}  # fmt: skip

    def vec(text: str) -> dict[int, float]:
        norm = normalize(text)
        f, _, d = model_features(norm.text, norm.original, norm.span, None, meta)
        assert d is not None and d.shape == (len(STYLE_NAMES),)
        out: dict[int, float] = {}
        for i, v in zip(f.idx.tolist(), f.val.tolist(), strict=True):
            out[i] = out.get(i, 0.0) + v
        return out

    one = vec("I will call you back tomorrow.")
    three = vec(" ".join(["I will call you back tomorrow."] * 3))
    assert one.keys() == three.keys()
    assert all(abs(one[k] - three[k]) < 1e-6 for k in one)


def test_dense_vectors_have_one_value_per_name():
    sents = ["Hi Sam, thanks for the quick fix!", "Could you maybe check the log too?"]
    s = strategy_vector(sents)
    assert s.shape == (len(STRATEGY_NAMES),)
    got = dict(zip(STRATEGY_NAMES, s, strict=True))
    assert got["greeting.first"] == 1.0 and got["gratitude.first"] == 1.0
    assert got["counterfactual.last"] == 1.0 and got["hedge.last"] == 1.0
    assert got["indicative.any"] == 0.0 and got["question_last"] == 1.0
    t = style_vector(["ugh the bus is late AGAIN!!", "hate mondays :("])
    assert t.shape == (len(STYLE_NAMES),)
    got = dict(zip(STYLE_NAMES, t, strict=True))
    assert got["caps_word.any"] == 1.0 and got["repeated_punct.any"] == 1.0
    assert got["emoticon.any"] == 1.0 and got["end_punct"] == 0.0
    assert got["lower_start"] == 1.0 and got["negative_feeling.any"] == 1.0
    assert strategy_vector([]).shape == (len(STRATEGY_NAMES),)
    assert style_vector([""]).shape == (len(STYLE_NAMES),)


def test_model_features_keep_one_run_per_sentence():
    meta = _meta("politeness_en")
    text = "Hello Ana. Thanks for writing! I will call you tomorrow at 10 am."
    norm = normalize(text)
    feats, ranges, dense = model_features(
        norm.text, norm.original, norm.span, load_pack("en").markers, meta
    )
    assert len(ranges) == 3 and dense is not None
    assert feats.idx.size == feats.val.size == feats.owner.size
    # token_contributions() reads one contiguous run of entries per sentence
    assert np.all(np.diff(feats.owner) >= 0) and set(feats.owner.tolist()) == {0, 1, 2}
    assert int(feats.idx.max()) < 1 << int(str(meta["bits"]))
    # the cased character block sees what lower-casing hides
    loud = normalize("PLEASE SEND IT NOW.")
    f2, _, _ = model_features(loud.text, loud.original, loud.span, None, meta)
    quiet = normalize("please send it now.")
    f3, _, _ = model_features(quiet.text, quiet.original, quiet.span, None, meta)
    assert set(f2.idx.tolist()) != set(f3.idx.tolist())


def _score(text: str, key: str) -> float:
    return review_reply(text, lang="en").scores[key].value


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (
            "Hi Marta, thanks for the details. Could you send me a photo of the label, please?",
            "Send me a photo of the label. Why didn't you do that in the first place?",
        ),
        (
            "Would you mind checking the settings page once more? I appreciate your help.",
            "Did you even read the settings page? This is the third time I am explaining it.",
        ),
        (
            "Good point, thank you. Maybe we could try the older version first?",
            "That makes no sense. Just use the older version.",
        ),
    ],
)
def test_politeness_orders_polite_over_rude(better: str, worse: str):
    assert _score(better, "politeness") > _score(worse, "politeness")
    assert _score(better, "politeness") >= 0.5 > _score(worse, "politeness")


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (
            "The delay is annoying, but I will use the time to finish my other work.",
            "ugh this delay is sooo annoying, worst week ever!!",
        ),
        (
            "I am grateful that the repair is covered and I look forward to using it again.",
            "the repair STILL isn't done and nobody cares #useless",
        ),
        (
            "Tomorrow is a fresh start and I hope the meeting goes well.",
            "hate mondays. another pointless meeting tomorrow...",
        ),
    ],
)
def test_positivity_orders_reframe_over_complaint(better: str, worse: str):
    assert _score(better, "positivity") > _score(worse, "positivity")
    assert _score(better, "positivity") >= 0.5 > _score(worse, "positivity")


def test_good_replies_are_framed_positively():
    """Domain guard: the positivity model learned tweets and their reframes; our warm, specific
    customer-service replies must still come out positive (length is not negativity)."""
    text = (FIXTURES / "good_replies_en.txt").read_text(encoding="utf-8")
    replies = [r.strip() for r in text.split("\n---\n") if r.strip()]
    pos = np.asarray([_score(r, "positivity") for r in replies])
    pol = np.asarray([_score(r, "politeness") for r in replies])
    assert len(replies) >= 100
    assert pos.mean() >= 0.6 and (pos >= 0.5).mean() >= 0.75
    assert pol.mean() >= 0.6 and (pol >= 0.5).mean() >= 0.75


def test_model_evidence_points_into_the_draft():
    draft = "Hi Leo, thank you for waiting. I will send the new invoice today."
    review = review_reply(draft, lang="en")
    for key in ("politeness", "positivity"):
        ev = review.scores[key].evidence
        assert ev
        for line in ev:
            if line.startswith("model: ") and "(+" in line:
                quoted = line[len("model: ") : line.rindex(" (+")]
                assert quoted in draft or quoted in STRATEGY_NAMES + STYLE_NAMES


_V3 = {"version": 3, "bits": 20, "char_ngrams": [1, 5], "lexicon": ["positive", "negative"]}


def _v3_ids(text: str) -> list[tuple[int, float]]:
    pack = load_pack("en")
    norm = normalize(text)
    f, ranges = plain_features(norm.text, pack.markers, pack.lexicon, _V3)
    assert np.all(np.diff(f.owner) >= 0) and set(f.owner.tolist()) <= set(range(len(ranges)))
    return sorted(zip(f.idx.tolist(), np.round(f.val, 6).tolist(), strict=True))


def test_plain_features_ignore_style_but_not_words():
    """The third-version (style-free) positivity features: case, punctuation, hashtags and emoji
    change nothing, a different word does."""
    assert (
        plain_sentence("We CAN ship it on Monday!! #fast :) 🚚") == "we can ship it on monday fast"
    )
    base = _v3_ids("We can ship it on Monday.")
    assert base == _v3_ids("we can ship it on monday")
    assert base == _v3_ids("WE CAN SHIP IT ON MONDAY!!! 🚚")
    assert base != _v3_ids("We can't ship it on Monday.")
    # the pack's word classes are counted: "great" is in the positive class
    great, fine = _v3_ids("That is great."), _v3_ids("That is blue.")
    assert len(great) > len(fine)


def test_coach_reads_a_third_version_positivity_model(tmp_path, monkeypatch):
    """coach._model_logit runs the ``"version": 3`` branch: a tiny model that weighs the words
    of one sentence scores that sentence up, whatever its punctuation or case."""
    pack = load_pack("en")
    norm = normalize("We can ship it on Monday.")
    f, _ = plain_features(norm.text, pack.markers, pack.lexicon, _V3)
    w = np.zeros((1 << 20, 1), dtype=np.float32)
    w[f.idx, 0] = 1.0
    meta = {**_V3, "head": "positivity", "lang": "en"}
    model = LinearModel(["positivity"], w, np.asarray([-2.0]), (), np.zeros((0, 1)),
                        np.asarray([1.0]), np.asarray([0.0]), meta)  # fmt: skip
    for name in ("politeness_en", "politeness_he"):
        (tmp_path / f"coach_{name}.npz").symlink_to(MODELS / f"coach_{name}.npz")
    model.save(tmp_path / "coach_positivity_en.npz")
    monkeypatch.setattr(coach, "_MODELS_DIR", tmp_path)
    coach._model.cache_clear()
    try:
        a = _score("We can ship it on Monday.", "positivity")
        b = _score("WE CAN SHIP IT ON MONDAY!!", "positivity")
        c = _score("The parcel is blue.", "positivity")
    finally:
        coach._model.cache_clear()
    assert abs(a - b) < 1e-3
    assert a > 0.5 > c
