"""`retain erase contact --workspace SLUG (--email ADDRESS | --id N)`: a contact's personal data, on request.
`retain erase workspace --workspace SLUG --confirm SLUG`: the workspace and every row it owns."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.accounts.models import Contact
from retain.ownership import services
from retain.tenancy.models import Workspace


class Command(BaseCommand):
    help = "Erase a contact's personal data (right to erasure), or delete a whole workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["contact", "workspace"])
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--email", help="contact: their e-mail address")
        parser.add_argument("--id", type=int, help="contact: their id")
        parser.add_argument("--confirm", metavar="SLUG", help="workspace: the slug again, to confirm")

    def handle(
        self,
        *args: object,
        what: str,
        workspace: str,
        email: str | None,
        id: int | None,
        confirm: str | None,
        **options: object,
    ) -> None:
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"no workspace with slug {workspace!r}")
        if what == "workspace":
            if confirm != workspace:
                raise CommandError(f"deleting a workspace cannot be undone: add --confirm {workspace} to go ahead")
            deleted = services.workspace_delete(actor=None, workspace=found)
            self.stdout.write(f"Deleted workspace {workspace!r}: {sum(deleted.values())} rows.")
            return
        if (email is None) == (id is None):
            raise CommandError("name the contact with --email or --id (one of them)")
        contacts = Contact.objects.filter(workspace=found)
        contact = (contacts.filter(email__iexact=email.strip()) if email else contacts.filter(pk=id or 0)).first()
        if contact is None:
            raise CommandError(f"no such contact in workspace {workspace!r}")
        try:
            erasure = services.contact_erase(actor=None, contact=contact, via="command line")
        except ValidationError as exc:
            raise CommandError("; ".join(" ".join(m) for m in exc.message_dict.values())) from None
        counts = ", ".join(f"{what} {count}" for what, count in sorted(erasure.rows.items())) or "nothing else held it"
        self.stdout.write(f"Erased contact #{contact.pk}: {counts}.")
