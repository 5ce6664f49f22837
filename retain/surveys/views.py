"""The public survey pages: reached from an e-mail, without a login, working without JavaScript.

A bad, expired or revoked link answers 404, exactly like one that never existed. Every request is
counted per client address and per token; above the limit the answer is 429 with Retry-After.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from retain.lib.columns import parse_whole
from retain.messaging.tokens import unsubscribe_token
from retain.messaging.views import private, rate_limited, unsubscribe_page
from retain.surveys import selectors, services
from retain.surveys.choices import ResponseSource, SurveyKind

RATE_PER_ADDRESS = 30  # requests per window from one client address, any token
RATE_PER_TOKEN = 10  # requests per window for one link, from anywhere


def _rate_limited(request: HttpRequest, token: str) -> HttpResponse | None:
    return rate_limited(request, token, scope="surveys", per_address=RATE_PER_ADDRESS, per_token=RATE_PER_TOKEN)


def _score(value: str | None, low: int, high: int) -> int | None:
    return parse_whole(value, low=low, high=high)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    if limited := _rate_limited(request, token):
        return limited
    invitation = selectors.invitation_for_token(token, now=timezone.now())
    if invitation is None:
        raise Http404("No such survey link")
    survey, contact = invitation.survey, invitation.contact
    low, high = survey.scale
    response = selectors.invitation_response(invitation)
    error = ""
    comment = response.comment if response else ""
    selected = response.score if response else _score(request.GET.get("score"), low, high)
    if request.method == "POST":
        selected = _score(request.POST.get("score"), low, high)
        comment = request.POST.get("comment", "") if survey.ask_why else ""
        if selected is None:
            error = f"Choose a score from {low} to {high}."
        else:
            try:
                services.response_record(
                    survey=survey,
                    contact=contact,
                    score=selected,
                    comment=comment,
                    source=ResponseSource.EMAIL,
                    invitation=invitation,
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                # Post/redirect/get: a reload does not send the answer again.
                return private(HttpResponseRedirect(request.path))
    context = {
        "vendor": survey.workspace.name,
        "survey": survey,
        "contact": contact,
        "invitation": invitation,
        "response": response,
        "scores": list(range(low, high + 1)),
        "selected": selected,
        "comment": comment,
        "error": error,
        "low_label": "Not at all likely" if survey.kind == SurveyKind.NPS else "Very dissatisfied",
        "high_label": "Extremely likely" if survey.kind == SurveyKind.NPS else "Very satisfied",
        "unsubscribe_path": reverse("survey-unsubscribe", args=[unsubscribe_token(contact.pk)]),
    }
    return private(render(request, "surveys/answer.html", context, status=400 if error else 200))


# Mail programs send RFC 8058 one-click POSTs without any cookie: no CSRF token to check.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The survey e-mails' unsubscribe link: the same page as every other e-mail's (retain.messaging)."""
    if limited := _rate_limited(request, token):
        return limited
    return unsubscribe_page(request, token)
