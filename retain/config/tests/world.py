"""One object of every kind a URL names, in workspace "acme", for tests that request every route.

The access matrix and the API fuzzing both need a real object behind each `<int:pk>`, `<slug:key>`
and `{id}`: a 404 because nothing exists proves nothing about who may see what. `build_world` makes
one of each through the same services the product uses (a few rows the product only ever makes in a
background scan are written directly) and returns their keys by name, so that a URL pattern's kwargs
can be filled in from a table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from retain.accounts import services as account_services
from retain.accounts.choices import ImportKind, ImportStatus
from retain.accounts.models import ImportRun
from retain.accounts.selectors import workspace_today
from retain.health.models import WarehouseConnection, WarehouseMeasure
from retain.health.services import scorecards_install_defaults
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import barrier_add, journey_start, templates_install_defaults
from retain.lib.tokens import new_token
from retain.messaging import services as messaging_services
from retain.messaging.models import OutboundMessage
from retain.messaging.tokens import unsubscribe_token
from retain.plans import services as plan_services
from retain.playbooks.defaults import playbooks_install_defaults
from retain.portal import services as portal_services
from retain.renewals.choices import ExpansionKind, ExpansionSignal
from retain.renewals.models import ExpansionOpportunity, ReasonCode, Renewal
from retain.renewals.services import reason_codes_seed, renewals_open
from retain.reports import services as review_services
from retain.reports.periods import quarter_of
from retain.routing.models import InboundMessage
from retain.routing.tokens import inbound_token
from retain.surveys import services as survey_services
from retain.surveys.choices import InvitationStatus, ResponseSource
from retain.surveys.models import Invitation
from retain.tasks import services as task_services
from retain.team import services as team_services
from retain.team.models import Notification, PortfolioTarget
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member, hash_token
from retain.usage.models import UnmatchedGroup


@dataclass
class World:
    """The keys of the objects built, by the name the access matrix's object column uses."""

    slug: str
    ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def build_world(*, owner: Member, admin: Member) -> World:
    """Everything hangs off one account, Globex, in `owner`'s book (a CSM), in the owner's workspace."""
    workspace = owner.workspace
    today = workspace_today(workspace)
    account = account_services.account_create(
        workspace=workspace,
        actor=None,
        via="test",
        name="Globex",
        domain="globex.example",
        tier="enterprise",
        edition="professional",
        owner=owner,
        external_id="crm-1",
    )
    subscription = account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Marketing Hub Professional",
        mrr=Decimal("1000"),
        seats=10,
        started_on=today - dt.timedelta(days=305),
        term_end=today + dt.timedelta(days=60),
    )
    contact = account_services.contact_create(
        account=account, actor=None, via="test", email="jane@globex.example", first_name="Jane", role="champion"
    )
    touchpoint = account_services.touchpoint_log(
        account=account, actor=owner, via="test", kind="call", occurred_at=timezone.now(), summary="Kick-off"
    )
    segment = account_services.segment_create(
        workspace=workspace, actor=admin, name="Enterprise", criteria={"tier": ["enterprise"]}
    )
    scorecard = scorecards_install_defaults(workspace=workspace)[0]
    templates = templates_install_defaults(workspace=workspace)
    journey = journey_start(account=account, started_on=today - dt.timedelta(days=10))
    milestone = MilestoneProgress.objects.filter(journey=journey).order_by("pk").first()
    assert milestone is not None
    barrier = barrier_add(progress=milestone, kind="our_issue", title="CRM connector bug", owner=owner)
    plan = plan_services.plan_get_or_create(account=account, actor=owner)
    goal = plan_services.goal_add(plan=plan, actor=owner, title="Double inbound leads")
    objective = plan_services.objective_add(goal=goal, actor=owner, title="Leads flowing")
    metric = plan_services.metric_add(
        objective=objective, actor=owner, name="Leads a month", start_value=Decimal(100), target_value=Decimal(200)
    )
    commitment = plan_services.commitment_add(
        plan=plan,
        actor=owner,
        description="Migrate the blog",
        due_on=today + dt.timedelta(days=14),
        owner_contact=contact,
    )
    link, link_token = plan_services.shared_link_create(account=account, actor=owner)
    review = review_services.review_create(account=account, actor=owner, period=quarter_of(today).name)
    review = review_services.review_prepare(review=review, actor=owner)
    _, review_token = review_services.review_link_create(review=review, actor=owner)
    task = task_services.task_create(
        account=account, title="Risk review", kind="call", due_on=today, owner=owner, checklist=["Check usage"]
    )
    survey = survey_services.survey_create(
        workspace=workspace,
        actor=admin,
        name="Relationship NPS",
        kind="nps",
        schedule_kind="recurring",
        schedule_days=182,
    )
    response = survey_services.response_record(survey=survey, contact=contact, score=9, source=ResponseSource.API)
    # A sent invitation, as the survey sweep leaves it, with the raw token its e-mail carried.
    answer_token, answer_hash = new_token()
    Invitation.objects.create(
        workspace=workspace,
        survey=survey,
        account=account,
        contact=contact,
        occurrence="manual:1",
        status=InvitationStatus.SENT,
        due_at=timezone.now(),
        sent_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=30),
        token_hash=answer_hash,
    )
    reason_codes_seed(workspace=workspace)
    reason = ReasonCode.objects.filter(workspace=workspace).order_by("pk").first()
    assert reason is not None
    renewals_open(workspace=workspace, today=today)
    renewal = Renewal.objects.get(account=account)
    # Opened only by the nightly signal scan in the product; its inputs do not matter here.
    expansion = ExpansionOpportunity.objects.create(
        workspace=workspace,
        account=account,
        kind=ExpansionKind.UPSELL,
        signal=ExpansionSignal.SEAT_UTILISATION,
        explanation="10 of 10 seats used",
        amount=Decimal("2400"),
        owner=owner,
        dedupe_key=f"{account.pk}:seat_utilisation",
        opened_at=timezone.now(),
    )
    message = messaging_services.email_enqueue(
        account=account, contact=contact, subject="Welcome", body="Hi", idempotency_key="welcome:1"
    )
    inbound = InboundMessage.objects.create(
        workspace=workspace, source="api", text="How do I add a user?", received_at=timezone.now()
    )
    suppression = messaging_services.suppression_add(workspace=workspace, email="gone@globex.example", reason="bounce")
    playbook = playbooks_install_defaults(workspace=workspace)[0]
    token, _ = tenancy_services.api_token_create(member=owner, name="CRM sync")
    write_key, _ = tenancy_services.write_key_create(workspace=workspace, name="Product")
    # Held by ingest when a group call names an unknown groupId and the workspace holds them.
    unmatched = UnmatchedGroup.objects.create(
        workspace=workspace, group_id="globx", calls=1, first_seen_at=timezone.now(), last_seen_at=timezone.now()
    )
    # Written by the importer at the end of a CSV import.
    run = ImportRun.objects.create(
        workspace=workspace, kind=ImportKind.ACCOUNTS, filename="accounts.csv", status=ImportStatus.APPLIED
    )
    # A warehouse connection and a measure on it (nothing is run: the URL points nowhere).
    warehouse = WarehouseConnection.objects.create(
        workspace=workspace, name="Analytics", url="postgresql://reader@warehouse.invalid/analytics"
    )
    warehouse_measure = WarehouseMeasure.objects.create(
        workspace=workspace, connection=warehouse, key="seats_used", name="Seats used", sql="SELECT 1"
    )
    # An invitation to the team (its raw link as the e-mail carried it) and a password-reset link.
    invitation = tenancy_services.invitation_create(
        workspace=workspace, actor=admin, email="new.csm@acme.example", role="csm"
    )
    raw_key = "world-invitation-key"
    invitation.key_hash = hash_token(raw_key)
    invitation.save(update_fields=["key_hash"])
    invitation_token = tenancy_services._invitation_link(invitation, raw_key).rstrip("/").rsplit("/", 1)[-1]
    # The customer portal, on for enterprise accounts: Jane invited (her e-mailed sign-in link) and
    # one resource CS offers.
    portal_services.settings_update(workspace=workspace, actor=admin, tiers=["enterprise"])
    portal_services.contact_invite(contact=contact, actor=owner)
    portal_mail = OutboundMessage.objects.filter(contact=contact, source__startswith="portal:").latest("id")
    portal_token = portal_mail.body.split("/portal/sign-in/", 1)[1].split("/", 1)[0]
    resource = portal_services.resource_save(
        workspace=workspace, actor=admin, title="Getting started", url="https://kb.example.com/start",
        kind="kb_article", stages=[], editions=[], refreshed_on=today,
    )  # fmt: skip
    reset_uid = urlsafe_base64_encode(force_bytes(owner.user.pk))
    reset_token = default_token_generator.make_token(owner.user)
    # A draft balancing plan (no moves: the world's books are balanced).
    balance_plan = team_services.plan_propose(workspace=workspace, actor=admin)
    # A notification of the owner's: nobody else opens or reads it, whatever their role.
    notification = Notification.objects.create(
        workspace=workspace, member=owner, kind="mention", text="Mentioned in a note", account=account
    )
    target = PortfolioTarget.objects.create(
        workspace=workspace, figure="nrr", start_value=1.0, start_on=dt.date(2026, 1, 1), target_value=1.2,
        due_on=dt.date(2027, 12, 31), created_by=admin,
    )  # fmt: skip
    return World(
        slug=workspace.slug,
        ids={
            "account": account.pk,
            "contact": contact.pk,
            "subscription": subscription.pk,
            "touchpoint": touchpoint.pk,
            "segment": segment.pk,
            "scorecard": scorecard.pk,
            "journey-template": templates[0].pk,
            "journey": journey.pk,
            "milestone": milestone.pk,
            "barrier": barrier.pk,
            "success-plan": plan.pk,
            "goal": goal.pk,
            "objective": objective.pk,
            "success-metric": metric.pk,
            "commitment": commitment.pk,
            "shared-link": link.pk,
            "task": task.pk,
            "survey": survey.pk,
            "survey-response": response.pk,
            "reason": reason.pk,
            "renewal": renewal.pk,
            "expansion-opportunity": expansion.pk,
            "message": message.pk,
            "suppression": suppression.pk,
            "inbound": inbound.pk,
            "member": owner.pk,
            "api-token": token.pk,
            "write-key": write_key.pk,
            "unmatched-group": unmatched.pk,
            "import": run.pk,
            "invitation": invitation.pk,
            "business-review": review.pk,
            "balance-plan": balance_plan.pk,
            "warehouse-connection": warehouse.pk,
            "warehouse-measure": warehouse_measure.pk,
            "notification": notification.pk,
            "portfolio-target": target.pk,
            "portal-resource": resource.pk,
            "portal-access": contact.portal_access.pk,
        },
        keys={"playbook": playbook.key, "journey-template": templates[0].key},
        tokens={
            "survey": answer_token,
            "shared-link": link_token,
            "review-link": review_token,
            "contact": unsubscribe_token(contact.pk),
            "invitation": invitation_token,
            "password-reset": reset_token,
            "password-reset-uid": reset_uid,
            "inbound": inbound_token(workspace.pk),
            "portal-link": portal_token,
        },
    )
