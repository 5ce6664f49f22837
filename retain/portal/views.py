"""The customer portal's pages, at /portal/.

A contact signs in with a one-time link e-mailed to them; the browser then holds the portal's own
cookie (PORTAL_COOKIE, path /portal/), whose key names a PortalSession. A member's Django session
means nothing here, and the portal cookie means nothing to the app. Every page and action takes the
account from the session, never from the request: another account's ids are 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain.lib import ratelimit
from retain.messaging.views import rate_limited
from retain.portal import selectors, services
from retain.portal.models import PortalSession
from retain.reports import render as review_render
from retain.reports.choices import Audience

PORTAL_COOKIE = "retain_portal"
RATE_PER_ADDRESS = 30  # sign-in link pages a minute from one client address
RATE_PER_TOKEN = 10  # requests a minute for one sign-in link

PortalView = Callable[..., HttpResponse]


def _set_cookie(response: HttpResponse, raw_key: str) -> None:
    response.set_cookie(
        PORTAL_COOKIE,
        raw_key,
        max_age=services.SESSION_HOURS * 3600,
        path="/portal/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def portal_view(view: PortalView) -> Callable[..., HttpResponse]:
    """Signed in to the portal, else to the sign-in page; the view gets (request, session)."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        session = selectors.session_resolve(request.COOKIES.get(PORTAL_COOKIE, ""))
        if session is None:
            gone: HttpResponse = redirect("portal-sign-in")
            gone.delete_cookie(PORTAL_COOKIE, path="/portal/")
            return gone
        request.portal = session  # type: ignore[attr-defined]  # the session rides on the request for the templates
        response = view(request, session, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _page(request: HttpRequest, session: PortalSession, template: str, tab: str, **context: Any) -> HttpResponse:
    status = context.pop("status", 200)
    account = session.contact.account
    base = {"account": account, "vendor": account.workspace.name, "contact": session.contact, "tab": tab}
    return render(request, f"portal/{template}", {**base, **context}, status=status)


# Signing in ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link by e-mail address; the answer never says whether the address is known."""
    if request.method == "GET":
        return render(request, "portal/sign_in.html", {})
    email = request.POST.get("email", "").strip()
    if not email or "@" not in email or len(email) > 254:
        return render(
            request, "portal/sign_in.html", {"email": email, "error": "Enter your e-mail address."}, status=400
        )
    try:
        services.sign_in_request(email=email, address=ratelimit.client_address(request))
    except services.RateLimited as limited:
        minutes = max(1, round(limited.retry_after / 60))
        response = render(
            request,
            "portal/sign_in.html",
            {"email": email, "error": f"Too many sign-in e-mails asked for. Try again in {minutes} minutes."},
            status=429,
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    return render(request, "portal/sign_in.html", {"sent_to": email, "minutes": services.SIGN_IN_MINUTES})


@require_http_methods(["GET", "POST"])
@never_cache
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link. GET asks to press a button (mail scanners that open links must not use it
    up); the POST signs in, once."""
    if limited := rate_limited(request, token, scope="portal", per_address=RATE_PER_ADDRESS, per_token=RATE_PER_TOKEN):
        return limited
    if request.method == "GET":
        valid = selectors.sign_in_link_valid(token)
        response = render(request, "portal/sign_in_link.html", {"valid": valid}, status=200 if valid else 404)
    else:
        signed_in = services.sign_in_redeem(raw=token)
        if signed_in is None:
            response = render(request, "portal/sign_in_link.html", {"valid": False}, status=404)
        else:
            response = HttpResponseRedirect(reverse("portal-home"))
            _set_cookie(response, signed_in.raw_key)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = (
        "same-origin"  # the token never leaves in a Referer; "no-referrer" would make the POST's Origin null (CSRF)
    )
    return response


@require_POST
@portal_view
def sign_out(request: HttpRequest, session: PortalSession) -> HttpResponse:
    services.sign_out(session=session)
    response = redirect("portal-sign-in")
    response.delete_cookie(PORTAL_COOKIE, path="/portal/")
    return response


# Pages ---------------------------------------------------------------------------------------------


@require_GET
@portal_view
def home(request: HttpRequest, session: PortalSession) -> HttpResponse:
    """The success plan: vision, goals, key success metrics with their progress."""
    return _page(request, session, "plan.html", "plan", view=selectors.plan_page(session.contact.account))


@require_GET
@portal_view
def commitments(request: HttpRequest, session: PortalSession) -> HttpResponse:
    """The onboarding plan and joint accountabilities; the customer ticks their own side."""
    return _page(
        request, session, "commitments.html", "commitments", page=selectors.commitments_page(session.contact.account)
    )


@require_GET
@portal_view
def path(request: HttpRequest, session: PortalSession) -> HttpResponse:
    return _page(request, session, "path.html", "path", page=selectors.path_page(session.contact.account))


@require_GET
@portal_view
def reviews(request: HttpRequest, session: PortalSession) -> HttpResponse:
    return _page(request, session, "reviews.html", "reviews", reviews=selectors.past_reviews(session.contact.account))


@require_GET
@portal_view
def review(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponse:
    """A past review's customer version (reports.pack.customer_pack, as its shared link shows it)."""
    found = selectors.past_review(session.contact.account, pk)
    if found is None:
        raise Http404("No such review")
    return HttpResponse(review_render.html_document(found, Audience.CUSTOMER, browser=True))


@require_GET
@portal_view
def resources(request: HttpRequest, session: PortalSession) -> HttpResponse:
    account = session.contact.account
    return _page(request, session, "resources.html", "resources", resources=selectors.resources_for(account))


@require_http_methods(["GET", "POST"])
@portal_view
def ask(request: HttpRequest, session: PortalSession) -> HttpResponse:
    """A question for the vendor's team: it enters inbound routing as a portal message."""
    if request.method == "GET":
        return _page(request, session, "ask.html", "ask", asked=request.GET.get("asked") == "1")
    text = request.POST.get("text", "")
    try:
        services.question_ask(contact=session.contact, text=text)
    except ValidationError as exc:
        errors = {key: value[0] for key, value in exc.message_dict.items()}
        return _page(request, session, "ask.html", "ask", text=text, errors=errors, status=400)
    return redirect(reverse("portal-ask") + "?asked=1")


def _posted_flag(request: HttpRequest, name: str) -> bool:
    value = request.POST.get(name, "")
    if value not in ("0", "1"):
        raise ValidationError({name: "must be 0 or 1"})
    return value == "1"


def _bad_request(request: HttpRequest, session: PortalSession, exc: ValidationError) -> HttpResponse:
    errors = {key: value[0] for key, value in exc.message_dict.items()}
    page = selectors.commitments_page(session.contact.account)
    return _page(request, session, "commitments.html", "commitments", page=page, errors=errors, status=400)


@require_POST
@portal_view
def commitment_tick(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponse:
    commitment = selectors.customer_commitment(session.contact.account, pk)
    if commitment is None:
        raise Http404("No such commitment")
    try:
        services.commitment_tick(contact=session.contact, commitment=commitment, done=_posted_flag(request, "done"))
    except ValidationError as exc:
        return _bad_request(request, session, exc)
    return redirect(reverse("portal-commitments") + f"#commitment-{commitment.pk}")


@require_POST
@portal_view
def milestone_tick(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponse:
    progress = selectors.customer_milestone(session.contact.account, pk)
    if progress is None:
        raise Http404("No such milestone")
    try:
        ticked = _posted_flag(request, "ticked")
        services.checklist_tick(
            contact=session.contact, progress=progress, item=request.POST.get("item", ""), ticked=ticked
        )
    except ValidationError as exc:
        return _bad_request(request, session, exc)
    return redirect(reverse("portal-commitments") + f"#milestone-{progress.pk}")
