"""The API reference: Swagger UI over the OpenAPI schema at /api/v1/schema/.

Public like the schema it draws: it describes the API, not any workspace's data. Swagger UI comes
from the npm registry at set-up (`make assets`) and is started from web/api-reference.js, so the
page runs under the same Content-Security-Policy as every other (no inline script, no CDN).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def api_reference(request: HttpRequest) -> HttpResponse:
    return render(request, "web/api_reference.html")
