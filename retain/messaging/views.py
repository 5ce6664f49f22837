"""The public unsubscribe page every automated e-mail links to: no login, works without JavaScript.

A bad link answers 404. Requests are counted per client address and per token; above the limit
the answer is 429 with Retry-After.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from retain.accounts.models import Contact
from retain.lib import ratelimit
from retain.messaging import services
from retain.messaging.tokens import unsubscribe_contact_id

RATE_WINDOW_SECONDS = 60
RATE_PER_ADDRESS = 30
RATE_PER_TOKEN = 10


def _wait(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def rate_limited(
    request: HttpRequest,
    token: str,
    *,
    scope: str,
    per_address: int = RATE_PER_ADDRESS,
    per_token: int = RATE_PER_TOKEN,
    window: int = RATE_WINDOW_SECONDS,
) -> HttpResponse | None:
    """Count a public link page's request per client address and per token (any link under `scope`;
    the password-reset page counts per e-mail address instead); the 429 answer with Retry-After
    when either is over its limit for the window (seconds), else None.

    The address is the client's as trusted proxies report it, and the counts are shared by every
    server process (retain.lib.ratelimit)."""
    address = ratelimit.client_address(request)
    waits = [
        ratelimit.over(f"{scope}:address:{address}", limit=per_address, window=window),
        ratelimit.over(f"{scope}:token:{token[:100]}", limit=per_token, window=window),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is None:
        return None
    response = render(request, "messaging/rate_limited.html", {"vendor": "Retain", "wait": _wait(wait)}, status=429)
    response["Retry-After"] = str(wait)
    return response


def private(response: HttpResponse) -> HttpResponse:
    """A public page that holds a personal link: kept out of shared caches and search engines."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for the one click (link scanners fetch every link in a mail); POST unsubscribes at once."""
    contact_id = unsubscribe_contact_id(token)
    contact = (
        Contact.objects.select_related("account", "workspace").filter(pk=contact_id).first() if contact_id else None
    )
    if contact is None:
        raise Http404("No such unsubscribe link")
    if request.method == "POST":
        services.contact_unsubscribe(contact=contact, via="email")
    context = {
        "vendor": contact.workspace.name,
        "contact": contact,
        "done": contact.email_unsubscribed_at is not None,
    }
    return private(render(request, "messaging/unsubscribe.html", context))


# Mail programs send RFC 8058 one-click POSTs without any cookie, so there is no CSRF token to
# check; a forged POST could only unsubscribe the person whose signed link it already holds.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return rate_limited(request, token, scope="messaging") or unsubscribe_page(request, token)
