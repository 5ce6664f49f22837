"""Surveys: the list with each survey's headline figure, a survey's page, its answers as CSV, the
definition form, and snoozing a contact's surveys.

Thin: the survey comes through retain.access (another workspace's survey is a 404), the figures
from surveys.measures (aggregate queries, so every page takes the same number of queries however
many answers there are). Every member reads, viewers included, and so may export: the export is
the same answers the page shows. Managers and admins define surveys (everyone else gets 403);
whoever may edit an account may snooze its contacts' surveys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.accounts.figures import Filters, Period
from retain.accounts.selectors import workspace_today
from retain.lib.dates import zone
from retain.messaging.choices import DeliveryStatus
from retain.surveys import measures, services
from retain.surveys.choices import SurveyKind
from retain.surveys.measures import TrendPoint
from retain.surveys.models import Survey
from retain.surveys.selectors import workspace_surveys
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_stream
from retain.web.forms import add_service_errors
from retain.web.forms_surveys import PRESETS, PeriodForm, SurveyForm

COMMENTS_PAGE = 20
SNOOZE_DAYS = 90
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 160, 24


def _survey(member: Member, pk: int) -> Survey:
    return access.get_for_member(member, Survey.objects.select_related("workspace"), pk)


def _filters(survey: Survey, form: PeriodForm) -> Filters:
    tier = form.cleaned_data.get("tier") if form.is_valid() else ""
    return Filters(survey=survey, tier=tier or None)


def trend_chart(points: list[TrendPoint], kind: str) -> dict[str, Any]:
    """Coordinates for the trend's SVG: the headline figure as a line (NPS on −100..100, CSAT share
    on 0..100) over bars of how many answered, one slot per month or week."""
    slots = max(len(points), 1)
    step = (CHART_WIDTH - 2 * CHART_PAD) / slots
    low = -100.0 if kind == SurveyKind.NPS else 0.0
    plot_height = CHART_HEIGHT - 2 * CHART_PAD
    peak = max((p.measures.n for p in points), default=0) or 1
    line, bars, dots = [], [], []
    for index, point in enumerate(points):
        x = CHART_PAD + step * (index + 0.5)
        figure = point.measures.nps if kind == SurveyKind.NPS else point.measures.csat
        n = point.measures.nps_n if kind == SurveyKind.NPS else point.measures.csat_n
        height = plot_height * 0.35 * n / peak
        top = CHART_HEIGHT - CHART_PAD - height
        bars.append(
            {"x": round(x - step * 0.3, 1), "y": round(top, 1), "width": round(step * 0.6, 1),
             "height": round(height, 1), "n": n, "start": point.start}
        )  # fmt: skip
        if figure.value is not None:
            y = CHART_PAD + plot_height * (1 - (figure.value - low) / (100 - low))
            line.append(f"{x:.1f},{y:.1f}")
            dots.append({"x": round(x, 1), "y": round(y, 1), "value": figure.value, "n": n, "start": point.start})
    zero = CHART_PAD + plot_height * (1 - (0 - low) / (100 - low))
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "pad": CHART_PAD, "line": " ".join(line), "bars": bars,
        "dots": dots, "zero": round(zero, 1), "right": CHART_WIDTH - CHART_PAD, "top": CHART_PAD,
        "bottom": CHART_HEIGHT - CHART_PAD, "low": int(low),
    }  # fmt: skip


@require_GET
@workspace_view
def survey_list(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    period = Period.last_months(workspace, 12)
    by_survey = {group.key: group.measures for group in measures.measures_by(workspace, period, "survey")}
    empty = measures.measures_from_counts({})
    rows = [(survey, by_survey.get(survey.pk, empty)) for survey in workspace_surveys(workspace)]
    context = {"rows": rows, "period": period, "workspace": workspace, "can_define": member.can_manage}
    return render(request, "web/surveys/list.html", context)


@require_GET
@workspace_view
def survey_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    survey = _survey(member, pk)
    workspace = member.workspace
    form = PeriodForm(request.GET or None, workspace=workspace)
    period = form.period()
    filters = _filters(survey, form)
    overall = measures.survey_measures(workspace, period, filters)
    grain = measures.grain_for(period)
    trend = measures.measures_trend(workspace, period, filters, grain)
    q = request.GET.get("q", "").strip()[:200]
    comments = Paginator(measures.commented_responses(workspace, period, filters, q), COMMENTS_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "survey": survey,
        "workspace": workspace,
        "form": form,
        "period": period,
        "presets": PRESETS,
        "measures": overall,
        "is_nps": survey.kind == SurveyKind.NPS,
        "bars": measures.score_bars(overall.distribution(survey.kind)),
        "grain": grain,
        "trend": trend,
        "chart": trend_chart(trend, survey.kind),
        "by_tier": measures.measures_by(workspace, period, "tier", filters),
        "by_owner": measures.measures_by(workspace, period, "owner", filters),
        "q": q,
        "comments": comments.get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "export_query": request.GET.urlencode(),
        "can_define": member.can_manage,
    }
    return render(request, "web/surveys/detail.html", context)


EXPORT_HEADER = [
    "answered_at", "survey", "kind", "score", "category", "comment", "contact_email", "contact_name",
    "contact_external_id", "account", "account_external_id", "tier", "owner", "source",
]  # fmt: skip


@require_GET
@workspace_view  # type: ignore[arg-type]  # a streamed CSV is a response too
def survey_export(request: HttpRequest, member: Member, pk: int) -> HttpResponseBase:
    survey = _survey(member, pk)
    workspace = member.workspace
    form = PeriodForm(request.GET or None, workspace=workspace)
    period = form.period()
    q = request.GET.get("q", "").strip()[:200]
    answers = measures.period_responses(workspace, period, _filters(survey, form))
    if q:
        answers = measures.commented_responses(workspace, period, _filters(survey, form), q)
    answers = answers.select_related("contact", "account__owner__user")
    tz = zone(workspace.time_zone)

    def rows() -> Iterator[list[Any]]:
        yield EXPORT_HEADER
        for answer in answers.iterator(chunk_size=500):
            contact, account = answer.contact, answer.account
            yield [
                answer.answered_at.astimezone(tz).isoformat(),
                survey.name,
                survey.kind,
                answer.score,
                answer.category,
                answer.comment,
                contact.email,
                contact.full_name,
                contact.external_id,
                account.name,
                account.external_id,
                account.tier,
                account.owner.display_name if account.owner else "",
                answer.source,
            ]

    filename = f"{workspace.slug}-survey-{survey.pk}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return csv_stream(rows(), filename)


# Definitions -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
def survey_create(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_manager(member)
    form = SurveyForm(request.POST or None, workspace=member.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(workspace=member.workspace, actor=member, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{survey.name} created.")
            return redirect("survey", member.workspace.slug, survey.pk)
    return render(request, "web/surveys/form.html", {"form": form, "survey": None, "workspace": member.workspace})


@require_http_methods(["GET", "POST"])
@workspace_view
def survey_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    survey = _survey(member, pk)
    access.require_manager(member)
    form = SurveyForm(request.POST or None, workspace=member.workspace, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(survey=survey, **form.service_fields())
        except ValidationError as error:
            survey.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"{survey.name} saved.")
            return redirect("survey", member.workspace.slug, survey.pk)
    return render(request, "web/surveys/form.html", {"form": form, "survey": survey, "workspace": member.workspace})


@require_POST
@workspace_view
def survey_test_send(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """E-mail the member the invitation as a contact would get it, through the outbox."""
    survey = _survey(member, pk)
    access.require_manager(member)
    message = services.survey_test_send(survey=survey, actor=member)
    if message.status == DeliveryStatus.SUPPRESSED:
        messages.error(request, f"The test was not sent: {message.status_reason}.")
    else:
        messages.success(
            request, f"A test of the invitation is on its way to {message.to}; the Messages page shows when it is sent."
        )
    return redirect("survey", member.workspace.slug, survey.pk)


@require_POST
@workspace_view
def contact_surveys_snooze(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Snooze a contact's surveys for SNOOZE_DAYS (`until` = today + 90), or lift the snooze (`lift`)."""
    contact = access.get_rw_contact_for_user(member, pk)
    if request.POST.get("lift"):
        services.contact_surveys_snooze(contact=contact, until=None)
        messages.success(request, f"Surveys to {contact} are no longer snoozed.")
    else:
        until = workspace_today(member.workspace) + dt.timedelta(days=SNOOZE_DAYS)
        services.contact_surveys_snooze(contact=contact, until=until)
        messages.success(request, f"No surveys to {contact} until {until.isoformat()}.")
    return redirect(reverse("account", args=[member.workspace.slug, contact.account_id]) + "#contacts")
