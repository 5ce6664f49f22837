"""The minutely sweep: it plans what each schedule makes due, then sends each invitation once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging import services as messaging_services
from retain.surveys import services
from retain.surveys.models import Invitation, Survey
from retain.tenancy.models import Member, Workspace


@pytest.fixture
def renewal_nps(workspace: Workspace) -> Survey:
    """Asked 120 days before a subscription's term ends (Globex's ends in 60)."""
    return services.survey_create(
        workspace=workspace, actor=None, name="Pre-renewal NPS", kind="nps", schedule_kind="before_renewal",
        schedule_days=120,
    )  # fmt: skip


def sweep(now: dt.datetime | None = None) -> services.SweepResult:
    """One minute of the workers: the survey sweep queues, then the outbox sweep sends."""
    result = services.surveys_sweep(now=now)
    messaging_services.deliveries_send_due(now=now)
    return result


def sent(contact: Contact) -> list[Invitation]:
    return list(Invitation.objects.filter(contact=contact, status="sent"))


def test_a_before_renewal_survey_is_sent_once_per_term(renewal_nps: Survey, jane: Contact) -> None:
    first = sweep()
    assert (first.planned, first.queued) == (1, 1)
    [invitation] = sent(jane)
    term_end = jane.account.subscriptions.get().term_end
    assert invitation.occurrence == f"renewal:{term_end.isoformat()}"
    assert [message.to for message in mail.outbox] == [["jane@globex.example"]]
    later = sweep(timezone.now() + dt.timedelta(days=20))
    assert (later.planned, later.queued) == (0, 0)
    assert len(sent(jane)) == 1


def test_a_renewal_further_out_than_the_window_is_not_yet_due(workspace: Workspace, jane: Contact) -> None:
    services.survey_create(
        workspace=workspace, actor=None, name="Early", kind="nps", schedule_kind="before_renewal", schedule_days=30
    )
    assert sweep().planned == 0
    assert sweep(timezone.now() + dt.timedelta(days=31)).queued == 1


def test_the_next_term_is_asked_again(renewal_nps: Survey, jane: Contact) -> None:
    sweep()
    subscription = jane.account.subscriptions.get()
    this_term = subscription.term_end
    next_term = this_term + dt.timedelta(days=365)
    account_services.subscription_change(
        subscription=subscription, actor=None, via="test", effective_on=dt.date.today(), term_end=next_term
    )
    # A year on, the new term's window opens; the fatigue window has passed too.
    result = sweep(timezone.now() + dt.timedelta(days=366))
    assert result.queued == 1
    assert sorted(i.occurrence for i in sent(jane)) == sorted(
        [f"renewal:{this_term.isoformat()}", f"renewal:{next_term.isoformat()}"]
    )


def test_a_recurring_survey_asks_every_period(nps: Survey, jane: Contact) -> None:
    assert sweep().queued == 1
    assert sweep(timezone.now() + dt.timedelta(days=100)).queued == 0
    assert sweep(timezone.now() + dt.timedelta(days=183)).queued == 1
    assert sorted(i.occurrence for i in sent(jane)) == ["every:0", "every:1"]


def newcomer(workspace: Workspace, name: str, *, started_days_ago: int | None, mrr: int = 500) -> Contact:
    """A contact of a new account that became a customer `started_days_ago` (None: no subscription)."""
    account = account_services.account_create(workspace=workspace, actor=None, via="test", name=name, tier="enterprise")
    if started_days_ago is not None:
        today = dt.date.today()
        account_services.subscription_create(
            account=account, actor=None, via="test", product="Marketing Hub", mrr=Decimal(mrr),
            started_on=today - dt.timedelta(days=started_days_ago), term_end=today + dt.timedelta(days=300),
        )  # fmt: skip
    return account_services.contact_create(
        account=account, actor=None, via="test", email=f"champion@{name.lower()}.example", role="champion"
    )


def test_a_relationship_survey_first_asks_an_account_90_days_after_it_became_a_customer(
    nps: Survey, jane: Contact, workspace: Workspace
) -> None:
    assert nps.first_ask_after_days == 90
    bob = newcomer(workspace, "Initech", started_days_ago=30)
    sweep()
    assert [i.contact for i in Invitation.objects.all()] == [jane]
    sweep(timezone.now() + dt.timedelta(days=59))
    assert not sent(bob)
    sweep(timezone.now() + dt.timedelta(days=60))
    assert [i.occurrence for i in sent(bob)] == ["every:0"]


def test_a_relationship_survey_never_asks_an_account_that_pays_nothing(
    nps: Survey, jane: Contact, workspace: Workspace
) -> None:
    nobody = newcomer(workspace, "Initech", started_days_ago=None)
    nobody.account.customer_since = dt.date(2020, 1, 1)
    nobody.account.save()
    free = newcomer(workspace, "Hooli", started_days_ago=400, mrr=0)
    sweep()
    sweep(timezone.now() + dt.timedelta(days=200))
    assert not sent(nobody) and not sent(free)
    assert len(sent(jane)) == 2


def test_the_first_ask_delay_is_the_survey_s_and_other_schedules_ask_new_accounts(
    workspace: Workspace, nps: Survey, jane: Contact
) -> None:
    bob = newcomer(workspace, "Initech", started_days_ago=10)
    services.survey_update(survey=nps, first_ask_after_days=7)
    sweep()
    assert [i.occurrence for i in sent(bob)] == ["every:0"]
    services.survey_create(
        workspace=workspace, actor=None, name="Onboarding CSAT", kind="csat", schedule_kind="after_event",
        trigger_kind="milestone_reached",
    )  # fmt: skip
    carl = newcomer(workspace, "Hooli", started_days_ago=3)
    TimelineEntry.objects.create(
        workspace=workspace, account=carl.account, kind="milestone_reached", occurred_at=timezone.now(), summary="x"
    )
    sweep()
    assert len(sent(carl)) == 1


def test_an_after_event_survey_follows_the_entry_kind(workspace: Workspace, jane: Contact, account: Account) -> None:
    services.survey_create(
        workspace=workspace, actor=None, name="Onboarding CSAT", kind="csat", schedule_kind="after_event",
        trigger_kind="milestone_reached",
    )  # fmt: skip
    assert sweep().planned == 0
    entry = TimelineEntry.objects.create(
        workspace=workspace, account=account, kind="milestone_reached", occurred_at=timezone.now(), summary="x"
    )
    assert sweep().queued == 1
    assert [i.occurrence for i in sent(jane)] == [f"event:{entry.pk}"]


def test_the_audience_is_the_segment_and_the_roles(workspace: Workspace, account: Account, jane: Contact) -> None:
    other = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", tier="community"
    )
    bob = account_services.contact_create(
        account=other, actor=None, via="test", email="bob@initech.example", role="champion"
    )
    account_services.contact_create(account=account, actor=None, via="test", email="user@globex.example", role="user")
    account_services.contact_create(account=account, actor=None, via="test", role="champion")  # no e-mail
    segment = account_services.segment_create(
        workspace=workspace, actor=None, name="Enterprise", criteria={"tier": ["enterprise"]}
    )
    services.survey_create(
        workspace=workspace, actor=None, name="Champions", kind="nps", schedule_kind="recurring", schedule_days=182,
        segment=segment, roles=["champion", "executive_sponsor"],
    )  # fmt: skip
    sweep()
    assert [i.contact for i in Invitation.objects.all()] == [jane]
    assert not sent(bob)


def test_fatigue_stops_a_third_invitation_within_twelve_months(
    workspace: Workspace, nps: Survey, jane: Contact
) -> None:
    for name in ("Second", "Third"):
        services.survey_create(
            workspace=workspace, actor=None, name=name, kind="csat", schedule_kind="recurring", schedule_days=90
        )
    result = sweep()
    assert (result.queued, result.skipped) == (2, 1)
    skipped = Invitation.objects.get(status="skipped")
    assert skipped.skip_reason == "fatigue" and skipped.token_hash is None


def test_fatigue_is_configurable_per_survey(workspace: Workspace, jane: Contact) -> None:
    for name in ("One", "Two", "Three"):
        services.survey_create(
            workspace=workspace, actor=None, name=name, kind="csat", schedule_kind="recurring", schedule_days=90,
            fatigue_limit=3,
        )  # fmt: skip
    assert sweep().queued == 3


def test_a_snoozed_contact_is_never_asked(nps: Survey, jane: Contact) -> None:
    services.contact_surveys_snooze(contact=jane, until=dt.date.today() + dt.timedelta(days=30))
    result = sweep()
    assert (result.queued, result.skipped) == (0, 1)
    assert Invitation.objects.get().skip_reason == "snoozed"


def test_an_unsubscribed_contact_is_never_asked(nps: Survey, jane: Contact) -> None:
    services.contact_unsubscribe(contact=jane)
    assert sweep().queued == 0
    assert Invitation.objects.get().skip_reason == "unsubscribed"
    assert TimelineEntry.objects.filter(kind=EntryKind.CONTACT_UNSUBSCRIBED, contact=jane).count() == 1


def test_a_bounced_or_suppressed_address_is_never_asked(nps: Survey, jane: Contact, workspace: Workspace) -> None:
    messaging_services.contact_mark_bounced(contact=jane, reason="mailbox does not exist")
    assert sweep().queued == 0
    assert Invitation.objects.get().skip_reason == "suppressed"


def test_an_address_on_the_suppression_list_is_never_asked(nps: Survey, jane: Contact, workspace: Workspace) -> None:
    messaging_services.suppression_add(workspace=workspace, email=jane.email.upper(), reason="manual")
    assert sweep().queued == 0
    assert Invitation.objects.get().skip_reason == "suppressed"


def test_an_unsubscribe_between_planning_and_sending_is_honoured(nps: Survey, jane: Contact) -> None:
    services.invitations_plan(survey=nps)
    services.contact_unsubscribe(contact=jane)
    assert sweep().queued == 0


def test_overlapping_sweeps_send_once(nps: Survey, jane: Contact) -> None:
    now = timezone.now()
    # Both sweeps plan before either sends: the unique occasion keeps one invitation.
    assert services.invitations_plan(survey=nps, now=now) == 1
    assert services.invitations_plan(survey=nps, now=now) == 0
    invitation = Invitation.objects.get()
    outcomes = [services.invitation_send(invitation_id=invitation.pk, now=now) for _ in range(2)]
    assert outcomes == ["queued", None]
    assert TimelineEntry.objects.filter(kind=EntryKind.SURVEY_SENT).count() == 0  # not before the server took it
    messaging_services.deliveries_send_due()
    assert len(mail.outbox) == 1
    assert TimelineEntry.objects.filter(kind=EntryKind.SURVEY_SENT).count() == 1


def test_a_late_invitation_is_skipped_not_sent(nps: Survey, jane: Contact) -> None:
    services.invitations_plan(survey=nps)
    assert sweep(timezone.now() + dt.timedelta(days=3)).queued == 0
    assert Invitation.objects.get(occurrence="every:0").skip_reason == "too_late"


def test_a_switched_off_survey_sends_nothing(nps: Survey, jane: Contact) -> None:
    services.invitations_plan(survey=nps)
    services.survey_update(survey=nps, is_active=False)
    assert sweep().queued == 0
    assert Invitation.objects.get().skip_reason == "survey_inactive"


def test_the_sweep_query_count_does_not_grow_with_the_audience(
    workspace: Workspace, nps: Survey, account: Account, carol: Member
) -> None:
    def add_contacts(first: int, last: int) -> None:
        for n in range(first, last):
            account_services.contact_create(account=account, actor=None, via="test", email=f"p{n}@globex.example")

    add_contacts(0, 3)
    with CaptureQueriesContext(connection) as small:
        services.invitations_plan(survey=nps)
    add_contacts(3, 30)
    with CaptureQueriesContext(connection) as large:
        services.invitations_plan(survey=nps)
    assert len(large) == len(small)
    assert Invitation.objects.count() == 30
    assert len(small) <= 6
