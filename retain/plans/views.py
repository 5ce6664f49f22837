"""The customer's read-only view of a success plan, reached through a shared link without a login.

A bad, expired or revoked token is a 404, the same page as a link that never existed. The page
shows the one account's plan and nothing else: no links into the workspace, no ids.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from retain.plans import selectors


@require_GET
@never_cache
def shared_plan(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.shared_link_resolve(token)
    if link is None:
        raise Http404("No such link")
    plan = selectors.plan_for_account(link.account)
    context = {
        "link": link,
        "account_name": link.account.name,
        "vendor_name": link.workspace.name,
        "view": selectors.plan_view(plan) if plan is not None else None,
    }
    response = render(request, "plans/shared.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
