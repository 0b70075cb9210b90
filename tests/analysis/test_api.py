"""Public API shape: keys, ranges, JSON round trip, evidence, versions, context, root causes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calmdesk import analysis
from calmdesk.analysis import (
    EMOTIONS,
    SCHEMA,
    MessageAnalysis,
    RootCauseModel,
    analyze_many,
    analyze_message,
    detect_language,
)

ANGRY = (
    "This is the THIRD time I write!!! You charged me twice and nobody answers. "
    "I want my money back by tomorrow or I'm calling my lawyer. Why is this so hard?"
)


def test_all_exports_exist() -> None:
    for name in analysis.__all__:
        assert hasattr(analysis, name), name


def test_shape_and_ranges() -> None:
    a = analyze_message(ANGRY, lang="en")
    assert tuple(a.emotions) == EMOTIONS
    assert a.labels <= set(EMOTIONS)
    assert a.sentiment.label == "negative" and a.sentiment.score < 0
    assert a.complaint.present
    assert a.intensity > 0.5
    assert a.escalation.level in ("medium", "high")
    codes = {r.code for r in a.escalation.reasons}
    assert {"ultimatum", "repeat_contact"} <= codes
    assert a.root_causes[0].code == "billing"
    assert any(q.kind == "question" and q.span.text.endswith("?") for q in a.questions)
    assert any(q.kind == "request" for q in a.questions)
    assert a.expectation_gap.wants is not None
    assert a.versions["engine"] and any(k.startswith("pack:en") for k in a.versions)
    assert "model:core" in a.versions


def test_evidence_points_at_the_text() -> None:
    a = analyze_message(ANGRY, lang="en")
    assert a.evidence
    for e in a.evidence:
        assert ANGRY[e.span.start : e.span.end] == e.span.text
    targets = {e.target.split(".")[0] for e in a.evidence}
    assert {"emotion", "sentiment", "complaint", "intensity"} <= targets


def test_to_dict_round_trip() -> None:
    a = analyze_message(ANGRY)
    d = a.to_dict()
    assert d["schema"] == SCHEMA
    again = MessageAnalysis.from_dict(json.loads(json.dumps(d)))
    assert again == a
    assert again.to_dict() == d


def test_positive_and_calm_messages() -> None:
    a = analyze_message("Thank you so much, the replacement arrived and works perfectly!")
    assert "gratitude" in a.labels
    assert a.sentiment.label == "positive"
    assert a.escalation.level == "low"
    assert not a.crisis


def test_context_trajectory_moves_escalation() -> None:
    msg = "Still nothing. I am really annoyed now."
    alone = analyze_message(msg, lang="en")
    calm_before = analyze_message(msg, lang="en", context=["Hi, could you check my order?"])
    hot_before = analyze_message(msg, lang="en", context=[ANGRY, ANGRY])
    assert calm_before.escalation.trend > 0
    assert hot_before.escalation.score > alone.escalation.score


def test_repeat_contact_with_an_ultimatum_is_at_least_high() -> None:
    # Calmly worded, but written before and now threatening to go further: the last step
    # before a client leaves.  Either cue alone is not lifted.
    both = {
        "en": "This is the third time I write about this. If it is not fixed by Friday I am "
        "going to my lawyer.",
        "pl": "Piszę już trzeci raz. Jeśli do piątku nie oddacie pieniędzy, idę do prawnika.",
        "sr": "Ovo je treći put da pišem. Ako ne vratite novac, tužiću vas.",
        "he": "זו הפעם השלישית שאני כותב. אם לא תחזירו את הכסף אני פונה לעורך דין.",
    }
    for lang, text in both.items():
        a = analyze_message(text, lang=lang)
        assert a.escalation.level == "high", (lang, a.escalation)
        assert {"ultimatum", "repeat_contact"} <= {r.code for r in a.escalation.reasons}
    for alone in ("I am going to my lawyer.", "This is the third time I write."):
        assert analyze_message(alone, lang="en").escalation.level in ("low", "medium"), alone


def test_analyze_many_matches_single() -> None:
    texts = ["Dziękuję bardzo!", "Paket nije stigao.", "החבילה לא הגיעה", "Where is my parcel?"]
    many = list(analyze_many(texts))
    assert [m.language for m in many] == ["pl", "sr", "he", "en"]
    assert many == [analyze_message(t) for t in texts]


def test_detect_language() -> None:
    assert detect_language("Zamówiłem paczkę dwa tygodnie temu i nadal nic.").language == "pl"
    assert detect_language("I ordered a parcel two weeks ago and still nothing.").language == "en"
    g = detect_language("Наручио сам пакет пре две недеље.")
    assert (g.language, g.script) == ("sr", "Cyrl")
    assert detect_language("Naručio sam paket prije dva tjedna i što sad?").language == "hr"
    assert detect_language("Naručio sam paket pre dve nedelje i šta sad?").language == "sr"
    assert detect_language("Naručio sam paket.", hint="bs").language == "bs"
    assert detect_language("הזמנתי חבילה לפני שבועיים").language == "he"
    assert detect_language("12345 !!!").language == "und"


def test_root_cause_model_fit_save_load(tmp_path: Path) -> None:
    texts = [
        "The app crashes when I open the camera",
        "Login screen freezes after the update",
        "Aplikacja się zawiesza przy logowaniu",
        "The website shows an error on checkout",
        "My card was charged twice",
        "Invoice shows the wrong amount",
        "Pobrano mi dwa razy za fakturę",
        "Why is there an extra fee on my bill",
        "The courier left the parcel in the rain",
        "Driver threw the box over the fence",
        "Kurier zostawił paczkę pod drzwiami",
        "Delivery guy was rude at the door",
    ]
    labels = ["app"] * 4 + ["money"] * 4 + ["courier"] * 4
    m = RootCauseModel.fit(texts, labels)
    assert m.rank("the app keeps crashing")[0].code == "app"
    assert m.rank("you charged my card twice")[0].code == "money"
    path = tmp_path / "rc.npz"
    m.save(path)
    m2 = RootCauseModel.load(path)
    assert m2.predict_proba("kurier rzucił paczkę") == m.predict_proba("kurier rzucił paczkę")
    a = analyze_message("The courier threw my parcel over the fence", root_cause_model=m2)
    assert a.root_causes[0].code == "courier"
    assert a.versions["model:root_causes"] == m2.version
    for s in a.root_causes[0].evidence:
        assert s.text in "The courier threw my parcel over the fence"


def test_no_django_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys, calmdesk.analysis as a; a.analyze_message('hi there'); "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_token_row_table_matches_feature_gather() -> None:
    """The cached per-token rows give the same contributions as gathering every n-gram row,
    also when the table grows and when it is cleared (tiny capacity)."""
    import numpy as np

    from calmdesk.analysis._scoring import TokenRowTable
    from calmdesk.analysis._text import normalize, tokenize
    from calmdesk.analysis.message import _featurizer, core_model

    model = core_model()
    table = TokenRowTable(_featurizer(), model.weights, max_rows=40)
    texts = [
        "Where is my parcel? I paid two weeks ago and nobody answers, where is it?",
        "Zamówiłem telefon miesiąc temu i nadal nic. To już trzeci raz piszę!",
        "Gde je moj paket? Platio sam pre dve nedelje, a niko ne odgovara.",
        "החבילה לא הגיעה ואף אחד לא עונה לי, זו הפעם השלישית שאני כותב",
    ] * 3
    for text in texts:
        tokens = tokenize(normalize(text).text)
        feats, bigrams = _featurizer().transform_parts(tokens)
        got = table.contributions([t.text for t in tokens], feats, bigrams)
        want = model.token_contributions(feats)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert len(table._index) <= 40


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Could you send the invoice again, please?"),
        ("pl", "Proszę ponownie wysłać fakturę na adres firmy."),
        ("sr", "Internet opet ne radi od jutros."),
        ("he", "שוב אין אינטרנט בבניין."),
    ],
)
def test_a_bare_again_is_recurrence_not_repeat_contact(lang: str, text: str) -> None:
    # "Again" alone says the problem (or the request) comes back, not that the client wrote
    # or called before; calm clients write it too.
    codes = {r.code for r in analyze_message(text, lang=lang).escalation.reasons}
    assert "recurrence" in codes
    assert "repeat_contact" not in codes


def test_recurrence_with_an_ultimatum_is_not_lifted_to_high() -> None:
    a = analyze_message("If the router breaks again I will go to my lawyer.", lang="en")
    assert {"recurrence", "ultimatum"} <= {r.code for r in a.escalation.reasons}
    assert a.escalation.level in ("low", "medium")
