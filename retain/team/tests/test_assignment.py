from __future__ import annotations

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.team import services
from retain.team.coverage import DEFAULT_SOURCE
from retain.team.models import Assignment
from retain.team.tests.conftest import csm, new_account
from retain.tenancy.models import Member, Workspace


def test_a_new_account_gets_the_least_loaded_csm_of_its_tiers_kind_and_says_why(
    workspace: Workspace, mark: Member, erin: Member, ed: Member, sam: Member
) -> None:
    services.coverage_save(workspace=workspace, actor=mark, source=DEFAULT_SOURCE)
    new_account(workspace, "Held", owner=erin)
    account = new_account(workspace, "Initech", tier="enterprise", stage="adoption")
    assert account.owner == ed  # the caller's instance too
    assignment = Assignment.objects.get(account=account)
    assert assignment.reason == "Enterprise tier → enterprise CSM; Ed has room (0 of 3 accounts); least loaded"
    entry = TimelineEntry.objects.get(account=account, kind=EntryKind.OWNER_CHANGED)
    assert "Enterprise tier → enterprise CSM" in entry.summary


def test_equally_loaded_csms_take_turns(workspace: Workspace, mark: Member, erin: Member, ed: Member) -> None:
    services.coverage_save(
        workspace=workspace,
        actor=mark,
        source=DEFAULT_SOURCE.replace("assign_new_accounts: true", "assign_new_accounts: false"),
    )
    accounts = [new_account(workspace, f"A{i}") for i in range(4)]
    done = services.accounts_assign(workspace=workspace, accounts=accounts, actor=mark)
    owners = [a.owner_id for a in done]
    assert owners == [erin.pk, ed.pk, erin.pk, ed.pk]
    assert "round-robin among 2 equally loaded" in done[0].reason


def test_onboarding_accounts_go_to_an_operational_csm(
    workspace: Workspace, mark: Member, erin: Member, otto: Member
) -> None:
    services.coverage_save(workspace=workspace, actor=mark, source=DEFAULT_SOURCE)
    account = new_account(workspace, "Fresh", stage="onboarding")
    account.refresh_from_db()
    assert account.owner == otto
    assert Assignment.objects.get(account=account).reason.startswith("onboarding accounts go to operational CSMs")


def test_when_nobody_has_room_the_account_stays_unowned_and_the_reason_says_so(
    workspace: Workspace, mark: Member, erin: Member
) -> None:
    services.coverage_save(workspace=workspace, actor=mark, source=DEFAULT_SOURCE)
    for i in range(3):
        new_account(workspace, f"Full {i}", owner=erin)
    account = new_account(workspace, "One too many")
    account.refresh_from_db()
    assert account.owner is None
    assert (
        Assignment.objects.get(account=account).reason == "Enterprise tier → enterprise CSM, but all 1 are at capacity"
    )


def test_an_industry_rule_picks_the_specialist(workspace: Workspace, mark: Member, erin: Member, ed: Member) -> None:
    source = DEFAULT_SOURCE + "rules:\n  - {field: industry, equals: Healthcare, csms: [ed@acme.example]}\n"
    services.coverage_save(workspace=workspace, actor=mark, source=source)
    new_account(workspace, "Held", owner=ed)
    account = new_account(workspace, "Clinic", industry="healthcare")
    account.refresh_from_db()
    assert account.owner == ed
    assert "; industry is Healthcare;" in Assignment.objects.get(account=account).reason


def test_without_a_saved_model_new_accounts_are_left_for_a_person(workspace: Workspace, erin: Member) -> None:
    account = new_account(workspace, "Manual")
    account.refresh_from_db()
    assert account.owner is None and not Assignment.objects.exists()


def test_a_thousand_imported_accounts_are_assigned_within_two_seconds(workspace: Workspace, mark: Member) -> None:
    for i in range(8):
        csm(workspace, f"Smb{i}", "smb", 200)
    Account.objects.bulk_create(
        Account(workspace=workspace, name=f"Imported {i}", tier="community", stage="adoption", external_id=f"x{i}")
        for i in range(1000)
    )
    accounts = list(Account.objects.filter(workspace=workspace))
    # CPU time of this process (SQLite runs in it): the cost of the work, not the load of a machine
    # the suite shares with others; about 0.6 s of wall time on a quiet one.
    started = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        done = services.accounts_assign(workspace=workspace, accounts=accounts, actor=mark)
    elapsed = time.process_time() - started
    assert elapsed <= 2.0, f"took {elapsed:.2f} s of CPU"
    assert sum(1 for a in done if a.owner_id) == 1000
    counts = Account.objects.filter(workspace=workspace).values_list("owner_id", flat=True)
    per_owner = {o: list(counts).count(o) for o in set(counts)}
    assert sorted(per_owner.values()) == [125] * 8
    assert len(queries) < 100, len(queries)  # one update per CSM; inserts in batches, not one per account


def test_an_onboarding_account_moves_to_its_long_term_owner_when_it_reaches_adoption(
    workspace: Workspace, mark: Member, erin: Member, otto: Member
) -> None:
    from retain.journeys.services import lifecycle_move

    services.coverage_save(workspace=workspace, actor=mark, source=DEFAULT_SOURCE)
    account = new_account(workspace, "Fresh", stage="onboarding")
    assert account.owner == otto
    lifecycle_move(account=account, actor=otto, stage="adoption", reason="initial value reached")
    account.refresh_from_db()
    assert account.owner == erin
    hand_over = Assignment.objects.filter(account=account, via="hand_over").get()
    assert hand_over.previous_owner == otto
    assert hand_over.reason.startswith("Enterprise tier → enterprise CSM; Erin has room")
