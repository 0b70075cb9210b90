"""Case to scenario: a draft that validates and holds none of the client's personal details."""

from __future__ import annotations

import pytest
import yaml

from calmdesk.simulation import (
    CaseData,
    CaseMessage,
    Session,
    case_to_scenario,
    pseudonymise,
)
from calmdesk.simulation.scenarios import parse_scenario


def _en_case() -> CaseData:
    return CaseData(
        lang="en",
        client_name="Margaret Oyelaran",
        client_emails=("m.oyelaran@mailbox.test",),
        client_phones=("07700 900461",),
        other_names=("Priya Sandhu",),
        title="Fridge delivered broken",
        category="late_delivery",
        expected="a working fridge on 3 March",
        received="a fridge with a dented door, and no reply for a week",
        since="3 March",
        wants="a replacement before her mother comes home from hospital",
        resolution="I'll book the replacement for Friday 8-12 and call you by 5 pm today.",
        messages=(
            CaseMessage(
                "client",
                "This is Margaret Oyelaran, order ORD-5532187. Your fridge arrived with a dented "
                "door at 14 Willow Bank Road and nobody answers! Call me on 07700 900461 or "
                "write to m.oyelaran@mailbox.test.",
                {"anger": 0.82, "frustration": 0.6},
            ),
            CaseMessage(
                "agent",
                "I'm so sorry, Mrs Oyelaran. If I understand correctly, the fridge came dented. "
                "Could you tell me what you need it for this week?",
            ),
            CaseMessage(
                "client",
                "My mother comes home from hospital on Saturday and her insulin has to be kept "
                "cold. Margaret's neighbour Priya Sandhu is keeping it for now.",
                {"anger": 0.5, "fear": 0.6},
            ),
            CaseMessage("agent", "I'll book the replacement for Friday 8-12."),
            CaseMessage("client", "Thank you, that works.", {"gratitude": 0.9, "anger": 0.05}),
        ),
    )


SECRETS_EN = (
    "Margaret",
    "Oyelaran",
    "Priya",
    "Sandhu",
    "m.oyelaran@mailbox.test",
    "07700 900461",
    "5532187",
    "14 Willow Bank Road",
    "Willow Bank",
)


def test_english_case_becomes_a_valid_pseudonymised_draft() -> None:
    draft = case_to_scenario(_en_case())
    text = draft.yaml_text
    for secret in SECRETS_EN:
        assert secret not in text, secret
    assert draft.replaced["name"] >= 4
    assert draft.replaced["email"] >= 1 and draft.replaced["phone"] >= 1
    assert draft.replaced["address"] >= 1 and draft.replaced["id"] >= 1
    s = draft.scenario
    assert s.persona.anger == 82  # from the first message's emotions
    assert s.lines["opening"][0].startswith("This is ")
    assert "ORD-100001" in s.lines["opening"][0]
    assert s.lines["resolved"] == ("Thank you, that works.",)
    assert s.facts[0].lines[0].startswith("My mother comes home from hospital")
    assert s.coach.acknowledge.startswith("I'm so sorry")
    assert s.coach.paraphrase.startswith("If I understand correctly")
    assert s.coach.next_step.startswith("I'll book the replacement")
    # the YAML is the published form: it parses back to the same scenario and can be played
    again = parse_scenario(yaml.safe_load(text), source=s.source, lang="en")
    assert again == s
    session = Session(s, seed=1)
    turn = session.reply("I'm so sorry. What do you need the fridge for this week?")
    assert turn.revealed == ("fact-1",)


def test_polish_names_are_replaced_in_inflected_forms() -> None:
    case = CaseData(
        lang="pl",
        client_name="Grażyna Wiśniewska",
        gender="f",
        category="passed_around",
        expected="jednej osoby do kontaktu",
        received="trzy przekierowania",
        since="poniedziałku",
        wants="terminu naprawy",
        messages=(
            CaseMessage(
                "client",
                "Tu Grażyna Wiśniewska, ul. Lipowa 12/4, tel. +48 601 234 567. Zgłoszenie "
                "nr 88412209. Trzeci raz mnie przełączacie!",
                {"anger": 0.7},
            ),
            CaseMessage("agent", "Pani Grażyno, bardzo mi przykro. Jeśli dobrze rozumiem, ..."),
            CaseMessage(
                "client",
                "Pani Wiśniewskiej nikt nie oddzwonił, a pralka cieknie od tygodnia na podłogę.",
                {"anger": 0.6},
            ),
        ),
    )
    draft = case_to_scenario(case)
    for secret in ("Grażyn", "Wiśniewsk", "Lipowa", "601 234 567", "88412209"):
        assert secret not in draft.yaml_text, secret
    assert draft.scenario.persona.gender == "f"
    assert any("persona" in w or "lines." in w for w in draft.warnings)


def test_serbian_cyrillic_case_is_cleaned_in_both_scripts_and_stored_in_latin() -> None:
    case = CaseData(
        lang="sr",
        client_name="Љиљана Јовановић",
        gender="f",
        expected="исправан рачун",
        received="двоструку наплату",
        since="среде",
        wants="повраћај",
        messages=(
            CaseMessage(
                "client",
                "Ja sam Ljiljana Jovanović, ulica Njegoševa 15. Наплатили сте ми двапут рачун "
                "број 4471123, Љиљана је љута!",
                {"anger": 0.75},
            ),
            CaseMessage(
                "client",
                "Јовановићева пензија не може да чека, платила сам све на време.",
                {"anger": 0.7},
            ),
        ),
    )
    draft = case_to_scenario(case)
    for secret in ("Ljiljan", "Jovanović", "Љиљан", "Јовановић", "Njegoševa", "4471123"):
        assert secret not in draft.yaml_text, secret
    assert "lang: sr-latn" in draft.yaml_text
    assert draft.scenario.lang == "sr"  # played in Cyrillic


def test_hebrew_case_with_prefixed_name() -> None:
    case = CaseData(
        lang="he",
        client_name="רונית שרעבי",
        gender="f",
        expected="חשבון נכון",
        received="חיוב כפול",
        since="יום רביעי",
        wants="החזר",
        messages=(
            CaseMessage(
                "client",
                "שלום, כאן רונית שרעבי מרחוב הרצל 17, טלפון 054-1234567. חייבתם אותי פעמיים! "
                "תחזירו לרונית את הכסף.",
                {"anger": 0.8},
            ),
        ),
    )
    draft = case_to_scenario(case)
    for secret in ("רונית", "שרעבי", "הרצל", "054-1234567", "1234567"):
        assert secret not in draft.yaml_text, secret


def test_dates_times_and_amounts_are_kept() -> None:
    text = pseudonymise(
        "Paid 120 EUR on 03.03.2026 at 15:00; order A-99812, call 020 7946 0958.",
        lang="en",
        names={},
    )
    assert "120 EUR" in text and "03.03.2026" in text and "15:00" in text
    assert "99812" not in text and "7946" not in text


def test_bad_case_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no client message"):
        case_to_scenario(CaseData(lang="en", client_name="X", messages=()))
    with pytest.raises(ValueError, match="unknown language"):
        case_to_scenario(CaseData(lang="de", client_name="X", messages=()))
    with pytest.raises(ValueError, match="unknown category"):
        case_to_scenario(CaseData(lang="en", client_name="X", category="gossip", messages=()))
