"""Segments, CSM books, workspace settings, members, API tokens and write keys in the web UI.

Alice is the admin, Mark the manager, Carol and Dave CSMs, Vic a viewer; Olga is an outsider and
gets 404 for everything in Acme's workspace.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Segment, TimelineEntry
from retain.accounts.segments import clean_criteria
from retain.accounts.selectors import accounts_matching, segment_accounts
from retain.tenancy import services as tenancy_services
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import ApiToken, AuditEntry, ExchangeRate, Member, Workspace, WriteKey, hash_token
from retain.usage.models import IngestRejection

W = "/w/acme/"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def new_account(workspace: Workspace, name: str, owner: Member | None, tier: str = "enterprise") -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="system", name=name, tier=tier, owner=owner
    )


def count_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def field_errors(response: Any) -> str:
    return response.content.decode()


# Segments ---------------------------------------------------------------------------------------


def save_segment(client: Client, name: str, **criteria: Any) -> Any:
    return client.post(W + "segments/save/", {"name": name, **criteria})


def test_saving_a_segment_stores_the_criteria_as_data(carol: Member) -> None:
    response = save_segment(
        login(carol),
        "Enterprise renewals",
        tier=["strategic", "enterprise"],
        owner=[str(carol.pk), "none"],
        renewal_within_days="90",
        arr_min="10000",
        q="",
    )
    segment = Segment.objects.get(name="Enterprise renewals")
    assert response.status_code == 302
    assert response["Location"] == f"{W}segments/{segment.pk}/"
    assert segment.criteria == {
        "tier": ["enterprise", "strategic"],
        "owner": [carol.pk, "none"],
        "renewal_within_days": 90,
        "arr_min": "10000",
    }
    assert segment.created_by == carol


def test_opening_a_segment_shows_the_same_accounts_in_the_list(
    workspace: Workspace, carol: Member, account: Account
) -> None:
    new_account(workspace, "Initech", carol, tier="community")
    new_account(workspace, "Umbrella", None)
    client = login(carol)
    save_segment(client, "Carol's and nobody's enterprise", tier=["enterprise"], owner=[str(carol.pk), "none"])
    segment = Segment.objects.get()

    response = client.get(f"{W}segments/{segment.pk}/")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == f"{W}accounts/"
    query = parse_qs(location.query)
    assert query["segment"] == [str(segment.pk)]
    assert query["owner"] == [str(carol.pk), "none"]
    # The list reads its criteria from that query: it shows exactly the segment's accounts.
    criteria = clean_criteria({key: values for key, values in query.items() if key != "segment"})
    listed = {a.name for a in accounts_matching(workspace, criteria)}
    assert listed == {a.name for a in segment_accounts(segment)} == {"Globex", "Umbrella"}


def test_a_segment_is_re_evaluated_on_every_use(workspace: Workspace, carol: Member, account: Account) -> None:
    client = login(carol)
    save_segment(client, "Enterprise", tier=["enterprise"])
    segment = Segment.objects.get()
    assert client.get(W + "segments/").context["rows"][0]["count"] == 1

    account_services.account_update(account=account, actor=carol, via="web", tier="community")
    assert client.get(W + "segments/").context["rows"][0]["count"] == 0

    new_account(workspace, "Hooli", None)
    response = client.get(W + "segments/")
    assert response.context["rows"][0]["count"] == 1
    assert [a.name for a in segment_accounts(segment)] == ["Hooli"]
    assert "tier: enterprise" in response.content.decode()


def test_the_segment_list_costs_the_same_queries_however_many_segments(
    workspace: Workspace, carol: Member, account: Account
) -> None:
    client = login(carol)
    save_segment(client, "First", tier=["enterprise"])
    one = count_queries(client, W + "segments/")
    for n in range(6):
        save_segment(client, f"More {n}", renewal_within_days=str(30 * n), owner=["none"])
    assert count_queries(client, W + "segments/") == one
    counts = {row["segment"].name: row["count"] for row in client.get(W + "segments/").context["rows"]}
    assert counts == {"First": 1, **{f"More {n}": 0 for n in range(6)}}


def test_a_bad_criterion_is_shown_naming_the_field(carol: Member) -> None:
    response = save_segment(login(carol), "Soon", renewal_within_days="soon", tier=["enterprise"])
    assert response.status_code == 400
    assert "renewal_within_days" in field_errors(response)
    assert "whole number of days" in field_errors(response)
    # The criteria are carried along so that only the mistake needs fixing.
    assert 'name="tier" value="enterprise"' in field_errors(response)
    assert not Segment.objects.exists()


def test_a_duplicate_segment_name_is_shown_on_the_name(carol: Member) -> None:
    client = login(carol)
    save_segment(client, "Mine", tier=["enterprise"])
    response = save_segment(client, "Mine", tier=["strategic"])
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["a segment called 'Mine' already exists"]


def test_viewers_cannot_save_segments_but_use_them(vic: Member, carol: Member) -> None:
    client = login(vic)
    assert save_segment(client, "Peek", tier=["enterprise"]).status_code == 403
    assert not Segment.objects.exists()
    save_segment(login(carol), "Carol's", tier=["enterprise"])
    segment = Segment.objects.get()
    assert client.get(W + "segments/").status_code == 200
    assert client.get(f"{W}segments/{segment.pk}/").status_code == 302
    assert client.post(f"{W}segments/{segment.pk}/delete/").status_code == 403


def test_only_the_author_or_a_manager_deletes_a_segment(carol: Member, dave: Member, mark: Member, vic: Member) -> None:
    save_segment(login(carol), "Carol's", tier=["enterprise"])
    segment = Segment.objects.get()
    path = f"{W}segments/{segment.pk}/delete/"
    assert login(dave).post(path).status_code == 403
    assert login(vic).post(path).status_code == 403
    assert login(mark).post(path).status_code == 302
    assert not Segment.objects.exists()


def test_the_author_deletes_their_own_segment(carol: Member) -> None:
    client = login(carol)
    save_segment(client, "Carol's", tier=["enterprise"])
    segment = Segment.objects.get()
    assert client.get(f"{W}segments/{segment.pk}/delete/").status_code == 405
    assert client.post(f"{W}segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.exists()


def test_segments_are_404_for_an_outsider(olga: Member, carol: Member, other_workspace: Workspace) -> None:
    save_segment(login(carol), "Carol's", tier=["enterprise"])
    segment = Segment.objects.get()
    client = login(olga)
    assert client.get(W + "segments/").status_code == 404
    assert save_segment(client, "Theirs", tier=["enterprise"]).status_code == 404
    assert client.get(f"{W}segments/{segment.pk}/").status_code == 404
    assert client.post(f"{W}segments/{segment.pk}/delete/").status_code == 404
    # Nor through her own workspace.
    assert client.get(f"/w/other/segments/{segment.pk}/").status_code == 404
    assert client.post(f"/w/other/segments/{segment.pk}/delete/").status_code == 404
    assert Segment.objects.filter(workspace=other_workspace).count() == 0


def test_anonymous_visitors_are_sent_to_log_in(workspace: Workspace) -> None:
    response = Client().get(W + "segments/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# CSM books ---------------------------------------------------------------------------------------


@pytest.fixture
def books_fixture(workspace: Workspace, carol: Member, dave: Member, account: Account) -> dict[str, Account]:
    """Carol: Globex (12,000 ARR) and Initech; Dave: nothing, capacity 24,000 ARR; one unowned."""
    tenancy_services.member_update(actor=None, member=dave, capacity_unit="arr", capacity=Decimal(24000))
    return {
        "globex": account,
        "initech": new_account(workspace, "Initech", carol),
        "umbrella": new_account(workspace, "Umbrella", None),
    }


def test_books_show_each_csm_with_accounts_arr_capacity_and_utilisation(
    vic: Member, carol: Member, dave: Member, books_fixture: dict[str, Account]
) -> None:
    response = login(vic).get(W + "books/")
    assert response.status_code == 200
    rows = {book.owner.display_name: book for book in response.context["books"]}
    assert set(rows) == {"Carol", "Dave"}
    assert (rows["Carol"].accounts, rows["Carol"].arr) == (2, Decimal("12000.00"))
    assert rows["Carol"].owner.get_csm_kind_display() == "Enterprise"
    assert rows["Carol"].utilisation == Decimal(2) / Decimal(40)  # 2 of 40 accounts
    assert (rows["Dave"].accounts, rows["Dave"].arr, rows["Dave"].utilisation) == (0, 0, 0)
    unowned = response.context["unowned"]
    assert unowned.accounts == 1
    assert "No owner" in response.content.decode()
    assert "Move…" not in response.content.decode()  # a viewer is not offered the move


def test_utilisation_in_arr_counts_the_books_arr(mark: Member, dave: Member, books_fixture: dict[str, Account]) -> None:
    account_services.accounts_reassign(
        workspace=dave.workspace, actor=mark, via="web", accounts=[books_fixture["globex"]], new_owner=dave
    )
    books = {b.owner.display_name: b for b in login(mark).get(W + "books/").context["books"]}
    assert books["Dave"].utilisation == Decimal("0.5")  # 12,000 of 24,000 ARR
    assert books["Dave"].utilisation_percent == 50


def test_the_books_page_costs_the_same_queries_however_many_csms(
    workspace: Workspace, mark: Member, books_fixture: dict[str, Account]
) -> None:
    client = login(mark)
    before = count_queries(client, W + "books/")
    for n in range(5):
        csm = tenancy_services.member_add(workspace=workspace, email=f"csm{n}@acme.example", role="csm")
        new_account(workspace, f"Company {n}", csm)
    assert count_queries(client, W + "books/") == before
    assert len(client.get(W + "books/").context["books"]) == 7


def test_an_inactive_csm_with_accounts_is_still_listed(
    mark: Member, carol: Member, books_fixture: dict[str, Account]
) -> None:
    tenancy_services.member_update(actor=None, member=carol, is_active=False)
    books = {b.owner.display_name: b for b in login(mark).get(W + "books/").context["books"]}
    assert books["Carol"].accounts == 2
    assert not books["Carol"].owner.is_active


def test_a_manager_moves_a_whole_book_with_a_timeline_entry_per_account(
    mark: Member, carol: Member, dave: Member, books_fixture: dict[str, Account]
) -> None:
    client = login(mark)
    page = client.get(W + f"books/move/?from_owner={carol.pk}")
    assert page.status_code == 200
    assert "Globex" in page.content.decode() and "Initech" in page.content.decode()

    response = client.post(W + "books/move/", {"from_owner": carol.pk, "to_owner": dave.pk, "reason": "Carol left"})

    assert response.status_code == 302
    assert set(Account.objects.filter(owner=dave).values_list("name", flat=True)) == {"Globex", "Initech"}
    entries = TimelineEntry.objects.filter(kind=EntryKind.OWNER_CHANGED)
    assert sorted(e.account.name for e in entries) == ["Globex", "Initech"]
    for entry in entries:
        assert entry.actor == mark
        assert entry.data == {"from": carol.pk, "to": dave.pk, "reason": "Carol left"}
    assert Account.objects.get(name="Umbrella").owner is None


def test_a_selection_of_a_book_moves_only_those_accounts(
    alice: Member, carol: Member, dave: Member, books_fixture: dict[str, Account]
) -> None:
    initech = books_fixture["initech"]
    response = login(alice).post(
        W + "books/move/", {"from_owner": carol.pk, "accounts": [initech.pk], "to_owner": dave.pk, "reason": ""}
    )
    assert response.status_code == 302
    assert list(Account.objects.filter(owner=dave)) == [initech]
    assert TimelineEntry.objects.filter(kind=EntryKind.OWNER_CHANGED).count() == 1


def test_unowned_accounts_are_assigned_from_no_owner(
    mark: Member, dave: Member, books_fixture: dict[str, Account]
) -> None:
    response = login(mark).post(W + "books/move/", {"from_owner": "none", "to_owner": dave.pk})
    assert response.status_code == 302
    assert list(Account.objects.filter(owner=dave).values_list("name", flat=True)) == ["Umbrella"]


def test_an_account_outside_the_book_is_refused_naming_the_field(
    mark: Member, carol: Member, dave: Member, books_fixture: dict[str, Account]
) -> None:
    umbrella = books_fixture["umbrella"]
    response = login(mark).post(
        W + "books/move/", {"from_owner": carol.pk, "accounts": [umbrella.pk], "to_owner": dave.pk}
    )
    assert response.status_code == 400
    assert "accounts" in response.context["form"].errors
    assert not TimelineEntry.objects.filter(kind=EntryKind.OWNER_CHANGED).exists()


def test_a_book_cannot_move_to_its_own_csm_or_a_viewer(
    mark: Member, carol: Member, vic: Member, books_fixture: dict[str, Account]
) -> None:
    client = login(mark)
    same = client.post(W + "books/move/", {"from_owner": carol.pk, "to_owner": carol.pk})
    assert same.status_code == 400
    assert "to_owner" in same.context["form"].errors
    viewer = client.post(W + "books/move/", {"from_owner": carol.pk, "to_owner": vic.pk})
    assert viewer.status_code == 400
    assert "to_owner" in viewer.context["form"].errors
    assert Account.objects.filter(owner=carol).count() == 2


def test_csms_and_viewers_cannot_move_books(
    carol: Member, dave: Member, vic: Member, books_fixture: dict[str, Account]
) -> None:
    for member in (carol, vic):
        client = login(member)
        assert client.get(W + "books/move/").status_code == 403
        assert client.post(W + "books/move/", {"from_owner": carol.pk, "to_owner": dave.pk}).status_code == 403
    assert Account.objects.filter(owner=carol).count() == 2


def test_books_are_404_for_an_outsider(
    olga: Member, carol: Member, dave: Member, books_fixture: dict[str, Account]
) -> None:
    client = login(olga)
    assert client.get(W + "books/").status_code == 404
    assert client.get(W + "books/move/").status_code == 404
    assert client.post(W + "books/move/", {"from_owner": carol.pk, "to_owner": dave.pk}).status_code == 404
    # Her own workspace knows nothing of Acme's members or accounts.
    response = client.post("/w/other/books/move/", {"from_owner": carol.pk, "to_owner": dave.pk})
    assert response.status_code == 400
    assert Account.objects.filter(owner=carol).count() == 2


# Workspace settings and exchange rates ----------------------------------------------------------------


SETTINGS = {
    "name": "Acme Customer Success",
    "time_zone": "Europe/Zagreb",
    "currency": "eur",
    "renewal_window_community_days": "60",
    "renewal_window_enterprise_days": "90",
    "renewal_window_strategic_days": "120",
    "gross_margin_pct": "75",
}


def test_an_admin_changes_the_workspace_settings(alice: Member, workspace: Workspace) -> None:
    response = login(alice).post(W + "settings/", SETTINGS)
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.time_zone, workspace.currency) == (
        "Acme Customer Success",
        "Europe/Zagreb",
        "EUR",
    )
    assert workspace.renewal_window_days("strategic") == 120


def test_an_admin_chooses_the_fallback_owner_and_a_viewer_or_outsider_cannot_be_one(
    alice: Member, carol: Member, vic: Member, olga: Member, workspace: Workspace
) -> None:
    client = login(alice)
    assert client.post(W + "settings/", {**SETTINGS, "fallback_owner": carol.pk}).status_code == 302
    workspace.refresh_from_db()
    assert workspace.fallback_owner == carol
    for bad in (vic, olga):
        response = client.post(W + "settings/", {**SETTINGS, "fallback_owner": bad.pk})
        assert response.status_code == 400 and "fallback_owner" in response.context["form"].errors
    workspace.refresh_from_db()
    assert workspace.fallback_owner == carol
    assert client.post(W + "settings/", SETTINGS).status_code == 302  # left empty: the first manager
    workspace.refresh_from_db()
    assert workspace.fallback_owner is None


def test_an_unknown_time_zone_is_refused_naming_the_field(alice: Member, workspace: Workspace) -> None:
    response = login(alice).post(W + "settings/", {**SETTINGS, "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert response.context["form"].errors["time_zone"] == ["'Mars/Olympus' is not a known time zone"]
    workspace.refresh_from_db()
    assert workspace.time_zone == "UTC"
    assert workspace.name == "Acme CS"


def test_a_renewal_window_out_of_range_is_refused_naming_the_field(alice: Member) -> None:
    response = login(alice).post(W + "settings/", {**SETTINGS, "renewal_window_enterprise_days": "0"})
    assert response.status_code == 400
    assert "renewal_window_enterprise_days" in response.context["form"].errors


def test_members_read_the_settings_but_only_admins_change_them(mark: Member, vic: Member, workspace: Workspace) -> None:
    for member in (mark, vic):
        client = login(member)
        page = client.get(W + "settings/")
        assert page.status_code == 200
        assert "Only admins change these settings" in page.content.decode()
        assert client.post(W + "settings/", SETTINGS).status_code == 403
        assert (
            client.post(
                W + "settings/rates/", {"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.1"}
            ).status_code
            == 403
        )
    workspace.refresh_from_db()
    assert workspace.name == "Acme CS"
    assert not ExchangeRate.objects.exists()


def test_an_admin_sets_who_e_mail_is_from_and_the_change_is_audited(
    alice: Member, carol: Member, workspace: Workspace
) -> None:
    client = login(alice)
    page = client.get(W + "settings/").content.decode()
    assert 'name="sender_name" value="{csm} at {workspace}"' in page and 'name="sender_email"' in page
    assert "&quot;Carol at Acme CS&quot; &lt;retain@localhost&gt;" in page  # what a customer would see
    sender = {"sender_name": "{csm} at {workspace}", "sender_email": "cs@acme.example"}
    assert client.post(W + "settings/", {**SETTINGS, **sender}).status_code == 302
    workspace.refresh_from_db()
    assert workspace.sender_email == "cs@acme.example"
    assert workspace.sender("Carol") == "Carol at Acme Customer Success <cs@acme.example>"
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_UPDATED)
    assert entry.actor == alice and entry.detail["sender_email"] == ["", "cs@acme.example"]


def test_a_bad_sender_is_refused_on_its_field(alice: Member, workspace: Workspace) -> None:
    client = login(alice)
    response = client.post(W + "settings/", {**SETTINGS, "sender_name": "{owner} at {workspace}"})
    assert response.status_code == 400
    assert response.context["form"].errors["sender_name"] == ["may only use {csm} and {workspace}, not {owner}"]
    response = client.post(W + "settings/", {**SETTINGS, "sender_email": "cs at acme"})
    assert response.status_code == 400 and "sender_email" in response.context["form"].errors
    workspace.refresh_from_db()
    assert (workspace.name, workspace.sender_name, workspace.sender_email) == ("Acme CS", "{csm} at {workspace}", "")


def test_members_read_the_sender_and_outsiders_do_not_find_it(
    carol: Member, vic: Member, olga: Member, workspace: Workspace
) -> None:
    tenancy_services.workspace_update(workspace=workspace, sender_email="cs@acme.example")
    for member in (carol, vic):
        page = login(member).get(W + "settings/").content.decode()
        assert "<th>Sender address</th><td>cs@acme.example</td>" in page
        assert "<th>Sender name</th><td>{csm} at {workspace}</td>" in page
        assert 'name="sender_email"' not in page
    # A CSM sees their own name in the example.
    assert "&quot;Carol at Acme CS&quot; &lt;cs@acme.example&gt;" in login(carol).get(W + "settings/").content.decode()
    outsider = login(olga)
    assert outsider.get(W + "settings/").status_code == 404
    assert outsider.post(W + "settings/", {**SETTINGS, "sender_email": "x@evil.example"}).status_code == 404
    workspace.refresh_from_db()
    assert workspace.sender_email == "cs@acme.example"


def test_an_admin_adds_an_exchange_rate(alice: Member, workspace: Workspace) -> None:
    client = login(alice)
    response = client.post(W + "settings/rates/", {"currency": "eur", "valid_from": "2026-01-01", "rate": "1.0850"})
    assert response.status_code == 302
    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.valid_from, rate.rate) == ("EUR", dt.date(2026, 1, 1), Decimal("1.0850"))
    assert "1.085" in client.get(W + "settings/").content.decode()


def test_a_rate_in_the_workspace_currency_is_refused_naming_the_field(alice: Member) -> None:
    response = login(alice).post(W + "settings/rates/", {"currency": "USD", "valid_from": "2026-01-01", "rate": "1"})
    assert response.status_code == 400
    assert response.context["rate_form"].errors["currency"] == ["is the workspace currency itself"]
    bad_rate = login(alice).post(W + "settings/rates/", {"currency": "EUR", "valid_from": "2026-01-01", "rate": "-2"})
    assert "rate" in bad_rate.context["rate_form"].errors


def test_settings_are_404_for_an_outsider(olga: Member, workspace: Workspace) -> None:
    client = login(olga)
    assert client.get(W + "settings/").status_code == 404
    assert client.post(W + "settings/", SETTINGS).status_code == 404
    assert (
        client.post(W + "settings/rates/", {"currency": "EUR", "valid_from": "2026-01-01", "rate": "1"}).status_code
        == 404
    )


# Members -------------------------------------------------------------------------------------------


def test_every_member_sees_the_members_with_role_kind_and_capacity(vic: Member, carol: Member, alice: Member) -> None:
    response = login(vic).get(W + "members/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "carol@acme.example" in body and "Enterprise" in body and "40 accounts" in body
    assert "Add a member" not in body


def test_an_admin_adds_a_member_by_email(alice: Member, workspace: Workspace) -> None:
    response = login(alice).post(
        W + "members/",
        {
            "email": "Sam@Acme.example",
            "first_name": "Sam",
            "role": "csm",
            "csm_kind": "smb",
            "capacity_unit": "accounts",
            "capacity": "150",
        },
    )
    assert response.status_code == 302
    sam = Member.objects.get(workspace=workspace, user__email="sam@acme.example")
    assert (sam.role, sam.csm_kind, sam.capacity) == ("csm", "smb", Decimal(150))


def test_adding_an_existing_member_is_refused_naming_the_field(alice: Member, carol: Member) -> None:
    response = login(alice).post(W + "members/", {"email": "carol@acme.example", "role": "csm"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["carol@acme.example is already a member of this workspace"]


def test_only_admins_add_members(mark: Member, carol: Member, vic: Member, workspace: Workspace) -> None:
    for member in (mark, carol, vic):
        assert login(member).post(W + "members/", {"email": "x@acme.example", "role": "admin"}).status_code == 403
    assert not Member.objects.filter(user__email="x@acme.example").exists()


def test_an_admin_edits_a_members_role_and_access(alice: Member, carol: Member) -> None:
    response = login(alice).post(
        f"{W}members/{carol.pk}/",
        {"role": "manager", "is_active": "", "csm_kind": "strategic", "capacity_unit": "arr", "capacity": "2000000"},
    )
    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.role, carol.is_active, carol.csm_kind, carol.capacity_unit, carol.capacity) == (
        "manager", False, "strategic", "arr", Decimal(2000000)
    )  # fmt: skip


def test_a_manager_edits_a_csms_kind_and_capacity_but_not_the_role(mark: Member, carol: Member) -> None:
    client = login(mark)
    page = client.get(f"{W}members/{carol.pk}/")
    assert page.status_code == 200
    assert "role" not in page.context["form"].fields
    response = client.post(
        f"{W}members/{carol.pk}/", {"role": "admin", "csm_kind": "smb", "capacity_unit": "accounts", "capacity": "120"}
    )
    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.role, carol.is_active, carol.csm_kind, carol.capacity) == ("csm", True, "smb", Decimal(120))


def test_csms_and_viewers_cannot_edit_members(carol: Member, dave: Member, vic: Member) -> None:
    for member in (carol, vic):
        client = login(member)
        assert client.get(f"{W}members/{dave.pk}/").status_code == 403
        assert client.post(f"{W}members/{dave.pk}/", {"csm_kind": "strategic"}).status_code == 403
    dave.refresh_from_db()
    assert dave.csm_kind == "smb"


def test_a_capacity_needs_its_unit(alice: Member, dave: Member) -> None:
    response = login(alice).post(f"{W}members/{dave.pk}/", {"role": "csm", "is_active": "on", "capacity": "10"})
    assert response.status_code == 400
    assert "capacity_unit" in response.context["form"].errors


def test_the_last_admin_cannot_demote_themself(alice: Member) -> None:
    response = login(alice).post(f"{W}members/{alice.pk}/", {"role": "manager", "is_active": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["role"] == ["the workspace must keep at least one active admin"]
    alice.refresh_from_db()
    assert alice.role == "admin"


def test_members_are_404_for_an_outsider(olga: Member, alice: Member, carol: Member) -> None:
    client = login(olga)
    assert client.get(W + "members/").status_code == 404
    assert client.post(W + "members/", {"email": "o@x.example", "role": "admin"}).status_code == 404
    assert client.get(f"{W}members/{carol.pk}/").status_code == 404
    # Acme's member is not found through Olga's own workspace either.
    assert client.post(f"/w/other/members/{carol.pk}/", {"role": "viewer", "is_active": "on"}).status_code == 404
    carol.refresh_from_db()
    assert carol.role == "csm"


# API tokens ----------------------------------------------------------------------------------------


def test_a_member_creates_an_api_token_that_works_until_revoked(carol: Member, account: Account) -> None:
    client = login(carol)
    response = client.post(W + "api-tokens/", {"name": "CRM sync"})
    assert response.status_code == 201
    raw = response.context["raw_key"]
    assert raw in response.content.decode()
    token = ApiToken.objects.get(member=carol)
    assert token.key_hash == hash_token(raw) and raw != token.key_hash

    api = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/accounts/").status_code == 200
    # The raw key is never shown again.
    assert raw not in client.get(W + "api-tokens/").content.decode()

    assert client.post(f"{W}api-tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/accounts/").status_code == 401


def test_a_viewer_may_have_an_api_token_of_their_own(vic: Member) -> None:
    assert login(vic).post(W + "api-tokens/", {"name": "Reports"}).status_code == 201
    assert ApiToken.objects.filter(member=vic).count() == 1


def test_a_token_needs_a_name(carol: Member) -> None:
    response = login(carol).post(W + "api-tokens/", {"name": ""})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_nobody_revokes_or_sees_someone_elses_token(alice: Member, carol: Member) -> None:
    token, _ = tenancy_services.api_token_create(member=carol, name="Carol's")
    client = login(alice)
    assert client.post(f"{W}api-tokens/{token.pk}/revoke/").status_code == 404
    assert "Carol&#x27;s" not in client.get(W + "api-tokens/").content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_api_tokens_are_404_for_an_outsider(olga: Member, carol: Member) -> None:
    token, _ = tenancy_services.api_token_create(member=carol, name="Carol's")
    client = login(olga)
    assert client.get(W + "api-tokens/").status_code == 404
    assert client.post(W + "api-tokens/", {"name": "Mine"}).status_code == 404
    assert client.post(f"{W}api-tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/w/other/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# Write keys ------------------------------------------------------------------------------------------


def basic(raw: str) -> str:
    return "Basic " + base64.b64encode(f"{raw}:".encode()).decode()


def send_track(raw: str, body: dict[str, Any]) -> Any:
    return Client().post("/v1/track", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=basic(raw))


def test_a_manager_creates_a_write_key_shown_once_with_a_curl_example(mark: Member, workspace: Workspace) -> None:
    client = login(mark)
    response = client.post(W + "write-keys/", {"name": "Product"})
    assert response.status_code == 201
    raw = response.context["raw_key"]
    key = WriteKey.objects.get(workspace=workspace)
    assert key.key_hash == hash_token(raw)
    assert not WriteKey.objects.filter(key_hash=raw).exists()
    body = response.content.decode()
    assert f"-u &#x27;{raw}:&#x27;" in body
    assert f"curl {settings.SITE_URL}/v1/track" in body  # the public address, not the request's host
    assert raw not in client.get(W + "write-keys/").content.decode()
    assert send_track(raw, {"userId": "u1", "event": "Signed In"}).status_code == 200


def test_a_revoked_write_key_is_refused_by_the_ingest(alice: Member, workspace: Workspace) -> None:
    key, raw = tenancy_services.write_key_create(workspace=workspace, name="Old")
    assert send_track(raw, {"userId": "u1", "event": "Signed In"}).status_code == 200
    response = login(alice).post(f"{W}write-keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert send_track(raw, {"userId": "u1", "event": "Signed In"}).status_code == 401


def test_the_latest_rejections_and_counts_per_reason_are_shown(mark: Member, workspace: Workspace) -> None:
    key, raw = tenancy_services.write_key_create(workspace=workspace, name="Product")
    send_track(raw, {"userId": "u1", "messageId": "m-1"})
    send_track(raw, {"userId": "u1", "messageId": "m-2"})
    send_track(raw, {"event": "Signed In", "messageId": "m-3"})
    assert IngestRejection.objects.filter(write_key=key).count() == 3

    client = login(mark)
    listing = client.get(W + "write-keys/")
    assert {k.pk: k.rejected for k in listing.context["keys"]} == {key.pk: 3}

    detail = client.get(f"{W}write-keys/{key.pk}/")
    assert detail.status_code == 200
    counts = {row["reason"]: row["count"] for row in detail.context["by_reason"]}
    assert counts == {"event (the event name) is required for track": 2, "userId or anonymousId is required": 1}
    body = detail.content.decode()
    assert "m-1" in body and "m-3" in body
    assert detail.context["rejections"][0].message_id == "m-3"


def test_a_batch_of_refused_events_is_counted_in_full_on_few_rows(
    mark: Member, olga: Member, workspace: Workspace
) -> None:
    key, raw = tenancy_services.write_key_create(workspace=workspace, name="Product")
    body = json.dumps({"batch": [0] * 40 + [{"type": "track", "userId": "u1"}] * 2}).encode()
    Client().post("/v1/batch", data=body, content_type="application/json", HTTP_AUTHORIZATION=basic(raw))
    assert IngestRejection.objects.filter(write_key=key).count() == 7

    client = login(mark)
    assert {k.pk: k.rejected for k in client.get(W + "write-keys/").context["keys"]} == {key.pk: 42}
    detail = client.get(f"{W}write-keys/{key.pk}/")
    counts = {row["reason"]: row["count"] for row in detail.context["by_reason"]}
    assert counts == {"event must be a JSON object": 40, "event (the event name) is required for track": 2}
    assert "× 35" in detail.content.decode()
    assert login(olga).get(f"{W}write-keys/{key.pk}/").status_code == 404


def test_the_write_key_list_costs_the_same_queries_however_many_keys(mark: Member, workspace: Workspace) -> None:
    client = login(mark)
    tenancy_services.write_key_create(workspace=workspace, name="First")
    one = count_queries(client, W + "write-keys/")
    for n in range(5):
        tenancy_services.write_key_create(workspace=workspace, name=f"Key {n}")
    assert count_queries(client, W + "write-keys/") == one


def test_a_write_key_needs_a_name(alice: Member) -> None:
    response = login(alice).post(W + "write-keys/", {"name": ""})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_csms_and_viewers_cannot_see_or_change_write_keys(carol: Member, vic: Member, workspace: Workspace) -> None:
    key, _ = tenancy_services.write_key_create(workspace=workspace, name="Product")
    for member in (carol, vic):
        client = login(member)
        assert client.get(W + "write-keys/").status_code == 403
        assert client.post(W + "write-keys/", {"name": "Mine"}).status_code == 403
        assert client.get(f"{W}write-keys/{key.pk}/").status_code == 403
        assert client.post(f"{W}write-keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    assert WriteKey.objects.count() == 1


def test_write_keys_are_404_for_an_outsider(olga: Member, workspace: Workspace) -> None:
    key, _ = tenancy_services.write_key_create(workspace=workspace, name="Product")
    client = login(olga)
    assert client.get(W + "write-keys/").status_code == 404
    assert client.post(W + "write-keys/", {"name": "Mine"}).status_code == 404
    assert client.get(f"{W}write-keys/{key.pk}/").status_code == 404
    assert client.post(f"{W}write-keys/{key.pk}/revoke/").status_code == 404
    # Her own workspace does not reach Acme's key either.
    assert client.get(f"/w/other/write-keys/{key.pk}/").status_code == 404
    assert client.post(f"/w/other/write-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_last_admin_cannot_deactivate_themself(alice: Member) -> None:
    response = login(alice).post(f"{W}members/{alice.pk}/", {"role": "admin", "is_active": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["is_active"] == ["the workspace must keep at least one active admin"]
    alice.refresh_from_db()
    assert alice.is_active


def test_an_admin_sets_the_gross_margin_and_a_viewer_reads_it(alice: Member, vic: Member, workspace: Workspace) -> None:
    assert login(alice).post(W + "settings/", {**SETTINGS, "gross_margin_pct": "68"}).status_code == 302
    workspace.refresh_from_db()
    assert workspace.gross_margin_pct == 68
    page = login(vic).get(W + "settings/").content.decode()
    assert '<td id="gross-margin">68%</td>' in page


@pytest.mark.parametrize("value", ["0", "101", "", "x"])
def test_a_gross_margin_outside_1_to_100_percent_is_refused_naming_the_field(
    alice: Member, workspace: Workspace, value: str
) -> None:
    response = login(alice).post(W + "settings/", {**SETTINGS, "gross_margin_pct": value})
    assert response.status_code == 400 and "gross_margin_pct" in response.context["form"].errors
    workspace.refresh_from_db()
    assert workspace.gross_margin_pct == 75 and workspace.name == "Acme CS"
