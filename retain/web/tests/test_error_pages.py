"""Styled error pages: 403 and 404 in the site's frame, 500 standing alone.

The 500 page is rendered when something already failed, with no request context and possibly no
database: it must render from settings alone.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from retain.accounts.models import Account
from retain.tenancy.models import Member


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_a_missing_page_is_the_styled_404(alice: Member) -> None:
    response = client_for(alice).get("/w/acme/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing here" in html and "retain.css" in html
    assert 'aria-label="Main"' not in html  # no workspace was resolved, so no workspace navigation


def test_an_outsider_gets_the_styled_404_too(olga: Member, account: Account) -> None:
    response = client_for(olga).get(f"/w/acme/accounts/{account.pk}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is nothing here" in html and "Globex" not in html


def test_a_role_that_may_not_is_the_styled_403_with_the_reason(vic: Member, account: Account) -> None:
    response = client_for(vic).get(f"/w/acme/accounts/{account.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your role does not allow this" in html
    assert "You can read this account but not change it" in html
    assert 'aria-label="Main"' in html  # inside the workspace: the top bar still leads on


def test_the_500_page_renders_without_a_request_context_or_the_database() -> None:
    # No django_db mark: pytest-django fails this test on any database access.
    response = server_error(RequestFactory().get("/w/acme/accounts/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "retain.css" in html


@pytest.mark.django_db
def test_an_exception_in_a_view_answers_the_styled_500(settings: object, alice: Member) -> None:
    settings.ROOT_URLCONF = "retain.web.tests.failing_urls"  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
