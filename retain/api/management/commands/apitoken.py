from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.tenancy.models import ApiToken, Member
from retain.tenancy.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke REST API tokens; a token acts as one member of one workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--email", default="", help="the member the token acts as (create, list)")
        parser.add_argument("--name", default="", help="a label for a new token")
        parser.add_argument("--prefix", default="", help="the token to revoke, by the prefix `apitoken list` shows")

    def handle(
        self, *args: object, action: str, workspace: str, email: str, name: str, prefix: str, **options: object
    ) -> None:
        tokens = ApiToken.objects.filter(member__workspace__slug=workspace).select_related("member__user")
        if action == "create":
            member = self._member(workspace, email)
            token, raw = api_token_create(member=member, name=name)
            self.stdout.write(
                f"Created API token {token.name!r} acting as {member.display_name} ({member.get_role_display()}) "
                f"in {member.workspace.name}; it is shown only once."
            )
            self.stdout.write(f"API token: {raw}")
        elif action == "list":
            if email:
                tokens = tokens.filter(member=self._member(workspace, email))
            for token in tokens.order_by("created_at"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                used = f"last used {token.last_used_at:%Y-%m-%d}" if token.last_used_at else "never used"
                self.stdout.write(
                    f"{token.key_prefix}…  {token.name}  {token.member.user.email}  "
                    f"created {token.created_at:%Y-%m-%d}  {used}  {state}"
                )
        else:
            if not prefix:
                raise CommandError("--prefix is required to revoke a token")
            live = list(tokens.filter(key_prefix=prefix, revoked_at__isnull=True))
            if len(live) != 1:
                raise CommandError(f"no single live token with prefix {prefix!r} in workspace {workspace!r}")
            api_token_revoke(token=live[0])
            self.stdout.write(f"Revoked API token {prefix}…")

    def _member(self, workspace: str, email: str) -> Member:
        if not email:
            raise CommandError("--email is required: the member the token acts as")
        member = (
            Member.objects.select_related("workspace", "user")
            .filter(workspace__slug=workspace, user__email__iexact=email.strip())
            .first()
        )
        if member is None:
            raise CommandError(f"{email} is not a member of workspace {workspace!r}")
        if not member.is_active:
            raise CommandError(f"{email} is no longer an active member of workspace {workspace!r}")
        return member
