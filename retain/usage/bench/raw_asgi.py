"""The ASGI reference for `retain bench ingest`: `raw_app.store_batch` behind Starlette and uvicorn.

One uvicorn worker on the core Retain's gunicorn worker gets. The insert runs on the event loop
itself: handing it to a thread pool would only add a hop, and one worker writes one batch at a
time either way (SQLite has one write lock). This is the fastest plain Python path to the same
rows, the figure Retain's sync WSGI stack is compared with in `ratio_asgi`.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from retain.usage.bench.raw_app import store_batch


async def batch(request: Request) -> Response:
    return Response(store_batch(await request.body()), media_type="application/json")


app = Starlette(routes=[Route("/v1/batch", batch, methods=["POST"])])
