"""The client's one-click rating page (no login: the signed link is the credential).

GET shows the question in the client's language with the rating from the link preselected
and an optional comment field; nothing is recorded on GET (mail scanners open links).  POST
records the answer through :func:`do_rate_case` (single use, expiry, an unhappy answer
reopens the case and notifies the assignee).  A tampered, used or expired link gets a clear
page with a 4xx status, never an error.

The page speaks the survey's language (the client's), not the visitor's browser language,
so its few texts are kept here per language, written by the calmdesk developers.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from calmdesk.desk.actions.notifications import email_language
from calmdesk.desk.actions.satisfaction import RATING_LABELS, SurveyAnswer, do_rate_case
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.signing import read_rating_token
from calmdesk.desk.models import SatisfactionSurvey
from calmdesk.desk.models.satisfaction import UNHAPPY_AT_OR_BELOW

MAX_COMMENT = 5000

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "How did we do?",
        "question": "How satisfied are you with the way we handled your case?",
        "case": "Case",
        "comment": "Anything you would like to add? (optional)",
        "send": "Send my answer",
        "thanks": "Thank you for your answer.",
        "thanks_unhappy": (
            "Thank you for telling us. We are sorry it did not go well: your case has been "
            "reopened and the person who handled it will get back to you."
        ),
        "invalid": "This link is not valid. Please use the link from our email as it is.",
        "used": "This link has already been used. Your answer was recorded, thank you.",
        "expired": "This link has expired. If something is still wrong, please reply to our email.",
        "pick": "Please choose one of the answers.",
    },
    "pl": {
        "title": "Jak nam poszło?",
        "question": "Na ile jest Pan/Pani zadowolony(-a) ze sposobu załatwienia sprawy?",
        "case": "Sprawa",
        "comment": "Chce Pan/Pani coś dodać? (nieobowiązkowe)",
        "send": "Wyślij odpowiedź",
        "thanks": "Dziękujemy za odpowiedź.",
        "thanks_unhappy": (
            "Dziękujemy, że nam Pan/Pani o tym mówi. Przykro nam, że nie poszło dobrze: "
            "sprawa została ponownie otwarta i osoba, która się nią zajmowała, odezwie się."
        ),
        "invalid": "Ten link jest nieprawidłowy. Prosimy użyć linku z naszej wiadomości bez zmian.",
        "used": "Ten link został już użyty. Odpowiedź została zapisana, dziękujemy.",
        "expired": (
            "Ten link wygasł. Jeśli coś jest nadal nie tak, prosimy odpowiedzieć "
            "na naszą wiadomość."
        ),
        "pick": "Prosimy wybrać jedną z odpowiedzi.",
    },
    "sr": {
        "title": "Како смо урадили?",
        "question": "Колико сте задовољни начином на који смо решили ваш предмет?",
        "case": "Предмет",
        "comment": "Желите ли нешто да додате? (није обавезно)",
        "send": "Пошаљи одговор",
        "thanks": "Хвала на одговору.",
        "thanks_unhappy": (
            "Хвала што сте нам рекли. Жао нам је што није добро прошло: ваш предмет је поново "
            "отворен и особа која га је водила јавиће вам се."
        ),
        "invalid": "Овај линк није исправан. Користите линк из наше поруке без измена.",
        "used": "Овај линк је већ искоришћен. Ваш одговор је забележен, хвала.",
        "expired": "Овај линк је истекао. Ако нешто још није у реду, одговорите на нашу поруку.",
        "pick": "Молимо изаберите један од одговора.",
    },
    "sr-latn": {
        "title": "Kako smo uradili?",
        "question": "Koliko ste zadovoljni načinom na koji smo rešili vaš predmet?",
        "case": "Predmet",
        "comment": "Želite li nešto da dodate? (nije obavezno)",
        "send": "Pošalji odgovor",
        "thanks": "Hvala na odgovoru.",
        "thanks_unhappy": (
            "Hvala što ste nam rekli. Žao nam je što nije dobro prošlo: vaš predmet je ponovo "
            "otvoren i osoba koja ga je vodila javiće vam se."
        ),
        "invalid": "Ovaj link nije ispravan. Koristite link iz naše poruke bez izmena.",
        "used": "Ovaj link je već iskorišćen. Vaš odgovor je zabeležen, hvala.",
        "expired": "Ovaj link je istekao. Ako nešto još nije u redu, odgovorite na našu poruku.",
        "pick": "Molimo izaberite jedan od odgovora.",
    },
    "he": {
        "title": "איך עבדנו?",
        "question": "עד כמה אתם מרוצים מהטיפול בפנייה שלכם?",
        "case": "פנייה",
        "comment": "רוצים להוסיף משהו? (לא חובה)",
        "send": "שליחת התשובה",
        "thanks": "תודה על התשובה.",
        "thanks_unhappy": (
            "תודה שסיפרתם לנו. צר לנו שזה לא הלך טוב: הפנייה נפתחה מחדש והנציג שטיפל בה "
            "יחזור אליכם."
        ),
        "invalid": "הקישור אינו תקין. נא להשתמש בקישור מההודעה שלנו כפי שהוא.",
        "used": "כבר נעשה שימוש בקישור הזה. התשובה שלכם נשמרה, תודה.",
        "expired": "תוקף הקישור פג. אם משהו עדיין לא בסדר, נא להשיב להודעה שלנו.",
        "pick": "נא לבחור אחת מהתשובות.",
    },
}

STATUS_FOR = {
    SurveyAnswer.INVALID: 400,
    SurveyAnswer.USED: 409,
    SurveyAnswer.EXPIRED: 410,
}


def _page(
    request: HttpRequest,
    language: str,
    *,
    state: str,
    status: int = 200,
    survey: SatisfactionSurvey | None = None,
    token: str = "",
    rating: int | None = None,
    comment: str = "",
    error: str = "",
) -> HttpResponse:
    lang = email_language(language)
    labels = RATING_LABELS[lang]
    context: dict[str, Any] = {
        "lang": lang,
        "rtl": lang == "he",
        "t": TEXTS[lang],
        "state": state,
        "token": token,
        "survey": survey,
        "case_ref": survey.case.reference if survey is not None else "",
        "choices": [
            {"value": r, "label": labels[r - 1], "checked": r == rating} for r in range(5, 0, -1)
        ],
        "comment": comment,
        "error": error,
        "max_comment": MAX_COMMENT,
    }
    return render(request, "desk/satisfaction.html", context, status=status)


def _state_of(survey: SatisfactionSurvey) -> str | None:
    """A reason the link no longer works, or None when it can still be answered."""
    if survey.cancelled_at is not None:
        return SurveyAnswer.INVALID
    if survey.answered_at is not None:
        return SurveyAnswer.USED
    if timezone.now() > survey.expires_at:
        return SurveyAnswer.EXPIRED
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    parsed = read_rating_token(token)
    survey = (
        SatisfactionSurvey.objects.select_related("case").filter(pk=parsed.survey_id).first()
        if parsed is not None
        else None
    )
    if parsed is None or survey is None or survey.nonce != parsed.nonce:
        fallback = survey.language if survey is not None else ""
        return _page(request, fallback, state=SurveyAnswer.INVALID, status=400)
    blocked = _state_of(survey)
    if blocked is not None:
        return _page(request, survey.language, state=blocked, status=STATUS_FOR[blocked])

    if request.method == "GET":
        return _page(
            request, survey.language, state="ask", survey=survey, token=token, rating=parsed.rating
        )

    comment = str(request.POST.get("comment", ""))[:MAX_COMMENT]
    try:
        rating = int(str(request.POST.get("rating", parsed.rating)))
    except ValueError:
        rating = 0
    if not 1 <= rating <= 5:
        return _page(
            request,
            survey.language,
            state="ask",
            status=400,
            survey=survey,
            token=token,
            rating=None,
            comment=comment,
            error=TEXTS[email_language(survey.language)]["pick"],
        )
    try:
        outcome, answered = do_rate_case(survey.pk, parsed.nonce, rating, comment=comment)
    except ActionError:
        outcome, answered = SurveyAnswer.INVALID, None
    if outcome != SurveyAnswer.OK or answered is None:
        return _page(request, survey.language, state=outcome, status=STATUS_FOR[outcome])
    state = "thanks_unhappy" if rating <= UNHAPPY_AT_OR_BELOW else "thanks"
    return _page(request, survey.language, state=state, survey=answered)
