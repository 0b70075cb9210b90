"""Promise extraction: at least 60 sentences per language (with and without promises, and with
dates that are not promises), due times across DST, business calendars and bad input.

Base time: Wednesday 2026-11-18 10:00 local.  Expected due times are local wall times
("YYYY-MM-DD HH:MM"); a date without a time is due at the end of the working day (17:00).
Hebrew uses the Israeli calendar (Sunday-Thursday); "the end of the week" is Thursday.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from calmdesk.analysis._coach_types import BusinessCalendar
from calmdesk.analysis.commitments import extract_commitments

TZ = {"en": "Europe/London", "pl": "Europe/Warsaw", "sr": "Europe/Belgrade", "he": "Asia/Jerusalem"}

CASES = {
    "en": [
        ("I will call you back tomorrow.", [("call", "2026-11-19 17:00")]),
        ("I'll call you tomorrow morning.", [("call", "2026-11-19 12:00")]),
        ("We'll send the invoice by Friday.", [("send", "2026-11-20 17:00")]),
        ("I will refund you within 2 business days.", [("refund", "2026-11-20 17:00")]),
        ("I'll update you by end of day.", [("update", "2026-11-18 17:00")]),
        ("Our engineer will visit next week.", [("visit", "2026-11-27 17:00")]),
        ("We will get back to you soon.", [("reply", None)]),
        ("I will send it.", [("send", None)]),
        ("The meeting was on Monday.", []),
        ("Your order shipped on 3 March.", []),
        (
            "I'll call you at 3pm tomorrow and send the form by 5 December.",
            [("call", "2026-11-19 15:00"), ("send", "2026-12-05 17:00")],
        ),
        ("I won't be able to call you tomorrow.", []),
        ("Shall I call you tomorrow?", []),
        ("I will call you in 2 hours.", [("call", "2026-11-18 12:00")]),
        ("We will ship the replacement on 1 December.", [("send", "2026-12-01 17:00")]),
        ("I'll email you on Monday at 10:30.", [("send", "2026-11-23 10:30")]),
        (
            "I will check and update you tomorrow.",
            [("check", "2026-11-19 17:00"), ("update", "2026-11-19 17:00")],
        ),
        ("We'll refund the difference within 5 working days.", [("refund", "2026-11-25 17:00")]),
        ("The technician will come on Thursday.", [("visit", "2026-11-19 17:00")]),
        ("I will follow up the day after tomorrow.", [("reply", "2026-11-20 17:00")]),
        ("You will receive the new card within a week.", [("send", "2026-11-25 17:00")]),
        ("I'll look into it ASAP.", [("check", None)]),
        ("We will fix the bug as soon as possible.", [("fix", None)]),
        ("I'll reply by close of business.", [("reply", "2026-11-18 17:00")]),
        (
            "Let me check with the warehouse and I'll get back to you this afternoon.",
            [("check", "2026-11-18 17:00"), ("reply", "2026-11-18 17:00")],
        ),
        ("We will send you an update early next week.", [("send", "2026-11-23 17:00")]),
        ("I will contact you by the end of the week.", [("reply", "2026-11-20 17:00")]),
        ("Your refund will be credited in 3 days.", [("refund", "2026-11-21 17:00")]),
        ("I'll ring you back in 30 minutes.", [("call", "2026-11-18 10:30")]),
        ("We'll be in touch shortly.", [("reply", None)]),
        ("I'll call you this evening.", [("call", "2026-11-18 20:00")]),
        ("Last Friday you wrote to us about the invoice.", []),
        ("Your parcel was delivered yesterday at 2pm.", []),
        ("The shop is closed on Sunday.", []),
        ("You ordered it on 12 November.", []),
        ("We will send the documents by next Tuesday.", [("send", "2026-11-24 17:00")]),
        ("I will review your claim before Friday.", [("check", "2026-11-19 17:00")]),
        ("We'll collect the parcel tomorrow afternoon.", [("visit", "2026-11-19 17:00")]),
        ("I'm going to send you the label today.", [("send", "2026-11-18 17:00")]),
        ("I will reimburse the fee in a few days.", [("refund", None)]),
        ("We'll replace the router next Monday.", [("fix", "2026-11-23 17:00")]),
        ("The courier will pick up the box on Wednesday.", [("visit", "2026-11-25 17:00")]),
        ("I will escalate this to my manager today.", [("check", "2026-11-18 17:00")]),
        ("We'll keep you posted.", [("update", None)]),
        ("I'll send you the tracking link in an hour.", [("send", "2026-11-18 11:00")]),
        ("Our team will contact you within 48 hours.", [("reply", "2026-11-20 10:00")]),
        ("I will credit your account by the end of the month.", [("refund", "2026-11-30 17:00")]),
        ("We will not charge you again.", []),
        ("Could you send us the photo by Friday?", []),
        ("Please reply by Monday so we can book the visit.", []),
        ("I'll double-check the address tonight.", [("check", "2026-11-18 17:00")]),
        ("We'll dispatch your order on 2026-12-01.", [("send", "2026-12-01 17:00")]),
        ("I will call you on Friday at 9:00.", [("call", "2026-11-20 09:00")]),
        ("I'll send the receipt right away.", [("send", None)]),
        ("We will repair it at some point next month.", [("fix", None)]),
        ("The warranty ends on 31 December.", []),
        ("I promise I'll call you back in two days.", [("call", "2026-11-20 17:00")]),
        ("We will visit you on Saturday.", [("visit", "2026-11-21 17:00")]),
        ("I'll confirm the booking by Thursday 5 pm.", [("check", "2026-11-19 17:00")]),
        ("I will have the replacement shipped by tomorrow.", [("send", "2026-11-19 17:00")]),
        ("Our specialist will call you tomorrow at 11am.", [("call", "2026-11-19 11:00")]),
        ("I'll let you know within 3 working days.", [("reply", "2026-11-23 17:00")]),
    ],
    "pl": [
        ("Oddzwonię jutro.", [("call", "2026-11-19 17:00")]),
        ("Oddzwonię jutro rano.", [("call", "2026-11-19 12:00")]),
        ("Wyślę fakturę do piątku.", [("send", "2026-11-20 17:00")]),
        ("Zwrócimy pieniądze w ciągu 3 dni roboczych.", [("refund", "2026-11-23 17:00")]),
        ("Technik przyjedzie za tydzień.", [("visit", "2026-11-25 17:00")]),
        ("Sprawdzę to pojutrze o 14:00.", [("check", "2026-11-20 14:00")]),
        ("Odezwę się wkrótce.", [("reply", None)]),
        ("Zamówienie złożył pan w poniedziałek.", []),
        ("Wyślemy paczkę 5 grudnia.", [("send", "2026-12-05 17:00")]),
        ("Wyślę do 3.12.", [("send", "2026-12-03 17:00")]),
        ("Zadzwonię do Pana w poniedziałek.", [("call", "2026-11-23 17:00")]),
        ("Poinformuję Panią do końca dnia.", [("update", "2026-11-18 17:00")]),
        ("Naprawimy usterkę w przyszłym tygodniu.", [("fix", "2026-11-27 17:00")]),
        ("Przelejemy zwrot za 2 dni.", [("refund", "2026-11-20 17:00")]),
        ("Skontaktuję się z Panem jutro po południu.", [("reply", "2026-11-19 17:00")]),
        ("Odpowiemy jak najszybciej.", [("reply", None)]),
        ("Nie zadzwonię jutro, bo mam urlop.", []),
        ("Czy mogę zadzwonić jutro?", []),
        ("Paczka została nadana wczoraj.", []),
        ("Reklamację złożyła Pani 10 listopada.", []),
        ("Kurier był u Pana w piątek.", []),
        (
            "Sprawdzę to dziś i dam znać jutro.",
            [("check", "2026-11-18 17:00"), ("update", "2026-11-19 17:00")],
        ),
        ("Wymienimy router w przyszły poniedziałek.", [("fix", "2026-11-23 17:00")]),
        ("Odezwiemy się do końca tygodnia.", [("reply", "2026-11-20 17:00")]),
        ("Prześlę etykietę za godzinę.", [("send", "2026-11-18 11:00")]),
        ("Oddzwonię za 30 minut.", [("call", "2026-11-18 10:30")]),
        ("Zajmę się tym w najbliższym czasie.", [("check", None)]),
        ("Zwrot nastąpi w ciągu 14 dni.", [("refund", "2026-12-02 17:00")]),
        ("Wyślemy kuriera na początku przyszłego tygodnia.", [("send", "2026-11-23 17:00")]),
        ("Technik przyjedzie w czwartek o 9:00.", [("visit", "2026-11-19 09:00")]),
        ("Odpiszę do jutra.", [("reply", "2026-11-19 17:00")]),
        ("Potwierdzę rezerwację do środy.", [("check", "2026-11-18 17:00")]),
        ("Sprawdzimy to niezwłocznie.", [("check", None)]),
        ("Przyślemy nową kartę za dwa tygodnie.", [("send", "2026-12-02 17:00")]),
        ("Zadzwonię dziś po południu.", [("call", "2026-11-18 17:00")]),
        ("Poinformujemy Pana w ciągu 2 dni roboczych.", [("update", "2026-11-20 17:00")]),
        ("Odbierzemy paczkę w sobotę.", [("visit", "2026-11-21 17:00")]),
        ("Zaksięgujemy zwrot do końca miesiąca.", [("refund", "2026-11-30 17:00")]),
        ("Sklep jest zamknięty w niedzielę.", []),
        ("Gwarancja kończy się 31 grudnia.", []),
        ("Proszę odpisać do piątku.", []),
        ("Czy może Pan przesłać zdjęcie do poniedziałku?", []),
        ("Wyślę dokumenty przed piątkiem.", [("send", "2026-11-19 17:00")]),
        ("Zadzwonimy w ciągu 48 godzin.", [("call", "2026-11-20 10:00")]),
        ("Otrzyma Pan nową kartę w ciągu tygodnia.", [("send", "2026-11-25 17:00")]),
        ("Sprawdzę adres dziś wieczorem.", [("check", "2026-11-18 20:00")]),
        ("Odezwę się, kiedy tylko będzie to możliwe.", [("reply", None)]),
        ("Naprawię to jutro z samego rana.", [("fix", "2026-11-19 12:00")]),
        ("Przekażę sprawę kierownikowi dziś.", [("check", "2026-11-18 17:00")]),
        ("Zwrócimy różnicę w ciągu 5 dni roboczych.", [("refund", "2026-11-25 17:00")]),
        ("Wyślę link o 16:30.", [("send", "2026-11-18 16:30")]),
        ("Dam znać w piątek.", [("reply", "2026-11-20 17:00")]),
        ("Zmienimy adres w następny wtorek.", [("fix", "2026-11-24 17:00")]),
        ("Przyjedziemy po odbiór pojutrze.", [("visit", "2026-11-20 17:00")]),
        ("Odpowiem najpóźniej jutro.", [("reply", "2026-11-19 17:00")]),
        ("Zadzwonię, gdy tylko dostanę informację.", [("call", None)]),
        ("Zamówienie dotarło w środę o 12:00.", []),
        ("W zeszłym tygodniu wysłaliśmy dwie paczki.", []),
        ("Nie wyślemy faktury przed płatnością.", []),
        ("Przelejemy środki w ciągu doby.", [("refund", "2026-11-19 17:00")]),
        ("Skontaktujemy się za pół godziny.", [("reply", "2026-11-18 10:30")]),
        ("Zweryfikuję reklamację do czwartku.", [("check", "2026-11-19 17:00")]),
    ],
    "sr": [
        ("Pozvaću vas sutra.", [("call", "2026-11-19 17:00")]),
        ("Позваћу вас прекосутра.", [("call", "2026-11-20 17:00")]),
        ("Poslaćemo fakturu do petka.", [("send", "2026-11-20 17:00")]),
        ("Јавићемо вам се у понедељак.", [("reply", "2026-11-23 17:00")]),
        ("Serviser će doći za nedelju dana.", [("visit", "2026-11-25 17:00")]),
        ("Vratićemo novac u roku od 3 radna dana.", [("refund", "2026-11-23 17:00")]),
        ("Javićemo se uskoro.", [("reply", None)]),
        ("Paket je stigao u ponedeljak.", []),
        ("Poslaću vam to 5. decembra.", [("send", "2026-12-05 17:00")]),
        ("Послаћемо 03.12.", [("send", "2026-12-03 17:00")]),
        (
            "Proveriću to danas i javiću vam sutra.",
            [("check", "2026-11-18 17:00"), ("update", "2026-11-19 17:00")],
        ),
        ("Pozvaću vas sutra ujutru.", [("call", "2026-11-19 12:00")]),
        ("Popravićemo kvar sledeće nedelje.", [("fix", "2026-11-27 17:00")]),
        ("Vratićemo razliku za 2 dana.", [("refund", "2026-11-20 17:00")]),
        ("Kontaktiraću vas sutra popodne.", [("reply", "2026-11-19 17:00")]),
        ("Odgovorićemo što pre.", [("reply", None)]),
        ("Neću moći da vas pozovem sutra.", []),
        ("Da li mogu da vas pozovem sutra?", []),
        ("Paket je poslat juče.", []),
        ("Reklamaciju ste podneli 10. novembra.", []),
        ("Kurir je bio kod vas u petak.", []),
        ("Zamenićemo ruter sledeći ponedeljak.", [("fix", "2026-11-23 17:00")]),
        ("Javićemo vam se do kraja nedelje.", [("reply", "2026-11-20 17:00")]),
        ("Poslaću etiketu za sat vremena.", [("send", "2026-11-18 11:00")]),
        ("Pozvaću vas za 30 minuta.", [("call", "2026-11-18 10:30")]),
        ("Pozabavićemo se time u najkraćem roku.", [("check", None)]),
        ("Povraćaj će biti uplaćen u roku od 14 dana.", [("refund", "2026-12-02 17:00")]),
        ("Kurir će doći početkom sledeće nedelje.", [("visit", "2026-11-23 17:00")]),
        ("Serviser će doći u četvrtak u 9 časova.", [("visit", "2026-11-19 09:00")]),
        ("Odgovoriću do sutra.", [("reply", "2026-11-19 17:00")]),
        ("Potvrdiću rezervaciju do srede.", [("check", "2026-11-18 17:00")]),
        ("Poslaćemo novu karticu za 2 nedelje.", [("send", "2026-12-02 17:00")]),
        ("Pozvaću vas danas popodne.", [("call", "2026-11-18 17:00")]),
        ("Obavestićemo vas u roku od 2 radna dana.", [("update", "2026-11-20 17:00")]),
        ("Preuzećemo paket u subotu.", [("visit", "2026-11-21 17:00")]),
        ("Uplatićemo povraćaj do kraja meseca.", [("refund", "2026-11-30 17:00")]),
        ("Prodavnica ne radi u nedelju.", []),
        ("Garancija ističe 31. decembra.", []),
        ("Molim vas da odgovorite do petka.", []),
        ("Možete li poslati fotografiju do ponedeljka?", []),
        ("Pozvaćemo vas u roku od 48 sati.", [("call", "2026-11-20 10:00")]),
        ("Dobićete novu karticu za nedelju dana.", [("send", "2026-11-25 17:00")]),
        ("Proveriću adresu večeras.", [("check", "2026-11-18 20:00")]),
        ("Javiću vam se čim bude moguće.", [("reply", None)]),
        ("Popraviću to sutra ujutru.", [("fix", "2026-11-19 12:00")]),
        ("Proslediću slučaj menadžeru danas.", [("check", "2026-11-18 17:00")]),
        ("Vratićemo razliku u roku od 5 radnih dana.", [("refund", "2026-11-25 17:00")]),
        ("Poslaću link u 16:30.", [("send", "2026-11-18 16:30")]),
        ("Javiću vam u petak.", [("reply", "2026-11-20 17:00")]),
        ("Promenićemo adresu sledeći utorak.", [("fix", "2026-11-24 17:00")]),
        ("Доћи ћемо по пакет прекосутра.", [("visit", "2026-11-20 17:00")]),
        ("Одговорићу најкасније сутра.", [("reply", "2026-11-19 17:00")]),
        ("Porudžbina je stigla u sredu u 12 časova.", []),
        ("Prošle nedelje smo poslali dva paketa.", []),
        ("Nećemo poslati fakturu pre uplate.", []),
        ("Kontaktiraćemo vas za pola sata.", [("reply", "2026-11-18 10:30")]),
        ("Proverićemo reklamaciju do četvrtka.", [("check", "2026-11-19 17:00")]),
        ("Ћу вам послати уговор сутра.", [("send", "2026-11-19 17:00")]),
        ("Vratit ćemo novac do petka.", [("refund", "2026-11-20 17:00")]),
        ("Nazvat ću vas u ponedjeljak.", [("call", "2026-11-23 17:00")]),
        ("Javit ćemo vam se sljedeći tjedan.", [("reply", "2026-11-27 17:00")]),
        ("Poslaćemo vam ponudu do kraja radnog dana.", [("send", "2026-11-18 17:00")]),
    ],
    "he": [
        ("אחזור אליך מחר.", [("reply", "2026-11-19 17:00")]),
        ("נשלח את החשבונית עד יום שישי.", [("send", "2026-11-20 17:00")]),
        ("הטכנאי יגיע מחרתיים.", [("visit", "2026-11-20 17:00")]),
        ("נחזור אליך ביום שני.", [("reply", "2026-11-23 17:00")]),
        ("נחזיר את הכסף תוך 3 ימי עסקים.", [("refund", "2026-11-23 17:00")]),
        ("נעדכן אותך בעוד שבוע.", [("update", "2026-11-25 17:00")]),
        ("נחזור אליך בקרוב.", [("reply", None)]),
        ("ההזמנה הגיעה ביום שני.", []),
        ("אשלח לך את זה ב-5 בדצמבר.", [("send", "2026-12-05 17:00")]),
        ("אשלח ב-3.12", [("send", "2026-12-03 17:00")]),
        (
            "אבדוק היום ואעדכן אותך מחר.",
            [("check", "2026-11-18 17:00"), ("update", "2026-11-19 17:00")],
        ),
        ("אתקשר אליך מחר בבוקר.", [("call", "2026-11-19 12:00")]),
        ("נתקן את התקלה בשבוע הבא.", [("fix", "2026-11-26 17:00")]),
        ("נזכה את החשבון תוך יומיים.", [("refund", "2026-11-20 17:00")]),
        ("ניצור איתך קשר מחר אחר הצהריים.", [("reply", "2026-11-19 17:00")]),
        ("נענה בהקדם האפשרי.", [("reply", None)]),
        ("לא אוכל להתקשר מחר.", []),
        ("אפשר להתקשר אליך מחר?", []),
        ("החבילה נשלחה אתמול.", []),
        ("הגשת את התלונה ב-10 בנובמבר.", []),
        ("השליח היה אצלך ביום שישי.", []),
        ("נחליף את הנתב ביום שני הבא.", [("fix", "2026-11-23 17:00")]),
        ("נחזור אליך עד סוף השבוע.", [("reply", "2026-11-19 17:00")]),
        ("אשלח את התווית בעוד שעה.", [("send", "2026-11-18 11:00")]),
        ("אתקשר אליך בעוד 30 דקות.", [("call", "2026-11-18 10:30")]),
        ("נטפל בזה בזמן הקרוב.", [("check", None)]),
        ("ההחזר יועבר תוך 14 ימים.", [("refund", "2026-12-02 17:00")]),
        ("השליח יגיע בתחילת השבוע הבא.", [("visit", "2026-11-22 17:00")]),
        ("הטכנאי יגיע ביום חמישי בשעה 9:00.", [("visit", "2026-11-19 09:00")]),
        ("אענה עד מחר.", [("reply", "2026-11-19 17:00")]),
        ("אאשר את ההזמנה עד יום רביעי.", [("check", "2026-11-18 17:00")]),
        ("נשלח כרטיס חדש בעוד שבועיים.", [("send", "2026-12-02 17:00")]),
        ("אתקשר אליך היום אחר הצהריים.", [("call", "2026-11-18 17:00")]),
        ("נעדכן אותך תוך 2 ימי עבודה.", [("update", "2026-11-22 17:00")]),
        ("נאסוף את החבילה ביום ראשון.", [("visit", "2026-11-22 17:00")]),
        ("נזכה את ההחזר עד סוף החודש.", [("refund", "2026-11-30 17:00")]),
        ("החנות סגורה בשבת.", []),
        ("האחריות מסתיימת ב-31 בדצמבר.", []),
        ("אנא השב עד יום שישי.", []),
        ("תוכל לשלוח תמונה עד יום שני?", []),
        ("נתקשר אליך תוך 48 שעות.", [("call", "2026-11-20 10:00")]),
        ("תקבל כרטיס חדש תוך שבוע.", [("send", "2026-11-25 17:00")]),
        ("אבדוק את הכתובת הערב.", [("check", "2026-11-18 20:00")]),
        ("אחזור אליך ברגע שנוכל.", [("reply", None)]),
        ("אתקן את זה מחר בבוקר.", [("fix", "2026-11-19 12:00")]),
        ("אעביר את הפנייה למנהל היום.", [("check", "2026-11-18 17:00")]),
        ("נחזיר את ההפרש תוך 5 ימי עסקים.", [("refund", "2026-11-25 17:00")]),
        ("אשלח את הקישור בשעה 16:30.", [("send", "2026-11-18 16:30")]),
        ("אעדכן אותך ביום שישי.", [("update", "2026-11-20 17:00")]),
        ("נשנה את הכתובת ביום שלישי הבא.", [("fix", "2026-11-24 17:00")]),
        ("נגיע לאסוף מחרתיים.", [("visit", "2026-11-20 17:00")]),
        ("ההזמנה הגיעה ביום רביעי בשעה 12:00.", []),
        ("בשבוע שעבר שלחנו שתי חבילות.", []),
        ("לא נשלח חשבונית לפני התשלום.", []),
        ("ניצור קשר בעוד חצי שעה.", [("reply", "2026-11-18 10:30")]),
        ("נבדוק את התלונה עד יום חמישי.", [("check", "2026-11-19 17:00")]),
        ("ואשלח לך את החוזה מחר.", [("send", "2026-11-19 17:00")]),
        ("נודיע לך עד סוף יום העבודה.", [("update", "2026-11-18 17:00")]),
        (
            "אבדוק מול המחסן ואחזור אליך תוך שעתיים.",
            [("check", "2026-11-18 12:00"), ("reply", "2026-11-18 12:00")],
        ),
        ("הכסף יוחזר תוך יום עסקים.", [("refund", "2026-11-19 17:00")]),
        ("נבדוק את זה ונעדכן בהמשך.", [("check", None), ("update", None)]),
        ("אגיע אליך בשבת.", [("visit", "2026-11-21 17:00")]),
    ],
}


def _params() -> list[object]:
    return [
        pytest.param(lang, text, expected, id=f"{lang}-{i:02d}")
        for lang, rows in CASES.items()
        for i, (text, expected) in enumerate(rows)
    ]


@pytest.mark.parametrize(("lang", "text", "expected"), _params())
def test_commitment_examples(lang: str, text: str, expected: list[tuple[str, str | None]]) -> None:
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo(TZ[lang]))
    found = extract_commitments(text, lang=lang, now=now, tz=TZ[lang])
    got = [(c.action, c.due_at.strftime("%Y-%m-%d %H:%M") if c.due_at else None) for c in found]
    assert got == expected
    for c in found:
        assert text[c.span.start : c.span.end] == c.span.text
        assert c.vague == (c.due_at is None)
        if c.due_at is not None:
            assert c.due_at.tzinfo is not None
            assert c.due_text and c.due_text in text


@pytest.mark.parametrize("lang", sorted(TZ))
def test_enough_examples_and_non_promises(lang: str) -> None:
    rows = CASES[lang]
    assert len(rows) >= 60
    assert sum(1 for _, exp in rows if not exp) >= 10  # dates without a promise, questions, …
    assert sum(1 for _, exp in rows if any(d is None for _, d in exp)) >= 4  # vague promises


def test_vague_promise_keeps_the_vague_words() -> None:
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    (c,) = extract_commitments("Odezwiemy się wkrótce.", lang="pl", now=now, tz="Europe/Warsaw")
    assert c.vague and c.due_at is None and c.due_text == "wkrótce"


def test_serbian_cyrillic_and_latin_give_the_same_due_time() -> None:
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Belgrade"))
    lat = extract_commitments(
        "Javićemo vam se prekosutra.", lang="sr", now=now, tz="Europe/Belgrade"
    )
    cyr = extract_commitments(
        "Јавићемо вам се прекосутра.", lang="sr", now=now, tz="Europe/Belgrade"
    )
    assert [c.due_at for c in lat] == [c.due_at for c in cyr]
    assert cyr[0].due_text == "прекосутра"


def test_tomorrow_across_the_spring_dst_change() -> None:
    # Saturday 2026-03-28 in Warsaw; clocks go forward on Sunday 29 March at 02:00.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    (c,) = extract_commitments("Oddzwonię jutro o 9:00.", lang="pl", now=now, tz="Europe/Warsaw")
    assert c.due_at is not None
    assert c.due_at.strftime("%Y-%m-%d %H:%M %z") == "2026-03-29 09:00 +0200"


def test_hours_across_the_autumn_dst_change_are_elapsed_hours() -> None:
    # 2026-10-25 00:30 in London (BST); at 02:00 BST the clocks go back to 01:00 GMT.
    now = datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("Europe/London"))
    (c,) = extract_commitments(
        "I will call you in 3 hours.", lang="en", now=now, tz="Europe/London"
    )
    assert c.due_at is not None
    utc = ZoneInfo("UTC")
    assert (c.due_at.astimezone(utc) - now.astimezone(utc)).total_seconds() == 3 * 3600
    assert c.due_at.strftime("%H:%M %z") == "02:30 +0000"


def test_wall_time_in_a_dst_gap_is_normalised() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    (c,) = extract_commitments("Oddzwonię jutro o 2:30.", lang="pl", now=now, tz="Europe/Warsaw")
    assert c.due_at is not None
    assert c.due_at.strftime("%H:%M %z") == "03:30 +0200"  # 02:30 does not exist that night


def test_business_days_skip_weekends_and_holidays() -> None:
    cal = BusinessCalendar(holidays=frozenset({date(2026, 11, 20)}))
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    (c,) = extract_commitments(
        "Zwrócimy pieniądze w ciągu 3 dni roboczych.",
        lang="pl", now=now, tz="Europe/Warsaw", business_days=cal,
    )  # fmt: skip
    assert c.due_at is not None and c.due_at.date() == date(
        2026, 11, 24
    )  # Thu, (Fri off), Mon, Tue


def test_custom_end_of_day() -> None:
    cal = BusinessCalendar(end_of_day=time(16, 0))
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    (c,) = extract_commitments("I'll call you tomorrow.", lang="en", now=now, tz="Europe/London",
                               business_days=cal)  # fmt: skip
    assert c.due_at is not None and c.due_at.hour == 16


def test_end_of_day_after_hours_moves_to_the_next_working_day() -> None:
    now = datetime(2026, 11, 20, 18, 30, tzinfo=ZoneInfo("Europe/London"))  # Friday evening
    (c,) = extract_commitments("I'll update you by end of day.", lang="en", now=now,
                               tz="Europe/London")  # fmt: skip
    assert c.due_at is not None and c.due_at.date() == date(2026, 11, 23)


def test_due_time_is_reported_in_the_requested_zone() -> None:
    now = datetime(2026, 11, 18, 9, 0, tzinfo=ZoneInfo("UTC"))
    (c,) = extract_commitments("אחזור אליך מחר.", lang="he", now=now, tz="Asia/Jerusalem")
    assert c.due_at is not None and c.due_at.utcoffset() is not None
    assert c.due_at.strftime("%Y-%m-%d %H:%M %z") == "2026-11-19 17:00 +0200"


def test_language_is_detected_when_not_given() -> None:
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Jerusalem"))
    (c,) = extract_commitments("נחזור אליך ביום שני.", now=now, tz="Asia/Jerusalem")
    assert c.due_at is not None and c.due_at.weekday() == 0


def test_bad_input_gives_clear_errors() -> None:
    naive = datetime(2026, 11, 18, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        extract_commitments("I'll call you tomorrow.", lang="en", now=naive, tz="UTC")
    aware = naive.replace(tzinfo=ZoneInfo("UTC"))
    with pytest.raises(ValueError, match="time zone"):
        extract_commitments("I'll call you tomorrow.", lang="en", now=aware, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="unsupported language"):
        extract_commitments("I'll call you tomorrow.", lang="de", now=aware, tz="UTC")
    assert extract_commitments("   ", lang="en", now=aware, tz="UTC") == []
