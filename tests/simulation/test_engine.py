"""The persona engine: scripted trainees per language, replay, variety and reactions."""

from __future__ import annotations

import dataclasses

import pytest

from calmdesk.simulation import (
    Session,
    list_scenarios,
    load_scenario,
    replay,
    run_script,
    score_session,
)
from calmdesk.simulation.scenarios import translit

# ---------------------------------------------------------------- scripted transcripts (ours)

SKILLED: dict[str, tuple[str, list[str]]] = {
    "en": (
        "late-delivery",
        [
            "Hi Dana, I'm really sorry — a parcel guaranteed for Thursday and stuck 'in transit' "
            "for six days is frustrating. If I understand correctly, the tracking hasn't moved "
            "since last week. What is the parcel for, so I know what matters most?",
            "That makes the date really clear, thank you. What did our earlier replies tell you?",
            "I'm sorry you got the same template twice. I'll call the courier's depot now and "
            "email you by 2 pm today with where the parcel is. If it can't reach you by Friday, "
            "I'll send a new helmet by express today so it arrives on Friday.",
        ],
    ),
    "pl": (
        "spozniona-paczka",
        [
            "Dzień dobry, Pani Agnieszko, bardzo mi przykro — paczka gwarantowana na czwartek i "
            "sześć dni „w transporcie” to naprawdę frustrujące. Jeśli dobrze rozumiem, śledzenie "
            "nie zmieniło się od zeszłego tygodnia. Na jaką okazję jest ta paczka, żebym "
            "wiedział, co jest najważniejsze?",
            "Dziękuję, teraz rozumiem, dlaczego sobota jest tak ważna. Co odpowiedzieliśmy Pani "
            "wcześniej?",
            "Przepraszam za dwie szablonowe odpowiedzi. Zadzwonię teraz do oddziału kuriera i do "
            "godz. 14 dzisiaj napiszę Pani, gdzie jest paczka. Jeśli nie zdąży do piątku, jeszcze "
            "dziś wyślę nowy kask ekspresem.",
        ],
    ),
    "sr-latn": (
        "kasna-isporuka",
        [
            "Dobar dan, gospođo Đorđević, zaista mi je žao — paket garantovan za četvrtak i šest "
            "dana „u transportu“ mora da je frustrirajuće. Ako sam dobro razumeo, praćenje se "
            "nije pomerilo od prošle nedelje. Za koju priliku je paket, da znam šta je najvažnije?",
            "Hvala, sad razumem zašto je subota toliko važna. Šta ste dobili kao odgovor kada ste "
            "nam ranije pisali?",
            "Izvinjavam se zbog dva šablonska odgovora. Pozvaću sada kurirsku službu i javiću vam "
            "do 14 časova danas gde je paket. Ako ne stigne do petka, poslaću vam danas novu "
            "kacigu ekspresno.",
        ],
    ),
    "he": (
        "mishloach-meuchar",
        [
            "שלום דנה, אני מאוד מצטער — חבילה שהובטחה ליום חמישי ותקועה שישה ימים „בדרך” זה "
            "באמת מתסכל. אם הבנתי נכון, המעקב לא זז מאז השבוע שעבר. למה החבילה מיועדת, כדי "
            "שאדע מה הכי חשוב?",
            "תודה, עכשיו אני מבין למה שבת כל כך חשובה. מה ענו לך כשפנית אלינו קודם?",
            "סליחה על שתי התשובות מהתבנית. אתקשר עכשיו לחברת השליחויות ואכתוב לך עד השעה 14:00 "
            "היום איפה החבילה. אם היא לא תגיע עד שישי, אשלח היום קסדה חדשה באקספרס.",
        ],
    ),
}
SKILLED["sr"] = (SKILLED["sr-latn"][0], [translit(x) for x in SKILLED["sr-latn"][1]])

POOR: dict[str, list[str]] = {
    "en": [
        "You should have ordered earlier if it was that urgent. Calm down.",
        "As I said, we don't chase couriers. That's our policy.",
        "It's not my department, you need to call the courier yourself.",
    ],
    "pl": [
        "Powinna Pani była sprawdzić termin, skoro to takie pilne. Proszę się uspokoić.",
        "Jak już mówiłem, nie robimy tego. Takie są zasady.",
        "To nie nasz dział, proszę dzwonić do kuriera.",
    ],
    "sr-latn": [
        "Trebalo je da proverite rok ako je toliko hitno. Smirite se.",
        "Kao što sam rekao, to ne radimo. Takva su pravila.",
        "To nije moje odeljenje, pozovite kurira sami.",
    ],
    "he": [
        "היית צריכה להזמין מוקדם יותר אם זה כל כך דחוף. תירגעי.",
        "כמו שאמרתי, אנחנו לא עושים את זה. זו המדיניות.",
        "זו לא המחלקה שלי, תתקשרי לחברת השליחויות בעצמך.",
    ],
}
POOR["sr"] = [translit(x) for x in POOR["sr-latn"]]


@pytest.mark.parametrize("lang", sorted(SKILLED))
def test_skilled_trainee_resolves_with_a_high_score(lang: str) -> None:
    sid, script = SKILLED[lang]
    scenario = load_scenario(sid, lang)
    result = run_script(scenario, script, seed=11)
    assert result.outcome == "resolved", [(t.moves, t.events) for t in result.turns]
    assert set(result.revealed) == {f.id for f in scenario.facts}
    report = score_session(result, scenario)
    assert report.overall >= 80
    assert report.principle(3).score == 100  # empathised
    assert report.principle(5).score is None or report.principle(5).score >= 80
    assert report.went_well and not report.broken_promises
    assert scenario.persona.anger > result.final_state[0]


@pytest.mark.parametrize("lang", sorted(POOR))
def test_poor_trainee_escalates_and_the_report_names_the_principles(lang: str) -> None:
    scenario = load_scenario(SKILLED[lang][0], lang)
    result = run_script(scenario, POOR[lang], seed=11)
    assert result.outcome == "escalated"
    report = score_session(result, scenario)
    assert report.overall <= 25
    assert report.principle(5).score == 0  # blame and lecturing
    assert report.principle(3).score == 0  # never acknowledged
    names = " ".join(report.practise_next)
    assert scenario.lang == report.lang
    from calmdesk.simulation import lang_pack

    pack = lang_pack(lang)
    assert pack.principle_names[5] in names
    assert pack.principle_names[3] in names or pack.principle_names[7] in names
    rules = {m.rule_id for p in report.principles for m in p.marks}
    code = "sr" if lang.startswith("sr") else lang
    assert any(r.startswith(f"{code}.blame.") for r in rules)
    assert any(r.startswith(f"{code}.lecturing.") for r in rules)
    # the persona warned once before leaving
    assert result.turns[-1].state_after[0] >= 95


def test_same_seed_replays_identically_and_seeds_vary_the_wording() -> None:
    scenario = load_scenario("rude-broadband", "en")
    script = [
        "I'm sorry the connection keeps dropping. What happens in the evenings?",
        "Thanks. How long has the router shown the orange light?",
        "I hear you. Which day would suit a technician?",
    ]
    recorded = run_script(scenario, script, seed=5)
    first = recorded.to_dict()
    again = run_script(scenario, script, seed=5).to_dict()
    assert first == again
    assert replay(recorded).to_dict() == first
    others = {
        tuple(t["persona"] for t in run_script(scenario, script, seed=s).to_dict()["turns"])
        for s in range(1, 6)
    }
    assert len(others) > 1


@pytest.mark.parametrize(
    ("lang", "sid", "ack", "ask"),
    [
        ("en", "vague-complaint-app", "I understand how annoying this is", "What else happened"),
        ("pl", "niejasna-skarga", "Rozumiem, jak to denerwuje", "Co jeszcze się wydarzyło"),
        ("sr", "nejasna-zalba", "Разумем колико то нервира", "Шта се још десило"),
        ("sr-latn", "nejasna-zalba", "Razumem koliko to nervira", "Šta se još desilo"),
        ("he", "tluna-amuma", "אני מבינה כמה זה מעצבן", "מה עוד קרה"),
    ],
)
def test_persona_never_repeats_a_line_over_twenty_turns(
    lang: str, sid: str, ack: str, ask: str
) -> None:
    base = load_scenario(sid, lang)
    persona = dataclasses.replace(base.persona, patience=100)
    scenario = dataclasses.replace(base, persona=persona, max_turns=20)
    session = Session(scenario, seed=3)
    for i in range(1, 21):
        if session.finished:
            break
        session.reply(f"{ack} ({i}). {ask} {i}?")
    result = session.result()
    assert len(result.turns) == 20
    assert result.outcome == "turn_limit"
    lines = result.persona_lines()
    assert len(lines) == len(set(lines)) == 21
    # no pool line appears twice either (a reply may join several lines)
    transcript = "\n".join(lines)
    from calmdesk.simulation import lang_pack

    pool = [x for v in lang_pack(lang).lines.values() for x in v if "{" not in x and "[" not in x]
    for line in pool:
        assert transcript.count(line) <= 1, line


def test_over_promise_is_accepted_but_counted_as_broken() -> None:
    scenario = load_scenario("late-delivery", "en")
    session = Session(scenario, seed=1)
    turn = session.reply("I guarantee the parcel will be with you tomorrow, 100%.")
    assert "over_promise" in turn.events
    assert "I guarantee" in turn.persona  # the persona takes the trainee at their word
    assert turn.state_after[0] < turn.state_before[0] + 10
    session.quit()
    result = session.result()
    assert result.broken_promises
    report = score_session(result, scenario)
    assert any(m.rule_id == "sim.broken-promise" for m in report.principle(10).marks)
    assert report.broken_promises == result.broken_promises


def test_forbidden_promise_from_the_scenario_is_caught_but_a_boundary_is_not() -> None:
    scenario = load_scenario("policy-refund-used", "en")
    session = Session(scenario, seed=2)
    promised = session.reply("Sure, I will give you a full refund today.")
    assert promised.broken_promises
    session2 = Session(scenario, seed=2)
    boundary = session2.reply(
        "I'm sorry about the leak. I can't give a full refund after five months, but what I "
        "can do is repair it under warranty and lend you a machine meanwhile."
    )
    assert not boundary.broken_promises
    assert "boundary" in boundary.moves


def test_persona_quotes_the_promise_back() -> None:
    scenario = load_scenario("tearful-benefit", "en")
    session = Session(scenario, seed=4)
    turn = session.reply("I'm so sorry. I'll call you back by 3 pm today with the payment status.")
    assert turn.promises
    assert "I'll call you back by 3 pm today" in turn.persona


def test_persona_repeats_an_unanswered_question() -> None:
    scenario = load_scenario("passed-around-insurance", "en")
    session = Session(scenario, seed=4)
    turn = session.reply("Thank you for your message. I will look into it.")
    assert "ignored_question" in turn.events
    assert "Who actually handles my claim?" in turn.persona
    assert turn.state_after[0] > turn.state_before[0]


def test_hidden_fact_is_revealed_only_when_earned() -> None:
    scenario = load_scenario("vague-complaint-app", "en")
    session = Session(scenario, seed=4)
    flat = session.reply("Please reinstall the app.")
    assert not flat.revealed
    asked = session.reply("I'm sorry it's been so frustrating. What happens when you pay?")
    assert asked.revealed == ("after-update",)
    assert any(line in asked.persona for line in scenario.facts[0].lines)


def test_self_harm_is_not_resolved_alone() -> None:
    scenario = load_scenario("self-harm-debt", "en")
    script = [
        "I'm sorry you're going through this. How are you doing yourself, right now?",
        "I'll put the debt collection on hold today and email you a payment plan by 4 pm today.",
        "I'll also call you tomorrow at 10 am to agree the instalments.",
        "I'll make sure the letter is withdrawn by Friday.",
    ]
    result = run_script(scenario, script, seed=2)
    assert result.outcome != "resolved"
    report = score_session(result, scenario)
    assert report.principle(9).score == 0
    names = " ".join(report.practise_next)
    assert "Ask for backup" in names
    assert "116 123" in report.model_reply  # the model reply follows the protocol

    with_backup = run_script(
        scenario,
        [
            script[0],
            "Thank you for telling me. I'm bringing in my supervisor from our wellbeing team now, "
            "and you can call Samaritans free on 116 123 at any time. I'll stay with you.",
        ],
        seed=2,
    )
    assert with_backup.outcome == "resolved"


def test_bad_input_is_a_clear_error_and_the_session_goes_on() -> None:
    session = Session(load_scenario("late-delivery", "en"), seed=0)
    with pytest.raises(ValueError, match="empty"):
        session.reply("   ")
    with pytest.raises(ValueError, match="longer"):
        session.reply("x" * 5000)
    with pytest.raises(TypeError):
        session.reply(None)  # type: ignore[arg-type]
    assert not session.turns and not session.finished
    session.reply("I'm sorry. What is the parcel for?")
    session.quit()
    with pytest.raises(RuntimeError):
        session.reply("hello")


@pytest.mark.parametrize("lang", ["en", "pl", "sr-latn", "he"])
def test_all_scenarios_start_with_their_opening(lang: str) -> None:
    for scenario in list_scenarios(lang):
        session = Session(scenario, seed=9)
        assert session.opening in scenario.lines["opening"]
