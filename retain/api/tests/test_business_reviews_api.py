"""/api/v1/business-reviews/: list, create, update, the transitions and the rendered PDF, as the
account's CSM, a viewer, another CSM and an outsider."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from retain.accounts.models import Account, Contact
from retain.api.tests.conftest import ClientFor
from retain.plans.models import Commitment
from retain.reports import services
from retain.reports.models import BusinessReview
from retain.tenancy.models import Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")
URL = "/api/v1/business-reviews/"


@pytest.fixture
def review(account: Account, carol: Member) -> BusinessReview:
    return services.review_create(account=account, actor=carol, period="2026Q4")


def test_the_account_s_csm_walks_a_review_from_planned_to_followed_up(
    account: Account, carol: Member, jane: Contact, client_for: ClientFor
) -> None:
    client = client_for(carol)
    created = client.post(URL, {"account": account.pk, "period": "2026Q4", "agenda": "Value"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "planned"
    prepared = client.post(f"{URL}{pk}/prepare/").json()
    assert prepared["status"] == "prepared" and prepared["pack"]["period"]["name"] == "2026Q4"
    proposals = [
        {"kind": "commitment", "text": "Name a workflow owner", "side": "customer", "owner_contact": jane.pk,
         "due_on": "2027-01-15", "accepted": True},
    ]  # fmt: skip
    patched = client.patch(f"{URL}{pk}/", {"proposals": proposals, "narrative": {"wins": "Leads up"}}, format="json")
    assert patched.status_code == 200 and patched.json()["narrative"]["wins"] == "Leads up"
    held = client.post(
        f"{URL}{pk}/hold/",
        {
            "held_on": "2026-11-25",
            "contacts": [jane.pk],
            "members": [carol.pk],
            "decisions": "Go",
            "sentiment": "neutral",
        },
        format="json",
    )
    assert held.status_code == 200 and held.json()["status"] == "held"
    for _ in range(2):
        followed = client.post(f"{URL}{pk}/follow-up/")
        assert followed.status_code == 200 and followed.json()["status"] == "followed_up"
    assert Commitment.objects.filter(plan__account=account, description="Name a workflow owner").count() == 1
    pdf = client.get(f"{URL}{pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert "2026Q4" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_bad_input_names_the_field(
    account: Account, review: BusinessReview, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    assert "period" in client.post(URL, {"account": account.pk, "period": "Q4"}, format="json").json()["errors"]
    bad = client.patch(f"{URL}{review.pk}/", {"proposals": [{"kind": "wish"}]}, format="json")
    assert bad.status_code == 400 and "proposals[0].kind" in bad.json()["errors"]
    assert client.post(f"{URL}{review.pk}/follow-up/").status_code == 400
    assert client.get(f"{URL}{review.pk}/pdf/").status_code == 404  # no pack yet


def test_a_viewer_reads_but_cannot_write(review: BusinessReview, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    assert client.get(URL).json()["count"] == 1
    assert client.get(f"{URL}{review.pk}/").status_code == 200
    assert client.post(f"{URL}{review.pk}/prepare/").status_code == 403
    assert client.patch(f"{URL}{review.pk}/", {"agenda": "x"}, format="json").status_code == 403


def test_another_csm_cannot_work_a_review_of_carol_s_account(
    review: BusinessReview, dave: Member, client_for: ClientFor
) -> None:
    client = client_for(dave)
    assert client.get(f"{URL}{review.pk}/").status_code == 200
    assert client.post(f"{URL}{review.pk}/prepare/").status_code == 403
    created = client.post(URL, {"account": review.account_id, "period": "2027Q1"}, format="json")
    assert created.status_code == 403


def test_an_outsider_sees_nothing(review: BusinessReview, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{review.pk}/").status_code == 404
    assert client.post(f"{URL}{review.pk}/prepare/").status_code == 404
    assert client.get(f"{URL}{review.pk}/pdf/").status_code == 404
    assert client.post(URL, {"account": review.account_id, "period": "2027Q1"}, format="json").status_code == 400
