"""The customer's PDF reaches the attendees through the outbox and a real local SMTP server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.models import Account, Contact
from retain.messaging import services as messaging
from retain.messaging.tests.receivers import Inbox
from retain.messaging.tests.receivers import smtp as smtp
from retain.reports import services
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db


def test_the_pdf_is_mailed_to_each_attendee_once(smtp: Inbox, account: Account, carol: Member, jane: Contact) -> None:
    review = services.review_create(account=account, actor=carol, period="2026Q4", contacts=[jane])
    with pytest.raises(ValidationError, match="prepare the review"):
        services.review_email(review=review, actor=carol)
    review = services.review_prepare(review=review, actor=carol, today=dt.date(2026, 11, 20))
    first = services.review_email(review=review, actor=carol)
    again = services.review_email(review=review, actor=carol)
    assert [m.pk for m in first] == [m.pk for m in again]  # the same pack is sent once
    assert messaging.deliveries_send_due() == 1
    [(recipients, mail)] = smtp.messages
    assert recipients == ["jane@globex.example"]
    assert mail["Subject"] == "Globex: business review 2026Q4"
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == "business-review-2026Q4.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content().startswith(b"%PDF")


def test_a_review_without_attendees_with_an_address_is_refused(account: Account, carol: Member) -> None:
    review = services.review_create(account=account, actor=carol, period="2026Q4")
    review = services.review_prepare(review=review, actor=carol, today=dt.date(2026, 11, 20))
    with pytest.raises(ValidationError, match="no attendee"):
        services.review_email(review=review, actor=carol)
