"""Writes to business reviews: create, prepare (build the pack), edit the narrative and proposals,
hold, follow up, and the customer's link. Each is `<noun>_<verb>(*, actor, ...)` and atomic.

Following up writes the accepted proposals into the success plan (and our side's actions into
tasks) once: what each proposal became is kept on the review by its index, under a row lock, so
saving the follow-up twice (a double click, two tabs) writes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retain.accounts.choices import TouchpointKind
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.accounts.services import touchpoint_log
from retain.lib.tokens import new_token
from retain.messaging.models import OutboundMessage
from retain.messaging.services import Attachment, email_enqueue
from retain.plans import services as plan_services
from retain.plans.models import Goal
from retain.reports import narrative, pack, periods, render
from retain.reports.choices import TRANSITIONS, Audience, ProposalKind, ReviewStatus, Sentiment
from retain.reports.models import BusinessReview, ReviewLink
from retain.tasks.choices import TaskKind
from retain.tasks.services import task_create
from retain.tenancy.models import Member

DEFAULT_LINK_DAYS = 30
MAX_LINK_DAYS = 365
MAX_PROPOSALS = 20
VIA = "business-review"


def _move(review: BusinessReview, status: str) -> None:
    if status not in TRANSITIONS[review.status]:
        now, then = review.get_status_display().lower(), ReviewStatus(status).label.lower()
        raise ValidationError({"status": f"a {now} review cannot become {then}"})
    review.status = status


def _quarter(period: str) -> periods.Quarter:
    try:
        return periods.parse(period)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from exc


@transaction.atomic
def review_create(
    *,
    account: Account,
    actor: Member | None,
    period: str,
    meeting_on: dt.date | None = None,
    agenda: str = "",
    contacts: Sequence[Contact] = (),
    members: Sequence[Member] = (),
) -> BusinessReview:
    """A planned review of the account for the quarter `period` ("2026Q4"); one per quarter."""
    quarter = _quarter(period)
    if BusinessReview.objects.filter(account=account, period=quarter.name).exists():
        raise ValidationError({"period": f"{account.name} already has a review for {quarter.name}"})
    review = BusinessReview.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        period=quarter.name,
        starts_on=quarter.start,
        ends_on=quarter.end,
        meeting_on=meeting_on,
        agenda=agenda.strip(),
        created_by=actor,
    )
    _set_attendees(review, contacts, members)
    return review


def _set_attendees(review: BusinessReview, contacts: Iterable[Contact], members: Iterable[Member]) -> None:
    contacts, members = list(contacts), list(members)
    for contact in contacts:
        if contact.account_id != review.account_id:
            raise ValidationError({"contacts": f"{contact} is not a contact of this account"})
    for member in members:
        if member.workspace_id != review.workspace_id:
            raise ValidationError({"members": f"{member} is not a member of this workspace"})
    review.attendee_contacts.set(contacts)
    review.attendee_members.set(members)


@transaction.atomic
def review_update(
    *,
    review: BusinessReview,
    actor: Member | None,
    meeting_on: dt.date | None,
    agenda: str,
    contacts: Sequence[Contact] = (),
    members: Sequence[Member] = (),
) -> BusinessReview:
    review.meeting_on = meeting_on
    review.agenda = agenda.strip()
    review.save(update_fields=["meeting_on", "agenda", "updated_at"])
    _set_attendees(review, contacts, members)
    return review


def _default_proposals(review: BusinessReview, built: dict[str, Any]) -> list[dict[str, Any]]:
    """Next quarter's proposals to start from: adopt the next-rung features (an objective each),
    and a session we run to help with the first of them."""
    following = periods.parse(review.period).following()
    due = following.end.isoformat()
    proposals: list[dict[str, Any]] = [
        {
            "kind": ProposalKind.OBJECTIVE,
            "text": f"Adopt {rung['feature']}",
            "side": "customer",
            "owner_contact": None,
            "owner_member": None,
            "due_on": due,
            "accepted": False,
        }
        for rung in built["sections"]["adoption"]["next_rung"]
    ]
    owner = review.account.owner
    if proposals and owner is not None:
        proposals.append(
            {
                "kind": ProposalKind.COMMITMENT,
                "text": f"Run a {built['sections']['adoption']['next_rung'][0]['feature']} session for the team"[:300],
                "side": "us",
                "owner_contact": None,
                "owner_member": owner.pk,
                "due_on": (following.start + dt.timedelta(days=30)).isoformat(),
                "accepted": False,
            }
        )
    return proposals


@transaction.atomic
def review_draft(*, review: BusinessReview, actor: Member | None, today: dt.date | None = None) -> BusinessReview:
    """Build (or rebuild: the "refresh") the pack, a snapshot of the quarter's figures, and the
    narrative and proposals to start from; the status does not move. The CSM's edited narrative
    and proposals are kept. A held review keeps the pack it was held with."""
    review = (
        BusinessReview.objects.select_for_update(of=("self",))
        .select_related("account__workspace", "account__owner")
        .get(pk=review.pk)
    )
    if review.status not in (ReviewStatus.PLANNED, ReviewStatus.PREPARED):
        raise ValidationError({"status": "a held review keeps the pack it was held with"})
    today = today or workspace_today(review.account.workspace)
    built = pack.build(review.account, periods.parse(review.period), today=today)
    review.pack = built
    review.pack_built_at = timezone.now()
    if not review.narrative:
        review.narrative = narrative.draft(pack.customer_pack(built))
    if not review.proposals:
        review.proposals = _default_proposals(review, built)
    review.save(update_fields=["pack", "pack_built_at", "narrative", "proposals", "updated_at"])
    return review


@transaction.atomic
def review_prepare(*, review: BusinessReview, actor: Member | None, today: dt.date | None = None) -> BusinessReview:
    """The review is ready to hold: its pack is built (when it has none yet) and it becomes prepared."""
    review = BusinessReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
    _move(review, ReviewStatus.PREPARED)
    review.save(update_fields=["status", "updated_at"])
    if not review.pack:
        review = review_draft(review=review, actor=actor, today=today)
    return review


def review_narrative_update(*, review: BusinessReview, actor: Member | None, **texts: str) -> BusinessReview:
    unknown = sorted(set(texts) - set(narrative.SECTIONS))
    if unknown:
        raise ValidationError({unknown[0]: f"not a narrative section ({', '.join(narrative.SECTIONS)})"})
    for name, text in texts.items():
        if len(text) > 10000:
            raise ValidationError({name: "at most 10,000 characters"})
    review.narrative = {**(review.narrative or {}), **{name: text.strip() for name, text in texts.items()}}
    review.save(update_fields=["narrative", "updated_at"])
    return review


def proposals_clean(review: BusinessReview, raw: object) -> list[dict[str, Any]]:
    """The proposals as stored, or ValidationError naming the item and field ("proposals[1].due_on")."""
    if not isinstance(raw, list) or len(raw) > MAX_PROPOSALS:
        raise ValidationError({"proposals": f"must be a list of at most {MAX_PROPOSALS} items"})
    contacts = set(Contact.objects.filter(account_id=review.account_id).values_list("pk", flat=True))
    members = set(Member.objects.filter(workspace_id=review.workspace_id, is_active=True).values_list("pk", flat=True))
    clean = []
    for index, item in enumerate(raw):
        where = f"proposals[{index}]"
        if not isinstance(item, dict):
            raise ValidationError({where: "must be an object"})
        kind = item.get("kind")
        if kind not in ProposalKind.values:
            raise ValidationError({f"{where}.kind": f"must be one of {', '.join(ProposalKind.values)}"})
        text = str(item.get("text") or "").strip()
        if not text or len(text) > 200:
            raise ValidationError({f"{where}.text": "must be a text of 1 to 200 characters"})
        side = item.get("side", "customer")
        if side not in ("customer", "us"):
            raise ValidationError({f"{where}.side": "must be customer or us"})
        try:
            due_on = dt.date.fromisoformat(str(item.get("due_on")))
        except ValueError:
            raise ValidationError({f"{where}.due_on": "must be a date (YYYY-MM-DD)"}) from None
        contact, member = item.get("owner_contact"), item.get("owner_member")
        if kind == ProposalKind.COMMITMENT:
            if side == "customer" and contact not in contacts:
                raise ValidationError(
                    {f"{where}.owner_contact": "a customer commitment is owned by a contact of the account"}
                )
            if side == "us" and member not in members:
                raise ValidationError({f"{where}.owner_member": "our commitment is owned by an active member"})
        clean.append(
            {
                "kind": kind,
                "text": text,
                "side": side,
                "owner_contact": contact if side == "customer" and contact in contacts else None,
                "owner_member": member if side == "us" and member in members else None,
                "due_on": due_on.isoformat(),
                "accepted": bool(item.get("accepted")),
            }
        )
    return clean


@transaction.atomic
def review_proposals_update(*, review: BusinessReview, actor: Member | None, proposals: object) -> BusinessReview:
    review = BusinessReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
    if review.status == ReviewStatus.FOLLOWED_UP:
        raise ValidationError({"proposals": "the review is followed up: its proposals are in the plan"})
    review.proposals = proposals_clean(review, proposals)
    review.save(update_fields=["proposals", "updated_at"])
    return review


@transaction.atomic
def review_hold(
    *,
    review: BusinessReview,
    actor: Member | None,
    held_on: dt.date,
    contacts: Sequence[Contact],
    members: Sequence[Member],
    decisions: str,
    feedback: str,
    sentiment: str,
) -> BusinessReview:
    """The review took place: who came, what was decided, what the customer said and how it went,
    logged as a meeting touchpoint on the account's timeline."""
    review = (
        BusinessReview.objects.select_for_update(of=("self",)).select_related("account__workspace").get(pk=review.pk)
    )
    _move(review, ReviewStatus.HELD)
    if sentiment not in Sentiment.values:
        raise ValidationError({"sentiment": f"must be one of {', '.join(Sentiment.values)}"})
    if not decisions.strip():
        raise ValidationError({"decisions": "say what was decided"})
    _set_attendees(review, contacts, members)
    occurred_at = timezone.make_aware(dt.datetime.combine(held_on, dt.time(12)), timezone.get_default_timezone())
    touchpoint = touchpoint_log(
        account=review.account,
        actor=actor,
        via=VIA,
        kind=TouchpointKind.MEETING,
        occurred_at=occurred_at,
        summary=f"Business review {review.period} ({Sentiment(sentiment).label.lower()}): {decisions.strip()}"[:1000],
        member=actor,
        contacts=list(contacts),
        next_step=feedback.strip()[:200],
    )
    review.meeting_on = held_on
    review.decisions = decisions.strip()
    review.feedback = feedback.strip()
    review.sentiment = sentiment
    review.held_touchpoint = touchpoint
    review.save(
        update_fields=["status", "meeting_on", "decisions", "feedback", "sentiment", "held_touchpoint", "updated_at"]
    )
    return review


def _goal_for(review: BusinessReview, actor: Member | None) -> Goal:
    plan = plan_services.plan_get_or_create(account=review.account, actor=actor)
    title = f"Agreed in the {review.period} business review"
    goal = plan.goals.filter(title=title).first()
    return goal or plan_services.goal_add(plan=plan, actor=actor, title=title)


@transaction.atomic
def review_follow_up(*, review: BusinessReview, actor: Member | None) -> BusinessReview:
    """Write the accepted proposals into the success plan (objectives under the review's goal,
    commitments with their owner and due date) and our side's commitments into tasks, once."""
    review = (
        BusinessReview.objects.select_for_update(of=("self",)).select_related("account__workspace").get(pk=review.pk)
    )
    if review.status not in (ReviewStatus.HELD, ReviewStatus.FOLLOWED_UP):
        raise ValidationError({"status": "a review is followed up after it is held"})
    done: dict[str, Any] = dict(review.follow_up or {})
    plan = plan_services.plan_get_or_create(account=review.account, actor=actor)
    for index, proposal in enumerate(review.proposals):
        key = str(index)
        if not proposal.get("accepted") or key in done:
            continue
        due_on = dt.date.fromisoformat(proposal["due_on"])
        if proposal["kind"] == ProposalKind.OBJECTIVE:
            objective = plan_services.objective_add(goal=_goal_for(review, actor), actor=actor, title=proposal["text"])
            done[key] = {"objective": objective.pk}
            continue
        contact = Contact.objects.filter(pk=proposal["owner_contact"], account=review.account).first()
        member = Member.objects.filter(pk=proposal["owner_member"], workspace_id=review.workspace_id).first()
        commitment = plan_services.commitment_add(
            plan=plan,
            actor=actor,
            description=proposal["text"],
            due_on=due_on,
            owner_contact=contact if proposal["side"] == "customer" else None,
            owner_member=member if proposal["side"] == "us" else None,
        )
        done[key] = {"commitment": commitment.pk}
        if proposal["side"] == "us":
            task = task_create(
                account=review.account,
                title=proposal["text"][:200],
                kind=TaskKind.OTHER,
                due_on=due_on,
                owner=member,
                source_ref=f"business-review:{review.pk}:{index}",
                actor=actor,
                via=VIA,
            )
            done[key]["task"] = task.pk
    if review.status == ReviewStatus.HELD:
        _move(review, ReviewStatus.FOLLOWED_UP)
    review.follow_up = done
    review.save(update_fields=["status", "follow_up", "updated_at"])
    return review


@transaction.atomic
def review_email(*, review: BusinessReview, actor: Member | None) -> list[OutboundMessage]:
    """Queue the customer's PDF to every attendee contact with an e-mail address, through the outbox.

    Keyed by the pack's build time: sending twice sends once; after a refresh the new pack goes out."""
    if not review.pack or review.pack_built_at is None:
        raise ValidationError({"review": "prepare the review before sending it"})
    contacts = [c for c in review.attendee_contacts.order_by("pk") if c.email]
    if not contacts:
        raise ValidationError({"contacts": "no attendee of the customer's has an e-mail address"})
    data = render.pdf(review, Audience.CUSTOMER)
    attachment = Attachment(f"business-review-{review.period}.pdf", "application/pdf", data)
    built = int(review.pack_built_at.timestamp())
    sender = actor.display_name if actor is not None else review.account.workspace.name
    messages = []
    for contact in contacts:
        messages.append(
            email_enqueue(
                account=review.account,
                contact=contact,
                subject=f"{review.account.name}: business review {review.period}",
                body=(
                    f"Hi {contact.first_name or 'there'},\n\nAttached is the pack for our business review of "
                    f"{review.period}.\n\nBest regards,\n{sender}"
                ),
                idempotency_key=f"review:{review.pk}:pack:{built}:contact:{contact.pk}",
                source=f"business-review:{review.pk}",
                actor=actor,
                attachments=[attachment],
            )
        )
    return messages


@transaction.atomic
def review_link_create(
    *, review: BusinessReview, actor: Member | None, days: int = DEFAULT_LINK_DAYS
) -> tuple[ReviewLink, str]:
    """A read-only link to the customer's version; returns the row and the raw token (shown once)."""
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError({"days": f"a link lives between 1 and {MAX_LINK_DAYS} days"})
    if not review.pack:
        raise ValidationError({"review": "prepare the review before sharing it"})
    raw, hashed = new_token()
    link = ReviewLink.objects.create(
        workspace_id=review.workspace_id,
        review=review,
        token_hash=hashed,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return link, raw


def review_link_revoke(*, link: ReviewLink, actor: Member | None) -> ReviewLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link
