"""Health: the CSM pulse, the portfolio dashboard and the scorecards (the account page's health
card is built in account_health.py).

Thin: accounts and segments come through retain.access, scores through health.selectors and
health.portfolio (a fixed number of queries however many accounts), writes through health.services.
The charts are server-side SVG: the view works out the coordinates, the templates draw them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.accounts.models import Account, Segment
from retain.accounts.segments import NO_OWNER, apply_criteria
from retain.accounts.segments import describe as describe_criteria
from retain.accounts.selectors import segment_accounts, workspace_today
from retain.health import portfolio, selectors, services
from retain.health.choices import Band, ScorecardStatus
from retain.health.models import Pulse, Scorecard
from retain.health.preview import PreviewResult, preview_scorecard
from retain.reports.selectors import qbr_coverage
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors, owner_candidates
from retain.web.forms_health import PortfolioFilterForm, PulseForm, ScorecardForm
from retain.web.views.accounts import in_workspace_time


@require_POST
@workspace_view
@in_workspace_time
def account_pulse(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_rw_account_for_user(member, pk)
    form = PulseForm(request.POST)
    target = reverse("account", args=[member.workspace.slug, account.pk]) + "#health"
    if form.is_valid():
        try:
            pulse: Pulse = services.pulse_set(
                account=account, actor=member, value=form.cleaned_data["value"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Pulse set to {pulse.get_value_display().lower()}.")
            return redirect(target)
    problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
    messages.error(request, f"Pulse not set. {problems}")
    return redirect(target)


# The portfolio dashboard -------------------------------------------------------------------------


QUAD_W, QUAD_H, QUAD_L, QUAD_R, QUAD_T, QUAD_B = 640, 400, 40, 12, 12, 34


def quadrant_chart(data: portfolio.Portfolio, account_url: Callable[[int], str]) -> dict[str, Any]:
    """Each scored account as a dot: x active days (0-28), y overall (0-100), with the split lines."""
    plot_w, plot_h = QUAD_W - QUAD_L - QUAD_R, QUAD_H - QUAD_T - QUAD_B

    def x_of(days: float) -> float:
        return round(QUAD_L + plot_w * days / portfolio.ACTIVITY_DAYS, 1)

    def y_of(overall: float) -> float:
        return round(QUAD_T + plot_h * (1 - overall / 100.0), 1)

    dots = []
    for account in data.accounts:
        if account.overall is None:
            continue
        # Many accounts share a whole number of active days: a small fixed offset per account keeps
        # them from hiding behind one another, and the same account always sits in the same place.
        jitter = ((account.id * 37) % 11 - 5) / 16
        days = min(max(account.active_days + jitter, 0.0), float(portfolio.ACTIVITY_DAYS))
        dots.append({"x": x_of(days), "y": y_of(account.overall), "account": account, "url": account_url(account.id)})
    counts = data.quadrant_counts
    mid_x, mid_y = x_of(portfolio.ACTIVITY_SPLIT), y_of(portfolio.HEALTH_SPLIT)
    corners = {
        "healthy_quiet": (QUAD_L + 8, QUAD_T + 16, "start"),
        "healthy_active": (QUAD_W - QUAD_R - 8, QUAD_T + 16, "end"),
        "unhealthy_inactive": (QUAD_L + 8, QUAD_H - QUAD_B - 8, "start"),
        "unhealthy_active": (QUAD_W - QUAD_R - 8, QUAD_H - QUAD_B - 8, "end"),
    }
    labels = [
        {"x": x, "y": y, "anchor": anchor, "quadrant": q, "count": counts[q.key]}
        for q in portfolio.QUADRANTS
        for x, y, anchor in [corners[q.key]]
    ]
    x_ticks = [{"x": x_of(d), "label": d} for d in (0, 7, 14, 21, 28)]
    y_ticks = [{"y": y_of(v), "label": v} for v in (0, 25, 50, 75, 100)]
    return {
        "width": QUAD_W, "height": QUAD_H, "left": QUAD_L, "right": QUAD_W - QUAD_R, "top": QUAD_T,
        "bottom": QUAD_H - QUAD_B, "mid_x": mid_x, "mid_y": mid_y, "dots": dots, "labels": labels,
        "x_ticks": x_ticks, "y_ticks": y_ticks,
    }  # fmt: skip


TREND_W, TREND_H, TREND_L, TREND_B, TREND_T = 640, 170, 34, 22, 8


def trend_chart(weeks: Sequence[portfolio.TrendWeek]) -> dict[str, Any]:
    """Stacked bars: each week's share of scored accounts in red, yellow and green (sums to 100%)."""
    slot = (TREND_W - TREND_L - 8) / max(len(weeks), 1)
    plot_h = TREND_H - TREND_T - TREND_B
    bars = []
    for index, week in enumerate(weeks):
        x = round(TREND_L + slot * index + slot * 0.15, 1)
        width = round(slot * 0.7, 1)
        top = float(TREND_T)
        parts = []
        for band in (Band.GREEN, Band.YELLOW, Band.RED):
            share = week.share(band)
            if not share:
                continue
            height = plot_h * share
            parts.append({"band": band, "y": round(top, 1), "height": round(height, 1), "share": share,
                          "count": week.counts.get(band, 0)})  # fmt: skip
            top += height
        bars.append({"x": x, "width": width, "label_x": round(x + width / 2, 1), "week": week, "parts": parts})
    ticks = [{"y": round(TREND_T + plot_h * (1 - v / 100), 1), "label": f"{v}%"} for v in (0, 50, 100)]
    return {"width": TREND_W, "height": TREND_H, "left": TREND_L, "bottom": TREND_H - TREND_B, "bars": bars,
            "ticks": ticks}  # fmt: skip


def distribution_bars(data: portfolio.Portfolio) -> list[dict[str, Any]]:
    counts = data.counts
    total = max(len(data.accounts), 1)
    peak = max(counts.values(), default=0) or 1
    return [
        {"band": band, "label": band.label, "count": counts[band], "share": counts[band] / total,
         "width": round(100 * counts[band] / peak, 1)}
        for band in (Band.GREEN, Band.YELLOW, Band.RED, Band.BLANK)
    ]  # fmt: skip


@require_GET
@workspace_view
@in_workspace_time
def health_dashboard(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    today = workspace_today(workspace)
    members = list(owner_candidates(workspace))
    segments = list(Segment.objects.filter(workspace=workspace).order_by("name"))
    form = PortfolioFilterForm(request.GET or None, members=members, segments=segments)
    criteria: dict[str, Any] = {}
    if form.value("owner"):
        owner = form.value("owner")
        criteria["owner"] = [owner if owner == NO_OWNER else int(owner)]
    if form.value("tier"):
        criteria["tier"] = [form.value("tier")]
    accounts = apply_criteria(Account.objects.filter(workspace=workspace), criteria, today)
    segment = form.segment_obj
    if segment is not None:
        accounts = accounts.filter(pk__in=segment_accounts(segment, today=today).values("pk"))
    if form.is_bound and not form.is_valid():
        # Figures for the whole portfolio under filters that were refused would look like an answer.
        accounts = accounts.none()
    data = portfolio.portfolio(accounts, workspace_id=workspace.pk, day=today)
    slug = workspace.slug
    coverage = qbr_coverage(workspace, today=today, accounts=accounts)
    context = {
        "workspace": workspace,
        "form": form,
        "today": today,
        "qbr_coverage": coverage,
        "qbr_overall": {
            "key": "coverage",
            "label": "QBR coverage",
            "display": "—" if coverage.overall.value is None else f"{coverage.overall.value:.0f}%",
            "figure": coverage.overall,
            "inputs": list(coverage.overall.inputs.items()),
        },
        "data": data,
        "counts": data.counts,
        "green": data.counts[Band.GREEN],
        "distribution": distribution_bars(data),
        "trend": trend_chart(data.trend),
        "quadrant": quadrant_chart(data, lambda pk: reverse("account", args=[slug, pk])),
        "quadrant_rows": [
            {"key": q.key, "name": q.name, "advice": q.advice, "count": data.quadrant_counts[q.key]}
            for q in portfolio.QUADRANTS
        ],
        "activity_days": portfolio.ACTIVITY_DAYS,
        "activity_split": portfolio.ACTIVITY_SPLIT,
        "health_split": int(portfolio.HEALTH_SPLIT),
        "fresh_days": portfolio.FRESH_DAYS,
        "red_accounts": sorted((a for a in data.accounts if a.band == Band.RED), key=lambda a: a.overall or 0.0)[:25],
        "filtered": bool(criteria or segment),
    }
    return render(request, "web/health/dashboard.html", context)


# Scorecards --------------------------------------------------------------------------------------


def _scorecard(member: Member, pk: object) -> Scorecard:
    return access.get_for_member(member, Scorecard.objects.select_related("created_by__user"), pk)


@require_GET
@workspace_view
@in_workspace_time
def scorecard_list(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    published = [(card, describe_criteria(card.applies_to)) for card in selectors.scorecards_published(workspace)]
    context = {"workspace": workspace, "scorecards": published, "can_publish": member.can_manage}
    return render(request, "web/health/scorecards.html", context)


@require_GET
@workspace_view
@in_workspace_time
def scorecard_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    scorecard = _scorecard(member, pk)
    versions = Scorecard.objects.filter(workspace=member.workspace, name=scorecard.name).order_by("-version")
    context = {
        "workspace": member.workspace,
        "scorecard": scorecard,
        "versions": versions,
        "can_publish": member.can_manage,
        "is_published": scorecard.status == ScorecardStatus.PUBLISHED,
    }
    return render(request, "web/health/scorecard.html", context)


def _problems(error: ValidationError) -> list[str]:
    """A service's ValidationError as lines; the scorecard services put "file:line: path: message" in them."""
    if hasattr(error, "error_dict"):
        return [message for field_messages in error.message_dict.values() for message in field_messages]
    return list(error.messages)


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def scorecard_edit(request: HttpRequest, member: Member) -> HttpResponse:
    """Edit a scorecard as YAML. "Preview" validates the draft and counts the accounts that would
    change band under it (nothing is written); "Publish" makes it the next version."""
    workspace = member.workspace
    if request.method == "POST":
        access.require_manager(member)
    source = _scorecard(member, request.GET["from"]) if request.GET.get("from") else None
    form = ScorecardForm(request.POST or None, initial={"definition": source.definition} if source else {})
    issues: list[str] = []
    result: PreviewResult | None = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["definition"]
        try:
            if request.POST.get("action") == "publish":
                scorecard = services.scorecard_publish(workspace=workspace, actor=member, text=text)
                messages.success(request, f"{scorecard.name} version {scorecard.version} is published.")
                return redirect(reverse("scorecard", args=[workspace.slug, scorecard.pk]))
            result = preview_scorecard(workspace=workspace, text=text)
        except ValidationError as error:
            issues = _problems(error)
    context = {
        "workspace": workspace,
        "form": form,
        "source": source,
        "issues": issues,
        "preview": result,
        "transitions": sorted(
            ((before, after, n) for (before, after), n in result.transitions.items() if before != after),
            key=lambda row: -row[2],
        )
        if result
        else [],
        "can_publish": member.can_manage,
    }
    status = 400 if request.method == "POST" and issues else 200
    return render(request, "web/health/scorecard_edit.html", context, status=status)
