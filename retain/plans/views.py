"""The customer's read-only view of a success plan, reached through a shared link without a login.

A bad, expired or revoked token is a 404, the same page as a link that never existed. The page
shows the one account's plan and nothing else: no links into the workspace, no ids. Requests are
counted per client address and per link like every public link page's (429 with Retry-After).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from retain.messaging.views import rate_limited
from retain.plans import onboarding, selectors
from retain.plans.choices import LinkPurpose
from retain.plans.services import onboarding_milestones

RATE_PER_ADDRESS = 30  # requests a minute from one client address, any link
RATE_PER_TOKEN = 60  # requests a minute for one link (a customer's whole team may open it)


@require_GET
@never_cache
def shared_plan(request: HttpRequest, token: str) -> HttpResponse:
    if limited := rate_limited(request, token, scope="plans", per_address=RATE_PER_ADDRESS, per_token=RATE_PER_TOKEN):
        return limited
    link = selectors.shared_link_resolve(token)
    if link is None:
        raise Http404("No such link")
    plan = selectors.plan_for_account(link.account)
    view = selectors.plan_view(plan) if plan is not None else None
    context: dict[str, object] = {
        "link": link,
        "account_name": link.account.name,
        "vendor_name": link.workspace.name,
        "view": view,
    }
    if link.purpose == LinkPurpose.ONBOARDING_PLAN and view is not None:
        # The 30/60/90-day page: day 1 is when the journey started (else when they became a
        # customer, else when the plan started); each period lists the milestones due in it.
        journey_start, milestones = onboarding_milestones(link.account)
        starts_on = journey_start or link.account.customer_since or plan.created_at.date()  # type: ignore[union-attr]  # a shared link always belongs to an account
        periods, context["later"] = selectors.first_ninety_days(view, starts_on)
        due = onboarding.milestones_by_period(starts_on, milestones)
        context["periods"] = [{"period": p, "milestones": m} for p, m in zip(periods, due, strict=True)]
    response = render(request, "plans/shared.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
