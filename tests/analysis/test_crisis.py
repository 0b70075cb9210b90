"""Crisis detection: designed for recall, guarded against negation, quotation and idioms."""

from __future__ import annotations

import pytest

from calmdesk.analysis import analyze_message, lat_to_cyr
from calmdesk.analysis.message import CRISIS_OTHER_PACKS_BELOW

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
    # A negation before a negative statement stresses it ("not at all"), it does not cancel it.
    ("pl", "Wcale nie chcę żyć.", "self_harm"),
    ("sr", "Nikako ne želim da živim.", "self_harm"),
    # Typed without diacritics: ž folds to z like č, ć, š and đ.
    ("sr", "ne zelim da zivim vise", "self_harm"),
    ("hr", "Znam gdje zivis.", "violence"),
]
NEGATIVE = [
    ("en", "This delay is killing me."),
    ("en", "I nearly died laughing at your last email."),
    ("en", "The cake was to die for, the delivery was not."),
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


@pytest.mark.parametrize(
    ("text", "kind", "evidence"),
    [
        # Phones and mail programs write ’; many clients write no apostrophe at all.
        ("I don’t want to live anymore.", "self_harm", "don’t want to live"),
        ("i dont want to wake up tomorrow", "self_harm", "dont want to wake up"),
        ("I can’t go on like this", "self_harm", "can’t go on"),
        ("ill kill you when i see you", "violence", "ill kill you"),
        ("You’re going to die for this.", "violence", "You’re going to die"),
    ],
)
def test_typographic_and_missing_apostrophes_are_read(text: str, kind: str, evidence: str) -> None:
    signals = [c for c in analyze_message(text, lang="en").crisis if c.kind == kind]
    assert len(signals) == 1 and evidence in signals[0].span.text, signals


@pytest.mark.parametrize(
    "text",
    [
        "I wont hurt myself, dont worry, I just want my refund.",
        "I’d never hurt anyone, but this is the fifth time I write.",
        "We’ll see you outside the branch at ten for the handover? Thanks.",
    ],
)
def test_negations_without_apostrophes_still_negate(text: str) -> None:
    rules = [c for c in analyze_message(text, lang="en").crisis if not c.rule.startswith("model")]
    assert not [c for c in rules if c.severity == "high"], rules


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I have pills saved up and tonight I'm going to take them all."),
        ("en", "My sleeping pills are on the table, I will swallow them all tonight."),
    ],
)
def test_means_and_plan_together_are_self_harm(lang: str, text: str) -> None:
    signals = [c for c in analyze_message(text, lang=lang).crisis if c.kind == "self_harm"]
    assert signals and signals[0].severity == "high", signals


@pytest.mark.parametrize(
    "text",
    [
        "The pills never arrived and the pharmacy says I have to wait until Friday.",
        "I ordered three shirts in different colours and I will take them all.",
        "The razor blades were blunt, so I will take them all back to the shop.",
        "I will never swallow them all, I just need the right dose on the label.",
        "My pills were delivered to the wrong address last week. "
        + "It took the courier, the pharmacy, the call centre and two emails to sort it out, "
        + "and now I have six boxes of vitamins I never ordered and want to take them all back.",
    ],
)
def test_means_or_plan_alone_is_not_a_signal(text: str) -> None:
    assert not analyze_message(text, lang="en").crisis


@pytest.mark.parametrize(
    ("text", "kind", "pack"),
    [
        # Read as Serbian (confidence 0.63): the English rules find the threat all the same.
        ("I am prepared to use violence if necessary.", "violence", "en"),
        # Serbian without diacritics, read with low confidence.
        ("ja cu te ubiti", "violence", "sr"),
    ],
)
def test_uncertain_latin_language_is_scanned_with_every_latin_pack(
    text: str, kind: str, pack: str
) -> None:
    res = analyze_message(text)
    assert [c.kind for c in res.crisis] == [kind], res.crisis
    assert res.crisis[0].rule.startswith(f"{pack}/"), res.crisis[0].rule


def test_confident_language_is_scanned_with_its_own_pack_only() -> None:
    """A confident Polish message is not matched against the English or Serbian crisis rules
    (their cost is spent only where the language is in doubt)."""
    res = analyze_message("Zamówiłem nóż kuchenny i przyszedł połamany, proszę o zwrot pieniędzy.")
    assert res.language == "pl" and res.language_confidence >= CRISIS_OTHER_PACKS_BELOW
    assert res.crisis == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Jeżeli jutro mi tego nie odblokujecie podetnę sobie żyły", "self_harm"),
        ("Jeśli nie oddacie zabiję was", "violence"),
        ("Ako ovo ne rešite presećiću vene", "self_harm"),
        (lat_to_cyr("Ako ovo ne rešite presećiću vene"), "self_harm"),
        ("ako ne platite ubiću vas", "violence"),
        ("אם לא תטפלו אתאבד", "self_harm"),
        ("אם זה לא יסתדר אתאבד", "self_harm"),
    ],
)
def test_a_negation_inside_a_condition_does_not_cancel_the_threat_after_it(
    text: str, kind: str
) -> None:
    """Unpunctuated "if you don't X, I'll Y": the negation one word before the threat belongs
    to the condition's verb (pack.toml ``conditionals``)."""
    assert kind in {c.kind for c in analyze_message(text).crisis}, text


@pytest.mark.parametrize(
    "text",
    [
        "Nikt mnie nie słucha Chcę umrzeć",
        "Niko me ne razume Želim da umrem",
        lat_to_cyr("Niko me ne razume Želim da umrem"),
    ],
)
def test_a_capital_after_a_lower_case_word_ends_the_negated_sentence(text: str) -> None:
    assert "self_harm" in {c.kind for c in analyze_message(text).crisis}, text


@pytest.mark.parametrize(
    "text",
    [
        "Nie podetnę sobie żył, spokojnie",
        "Nigdy nie skoczę z mostu",
        "Ne bih se nikad ubio",
        "I Would Never Kill Myself",  # Title Case is not a new sentence
        "Jeśli mi nie pomożecie, nie zabiję się, ale złożę skargę",  # the negation is the threat's
        "Jak nie skoczę z mostu to zadzwonię",
        "אני לא אתאבד",
    ],
)
def test_negations_of_the_threat_itself_still_negate(text: str) -> None:
    assert not analyze_message(text).crisis, text


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to jump! The bridge is two streets from my flat.",
        "Do petka neću doživeti pobrinuću se za to sama",
        "Neću dočekati proleće pobrinuću se za to večeras",
    ],
)
def test_overlapping_signals_of_one_kind_are_one(text: str) -> None:
    """A pair and a match inside it are one signal (the agent sees one alert, with all the
    evidence), high when one of them is."""
    signals = analyze_message(text).crisis
    assert [c.kind for c in signals] == ["self_harm"], signals
    assert signals[0].severity == "high"
    assert len(signals[0].evidence) >= 2


def test_signals_of_two_kinds_stay_apart() -> None:
    kinds = [
        c.kind for c in analyze_message("I will kill myself. And you, I will kill you.").crisis
    ]
    assert sorted(kinds) == ["self_harm", "violence"]
