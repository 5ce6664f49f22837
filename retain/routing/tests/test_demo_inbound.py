"""The demo's inbound step: a quarter of questions across channels, routed by the real router, some
corrected by the account owners, feature requests grouped."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from retain.demo.generator import STEPS, build_demo
from retain.routing.choices import DecidedBy, Desk, Source
from retain.routing.models import Correction, InboundMessage
from retain.routing.selectors import product_feedback

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
