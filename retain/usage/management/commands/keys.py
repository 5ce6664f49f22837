from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.tenancy.models import Workspace, WriteKey
from retain.tenancy.services import write_key_create, write_key_revoke


class Command(BaseCommand):
    help = "Create, list or revoke ingest write keys (Segment/RudderStack 'write key') of a workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--name", default="", help="a label for a new key")
        parser.add_argument("--prefix", default="", help="the key to revoke, by the prefix `keys list` shows")

    def handle(self, *args: object, action: str, workspace: str, name: str, prefix: str, **options: object) -> None:
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"no workspace with slug {workspace!r}")
        if action == "create":
            key, raw = write_key_create(workspace=found, name=name)
            self.stdout.write(f"Created write key {key.name!r} for {found.name}; it is shown only once.")
            self.stdout.write(f"Write key: {raw}")
        elif action == "list":
            for key in WriteKey.objects.filter(workspace=found):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
                self.stdout.write(f"{key.key_prefix}…  {key.name}  created {key.created_at:%Y-%m-%d}  {state}")
        else:
            if not prefix:
                raise CommandError("--prefix is required to revoke a key")
            keys = list(WriteKey.objects.filter(workspace=found, key_prefix=prefix, revoked_at__isnull=True))
            if len(keys) != 1:
                raise CommandError(f"no single live key with prefix {prefix!r}")
            write_key_revoke(key=keys[0])
            self.stdout.write(f"Revoked write key {prefix}…")
