"""One factory per timeline entry kind.

Each returns an unsaved TimelineEntry so services save it inside their own transaction and bulk
paths (imports, the demo generator) can write many at once. The summary is written here, once, in
the customer-success vocabulary the account page shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from retain.accounts.choices import EntryKind, MovementKind
from retain.accounts.models import (
    Account,
    Contact,
    Subscription,
    SubscriptionMovement,
    TimelineEntry,
    Touchpoint,
)
from retain.lib.money import format_money
from retain.lib.numbers import signed
from retain.tenancy.models import Member

if TYPE_CHECKING:
    from retain.health.models import Pulse
    from retain.journeys.models import Barrier, MilestoneProgress
    from retain.renewals.models import ExpansionOpportunity, Renewal
    from retain.tasks.models import Task

Changes = Mapping[str, tuple[Any, Any]]


def _entry(
    account: Account,
    kind: str,
    summary: str,
    *,
    actor: Member | None,
    via: str,
    occurred_at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
    **links: Any,
) -> TimelineEntry:
    return TimelineEntry(
        workspace_id=account.workspace_id,
        account=account,
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        actor_label=via,
        summary=summary[:500],
        data=data or {},
        **links,
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Member):
        return value.display_name
    return str(value)


def _describe(changes: Changes) -> tuple[str, dict[str, Any]]:
    words = ", ".join(
        f"{field.replace('_', ' ')} {_jsonable(old)!s} → {_jsonable(new)!s}" for field, (old, new) in changes.items()
    )
    data = {field: {"from": _jsonable(old), "to": _jsonable(new)} for field, (old, new) in changes.items()}
    return words, {"changes": data}


def account_created_entry(account: Account, *, actor: Member | None, via: str, stage_rule: str = "") -> TimelineEntry:
    """`stage_rule` says, in words, why the account starts in its stage when nobody chose one."""
    summary = f"Account {account.name} created ({account.get_tier_display()}, {account.get_edition_display()})"
    data = {"stage": account.stage}
    if stage_rule:
        summary += f"; starts in {account.get_stage_display().lower()}: {stage_rule}"
        data["stage_rule"] = stage_rule
    return _entry(account, EntryKind.ACCOUNT_CREATED, summary, actor=actor, via=via, data=data)


def account_updated_entry(
    account: Account, changes: Changes, *, actor: Member | None, via: str, reason: str = ""
) -> TimelineEntry:
    words, data = _describe(changes)
    if reason:
        data["reason"] = reason
    summary = f"Account updated: {words}" + (f" ({reason})" if reason else "")
    return _entry(account, EntryKind.ACCOUNT_UPDATED, summary, actor=actor, via=via, data=data)


def owner_changed_entry(
    account: Account, old: Member | None, new: Member | None, *, actor: Member | None, via: str, reason: str = ""
) -> TimelineEntry:
    old_name = old.display_name if old else "nobody"
    new_name = new.display_name if new else "nobody"
    summary = f"Owner changed from {old_name} to {new_name}" + (f": {reason}" if reason else "")
    return _entry(
        account,
        EntryKind.OWNER_CHANGED,
        summary,
        actor=actor,
        via=via,
        data={"from": old.pk if old else None, "to": new.pk if new else None, "reason": reason},
    )


def contact_added_entry(contact: Contact, *, actor: Member | None, via: str) -> TimelineEntry:
    return _entry(
        contact.account,
        EntryKind.CONTACT_ADDED,
        f"Contact {contact} added as {contact.get_role_display().lower()}",
        actor=actor,
        via=via,
        contact=contact,
    )


def contact_updated_entry(contact: Contact, changes: Changes, *, actor: Member | None, via: str) -> TimelineEntry:
    words, data = _describe(changes)
    return _entry(
        contact.account,
        EntryKind.CONTACT_UPDATED,
        f"Contact {contact} updated: {words}",
        actor=actor,
        via=via,
        data=data,
        contact=contact,
    )


def contact_left_entry(contact: Contact, *, actor: Member | None, via: str) -> TimelineEntry:
    """A contact left the customer company; when it was the champion this is an event trigger."""
    return _entry(
        contact.account,
        EntryKind.CONTACT_LEFT,
        f"{contact} ({contact.get_role_display().lower()}) left {contact.account.name}",
        actor=actor,
        via=via,
        contact=contact,
        data={"role": contact.role, "left_on": contact.left_on.isoformat() if contact.left_on else None},
    )


def contact_erased_entry(
    contact: Contact, counts: Mapping[str, int], *, actor: Member | None, via: str
) -> TimelineEntry:
    """A contact's personal data was erased on request. Says how much, never whose: no name, no e-mail."""
    return _entry(
        contact.account,
        EntryKind.CONTACT_ERASED,
        f"A contact's personal data was erased on request (contact #{contact.pk})",
        actor=actor,
        via=via,
        contact=contact,
        data={"contact_id": contact.pk, "counts": dict(counts)},
    )


def _movement_words(movement: SubscriptionMovement) -> str:
    delta = movement.mrr_after - movement.mrr_before
    mrr = format_money(movement.mrr_after, movement.currency)
    if movement.kind == MovementKind.CHANGE:
        return f"now {movement.product_after}, {movement.seats_after} seats, {mrr} MRR"
    sign = "+" if delta >= 0 else "−"
    return f"{sign}{format_money(abs(delta), movement.currency)} MRR (now {mrr}, {movement.seats_after} seats)"


def _movement_data(movement: SubscriptionMovement) -> dict[str, Any]:
    return {
        "movement": movement.kind,
        "effective_on": movement.effective_on.isoformat(),
        "mrr_before": str(movement.mrr_before),
        "mrr_after": str(movement.mrr_after),
        "seats_before": movement.seats_before,
        "seats_after": movement.seats_after,
        "product_after": movement.product_after,
        "currency": movement.currency,
    }


def subscription_started_entry(
    subscription: Subscription, movement: SubscriptionMovement, *, actor: Member | None, via: str
) -> TimelineEntry:
    return _entry(
        subscription.account,
        EntryKind.SUBSCRIPTION_STARTED,
        f"Subscription to {subscription.product} started: {_movement_words(movement)}, "
        f"term ends {subscription.term_end:%Y-%m-%d}",
        actor=actor,
        via=via,
        subscription=subscription,
        data=_movement_data(movement),
    )


def subscription_changed_entry(
    subscription: Subscription, movement: SubscriptionMovement, *, actor: Member | None, via: str
) -> TimelineEntry:
    label = MovementKind(movement.kind).label
    return _entry(
        subscription.account,
        EntryKind.SUBSCRIPTION_CHANGED,
        f"{label} on {subscription.product}: {_movement_words(movement)}",
        actor=actor,
        via=via,
        subscription=subscription,
        data=_movement_data(movement),
    )


def touchpoint_logged_entry(touchpoint: Touchpoint, *, actor: Member | None, via: str) -> TimelineEntry:
    who = touchpoint.member.display_name if touchpoint.member else "someone"
    return _entry(
        touchpoint.account,
        EntryKind.TOUCHPOINT_LOGGED,
        f"{touchpoint.get_kind_display()} by {who}: {touchpoint.summary}",
        actor=actor,
        via=via,
        occurred_at=touchpoint.occurred_at,
        touchpoint=touchpoint,
        data={"kind": touchpoint.kind, "next_step": touchpoint.next_step},
    )


def renewal_window_opened_entry(
    subscription: Subscription, *, opened_on: dt.date, window_days: int, occurred_at: dt.datetime
) -> TimelineEntry:
    """The renewal process starts: written once per subscription term (seed 002's 90 days out)."""
    entry = _entry(
        subscription.account,
        EntryKind.RENEWAL_WINDOW_OPENED,
        f"Renewal window opened for {subscription.product}: term ends {subscription.term_end:%Y-%m-%d} "
        f"({window_days} days out)",
        actor=None,
        via="system",
        occurred_at=occurred_at,
        subscription=subscription,
        data={
            "term_end": subscription.term_end.isoformat(),
            "opened_on": opened_on.isoformat(),
            "window_days": window_days,
            "mrr": str(subscription.mrr),
            "currency": subscription.currency,
        },
    )
    entry.dedupe_key = f"renewal_window:{subscription.pk}:{subscription.term_end.isoformat()}"
    return entry


def survey_sent_entry(
    contact: Contact, *, survey_name: str, survey_id: int, invitation_id: int, occurred_at: dt.datetime
) -> TimelineEntry:
    """A survey invitation went out to a contact (the record of who was asked when)."""
    entry = _entry(
        contact.account,
        EntryKind.SURVEY_SENT,
        f"{survey_name} sent to {contact}",
        actor=None,
        via="system",
        occurred_at=occurred_at,
        contact=contact,
        data={"survey": survey_id, "invitation": invitation_id},
    )
    entry.dedupe_key = f"survey_sent:{invitation_id}"
    return entry


def survey_answered_entry(
    contact: Contact,
    *,
    survey_name: str,
    survey_id: int,
    response_id: int,
    score: int,
    scale_max: int,
    category: str,
    comment: str,
    changed_from: int | None,
    actor: Member | None,
    via: str,
    occurred_at: dt.datetime,
) -> TimelineEntry:
    """A contact answered a survey, or changed their answer (`changed_from` is then the old score)."""
    if changed_from is None:
        verb = f"answered {survey_name}:"
    else:
        verb = f"changed their {survey_name} answer from {changed_from} to"
    summary = f"{contact} {verb} {score}/{scale_max} ({category})" + (f": “{comment}”" if comment else "")
    return _entry(
        contact.account,
        EntryKind.SURVEY_ANSWERED,
        summary,
        actor=actor,
        via=via,
        occurred_at=occurred_at,
        contact=contact,
        data={
            "survey": survey_id,
            "response": response_id,
            "score": score,
            "category": category,
            "comment": comment,
            "changed_from": changed_from,
        },
    )


def _unhappy_answer_entry(
    contact: Contact, kind: str, summary: str, *, survey_id: int, response_id: int, score: int, comment: str,
    via: str, occurred_at: dt.datetime,
) -> TimelineEntry:  # fmt: skip
    # Detractors and low CSAT share one dedupe key space: one unhappy-answer fact per response.
    entry = _entry(
        contact.account,
        kind,
        summary + (f": “{comment}”" if comment else ""),
        actor=None,
        via=via,
        occurred_at=occurred_at,
        contact=contact,
        data={"survey": survey_id, "response": response_id, "score": score, "comment": comment},
    )
    entry.dedupe_key = f"survey_unhappy:{response_id}"
    return entry


def detractor_answered_entry(
    contact: Contact, *, survey_name: str, survey_id: int, response_id: int, score: int, comment: str, via: str,
    occurred_at: dt.datetime,
) -> TimelineEntry:  # fmt: skip
    """An NPS detractor (0–6): written once per response, the trigger an unhappy-customer playbook keys on."""
    return _unhappy_answer_entry(
        contact, EntryKind.DETRACTOR_ANSWERED, f"Detractor: {contact} scored {score}/10 on {survey_name}",
        survey_id=survey_id, response_id=response_id, score=score, comment=comment, via=via, occurred_at=occurred_at,
    )  # fmt: skip


def low_csat_entry(
    contact: Contact, *, survey_name: str, survey_id: int, response_id: int, score: int, comment: str, via: str,
    occurred_at: dt.datetime,
) -> TimelineEntry:  # fmt: skip
    """A CSAT answer of 2 or less out of 5: written once per response, a playbook trigger."""
    return _unhappy_answer_entry(
        contact, EntryKind.LOW_CSAT_ANSWERED, f"Low satisfaction: {contact} scored {score}/5 on {survey_name}",
        survey_id=survey_id, response_id=response_id, score=score, comment=comment, via=via, occurred_at=occurred_at,
    )  # fmt: skip


def contact_unsubscribed_entry(contact: Contact, *, occurred_at: dt.datetime, via: str) -> TimelineEntry:
    """The contact asked for no more e-mail from us (an unsubscribe link or the List-Unsubscribe button)."""
    return _entry(
        contact.account,
        EntryKind.CONTACT_UNSUBSCRIBED,
        f"{contact} unsubscribed from e-mail",
        actor=None,
        via=via,
        occurred_at=occurred_at,
        contact=contact,
    )


_BAND_WORDS = {"red": "red", "yellow": "yellow", "green": "green", "blank": "not scored"}


def health_band_changed_entry(
    account: Account,
    *,
    day: dt.date,
    band: str,
    previous_band: str,
    previous_score_id: int,
    previous_computed_at: dt.datetime,
    overall: float | None,
    previous_overall: float | None,
    factors: Sequence[tuple[str, float, str]],
    scorecard: str,
    occurred_at: dt.datetime,
    not_scored_reason: str = "",
) -> TimelineEntry:
    """The account's health moved to another band; `factors` are (kind, delta, words), largest first,
    e.g. ("usage_trend", -14.0, "events 38% below their 28-day baseline").

    Once per move: the dedupe key names the score the band moved from (its row as computed at that
    moment) and the band it moved to, so two overlapping re-scores that both read yellow and turned
    it red write one entry, while every later move on the same day (the row re-computed) is told."""
    if band == "blank" and not_scored_reason:
        head = f"Health not scored yet: {not_scored_reason} (was {_BAND_WORDS.get(previous_band, previous_band)})"
    elif band == "blank":
        head = f"Health could not be scored (was {_BAND_WORDS.get(previous_band, previous_band)})"
    else:
        head = f"Health turned {band} (was {_BAND_WORDS.get(previous_band, previous_band)})"
    because = "; ".join(f"{signed(delta)} {words}" for _, delta, words in factors)
    entry = _entry(
        account,
        EntryKind.HEALTH_BAND_CHANGED,
        head + (f": {because}" if because else ""),
        actor=None,
        via="system",
        occurred_at=occurred_at,
        data={
            "day": day.isoformat(),
            "band": band,
            "previous_band": previous_band,
            "overall": overall,
            "previous_overall": previous_overall,
            "scorecard": scorecard,
            "not_scored_reason": not_scored_reason,
            "factors": [{"kind": kind, "delta": round(delta, 2), "words": words} for kind, delta, words in factors],
        },
    )
    moved_from = f"{previous_score_id}@{previous_computed_at.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}"
    entry.dedupe_key = f"health_band:{account.pk}:{day.isoformat()}:{moved_from}>{band}"
    return entry


def pulse_set_entry(pulse: Pulse, *, actor: Member | None, via: str) -> TimelineEntry:
    """The CSM set their own read of the account (a health.Pulse: red, yellow or green) with why."""
    label = pulse.get_value_display().lower()
    return _entry(
        pulse.account,
        EntryKind.PULSE_SET,
        f"CSM pulse set to {label}" + (f": {pulse.note}" if pulse.note else ""),
        actor=actor,
        via=via,
        data={"value": pulse.value, "note": pulse.note, "set_on": pulse.set_on.isoformat(), "pulse": pulse.pk},
    )


def renewal_opened_entry(renewal: Renewal, *, occurred_at: dt.datetime) -> TimelineEntry:
    """A renewal opportunity was opened for one subscription term (once per term: a dedupe key)."""
    currency = renewal.account.workspace.currency
    entry = _entry(
        renewal.account,
        EntryKind.RENEWAL_OPENED,
        f"Renewal opened for {renewal.subscription.product}: term ends {renewal.term_end:%Y-%m-%d}, "
        f"{format_money(renewal.target_amount, currency)} ARR up for renewal",
        actor=None,
        via="system",
        occurred_at=occurred_at,
        subscription=renewal.subscription,
        data={
            "term_end": renewal.term_end.isoformat(),
            "target_amount": str(renewal.target_amount),
            "currency": currency,
            "owner": renewal.owner_id,
        },
    )
    entry.dedupe_key = f"renewal_opened:{renewal.subscription_id}:{renewal.term_end.isoformat()}"
    return entry


def renewal_closed_entry(renewal: Renewal, *, reasons: Sequence[str], actor: Member | None, via: str) -> TimelineEntry:
    """A renewal closed with its outcome, final ARR against the target, and the reasons given."""
    currency = renewal.account.workspace.currency
    final = renewal.final_amount if renewal.final_amount is not None else renewal.target_amount
    summary = (
        f"Renewal of {renewal.subscription.product} closed: {renewal.get_outcome_display().lower()}, "
        f"{format_money(final, currency)} ARR (target {format_money(renewal.target_amount, currency)})"
    )
    if reasons:
        summary += f" because: {'; '.join(reasons)}"
    return _entry(
        renewal.account,
        EntryKind.RENEWAL_CLOSED,
        summary,
        actor=actor,
        via=via,
        subscription=renewal.subscription,
        data={
            "renewal": renewal.pk,
            "term_end": renewal.term_end.isoformat(),
            "outcome": renewal.outcome,
            "target_amount": str(renewal.target_amount),
            "final_amount": str(final),
            "currency": currency,
            "reasons": list(reasons),
        },
    )


def expansion_opportunity_opened_entry(opportunity: ExpansionOpportunity, *, occurred_at: dt.datetime) -> TimelineEntry:
    """A signal opened an expansion opportunity; the summary carries the signal's explanation."""
    currency = opportunity.account.workspace.currency
    entry = _entry(
        opportunity.account,
        EntryKind.EXPANSION_OPPORTUNITY_OPENED,
        f"{opportunity.get_kind_display()} opportunity opened ({format_money(opportunity.amount, currency)} ARR): "
        f"{opportunity.explanation}",
        actor=None,
        via="system",
        occurred_at=occurred_at,
        data={
            "opportunity": opportunity.pk,
            "signal": opportunity.signal,
            "kind": opportunity.kind,
            "amount": str(opportunity.amount),
            "currency": currency,
            "owner": opportunity.owner_id,
        },
    )
    entry.dedupe_key = f"expansion_opened:{opportunity.pk}"
    return entry


def email_sent_entry(
    account: Account, *, contact: Contact | None, subject: str, message_pk: int, source: str, occurred_at: dt.datetime
) -> TimelineEntry:
    """An automated e-mail left for a contact; written once per outbound message, after the send."""
    entry = _entry(
        account,
        EntryKind.EMAIL_SENT,
        f"E-mail sent to {contact or 'a contact'}: {subject}",
        actor=None,
        via="system",
        occurred_at=occurred_at,
        contact=contact,
        data={"message": message_pk, "subject": subject, "source": source},
    )
    entry.dedupe_key = f"email_sent:{message_pk}"
    return entry


def email_bounced_entry(
    contact: Contact, *, event_type: str, reason: str, occurred_at: dt.datetime, actor: Member | None, via: str
) -> TimelineEntry:
    """Mail to a contact bounced or was reported as spam; a champion's bounce is a playbook trigger."""
    what = "reported our e-mail as spam" if event_type == "complaint" else "e-mail bounced"
    return _entry(
        contact.account,
        EntryKind.EMAIL_BOUNCED,
        f"{contact} ({contact.get_role_display().lower()}): {what}" + (f" — {reason}" if reason else ""),
        actor=actor,
        via=via,
        occurred_at=occurred_at,
        contact=contact,
        data={"contact_id": contact.pk, "role": contact.role, "type": event_type, "reason": reason},
    )


def webhook_received_entry(
    account: Account, *, name: str, payload: Any, occurred_at: dt.datetime, actor: Member | None, dedupe_key: str | None
) -> TimelineEntry:
    """Another system told us something about the account; playbooks can trigger on its name."""
    entry = _entry(
        account,
        EntryKind.WEBHOOK_RECEIVED,
        f"Webhook received: {name}",
        actor=actor,
        via="api",
        occurred_at=occurred_at,
        data={"name": name, "payload": payload},
    )
    entry.dedupe_key = dedupe_key
    return entry


def inbound_question_entry(
    account: Account,
    *,
    kind: str,
    summary: str,
    occurred_at: dt.datetime,
    data: dict[str, Any],
    dedupe_key: str,
) -> TimelineEntry:
    """A customer's question was routed to a desk; `kind` is one of the three inbound kinds."""
    if kind not in (EntryKind.INBOUND_QUESTION, EntryKind.CANCELLATION_INTENT, EntryKind.COMPLAINT_RECEIVED):
        raise ValueError(f"not an inbound question kind: {kind}")
    entry = _entry(account, kind, summary, actor=None, via="routing", occurred_at=occurred_at, data=data)
    entry.dedupe_key = dedupe_key
    return entry


def portal_entry(
    contact: Contact, *, signed_in: bool, summary: str, occurred_at: dt.datetime, data: dict[str, Any]
) -> TimelineEntry:
    """A contact signed in to the customer portal (`signed_in`), or ticked or asked something there."""
    kind = EntryKind.PORTAL_SIGNED_IN if signed_in else EntryKind.PORTAL_ACTION
    return _entry(
        contact.account, kind, summary, actor=None, via="portal", occurred_at=occurred_at, data=data, contact=contact
    )


def task_completed_entry(
    task: Task, *, actor: Member | None, via: str, touchpoint_id: int | None = None
) -> TimelineEntry:
    """A call to action was done; its outcome note is what the account page shows."""
    summary = f"Task done: {task.title}" + (f" — {task.outcome}" if task.outcome else "")
    data: dict[str, Any] = {"task_id": task.pk, "kind": task.kind, "source": task.source, "source_ref": task.source_ref}
    if touchpoint_id is not None:
        data["touchpoint_id"] = touchpoint_id
    return _entry(
        task.account,
        EntryKind.TASK_COMPLETED,
        summary,
        actor=actor,
        via=via,
        occurred_at=task.completed_at,
        data=data,
    )


def stage_changed_entry(
    account: Account, old: str, new: str, *, reason: str, actor: Member | None, via: str, auto: bool = False
) -> TimelineEntry:
    """A lifecycle move, by hand or by an automatic rule: "Stage: onboarding → adoption — why"."""
    return _entry(
        account,
        EntryKind.STAGE_CHANGED,
        f"Stage: {old} → {new}" + (f" — {reason}" if reason else ""),
        actor=actor,
        via=via,
        data={"from": old, "to": new, "reason": reason, "auto": auto},
    )


def milestone_completed_entry(
    progress: MilestoneProgress, *, template_key: str, occurred_at: dt.datetime | None = None, via: str = "system"
) -> TimelineEntry:
    """A journey milestone completed, with what proves it; written once per milestone of a journey."""
    assert progress.completed_on is not None
    late = progress.completed_on > progress.due_on
    evidence = str((progress.evidence or {}).get("summary", ""))
    entry = _entry(
        progress.account,
        EntryKind.MILESTONE_COMPLETED,
        f"Milestone {progress.name} completed{' late' if late else ''}" + (f": {evidence}" if evidence else ""),
        actor=None,
        via=via,
        occurred_at=occurred_at,
        data={
            "key": progress.key,
            "name": progress.name,
            "template": template_key,
            "late": late,
            "completed_on": progress.completed_on.isoformat(),
            "evidence": evidence,
        },
    )
    entry.dedupe_key = f"milestone_completed:{progress.pk}"
    return entry


def barrier_opened_entry(barrier: Barrier, *, actor: Member | None, via: str) -> TimelineEntry:
    """Something stands in a milestone's way: a customer challenge or our own issue, with its owner."""
    owner = barrier.owner.display_name if barrier.owner else str(barrier.owner_contact or "")
    return _entry(
        barrier.account,
        EntryKind.BARRIER_OPENED,
        f"Barrier on {barrier.progress.name}: {barrier.title} ({barrier.get_kind_display().lower()}, {owner})",
        actor=actor,
        via=via,
        contact=barrier.owner_contact,
        data={
            "barrier_id": barrier.pk,
            "milestone": barrier.progress.key,
            "kind": barrier.kind,
            "title": barrier.title,
            "owner": owner,
        },
    )


def playbook_step_ran_entry(
    account: Account,
    *,
    playbook_key: str,
    playbook_name: str,
    enrollment_id: int,
    index: int,
    kind: str,
    summary: str,
    occurred_at: dt.datetime,
) -> TimelineEntry:
    """A playbook step did something for the account: "Playbook Health turned red: task for Carol: …"."""
    entry = _entry(
        account,
        EntryKind.PLAYBOOK_STEP_RAN,
        f"Playbook {playbook_name}: {summary}"[:500],
        actor=None,
        via="system",
        occurred_at=occurred_at,
        data={"playbook": playbook_key, "enrollment": enrollment_id, "step": index, "kind": kind},
    )
    entry.dedupe_key = f"playbook_step:{enrollment_id}:{index}"
    return entry


def ticket_escalated_entry(
    account: Account, *, message_id: str, properties: Mapping[str, Any], occurred_at: dt.datetime
) -> TimelineEntry:
    """The product reported a support ticket escalated (a `Ticket Escalated` event): a playbook trigger."""
    subject = str(properties.get("subject") or properties.get("title") or properties.get("ticket_id") or "").strip()
    entry = _entry(
        account,
        EntryKind.TICKET_ESCALATED,
        "Support ticket escalated" + (f": {subject}" if subject else ""),
        actor=None,
        via="system",
        occurred_at=occurred_at,
        data={"event": message_id, **{k: v for k, v in properties.items() if isinstance(v, str | int | float | bool)}},
    )
    entry.dedupe_key = f"ticket_escalated:{message_id}"[:200]
    return entry
