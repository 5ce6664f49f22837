"""REST API token authentication: `Authorization: Token rtn_…` (or `Bearer`) acting as one member."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from retain.tenancy.models import ApiToken, hash_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Token <key>'")
        token = (
            ApiToken.objects.select_related("member__workspace", "member__user")
            .filter(key_hash=hash_token(header[1]), revoked_at__isnull=True, member__is_active=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token")
        # Touch at most once a minute: a busy integration should not write on every request.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.member.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"
