"""The client's one-click rating page, through HTTP: no login, signed, single use, expiring;
an unhappy answer reopens the case and notifies the assignee.  Never a 500."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from calmdesk.desk.actions.cases import do_assign_case, do_change_status
from calmdesk.desk.lib.signing import make_rating_token
from calmdesk.desk.models import (
    Case,
    Interaction,
    Notification,
    NotificationKind,
    OutboundEmail,
    SatisfactionSurvey,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(world):
    case = world.cases["a2"]
    agent = world.users["agent_a"]
    agent.email = "agent.a@example.test"
    agent.save(update_fields=["email"])
    do_assign_case(world.users["agent_a"], case, world.users["agent_a"])
    do_change_status(world.users["agent_a"], case, "resolved")
    return SatisfactionSurvey.objects.get(case=case)


def url(survey, rating: int) -> str:
    return reverse(
        "desk:satisfaction", kwargs={"token": make_rating_token(survey.pk, survey.nonce, rating)}
    )


def checked_value(html: str) -> str | None:
    found = re.findall(r'name="rating" value="(\d)" required checked', html)
    return found[0] if len(found) == 1 else None


def test_get_shows_the_question_with_the_rating_preselected_and_records_nothing(survey):
    r = HttpClient().get(url(survey, 4))
    assert r.status_code == 200
    html = r.content.decode()
    assert checked_value(html) == "4"
    assert 'name="comment"' in html
    assert survey.case.reference in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert "'unsafe-inline'" not in r["Content-Security-Policy"].split("script-src")[1]
    survey.refresh_from_db()
    assert survey.answered_at is None  # a mail scanner opening the link rates nothing


def test_page_speaks_the_clients_language(survey):
    survey.language = "he"
    survey.save(update_fields=["language"])
    html = HttpClient().get(url(survey, 5)).content.decode()
    assert 'lang="he" dir="rtl"' in html
    assert "עד כמה אתם מרוצים" in html
    survey.language = "sr"
    survey.save(update_fields=["language"])
    assert "Колико сте задовољни" in HttpClient().get(url(survey, 5)).content.decode()


def test_happy_answer_is_recorded_once_with_its_comment(survey):
    client = HttpClient()
    r = client.post(url(survey, 5), {"rating": "5", "comment": "Quick <b>and</b> kind."})
    assert r.status_code == 200 and b'data-outcome="thanks"' in r.content
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (5, "Quick <b>and</b> kind.")
    assert Case.objects.get(pk=survey.case_id).status == "resolved"
    # the same link (or any other rating link of this survey) is now used up
    again = client.post(url(survey, 1), {"rating": "1"})
    assert again.status_code == 409 and b'data-outcome="used"' in again.content
    assert HttpClient().get(url(survey, 3)).status_code == 409
    survey.refresh_from_db()
    assert survey.rating == 5


def test_the_client_may_change_the_preselected_rating(survey):
    r = HttpClient().post(url(survey, 5), {"rating": "4"})
    assert r.status_code == 200
    survey.refresh_from_db()
    assert survey.rating == 4


def test_unhappy_answer_reopens_the_case_and_notifies_the_assignee(world, survey):
    r = HttpClient().post(url(survey, 1), {"rating": "1", "comment": "Nothing changed."})
    assert r.status_code == 200 and b'data-outcome="reopened"' in r.content
    case = Case.objects.get(pk=survey.case_id)
    assert case.status == "open" and case.resolved_at is None
    note = Notification.objects.get(kind=NotificationKind.UNHAPPY, case=case)
    assert note.user == world.users["agent_a"]
    events = list(
        Interaction.objects.filter(case=case, kind="system_event")
        .order_by("-seq")
        .values_list("event_type", flat=True)[:2]
    )
    assert events == ["reopen", "satisfaction"]
    mail = OutboundEmail.objects.get(kind="unhappy", case=case)
    assert mail.to == ["agent.a@example.test"] and "Nothing changed." in mail.body


def test_expired_link_gets_a_clear_page(survey):
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    for response in (
        HttpClient().get(url(survey, 5)),
        HttpClient().post(url(survey, 5), {"rating": "5"}),
    ):
        assert response.status_code == 410
        assert b'data-outcome="expired"' in response.content
    survey.refresh_from_db()
    assert survey.answered_at is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: "x" + t,
        lambda t: "garbage",
        lambda t: "a" * 400,
        lambda t: make_rating_token(10**9, "0" * 32, 5),  # signed, but no such survey
    ],
)
def test_tampered_or_unknown_tokens_get_a_clear_page(survey, mangle):
    token = mangle(make_rating_token(survey.pk, survey.nonce, 5))
    target = reverse("desk:satisfaction", kwargs={"token": token})
    for response in (HttpClient().get(target), HttpClient().post(target, {"rating": "5"})):
        assert response.status_code == 400
        assert b'data-outcome="invalid"' in response.content
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_token_with_another_surveys_nonce_is_refused(survey):
    target = reverse(
        "desk:satisfaction", kwargs={"token": make_rating_token(survey.pk, "f" * 32, 1)}
    )
    assert HttpClient().post(target, {"rating": "1"}).status_code == 400
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_bad_rating_values_are_asked_again_not_500(survey):
    for value in ("0", "6", "x", ""):
        r = HttpClient().post(url(survey, 3), {"rating": value})
        assert r.status_code == 400, value
        assert b'role="alert"' in r.content
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_post_needs_the_csrf_token_from_the_page(survey):
    client = HttpClient(enforce_csrf_checks=True)
    assert client.post(url(survey, 5), {"rating": "5"}).status_code == 403
    page = client.get(url(survey, 5)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    r = client.post(url(survey, 5), {"rating": "5", "csrfmiddlewaretoken": csrf.group(1)})
    assert r.status_code == 200
