"""Every page carries the security headers, and no template holds script the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from retain.accounts.models import Contact
from retain.messaging.tokens import unsubscribe_token

ROOT = Path(__file__).resolve().parents[2]


def directives(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]  # the test client's response is typed without item access
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "unsubscribe"])
def test_pages_forbid_inline_script_eval_framing_and_sniffing(path: str, jane: Contact) -> None:
    if path == "unsubscribe":
        path = f"/m/u/{unsubscribe_token(jane.pk)}/"
    response = Client().get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'" and policy["object-src"] == "object-src 'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Not no-referrer: that makes browsers post the page's form with "Origin: null" (a CSRF refusal).
    assert response["Referrer-Policy"] == "same-origin"


def test_a_request_through_a_tls_proxy_is_https_with_hsts(settings: object, db: None) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    settings.SECURE_HSTS_SECONDS = 31_536_000  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    # Links built from the request are https too.
    assert secure.wsgi_request.build_absolute_uri("/s/x/").startswith("https://testserver")


def test_no_template_holds_inline_script_or_event_handler_attributes() -> None:
    offenders = []
    for template in sorted(ROOT.glob("retain/*/templates/**/*.html")):
        if "/email/" in str(template):
            continue  # e-mail bodies are not served as pages, and mail programs run no script
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and 'type="application/json"' not in match.group(0):
                offenders.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=", text):
            offenders.append(f"{template.relative_to(ROOT)}: {match.group(0).strip()}")
    assert offenders == []
