"""Complaint and hostility on support messages (issue 3; ADR 0024).

``complaint.present`` means the message reports a breach of expectations - calmly or not - and
not merely that it is negative; ``hostility.present`` means abuse aimed at people, not anger at a
service.  Both heads learn these from our synthetic corpora (scripts/data/support_corpus's
complaint column, scripts/data/hostility_corpus).  Every sentence below was written for this test
and is in neither corpus.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calmdesk.analysis import analyze_message

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from check_support_corpus import parse, parse_hostility  # noqa: E402

CALM_COMPLAINTS = [
    "The invoice for October shows 140 instead of the 95 we agreed on the phone.",
    "My parcel was marked as delivered on Monday but it never reached me.",
    "Na fakturze za październik jest 140 zł zamiast uzgodnionych 95 zł.",
    "Paczka ma status doręczonej od poniedziałku, ale do mnie nie dotarła.",
    "Na računu za oktobar piše 140 umesto 95 koliko smo se dogovorili.",
    "Пакет је означен као испоручен у понедељак, али до мене није стигао.",
    "בחשבונית של אוקטובר מופיע 140 במקום 95 שסיכמנו בטלפון.",
    "החבילה מסומנת כנמסרה ביום שני, אבל היא לא הגיעה אליי.",
]

NOT_COMPLAINTS = [
    "Do you deliver to Galway on Saturdays?",
    "Thank you, the technician was quick and friendly.",
    "Czy mogę zmienić adres dostawy na adres firmy?",
    "Dziękuję, wszystko już działa jak należy.",
    "Da li radite subotom i do koliko sati?",
    "Хвала вам, све је стигло на време.",
    "האם אתם פתוחים ביום שישי בבוקר?",
    "תודה רבה, הכול הגיע בזמן.",
]


@pytest.mark.parametrize("text", CALM_COMPLAINTS)
def test_a_calmly_told_breach_of_expectations_is_a_complaint(text: str) -> None:
    a = analyze_message(text)
    assert a.complaint.present, a.complaint


@pytest.mark.parametrize("text", NOT_COMPLAINTS)
def test_questions_and_thanks_are_not_complaints(text: str) -> None:
    a = analyze_message(text)
    assert not a.complaint.present, a.complaint


ANGRY_NOT_ABUSIVE = [
    "This is the third time the repair has failed and I want my money back today.",
    "Your new fees are outrageous and I am closing my account this week.",
    "Ovo je treći put da popravka ne uspe i hoću svoj novac nazad danas.",
    "Ваше нове таксе су безобразно високе и гасим рачун ове недеље.",
    "זו הפעם השלישית שהתיקון נכשל ואני רוצה את הכסף שלי בחזרה היום.",
    "Ten rachunek to skandal, odwołuję się od tej decyzji.",
]


@pytest.mark.parametrize("text", ANGRY_NOT_ABUSIVE)
def test_anger_at_a_service_is_not_hostility(text: str) -> None:
    a = analyze_message(text)
    assert not a.hostility.present, a.hostility


ABUSE = [
    "You are a bunch of useless clowns.",
    "Vi ste obični lopovi i neznalice.",
    "Ви сте обични лопови и незналице.",
    "אתם חבורה של נוכלים ואפסים.",
    "Jesteście bandą nieudaczników.",
]


@pytest.mark.parametrize("text", ABUSE)
def test_insults_aimed_at_people_are_hostility(text: str) -> None:
    assert analyze_message(text).hostility.present


@pytest.mark.parametrize(
    "text",
    [
        # The insult is negated, quoted or said of oneself: the model's probability, which
        # the word raises, must not decide alone (it cannot read the negation).
        "You are not idiots, but the process is broken.",
        'He said "you idiots" on the phone, can you check the recording?',
        "I feel like such an idiot, I sent the form to the wrong address.",
        "Osećam se kao idiot, poslao sam pogrešan formular.",
        "Czuję się jak idiotka, wysłałam zły formularz.",
        "אני מרגישה כמו אידיוטית, שלחתי את הטופס הלא נכון.",
    ],
)
def test_negated_quoted_or_self_directed_insults_are_not_hostility(text: str) -> None:
    assert not analyze_message(text).hostility.present


def test_parsers_report_bad_complaint_and_hostility_lines(tmp_path: Path) -> None:
    four = tmp_path / "xx.tsv"
    four.write_text(
        "# header\n"
        "Where is my parcel?\t-\tneutral\t-\n"
        "It came broken.\t-\tneutral\tmaybe\n"  # bad complaint value
        "It came late.\t-\tneutral\n",  # three columns in a four-column file
        encoding="utf-8",
    )
    lines, errors = parse(four)
    assert [ln.complaint for ln in lines] == [False, False]
    assert any("complaint must be" in e for e in errors), errors
    assert any("expected 4 tab" in e for e in errors), errors
    hostile = tmp_path / "yy.tsv"
    hostile.write_text(
        "# header\nIdiots.\thostile\nIdiots.\thostile\nFine.\tmaybe\nNo label\n",
        encoding="utf-8",
    )
    hlines, herrors = parse_hostility(hostile)
    assert [ln.hostile for ln in hlines] == [True, True]
    assert len(herrors) == 3, herrors  # the duplicate and two malformed lines
