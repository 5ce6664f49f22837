"""The top bar's search: accounts and contacts of the member's workspace as you type, or as a page.

The same GET answers both: htmx asks for the results fragment under the search box, a browser
without JavaScript submits the form and gets the whole page. Finding is retain.accounts.selectors.search.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.accounts import selectors
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view

QUERY_MAX = 200


@require_GET
@workspace_view
def search(request: HttpRequest, member: Member) -> HttpResponse:
    query = request.GET.get("q", "")[:QUERY_MAX]
    results = selectors.search(member.workspace, query)
    context = {"results": results, "query": query.strip()}
    if request.headers.get("HX-Request") == "true":
        # A cleared box (Escape, or the text deleted) closes the results under it.
        if not results.query:
            return HttpResponse("")
        return render(request, "web/search/_results.html", context)
    return render(request, "web/search/page.html", context)
