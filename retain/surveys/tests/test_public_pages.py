"""The answer page and the unsubscribe page: no login, no JavaScript, 404 for any link that is not live."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from django.test import Client
from django.utils import timezone

from retain.accounts.choices import EntryKind
from retain.accounts.models import Contact, TimelineEntry
from retain.messaging.tokens import unsubscribe_token
from retain.surveys import services, views
from retain.surveys.models import Response, Survey
from retain.surveys.tests.conftest import SendTo

pytestmark = pytest.mark.urls("retain.surveys.tests.urls")


def test_the_page_offers_eleven_large_radio_labels_and_a_comment_box(
    client: Client, nps: Survey, jane: Contact, send_to: SendTo
) -> None:
    _, token = send_to(nps, jane)
    page = client.get(f"/s/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('type="radio" name="score"') == 11
    assert '<label for="score-10">10</label>' in html
    assert 'name="comment"' in html and "<script" not in html
    assert "How likely are you to recommend Acme CS" in html
    assert page["Cache-Control"] == "private, no-store"


def test_a_score_in_the_link_is_chosen_but_not_recorded(
    client: Client, nps: Survey, jane: Contact, send_to: SendTo
) -> None:
    _, token = send_to(nps, jane)
    html = client.get(f"/s/{token}/?score=9").content.decode()
    assert 'value="9" checked' in html
    assert Response.objects.count() == 0


def test_a_contact_answers_and_sees_thank_you(client: Client, nps: Survey, jane: Contact, send_to: SendTo) -> None:
    invitation, token = send_to(nps, jane)
    response = client.post(f"/s/{token}/", {"score": "9", "comment": "Quick onboarding"})
    assert response.status_code == 302 and response["Location"] == f"/s/{token}/"
    answer = Response.objects.get()
    assert (answer.invitation, answer.score, answer.comment, answer.source) == (
        invitation,
        9,
        "Quick onboarding",
        "email",
    )
    html = client.get(f"/s/{token}/").content.decode()
    assert "Thank you, Jane." in html and "Change your answer" in html
    assert TimelineEntry.objects.get(kind=EntryKind.SURVEY_ANSWERED).actor_label == "email"


@pytest.mark.parametrize("score", ["²", "٣", "99999999999999999999999", "-1"])
def test_a_score_that_is_not_plain_digits_is_refused_not_a_500(
    client: Client, nps: Survey, jane: Contact, send_to: SendTo, score: str
) -> None:
    _, token = send_to(nps, jane)
    page = client.get(f"/s/{token}/", {"score": score})
    assert page.status_code == 200
    assert '" checked' not in page.content.decode()
    response = client.post(f"/s/{token}/", {"score": score})
    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0
    assert client.post("/s/not-a-token/", {"score": score}).status_code == 404


def test_a_contact_changes_the_answer_within_the_window(
    client: Client, nps: Survey, jane: Contact, send_to: SendTo
) -> None:
    _, token = send_to(nps, jane)
    client.post(f"/s/{token}/", {"score": "4"})
    client.post(f"/s/{token}/", {"score": "8", "comment": "Fixed now"})
    answer = Response.objects.get()
    assert (answer.score, answer.category, answer.changes) == (8, "passive", 1)
    jane.refresh_from_db()
    assert jane.nps_category == "passive"


def test_an_answer_without_a_score_is_refused_with_a_message(
    client: Client, nps: Survey, jane: Contact, send_to: SendTo
) -> None:
    _, token = send_to(nps, jane)
    for score in ("", "11", "nine"):
        response = client.post(f"/s/{token}/", {"score": score})
        assert response.status_code == 400
        assert "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_a_bad_token_is_404(client: Client, nps: Survey, jane: Contact, send_to: SendTo) -> None:
    send_to(nps, jane)
    assert client.get("/s/not-a-real-token/").status_code == 404
    assert client.post("/s/not-a-real-token/", {"score": "9"}).status_code == 404


def test_an_expired_link_is_404(client: Client, nps: Survey, jane: Contact, send_to: SendTo) -> None:
    invitation, token = send_to(nps, jane)
    client.post(f"/s/{token}/", {"score": "9"})
    invitation.expires_at = timezone.now() - dt.timedelta(seconds=1)
    invitation.save()
    assert client.get(f"/s/{token}/").status_code == 404
    assert client.post(f"/s/{token}/", {"score": "2"}).status_code == 404
    assert Response.objects.get().score == 9


def test_a_link_expires_after_the_validity_days(nps: Survey, jane: Contact, send_to: SendTo) -> None:
    invitation, _ = send_to(nps, jane)
    assert invitation.sent_at and invitation.expires_at
    # Counted from when the e-mail was queued, a moment before the server took it.
    assert dt.timedelta(days=30) - dt.timedelta(minutes=1) < invitation.expires_at - invitation.sent_at
    assert invitation.expires_at - invitation.sent_at <= dt.timedelta(days=30)


def test_a_revoked_link_is_404(client: Client, nps: Survey, jane: Contact, send_to: SendTo) -> None:
    invitation, token = send_to(nps, jane)
    services.invitation_revoke(invitation=invitation)
    assert client.get(f"/s/{token}/").status_code == 404


def test_the_page_is_rate_limited_per_token(
    client: Client, nps: Survey, jane: Contact, send_to: SendTo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "RATE_PER_TOKEN", 3)
    _, token = send_to(nps, jane)
    codes = [client.get(f"/s/{token}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get(f"/s/{token}/")
    assert limited["Retry-After"] == "30" and "Too many requests" in limited.content.decode()


def test_the_page_is_rate_limited_per_address(client: Client, db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "RATE_PER_ADDRESS", 5)
    codes = [client.get(f"/s/guess-{n}/").status_code for n in range(6)]
    assert codes == [404] * 5 + [429]
    assert Client(REMOTE_ADDR="10.0.0.2").get("/s/guess-x/").status_code == 404


def test_respondents_behind_a_trusted_proxy_each_have_their_own_bucket(
    db: None, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    monkeypatch.setattr(views, "RATE_PER_ADDRESS", 5)
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    first = [proxy.get(f"/s/guess-{n}/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code for n in range(6)]
    assert first == [404] * 5 + [429]
    # Another respondent through the same proxy is not held back by the first.
    assert proxy.get("/s/guess-x/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 404
    # A client that is not a trusted proxy cannot choose its address with the header.
    direct = Client(REMOTE_ADDR="203.0.113.9")
    codes = [direct.get(f"/s/g-{n}/", HTTP_X_FORWARDED_FOR=f"198.51.100.{50 + n}").status_code for n in range(6)]
    assert codes == [404] * 5 + [429]


def test_one_click_unsubscribes_at_once(client: Client, nps: Survey, jane: Contact) -> None:
    path = f"/s/{unsubscribe_token(jane.pk)}/unsubscribe/"
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe jane@globex.example?" in page.content.decode()
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is None  # a link scanner's GET changes nothing
    # What a mail program's unsubscribe button sends (RFC 8058), with no cookie and no CSRF token.
    strict = Client(enforce_csrf_checks=True)
    done = strict.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is not None
    assert strict.post(path).status_code == 200
    assert TimelineEntry.objects.filter(kind=EntryKind.CONTACT_UNSUBSCRIBED).count() == 1


def test_a_forged_unsubscribe_token_is_404(client: Client, jane: Contact) -> None:
    assert client.post(f"/s/{jane.pk}:forged/unsubscribe/").status_code == 404
    assert client.get("/s/nonsense/unsubscribe/").status_code == 404
