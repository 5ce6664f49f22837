"""The demo's inbound step: a quarter of questions across channels, routed by the real router, some
corrected by the account owners, feature requests grouped."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from retain.accounts.models import TimelineEntry
from retain.demo.generator import STEPS, build_demo
from retain.messaging.models import OutboundMessage
from retain.routing.choices import DecidedBy, Desk, Source
from retain.routing.models import Correction, InboundMessage
from retain.routing.selectors import product_feedback
from retain.tasks.models import Task

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def test_demo_inbound_step() -> None:
    steps = [step for step in STEPS if step.name in ("team", "accounts and subscriptions", "inbound questions")]
    started = time.perf_counter()
    ctx = build_demo(seed=3, size=80, today=TODAY, steps=steps)
    assert time.perf_counter() - started < 120
    questions = InboundMessage.objects.filter(workspace=ctx.ws)
    assert questions.count() == ctx.counts["inbound_questions"] == 40
    assert {Source.EMAIL, Source.ZENDESK, Source.INTERCOM} <= set(questions.values_list("source", flat=True))
    assert questions.filter(decided_by=DecidedBy.MODEL).exists()
    assert questions.filter(first_desk=Desk.CSM).exists() and questions.filter(first_desk=Desk.SUPPORT).exists()
    assert questions.filter(received_at__date__lt=TODAY - dt.timedelta(days=30)).exists()
    assert Correction.objects.filter(workspace=ctx.ws).count() < questions.count() / 2
    assert product_feedback(ctx.ws)
    # Routing's acts ran on every question where it ended up: a task per CSM-desk question with a
    # known account (done when answered), a forward per support-desk question, on the timeline.
    csm = questions.filter(desk=Desk.CSM, account__isnull=False)
    assert csm.exists() and not csm.filter(task__isnull=True).exists()
    assert Task.objects.filter(source_ref__startswith="inbound:", workspace=ctx.ws).count() == csm.count()
    assert Task.objects.filter(source_ref__startswith="inbound:", status="done").exists()
    support = questions.filter(desk=Desk.SUPPORT)
    assert support.exists() and not support.filter(forwarded__isnull=True).exists()
    forwards = OutboundMessage.objects.filter(workspace=ctx.ws, source__startswith="routing:forward:")
    assert forwards.count() == support.count() == ctx.counts["inbound_forwards"]
    assert set(forwards.values_list("to", flat=True)) == {"support@brightwave.example"}
    earlier = support.filter(received_at__date__lt=TODAY - dt.timedelta(days=1))
    assert earlier.exists()
    for message in earlier:
        assert message.forwarded is not None and message.forwarded.status == "sent"
        assert TimelineEntry.objects.filter(dedupe_key=f"routing:{message.pk}:forwarded:email").exists() == bool(
            message.account_id
        )
    # Dated when the question came in, not the build's day.
    assert Task.objects.filter(source_ref__startswith="inbound:", due_on__lt=TODAY - dt.timedelta(days=7)).exists()
