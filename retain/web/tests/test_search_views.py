"""Global search in the top bar: accounts by name or domain, contacts by name or e-mail, one workspace.

The same GET answers the htmx request made as you type (the results fragment) and a plain form
submit (the whole page), so search works without JavaScript too.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.test import Client
from django.urls import reverse

from retain.accounts import selectors
from retain.accounts import services as account_services
from retain.accounts.choices import ContactStatus
from retain.accounts.models import Account, Contact
from retain.tenancy.models import Member, Workspace

HTMX = {"HX-Request": "true"}


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def search_url(slug: str = "acme") -> str:
    return reverse("search", args=[slug])


def test_an_account_is_found_by_name_or_domain(alice: Member, account: Account) -> None:
    client = client_for(alice)
    for query in ("glob", "GLOBEX", "globex.example"):
        body = client.get(search_url(), {"q": query}).content.decode()
        assert reverse("account", args=["acme", account.pk]) in body, query
    body = client.get(search_url(), {"q": "initech"}).content.decode()
    assert reverse("account", args=["acme", account.pk]) not in body
    assert "Nothing matches “initech”" in body


def test_a_contact_is_found_by_name_or_email_with_every_word_matching(
    carol: Member, account: Account, jane: Contact
) -> None:
    account_services.contact_create(
        account=account, actor=None, via="test", email="j.doe@globex.example", first_name="John", last_name="Doe"
    )
    client = client_for(carol)
    for query in ("jane", "jane@globex", "Jane globex"):
        body = client.get(search_url(), {"q": query}).content.decode()
        assert "jane@globex.example" in body, query
    body = client.get(search_url(), {"q": "doe john"}).content.decode()
    assert "j.doe@globex.example" in body and "jane@globex.example" not in body


def test_erased_contacts_are_not_found(alice: Member, jane: Contact) -> None:
    Contact.objects.filter(pk=jane.pk).update(status=ContactStatus.ERASED)
    body = client_for(alice).get(search_url(), {"q": "jane"}).content.decode()
    assert "jane@globex.example" not in body


def test_htmx_gets_the_results_fragment_and_a_plain_get_the_whole_page(vic: Member, account: Account) -> None:
    client = client_for(vic)
    fragment = client.get(search_url(), {"q": "globex"}, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode() and "Globex" in fragment.content.decode()
    page = client.get(search_url(), {"q": "globex"})
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and "Globex" in html
    assert 'value="globex"' in html  # the page's own form keeps the query for another try
    empty = client.get(search_url()).content.decode()
    assert "Type part of an account" in empty
    # A cleared box closes the dropdown: htmx gets nothing to show.
    assert client.get(search_url(), {"q": "  "}, headers=HTMX).content == b""


def test_the_top_bar_search_box_asks_htmx_and_submits_as_a_form(mark: Member) -> None:
    html = client_for(mark).get(reverse("accounts", args=["acme"])).content.decode()
    assert f'action="{search_url()}"' in html and 'name="q"' in html
    assert f'hx-get="{search_url()}"' in html and 'hx-target="#topsearch-results"' in html


def test_an_outsider_gets_404_and_another_workspace_is_never_searched(
    olga: Member, other_workspace: Workspace, account: Account, jane: Contact
) -> None:
    client = client_for(olga)
    assert client.get(search_url("acme"), {"q": "globex"}).status_code == 404
    assert client.get(search_url("acme"), {"q": "globex"}, headers=HTMX).status_code == 404
    # In her own workspace the same words find nothing of acme's.
    body = client.get(search_url("other"), {"q": "globex"}).content.decode()
    assert "Globex" not in body and "jane@globex" not in body
    assert client.get(search_url("other"), {"q": "jane"}).status_code == 200


def test_anonymous_is_sent_to_log_in_and_post_is_refused(account: Account, alice: Member) -> None:
    response = Client().get(search_url(), {"q": "globex"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client_for(alice).post(search_url(), {"q": "globex"}).status_code == 405


def test_a_long_list_says_there_are_more(workspace: Workspace, alice: Member) -> None:
    Account.objects.bulk_create(Account(workspace=workspace, name=f"Northwind {n}") for n in range(12))
    results = selectors.search(workspace, "northwind")
    assert len(results.accounts) == selectors.SEARCH_LIMIT and results.more_accounts
    body = client_for(alice).get(search_url(), {"q": "northwind"}).content.decode()
    assert "More accounts match" in body and "?q=northwind" in body


FIRST = ["Ana", "Boris", "Chen", "Dara", "Elif", "Femi", "Goran", "Hana", "Ivo", "Jana"]
LAST = ["Horvat", "Ivanova", "de Vries", "Müller", "Kovač", "Smith", "Petrova", "Jansen", "Weber", "Novak"]
WORDS = ["Apex", "Blue", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper"]


def demo_sized_book(workspace: Workspace) -> None:
    """1,000 accounts with 5 contacts each: the size of the demo workspace."""
    accounts = Account.objects.bulk_create(
        Account(workspace=workspace, name=f"{WORDS[n % 10]} {WORDS[n // 10 % 10]} {n}", domain=f"co{n}.example")
        for n in range(1000)
    )
    Contact.objects.bulk_create(
        Contact(
            workspace=workspace,
            account=account,
            first_name=FIRST[(n + k) % 10],
            last_name=LAST[(n * 3 + k) % 10],
            email=f"{FIRST[(n + k) % 10].lower()}.{k}@co{n}.example",
        )
        for n, account in enumerate(accounts)
        for k in range(5)
    )


@pytest.mark.timeout(120)
def test_search_answers_within_100_ms_on_a_demo_sized_workspace(
    workspace: Workspace, alice: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_sized_book(workspace)
    assert Contact.objects.filter(workspace=workspace).count() == 5000
    client = client_for(alice)
    # Common words (many matches), rare ones, two-word names and no match at all.
    queries = ["apex", "co7", "jana", "ana horvat", "müller", "example", "zzz-none", "granite iris 88"]
    client.get(search_url(), {"q": "warm-up"}, headers=HTMX)
    query_times, request_times = [], []
    for _ in range(5):
        for query in queries:
            started = time.perf_counter()
            results = selectors.search(workspace, query)
            query_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            response = client.get(search_url(), {"q": query}, headers=HTMX)
            request_times.append(time.perf_counter() - started)
            assert response.status_code == 200
    assert results.query == "granite iris 88" and not results.empty
    query_median, request_median = statistics.median(query_times), statistics.median(request_times)
    with capsys.disabled():
        print(
            f"\nsearch on 1,000 accounts / 5,000 contacts: query median {query_median * 1000:.1f} ms "
            f"(max {max(query_times) * 1000:.1f} ms), htmx request median {request_median * 1000:.1f} ms"
        )
    assert query_median < 0.100
    assert request_median < 0.100
