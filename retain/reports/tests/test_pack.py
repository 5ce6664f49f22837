"""The pack over a seeded demo workspace: the customer's version leaks nothing internal, the PDF
carries the selectors' figures, and the same quarter built twice gives the same figures."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils.html import escape
from django.utils.text import slugify
from pypdf import PdfReader

from retain.accounts.choices import Stage
from retain.accounts.figures import Filters, Period
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.demo.generator import build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.metrics import engine
from retain.playbooks.models import StepRun
from retain.reports import leadership, pack, periods, render, services
from retain.reports.choices import Audience
from retain.reports.models import BusinessReview
from retain.surveys.measures import survey_measures
from retain.tenancy.models import Member

TODAY = dt.date(2026, 11, 20)
QUARTER = periods.parse("2026Q4")


# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.xdist_group("test_pack"), pytest.mark.engine_neutral]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(seed=5, size=40, today=TODAY, say=print)
        yield ctx
        demo_delete()


def _drafted(account: Account) -> BusinessReview:
    """The account's 2026Q4 review with its pack built as of TODAY (the demo's playbook may have
    planned it already)."""
    review = BusinessReview.objects.filter(account=account, period=QUARTER.name).first()
    if review is None:
        review = services.review_create(account=account, actor=None, period=QUARTER.name)
    return services.review_draft(review=review, actor=None, today=TODAY)


@pytest.mark.django_db
def test_the_demo_s_qbr_playbook_planned_reviews_with_a_draft_pack(demo: DemoContext) -> None:
    runs = StepRun.objects.filter(enrollment__workspace=demo.ws, kind="qbr", status="ok")
    assert runs.exists()
    for run in runs:
        review = BusinessReview.objects.get(pk=run.result["review"])
        assert review.pack["sections"] and review.period == run.result["period"]


@pytest.mark.django_db
def test_the_demo_holds_last_quarter_s_reviews_and_prepares_this_quarter_s(demo: DemoContext) -> None:
    held = BusinessReview.objects.filter(workspace=demo.ws, period="2026Q3", status="followed_up")
    assert held.count() == demo.counts["business_reviews_held"] > 0
    assert all(review.decisions and review.held_touchpoint_id for review in held)
    assert BusinessReview.objects.filter(workspace=demo.ws, period="2026Q4", status="prepared").exists()


def _internal_texts(built: dict[str, Any]) -> list[str]:
    """Every word the internal section would print that a customer must never see."""
    internal = built["internal"]
    texts = list(pack.INTERNAL_SECTION_TITLES)
    if internal["health"]["score"] is not None:
        texts.append(internal["health"]["worked"])
        # A measure the customer's adoption section shows itself (the usage trend) is no secret;
        # the score, its band and the other measures' words are.
        figures = [f for section in built["sections"].values() for f in section.get("figures", [])]
        shown = " ".join(f"{f['shown']} {f['worked']}" for f in figures)
        texts += [
            row["words"] for row in internal["health"]["rows"] if len(row["words"]) > 12 and row["words"] not in shown
        ]
    if internal["churn"]["probability"] is not None:
        texts.append(f"{internal['churn']['shown']} on {internal['churn']['day']}")
    texts += [e["explanation"] for e in internal["expansion"]]
    texts += [r["mitigation"] for r in internal["risks"] if len(r["mitigation"]) > 12]
    texts += [n["text"] for n in internal["notes"] if len(n["text"]) > 12]
    return texts


@pytest.mark.django_db
def test_the_customer_version_of_every_account_shows_nothing_internal(demo: DemoContext) -> None:
    accounts = Account.objects.filter(workspace=demo.ws).exclude(stage=Stage.CHURNED).select_related("workspace")
    checked = 0
    for account in accounts:
        review = _drafted(account)
        customer = render.html_document(review, Audience.CUSTOMER)
        internal = render.html_document(review, Audience.INTERNAL)
        assert "Internal only" in internal and "Internal only" not in customer
        for text in _internal_texts(review.pack):
            assert text not in customer, f"{account.name}: {text!r} leaked into the customer's version"
        assert "internal" not in render.context(review, Audience.CUSTOMER)["pack"]
        checked += 1
    assert checked >= 30


@pytest.mark.django_db
def test_the_same_quarter_built_twice_gives_the_same_figures(demo: DemoContext) -> None:
    account = Account.objects.filter(workspace=demo.ws, tier="strategic").exclude(stage=Stage.CHURNED).first()
    assert account is not None
    first = pack.build(account, QUARTER, today=TODAY)
    second = pack.build(account, QUARTER, today=TODAY)
    assert first == second


@pytest.mark.django_db
def test_the_pdf_carries_the_selectors_figures(demo: DemoContext) -> None:
    account = (
        Account.objects.filter(workspace=demo.ws, tier__in=["strategic", "enterprise"])
        .exclude(stage=Stage.CHURNED)
        .order_by("-mrr")
        .first()
    )
    assert account is not None
    review = _drafted(account)
    started = time.perf_counter()
    render.pdf(review, Audience.INTERNAL)  # the process's first: loads vl-convert's engine and the fonts
    cold = time.perf_counter() - started
    started = time.perf_counter()
    data = render.pdf(review, Audience.CUSTOMER)
    took = time.perf_counter() - started
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    period = Period(QUARTER.start, TODAY, demo.ws.time_zone)
    measures = survey_measures(demo.ws, period, Filters(account=account))
    support = {f["key"]: f for f in review.pack["sections"]["support"]["figures"]}
    assert support["nps"]["value"] == measures.nps.value
    for section in ("adoption", "support", "commitments", "commercials"):
        for figure in review.pack["sections"][section]["figures"]:
            assert f"{figure['label']} {figure['shown']}" in text, (figure, text[:3000])
    assert "Internal only" not in text
    print(f"one pack's PDF ({account.name}, {len(data)} bytes): {took:.2f}s (the process's first: {cold:.2f}s)")
    assert took < 10, f"one pack's PDF took {took:.1f}s"


# The leadership pack over the same demo ----------------------------------------------------------


def _percent_shown(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


@pytest.mark.django_db
def test_the_leadership_pack_agrees_with_the_pages_for_the_same_period(demo: DemoContext, client: Any) -> None:
    # The revenue page takes any period: the pack of the demo's day. The health and renewals pages
    # count up to the clock's today: the pack of the current quarter as of today.
    built = leadership.build(demo.ws, QUARTER, today=TODAY)
    found = leadership.figures(built)
    admin = Member.objects.filter(workspace=demo.ws, role="admin", is_active=True).first()
    assert admin is not None
    client.force_login(admin.user)
    slug = demo.ws.slug
    query = {"period": "custom", "start": built["period"]["start"], "end": built["period"]["end"]}
    revenue = client.get(f"/w/{slug}/revenue/", query)
    assert revenue.status_code == 200
    on_page = {row["key"]: row["figure"] for row in revenue.context["figures"]}
    for key in ("green_share", "nps", "csat", "nrr", "grr", "logo_churn", "revenue_churn", "eligible_churn"):
        assert found[key]["value"] == on_page[key].value, key
        assert found[key]["worked"] == on_page[key].worked, key
    assert on_page["grr"].value is not None and on_page["green_share"].value is not None
    quota = {row.label: row.attainment for row in revenue.context["quota"]}
    assert quota and {row["csm"] for row in built["csms"]["rows"]} == set(quota)
    for row in built["csms"]["rows"]:
        assert row["attainment"]["value"] == quota[row["csm"]].value
    today = workspace_today(demo.ws)
    quarter = periods.quarter_of(today)
    built = leadership.build(demo.ws, quarter, today=today)
    found = leadership.figures(built)
    health = client.get(f"/w/{slug}/health/")
    assert found["qbr_coverage"]["value"] == health.context["qbr_coverage"].overall.value
    on_health = {w.day.isoformat(): (w.counts.get("green", 0), w.scored) for w in health.context["data"].trend}
    shared = [w for w in built["health"]["trend"] if w["week"] in on_health]
    assert shared and all((w["green"], w["scored"]) == on_health[w["week"]] for w in shared)
    assert any(w["scored"] for w in built["health"]["trend"])
    renewals = client.get(f"/w/{slug}/renewals/", {"horizon": 90})
    board = renewals.context["board"]
    assert found["renewals_due"]["value"] == board.count
    assert found["renewals_arr"]["value"] == float(board.target_arr)
    page = client.get(f"/w/{slug}/leadership/", {"period": quarter.name})
    text = page.content.decode()
    for figure in found.values():
        assert f'id="fig-{slugify(figure["key"])}"' in text and str(escape(figure["worked"])) in text


@pytest.mark.django_db
def test_the_leadership_pdf_carries_the_pack_s_figures(demo: DemoContext, tmp_path: Any) -> None:
    out = tmp_path / "leaders.pdf"
    call_command("report", "portfolio", "--workspace", demo.ws.slug, "--period", QUARTER.name, "--out", str(out),
                 stdout=io.StringIO())  # fmt: skip
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    built = leadership.build(demo.ws, QUARTER, today=workspace_today(demo.ws))
    period = Period(QUARTER.start, QUARTER.end if workspace_today(demo.ws) > QUARTER.end else workspace_today(demo.ws))
    metrics = engine.revenue_metrics(demo.ws, Period(period.start, period.end, demo.ws.time_zone))
    assert f"Gross revenue retention {_percent_shown(metrics.grr.value)}" in text
    assert f"Net revenue retention {_percent_shown(metrics.nrr.value)}" in text
    assert f"Eligible churn {_percent_shown(metrics.eligible_churn.value)}" in text
    for figure in leadership.figures(built).values():
        assert f"{figure['label']} {figure['shown']}" in text, (figure, text[:3000])
    for row in built["csms"]["rows"]:
        cells = [row["csm"], row["accounts"], row["arr_start"], row["arr_end"], row["nrr"], row["target"]]
        assert " ".join(map(str, [*cells, row["attainment"]["shown"]])) in text, (row, text)
