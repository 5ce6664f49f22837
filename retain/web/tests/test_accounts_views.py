"""The accounts pages: list, export, account page and the forms that change an account.

Every route is checked with the outsider (Olga → 404), the viewer (Vic → 403 on writes), a CSM in
and outside its own book (Carol owns Globex, Dave does not) and a manager (Mark).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts import services
from retain.accounts.choices import ContactStatus, MovementKind, SubscriptionStatus
from retain.accounts.models import Account, Contact, Subscription, Touchpoint
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def make_accounts(workspace: Workspace, owner: Member | None, count: int, prefix: str = "Acct") -> list[Account]:
    return [
        services.account_create(
            workspace=workspace, actor=None, via="test", name=f"{prefix} {i:03}", domain=f"{prefix.lower()}{i}.example",
            owner=owner,
        )
        for i in range(count)
    ]  # fmt: skip


@pytest.fixture
def contact(account: Account) -> Contact:
    return services.contact_create(
        account=account, actor=None, via="test", first_name="Gina", last_name="Globex", email="gina@globex.example",
        role="champion",
    )  # fmt: skip


@pytest.fixture
def subscription(account: Account) -> Subscription:
    return account.subscriptions.get()


# Who may see and do what -------------------------------------------------------------------------

READ_ROUTES = ["accounts", "workspace", "accounts-export"]
ACCOUNT_READ_ROUTES = ["account", "account-timeline"]
ACCOUNT_WRITE_ROUTES = ["account-edit", "touchpoint-log", "contact-create", "subscription-create"]


def all_routes(account: Account, contact: Contact, subscription: Subscription) -> list[str]:
    return [
        *(url(name) for name in READ_ROUTES),
        url("account-create"),
        *(url(name, account.pk) for name in ACCOUNT_READ_ROUTES + ACCOUNT_WRITE_ROUTES),
        url("contact-edit", contact.pk),
        url("subscription-change", subscription.pk),
    ]


def write_routes(account: Account, contact: Contact, subscription: Subscription) -> list[str]:
    return [
        *(url(name, account.pk) for name in ACCOUNT_WRITE_ROUTES),
        url("contact-edit", contact.pk),
        url("subscription-change", subscription.pk),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client: Client, account: Account) -> None:
    response = client.get(url("accounts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_outsider_gets_404_on_every_route(
    client: Client, account: Account, contact: Contact, subscription: Subscription, olga: Member
) -> None:
    login(client, olga)
    for route in all_routes(account, contact, subscription):
        assert client.get(route).status_code == 404, route
        assert client.post(route, {"name": "x"}).status_code in (404, 405), route


def test_outsider_cannot_reach_this_workspaces_records_from_their_own(
    client: Client, account: Account, contact: Contact, subscription: Subscription, olga: Member
) -> None:
    login(client, olga)
    own = ["other", account.pk]
    assert client.get(reverse("account", args=own)).status_code == 404
    assert client.get(reverse("account-edit", args=own)).status_code == 404
    assert client.get(reverse("contact-edit", args=["other", contact.pk])).status_code == 404
    assert client.get(reverse("subscription-change", args=["other", subscription.pk])).status_code == 404


def test_viewer_reads_but_gets_403_on_every_write(
    client: Client, account: Account, contact: Contact, subscription: Subscription, vic: Member
) -> None:
    login(client, vic)
    assert client.get(url("accounts")).status_code == 200
    page = client.get(url("account", account.pk))
    assert page.status_code == 200
    assert b"Edit account" not in page.content
    assert b"Save segment" not in client.get(url("accounts")).content
    for route in [url("account-create"), *write_routes(account, contact, subscription)]:
        assert client.get(route).status_code == 403, route
        assert client.post(route, {"name": "Hacked"}).status_code == 403, route
    account.refresh_from_db()
    assert account.name == "Globex"


def test_it_checks_ownership_for_a_csm_outside_its_book(
    client: Client, account: Account, contact: Contact, subscription: Subscription, dave: Member
) -> None:
    login(client, dave)
    page = client.get(url("account", account.pk))
    assert page.status_code == 200
    assert b"Edit account" not in page.content
    for route in write_routes(account, contact, subscription):
        assert client.get(route).status_code == 403, route
        assert client.post(route, {}).status_code == 403, route


def test_a_csm_edits_its_own_book(
    client: Client, account: Account, contact: Contact, subscription: Subscription, carol: Member
) -> None:
    login(client, carol)
    assert b"Edit account" in client.get(url("account", account.pk)).content
    for route in write_routes(account, contact, subscription):
        assert client.get(route).status_code == 200, route
    response = client.post(
        url("account-edit", account.pk),
        {"name": "Globex Corp", "tier": "strategic", "edition": "enterprise", "stage": "onboarding",
         "domain": "globex.example", "external_id": "crm-1"},
    )  # fmt: skip
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.tier, account.owner) == ("Globex Corp", "strategic", carol)


def test_a_csm_cannot_give_its_account_away(client: Client, account: Account, carol: Member, dave: Member) -> None:
    login(client, carol)
    client.post(
        url("account-edit", account.pk),
        {"name": "Globex", "tier": "enterprise", "edition": "professional", "stage": "onboarding",
         "owner": dave.pk, "reason": "mine now"},
    )  # fmt: skip
    account.refresh_from_db()
    assert account.owner == carol


def test_a_csm_creates_accounts_into_its_own_book(client: Client, workspace: Workspace, dave: Member) -> None:
    login(client, dave)
    response = client.post(
        url("account-create"),
        {"name": "Initech", "tier": "community", "edition": "professional", "stage": "onboarding"},
    )
    assert response.status_code == 302
    created = Account.objects.get(name="Initech")
    assert created.owner == dave
    assert response["Location"] == url("account", created.pk)


def test_a_manager_edits_any_account_and_moves_it_with_a_reason(
    client: Client, account: Account, mark: Member, dave: Member
) -> None:
    login(client, mark)
    response = client.post(
        url("account-edit", account.pk),
        {"name": "Globex", "tier": "enterprise", "edition": "professional", "stage": "adoption",
         "owner": dave.pk, "reason": "Carol's book is full", "domain": "globex.example", "external_id": "crm-1"},
    )  # fmt: skip
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.owner, account.stage) == (dave, "adoption")
    moved = account.timeline.get(kind="owner_changed")
    assert "Carol's book is full" in moved.summary + str(moved.data)


def test_changing_owner_or_stage_needs_a_reason(client: Client, account: Account, mark: Member) -> None:
    login(client, mark)
    response = client.post(
        url("account-edit", account.pk),
        {
            "name": "Globex",
            "tier": "enterprise",
            "edition": "professional",
            "stage": "renewal",
            "owner": account.owner_id,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    account.refresh_from_db()
    assert account.stage == "onboarding"


def test_a_manager_creates_an_account_for_anyone(
    client: Client, workspace: Workspace, mark: Member, carol: Member
) -> None:
    login(client, mark)
    response = client.post(
        url("account-create"),
        {"name": "Umbrella", "tier": "strategic", "edition": "enterprise", "stage": "onboarding", "owner": carol.pk,
         "industry": "Pharma", "employees": "5000", "annual_revenue": "2500000000"},
    )  # fmt: skip
    assert response.status_code == 302
    created = Account.objects.get(name="Umbrella")
    assert (created.owner, created.employees, created.annual_revenue) == (carol, 5000, Decimal("2500000000"))


# Validation errors name the field ----------------------------------------------------------------


def test_a_service_refusal_is_shown_on_the_field_it_names(client: Client, account: Account, mark: Member) -> None:
    login(client, mark)
    response = client.post(
        url("account-create"),
        {
            "name": "Clash",
            "tier": "community",
            "edition": "professional",
            "stage": "onboarding",
            "external_id": "crm-1",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "already used" in form.errors["external_id"][0]
    assert b'id="field-external_id"' in response.content
    assert not Account.objects.filter(name="Clash").exists()


def test_a_missing_name_is_shown_on_the_name_field(client: Client, workspace: Workspace, mark: Member) -> None:
    login(client, mark)
    response = client.post(
        url("account-create"), {"tier": "community", "edition": "professional", "stage": "onboarding"}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_a_change_dated_before_the_last_one_is_refused_on_effective_on(
    client: Client, account: Account, subscription: Subscription, carol: Member
) -> None:
    login(client, carol)
    response = client.post(
        url("subscription-change", subscription.pk),
        {"effective_on": (subscription.started_on - dt.timedelta(days=1)).isoformat(), "mrr": "1500", "seats": "12",
         "product": subscription.product, "term_end": subscription.term_end.isoformat()},
    )  # fmt: skip
    assert response.status_code == 200
    assert "is before" in response.context["form"].errors["effective_on"][0]
    subscription.refresh_from_db()
    assert subscription.mrr == Decimal("1000")


def test_a_duplicate_contact_email_is_refused_on_the_email_field(
    client: Client, account: Account, contact: Contact, carol: Member
) -> None:
    login(client, carol)
    response = client.post(
        url("contact-create", account.pk),
        {"first_name": "Twin", "email": contact.email, "role": "user", "status": "active"},
    )
    assert response.status_code == 200
    assert "already used" in response.context["form"].errors["email"][0]


def test_a_bad_filter_is_shown_next_to_its_field(client: Client, account: Account, vic: Member) -> None:
    login(client, vic)
    response = client.get(url("accounts"), {"renewal_within_days": "soon"})
    assert response.status_code == 200
    assert "whole number of days" in response.context["form"].errors["renewal_within_days"][0]
    assert b'id="filter-errors-renewal_within_days"' in response.content
    assert response.context["page"].paginator.count == 0


# The accounts list -------------------------------------------------------------------------------


def names(response: object) -> list[str]:
    return [a.name for a in response.context["page"].object_list]  # type: ignore[attr-defined]  # the test client's response carries content and context


def test_the_list_shows_each_accounts_columns(client: Client, account: Account, vic: Member) -> None:
    services.touchpoint_log(
        account=account, actor=None, via="test", kind="call", summary="Kick-off",
        occurred_at=timezone.now() - dt.timedelta(days=3),
    )  # fmt: skip
    login(client, vic)
    html = client.get(url("accounts")).content.decode()
    for text in (
        "Globex",
        "globex.example",
        "Enterprise",
        "Professional",
        "Onboarding",
        "Carol",
        "$12,000",
        "in 60 days",
    ):
        assert text in html, text
    assert "3 d" in html


def test_it_searches_by_name_or_domain(client: Client, workspace: Workspace, account: Account, vic: Member) -> None:
    make_accounts(workspace, None, 3)
    login(client, vic)
    assert names(client.get(url("accounts"), {"q": "glob"})) == ["Globex"]
    assert names(client.get(url("accounts"), {"q": "acct1.example"})) == ["Acct 001"]


def test_it_filters_by_tier_edition_stage_and_owner(
    client: Client, workspace: Workspace, account: Account, dave: Member, vic: Member
) -> None:
    [a, b, c] = make_accounts(workspace, None, 3)
    services.account_update(account=a, actor=None, via="test", tier="strategic", edition="enterprise", owner=dave)
    services.account_update(account=b, actor=None, via="test", stage="renewal")
    login(client, vic)
    assert names(client.get(url("accounts"), {"tier": "strategic"})) == [a.name]
    assert names(client.get(url("accounts"), {"tier": ["strategic", "enterprise"]})) == [a.name, "Globex"]
    assert names(client.get(url("accounts"), {"edition": "enterprise"})) == [a.name]
    assert names(client.get(url("accounts"), {"stage": "renewal"})) == [b.name]
    assert names(client.get(url("accounts"), {"owner": dave.pk})) == [a.name]
    assert names(client.get(url("accounts"), {"owner": "none"})) == [b.name, c.name]
    assert names(client.get(url("accounts"), {"owner": ["none", str(dave.pk)]})) == [a.name, b.name, c.name]


def test_it_filters_by_renewal_within_days(client: Client, workspace: Workspace, account: Account, vic: Member) -> None:
    make_accounts(workspace, None, 2)
    login(client, vic)
    assert names(client.get(url("accounts"), {"renewal_within_days": "90"})) == ["Globex"]
    assert names(client.get(url("accounts"), {"renewal_within_days": "30"})) == []


def test_it_sorts_by_arr_renewal_and_name(client: Client, workspace: Workspace, account: Account, vic: Member) -> None:
    [small, _none] = make_accounts(workspace, None, 2)
    today = dt.date.today()
    services.subscription_create(
        account=small, actor=None, via="test", product="Starter", mrr=Decimal("100"),
        started_on=today - dt.timedelta(days=10), term_end=today + dt.timedelta(days=20),
    )  # fmt: skip
    login(client, vic)
    assert names(client.get(url("accounts"), {"sort": "-arr"}))[:2] == ["Globex", "Acct 000"]
    assert names(client.get(url("accounts"), {"sort": "arr"}))[-1] == "Globex"
    assert names(client.get(url("accounts"), {"sort": "renewal", "renewal_within_days": "365"})) == [
        "Acct 000",
        "Globex",
    ]
    assert names(client.get(url("accounts"), {"sort": "-name"})) == ["Globex", "Acct 001", "Acct 000"]


def test_it_paginates_with_a_page_size_choice(client: Client, workspace: Workspace, vic: Member) -> None:
    make_accounts(workspace, None, 60)
    login(client, vic)
    first = client.get(url("accounts"))
    assert len(names(first)) == 25
    assert first.context["page"].paginator.num_pages == 3
    assert names(client.get(url("accounts"), {"page": "3"}))[0] == "Acct 050"
    assert len(names(client.get(url("accounts"), {"per_page": "50"}))) == 50
    assert len(names(client.get(url("accounts"), {"per_page": "100"}))) == 60
    assert "per_page" in client.get(url("accounts"), {"per_page": "7"}).context["form"].errors


def test_a_filter_change_from_htmx_gets_only_the_results(client: Client, account: Account, vic: Member) -> None:
    login(client, vic)
    response = client.get(url("accounts"), {"q": "glob"}, headers={"HX-Request": "true", "HX-Target": "results"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Globex" in html
    assert 'hx-swap-oob="true"' in html
    full = client.get(url("accounts"), {"q": "glob"}).content.decode()
    assert "<html" in full and 'hx-get="/w/acme/accounts/"' in full and 'hx-push-url="true"' in full


def test_the_save_as_segment_form_carries_the_criteria(
    client: Client, account: Account, carol: Member, dave: Member
) -> None:
    login(client, carol)
    html = client.get(
        url("accounts"), {"tier": ["enterprise", "strategic"], "owner": str(dave.pk), "q": "glo"}
    ).content.decode()
    assert f'action="{url("segment-save")}"' in html
    for field in ('name="tier" value="enterprise"', 'name="tier" value="strategic"', f'name="owner" value="{dave.pk}"',
                  'name="q" value="glo"', 'name="name"'):  # fmt: skip
        assert field in html, field


def test_the_workspace_route_is_the_accounts_list(client: Client, account: Account, vic: Member) -> None:
    login(client, vic)
    assert names(client.get(reverse("workspace", args=["acme"]))) == ["Globex"]


def test_the_list_runs_the_same_number_of_queries_whatever_the_page_size(
    client: Client, workspace: Workspace, carol: Member, dave: Member, vic: Member
) -> None:
    login(client, vic)
    make_accounts(workspace, carol, 5, "Small")
    make_accounts(workspace, None, 5, "None")

    def count(per_page: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("accounts"), {"per_page": str(per_page), "sort": "-arr"}).status_code == 200
        return len(queries)

    ten = count(100)
    make_accounts(workspace, dave, 50, "Big")
    assert count(100) == ten
    assert count(25) == ten


# CSV export --------------------------------------------------------------------------------------


def test_the_export_is_the_filtered_list_as_csv(
    client: Client, workspace: Workspace, account: Account, vic: Member
) -> None:
    make_accounts(workspace, None, 2)
    login(client, vic)
    response = client.get(url("accounts-export"), {"tier": "enterprise"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert [r["name"] for r in rows] == ["Globex"]
    assert rows[0]["arr"] == "12000.00"
    assert rows[0]["owner"] == "Carol"
    assert rows[0]["days_to_renewal"] == "60"


def test_the_export_neutralises_cells_a_spreadsheet_would_run(
    client: Client, workspace: Workspace, vic: Member
) -> None:
    services.account_create(workspace=workspace, actor=None, via="test", name='=HYPERLINK("http://evil")', industry="x")
    services.account_create(workspace=workspace, actor=None, via="test", name="@SUM(1+1)")
    login(client, vic)
    body = b"".join(client.get(url("accounts-export")).streaming_content).decode()  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    names_ = [row[0] for row in csv.reader(io.StringIO(body))][1:]
    assert sorted(names_) == ['\'=HYPERLINK("http://evil")', "'@SUM(1+1)"]


def test_a_bad_export_filter_is_a_400_naming_the_field(client: Client, account: Account, vic: Member) -> None:
    login(client, vic)
    response = client.get(url("accounts-export"), {"arr_min": "-5"})
    assert response.status_code == 400
    assert b"arr_min" in response.content


# The account page --------------------------------------------------------------------------------


def test_the_account_page_shows_revenue_firmographics_contacts_and_subscriptions(
    client: Client, account: Account, contact: Contact, subscription: Subscription, vic: Member
) -> None:
    services.account_update(account=account, actor=None, via="test", industry="Logistics", employees=1200,
                            annual_revenue=Decimal("90000000"))  # fmt: skip
    services.contact_update(contact=contact, actor=None, via="test", status=ContactStatus.LEFT)
    services.subscription_change(
        subscription=subscription, actor=None, via="test", effective_on=dt.date.today(), mrr=Decimal("1250"), seats=12
    )
    login(client, vic)
    html = client.get(url("account", account.pk)).content.decode()
    for text in (
        "Globex", "globex.example", "$15,000", "$1,250", "in 60 days", "Logistics", "1200", "$90,000,000",
        "Company annual revenue", "Gina Globex", "Champion", "Left the company", "Marketing Hub Professional",
        "Expansion", "$1,000 → $1,250", "10 → 12", "Product usage",
    ):  # fmt: skip
        assert text in html, text


def test_a_logged_touchpoint_appears_on_the_timeline_and_resets_days_since(
    client: Client, account: Account, contact: Contact, carol: Member
) -> None:
    login(client, carol)
    assert "never" in client.get(url("account", account.pk)).content.decode()
    when = timezone.localtime() - dt.timedelta(days=2)
    response = client.post(
        url("touchpoint-log", account.pk),
        {"kind": "meeting", "occurred_at": when.strftime("%Y-%m-%dT%H:%M"), "member": carol.pk,
         "contacts": [contact.pk], "summary": "Quarterly business review", "next_step": "Send the QBR deck"},
    )  # fmt: skip
    assert response.status_code == 302
    touchpoint = Touchpoint.objects.get(account=account)
    assert list(touchpoint.contacts.all()) == [contact]
    page = client.get(url("account", account.pk))
    assert page.context["days_since_touch"] == 2
    html = page.content.decode()
    assert "Quarterly business review" in html
    assert "Send the QBR deck" in html
    # Newest first, by when things happened: created just now, met two days ago, subscribed last year.
    timeline = html[html.index('id="timeline"') :]
    created, met = timeline.index("Account Globex created"), timeline.index("Quarterly business review")
    assert created < met < timeline.index("Subscription to Marketing Hub Professional started")


def test_a_touchpoint_in_the_future_is_refused_on_its_date(client: Client, account: Account, carol: Member) -> None:
    login(client, carol)
    later = timezone.localtime() + dt.timedelta(days=5)
    response = client.post(
        url("touchpoint-log", account.pk),
        {"kind": "call", "occurred_at": later.strftime("%Y-%m-%dT%H:%M"), "member": carol.pk, "summary": "Hm"},
    )
    assert response.status_code == 200
    assert "future" in response.context["form"].errors["occurred_at"][0]


def test_the_timeline_loads_older_entries_page_by_page(client: Client, account: Account, carol: Member) -> None:
    for i in range(30):
        services.touchpoint_log(
            account=account, actor=carol, via="test", kind="note", summary=f"Note {i:02}",
            occurred_at=timezone.now() - dt.timedelta(hours=i + 1),
        )  # fmt: skip
    login(client, carol)
    first = client.get(url("account", account.pk)).content.decode()
    assert "Note 00" in first and "Note 29" not in first
    assert f"{url('account-timeline', account.pk)}?page=2" in first
    more = client.get(url("account-timeline", account.pk), {"page": "2"}, headers={"HX-Request": "true"})
    assert "<html" not in more.content.decode()
    assert "Note 29" in more.content.decode()
    assert "<html" in client.get(url("account-timeline", account.pk), {"page": "2"}).content.decode()


def test_contacts_are_added_and_marked_as_left(client: Client, account: Account, carol: Member) -> None:
    login(client, carol)
    response = client.post(
        url("contact-create", account.pk),
        {"first_name": "Hank", "last_name": "Scorpio", "email": "hank@globex.example", "role": "executive_sponsor",
         "status": "active"},
    )  # fmt: skip
    assert response.status_code == 302
    hank = Contact.objects.get(email="hank@globex.example")
    response = client.post(
        url("contact-edit", hank.pk),
        {"first_name": "Hank", "last_name": "Scorpio", "email": "hank@globex.example", "role": "executive_sponsor",
         "status": "left"},
    )  # fmt: skip
    assert response.status_code == 302
    hank.refresh_from_db()
    assert hank.status == ContactStatus.LEFT and hank.left_on is not None
    assert account.timeline.filter(kind="contact_left").exists()


def test_subscriptions_are_added_and_changed_with_their_movements(
    client: Client, account: Account, subscription: Subscription, carol: Member
) -> None:
    login(client, carol)
    today = dt.date.today()
    response = client.post(
        url("subscription-create", account.pk),
        {"product": "Social Add-on", "seats": "5", "mrr": "200", "currency": "usd",
         "started_on": today.isoformat(), "term_end": (today + dt.timedelta(days=365)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.mrr == Decimal("1200")
    response = client.post(
        url("subscription-change", subscription.pk),
        {"effective_on": today.isoformat(), "mrr": "0", "seats": "0", "product": subscription.product,
         "term_end": subscription.term_end.isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CHURNED
    assert subscription.movements.last().kind == MovementKind.CHURN  # type: ignore[union-attr]  # the rows exist: the test made them
    account.refresh_from_db()
    assert account.mrr == Decimal("200")


def test_a_subscription_in_a_currency_without_a_rate_is_refused_on_currency(
    client: Client, account: Account, carol: Member
) -> None:
    login(client, carol)
    today = dt.date.today()
    response = client.post(
        url("subscription-create", account.pk),
        {"product": "EU plan", "seats": "1", "mrr": "100", "currency": "EUR", "started_on": today.isoformat(),
         "term_end": (today + dt.timedelta(days=30)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 200
    assert "exchange rate" in response.context["form"].errors["currency"][0]


def test_a_segment_opened_in_the_list_applies_its_trait_criteria(
    client: Client, workspace: Workspace, account: Account, vic: Member
) -> None:
    [plain] = make_accounts(workspace, None, 1)
    services.account_update(account=account, actor=None, via="test", traits={"plan": "gold"})
    segment = services.segment_create(
        workspace=workspace, actor=None, name="Gold", criteria={"traits": {"plan": "gold"}}
    )
    login(client, vic)
    response = client.get(url("accounts"), {"segment": str(segment.pk)})
    assert names(response) == ["Globex"]
    assert "Gold" in response.content.decode()
    assert plain.name in names(client.get(url("accounts")))


def test_an_outsiders_segment_is_not_found_in_the_list(
    client: Client, other_workspace: Workspace, account: Account, vic: Member
) -> None:
    theirs = services.segment_create(workspace=other_workspace, actor=None, name="Theirs", criteria={})
    login(client, vic)
    assert client.get(url("accounts"), {"segment": str(theirs.pk)}).status_code == 404
