"""Synthetic client messages, replies and survey comments for the report data generator.

Written by the calmdesk developers for this generator (no outside text).  Messages are built
from a problem (tied to a root-cause code), an opener and an ending of some intensity, so a
bank of a few hundred different texts per language comes out of a few lines.
"""

from __future__ import annotations

import itertools
import random

# language -> root cause -> problems ("{n}" is a number)
PROBLEMS: dict[str, dict[str, list[str]]] = {
    "en": {
        "delay": [
            "my parcel has not arrived after {n} days",
            "the technician did not come again, I waited {n} hours",
            "my refund is still missing after {n} weeks",
        ],
        "billing": [
            "you charged me twice this month",
            "the invoice shows a fee of {n} euros I never agreed to",
            "my bill doubled without any explanation",
        ],
        "defect": [
            "the new router keeps dropping the connection every {n} minutes",
            "the washing machine you delivered is broken",
            "the mobile app crashes when I open my account",
        ],
        "communication": [
            "nobody answers my emails",
            "I have called {n} times and nobody calls back",
        ],
        "staff_conduct": ["your agent hung up on me", "the person on the phone was rude to me"],
        "policy": [
            "you refuse to exchange a faulty product",
            "your rules make me pay for your mistake",
        ],
    },
    "pl": {
        "delay": [
            "paczka nie dotarła od {n} dni",
            "technik znowu nie przyszedł, czekałem {n} godziny",
            "zwrot pieniędzy nadal nie wpłynął po {n} tygodniach",
        ],
        "billing": [
            "pobraliście opłatę dwa razy w tym miesiącu",
            "na fakturze jest opłata {n} zł, na którą się nie zgodziłem",
        ],
        "defect": [
            "nowy router zrywa połączenie co {n} minut",
            "dostarczona pralka jest zepsuta",
            "aplikacja zawiesza się przy logowaniu",
        ],
        "communication": [
            "nikt nie odpowiada na moje maile",
            "dzwoniłem {n} razy i nikt nie oddzwonił",
        ],
        "staff_conduct": ["konsultant się rozłączył", "pani na infolinii była dla mnie niemiła"],
        "policy": ["odmawiacie wymiany wadliwego produktu"],
    },
    "sr": {
        "delay": [
            "paket nije stigao već {n} dana",
            "serviser opet nije došao, čekao sam {n} sata",
            "povraćaj novca još nije stigao posle {n} nedelje",
        ],
        "billing": [
            "naplatili ste mi dva puta ovaj mesec",
            "na računu je trošak od {n} dinara na koji nisam pristao",
        ],
        "defect": [
            "novi ruter prekida vezu svakih {n} minuta",
            "mašina za veš koju ste doneli je pokvarena",
        ],
        "communication": [
            "niko ne odgovara na moje mejlove",
            "zvao sam {n} puta i niko se ne javlja",
        ],
        "staff_conduct": ["vaš operater mi je spustio slušalicu"],
        "policy": ["odbijate da zamenite neispravan proizvod"],
    },
    "he": {
        "delay": [
            "החבילה שלי לא הגיעה כבר {n} ימים",
            "הטכנאי שוב לא הגיע, חיכיתי {n} שעות",
            "ההחזר הכספי עדיין לא התקבל אחרי {n} שבועות",
        ],
        "billing": ["חייבתם אותי פעמיים החודש", "בחשבונית יש חיוב של {n} שקלים שלא הסכמתי לו"],
        "defect": ["הראוטר החדש מתנתק כל {n} דקות", "מכונת הכביסה שסיפקתם מקולקלת"],
        "communication": ["אף אחד לא עונה למיילים שלי", "התקשרתי {n} פעמים ואף אחד לא חזר אליי"],
        "staff_conduct": ["הנציג ניתק לי את השיחה"],
        "policy": ["אתם מסרבים להחליף מוצר פגום"],
    },
}

OPENERS: dict[str, list[str]] = {
    "en": ["Hello, ", "Good morning. ", "", "Listen, "],
    "pl": ["Dzień dobry, ", "Witam, ", "", "Proszę posłuchać, "],
    "sr": ["Poštovani, ", "Dobar dan, ", "", "Slušajte, "],
    "he": ["שלום, ", "בוקר טוב, ", "", "תקשיבו, "],
}

# (intensity, text): 0 calm, 1 upset, 2 angry
ENDINGS: dict[str, list[tuple[int, str]]] = {
    "en": [
        (0, "Could you please check this?"),
        (0, "Thank you for looking into it."),
        (1, "I am really disappointed."),
        (1, "This is not acceptable."),
        (2, "I am furious and I want this fixed today!"),
        (2, "This is a disgrace, I will cancel everything!!!"),
    ],
    "pl": [
        (0, "Czy mogą Państwo to sprawdzić?"),
        (1, "Jestem bardzo rozczarowany."),
        (1, "To jest nie do przyjęcia."),
        (2, "Jestem wściekły, macie to naprawić dzisiaj!"),
        (2, "To skandal, rezygnuję ze wszystkiego!!!"),
    ],
    "sr": [
        (0, "Da li možete da proverite?"),
        (1, "Veoma sam razočaran."),
        (1, "Ovo je neprihvatljivo."),
        (2, "Besan sam i hoću da se ovo reši danas!"),
        (2, "Ovo je sramota, otkazujem sve!!!"),
    ],
    "he": [
        (0, "תוכלו לבדוק את זה בבקשה?"),
        (1, "אני מאוד מאוכזב."),
        (1, "זה לא מקובל."),
        (2, "אני זועם ורוצה שזה יתוקן היום!"),
        (2, "זו בושה, אני מבטל הכול!!!"),
    ],
}

THANKS: dict[str, list[str]] = {
    "en": ["Thank you, it works now.", "Great, the problem is solved, thanks a lot."],
    "pl": ["Dziękuję, teraz działa.", "Super, problem rozwiązany, bardzo dziękuję."],
    "sr": ["Hvala, sada radi.", "Odlično, problem je rešen, hvala puno."],
    "he": ["תודה, עכשיו זה עובד.", "מצוין, הבעיה נפתרה, תודה רבה."],
}

REPLIES: dict[str, list[str]] = {
    "en": [
        "I am sorry about the wait. I will check your order today and write to you by 5 pm.",
        "Calm down, it is not our fault.",
        "I understand how annoying this is. I have asked the technician to call you tomorrow.",
        "As per our policy, this is not possible.",
        "Thank you for your patience. The refund was sent this morning.",
    ],
    "pl": [
        "Przepraszam za oczekiwanie. Sprawdzę to dziś i odpiszę do 17:00.",
        "Proszę się uspokoić, to nie nasza wina.",
        "Rozumiem, że to frustrujące. Technik zadzwoni do Pana jutro.",
    ],
    "sr": [
        "Izvinite zbog čekanja. Proveriću to danas i javiću vam se do 17 časova.",
        "Smirite se, to nije naša greška.",
        "Razumem koliko je ovo neprijatno. Serviser će vas pozvati sutra.",
    ],
    "he": [
        "אני מצטער על ההמתנה. אבדוק את ההזמנה היום ואחזור אליך עד 17:00.",
        "תירגע, זו לא אשמתנו.",
        "אני מבין כמה זה מתסכל. הטכנאי יתקשר אליך מחר.",
    ],
}

COMMENTS: dict[str, list[str]] = {
    "en": ["Quick and kind, thank you.", "It took far too long.", "The agent really listened."],
    "pl": ["Szybko i uprzejmie, dziękuję.", "Trwało to zdecydowanie za długo."],
    "sr": ["Brzo i ljubazno, hvala.", "Trajalo je predugo."],
    "he": ["מהיר ואדיב, תודה.", "זה לקח יותר מדי זמן."],
}

NUMBERS = (2, 3, 5, 10)


def client_bank(lang: str, size: int, rng: random.Random) -> list[tuple[str, str, int]]:
    """Up to ``size`` distinct (text, root cause, intensity) of one language."""
    found: list[tuple[str, str, int]] = []
    for cause, problems in PROBLEMS[lang].items():
        for problem, opener, (level, ending), n in itertools.product(
            problems, OPENERS[lang], ENDINGS[lang], NUMBERS
        ):
            if "{n}" not in problem and n != NUMBERS[0]:
                continue
            body = problem.format(n=n)
            body = body[:1].upper() + body[1:] if not opener else body
            found.append((f"{opener}{body}. {ending}", cause, level))
    rng.shuffle(found)
    return found[:size]
