"""Crisis detection: designed for recall, guarded against negation, quotation and idioms."""

from __future__ import annotations

import pytest

from calmdesk.analysis import analyze_message, lat_to_cyr

POSITIVE = [
    ("en", "i'm going to kill myself if this keeps happening", "self_harm"),
    ("en", "Honestly I have no reason to live anymore.", "self_harm"),
    ("en", "I WILL KILL YOU ALL", "violence"),
    ("en", "Watch your back, I know where your office is.", "violence"),
    ("pl", "Nie chce mi się żyć po tym wszystkim.", "self_harm"),
    ("pl", "zabije cie gnoju", "violence"),
    ("pl", "Wysadzę wasz sklep w powietrze.", "violence"),
    ("sr", "Ubiću se, ne mogu više.", "self_harm"),
    ("sr", lat_to_cyr("Ubiću se, ne mogu više."), "self_harm"),
    ("sr", "Znam gdje živiš.", "violence"),
    ("sr", lat_to_cyr("Zaklaću te kad te vidim."), "violence"),
    ("hr", "Ne želim živjeti, sve sam izgubila.", "self_harm"),
    ("he", "אני רוצה למות", "self_harm"),
    ("he", "אני ארצח אותך", "violence"),
    ("he", "ואני אהרוג אותך", "violence"),
    ("en", "I'm going to end it tonight.", "self_harm"),
    ("en", "Nobody would miss me if I was gone.", "self_harm"),
    ("en", "I'll come down there and beat the crap out of you.", "violence"),
    ("pl", "Nie widzę sensu życia.", "self_harm"),
    ("pl", "Przyjdę i was wszystkich pozabijam.", "violence"),
    ("sr", "Ne vidim smisao života.", "self_harm"),
    ("sr", lat_to_cyr("Sve ću vas pobiti."), "violence"),
    ("he", "אין לי סיבה לחיות", "self_harm"),
    ("he", "אני אבוא ואהרוג את כולכם", "violence"),
]
NEGATIVE = [
    ("en", "This delay is killing me."),
    ("en", "I nearly died laughing at your last email."),
    ("en", "I am not going to kill myself over a parcel, relax."),
    ("en", 'The film was called "I will kill you" and the DVD never came.'),
    ("pl", "Umieram ze śmiechu."),
    ("pl", "To czekanie mnie zabija."),
    ("sr", "Ubij me ako znam."),
    ("sr", lat_to_cyr("Umirem od smeha.")),
    ("he", "אני מת מצחוק"),
    ("he", "זה הורג אותי כבר שבוע"),
]

ANGRY_NOT_CRISIS = [
    (
        "sr",
        "Pišem vam već TREĆI put!!! Naplatili ste mi dva puta, a paket nije stigao već dve "
        "nedelje. Kada ćete mi vratiti novac? Ako ne rešite do sutra, zovem advokata.",
    ),
    (
        "pl",
        "Piszę już TRZECI raz!!! Pobraliście opłatę dwa razy, a paczki nadal nie ma. "
        "Jeśli do jutra tego nie naprawicie, idę do prawnika.",
    ),
    (
        "he",
        "אני כותב לכם כבר פעם שלישית!!! חייבו אותי פעמיים והחבילה לא הגיעה. אם לא תסדרו "
        "את זה עד מחר אני פונה לעורך דין.",
    ),
    (
        "en",
        "Third time I write!!! You charged me twice and the parcel never arrived. Fix it by "
        "tomorrow or I call my lawyer.",
    ),
]


@pytest.mark.parametrize(("lang", "text"), ANGRY_NOT_CRISIS)
def test_angry_complaints_are_high_but_not_crisis(lang: str, text: str) -> None:
    a = analyze_message(text, lang=lang)
    assert not a.crisis, a.crisis
    assert a.escalation.level in ("medium", "high")
    assert a.complaint.present
    assert {"ultimatum", "repeat_contact"} <= {r.code for r in a.escalation.reasons}


@pytest.mark.parametrize(("lang", "text", "kind"), POSITIVE)
def test_threats_and_self_harm_fire(lang: str, text: str, kind: str) -> None:
    a = analyze_message(text, lang=lang)
    assert kind in {c.kind for c in a.crisis}, a.crisis
    assert a.escalation.level == "critical"
    assert a.escalation.reasons[0].code == "crisis"


@pytest.mark.parametrize(("lang", "text"), NEGATIVE)
def test_idioms_negations_and_quotes_do_not_fire(lang: str, text: str) -> None:
    a = analyze_message(text, lang=lang)
    assert not [c for c in a.crisis if not c.rule.startswith("model:")], a.crisis


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I will kill myself."),
        ("pl", "Chyba się zabiję."),
        ("sr", "Ubiću se."),
        ("he", "אני אהרוג את עצמי"),
    ],
)
def test_self_harm_is_not_also_read_as_violence(lang: str, text: str) -> None:
    kinds = [c.kind for c in analyze_message(text, lang=lang).crisis]
    assert kinds == ["self_harm"]


def test_threat_at_the_end_of_a_very_long_message_is_found() -> None:
    text = "My order is late. " * 5000 + " I will kill you."
    a = analyze_message(text, lang="en")
    assert a.truncated
    assert any(c.kind == "violence" and c.span.text == "I will kill you" for c in a.crisis)


def test_model_only_signal_respects_the_idiom_guard() -> None:
    """The English self-harm model read "dead" in "the line went dead"; an idiom of the pack
    covering its strongest word keeps it quiet, while a real statement still fires."""
    quiet = analyze_message(
        "UNACCEPTABLE. I was on hold for 58 minutes and then the line just went dead."
    )
    assert not quiet.crisis
    loud = analyze_message("I feel dead inside and I want it all to end.")
    assert any(c.kind == "self_harm" for c in loud.crisis)
