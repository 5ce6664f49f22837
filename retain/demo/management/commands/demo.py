"""`retain demo`: build the demo workspace from a seed (unless it exists), print the logins, serve."""

from __future__ import annotations

import errno
import socket

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.demo.generator import build_demo, demo_delete, demo_workspace
from retain.demo.generator.context import DEMO_PASSWORD
from retain.demo.generator.team import demo_logins


class Command(BaseCommand):
    help = "Build the demo workspace (slug 'demo') from a seed, print its logins and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="the same seed builds the same workspace")
        parser.add_argument(
            "--accounts",
            type=int,
            default=1000,
            help="how many customer accounts in the year of history (default 1000); former customers, who left "
            "before it, come on top",
        )
        # 30 days of raw events (about 360,000) keeps `make demo` within about three minutes on a
        # small machine. Older days are folded into the daily rollups (per account, user and
        # feature) without keeping their raw events, as after the retention window: the measures
        # and charts read the rollups, so they read the same whatever the raw days.
        parser.add_argument("--raw-days", type=int, default=30, help="days of raw events before today (default 30)")
        parser.add_argument("--no-serve", action="store_true", help="build and exit")
        parser.add_argument("--reset", action="store_true", help="delete an existing demo workspace and rebuild it")
        parser.add_argument("--bind", default="127.0.0.1:8000", help="address to serve on")

    def handle(
        self,
        *args: object,
        seed: int,
        accounts: int,
        raw_days: int,
        no_serve: bool,
        reset: bool,
        bind: str,
        **options: object,
    ) -> None:
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        if not 1 <= raw_days <= 365:
            raise CommandError("--raw-days must be between 1 and 365")
        if not no_serve:
            _check_bind_free(bind)  # before minutes of building, not after
        call_command("migrate", interactive=False, verbosity=0)
        if reset and demo_delete():
            self.stdout.write("Deleted the existing demo workspace.")
        workspace = demo_workspace()
        if workspace is None:
            self.stdout.write(f"Building the demo workspace (seed {seed}, {accounts} accounts):")
            ctx = build_demo(seed=seed, size=accounts, raw_days=raw_days, say=self.stdout.write)
            workspace = ctx.ws
        else:
            self.stdout.write("The demo workspace exists; keeping it (--reset rebuilds it).")
        members = list(workspace.members.select_related("user"))
        self.stdout.write(f"\nDemo logins (password {DEMO_PASSWORD}):")
        for label, email in demo_logins(members):
            self.stdout.write(f"  {label:<18} {email}")
        if not no_serve:
            call_command("serve", bind=bind)


def _check_bind_free(bind: str) -> None:
    """Refuse a taken or malformed address at once, naming it and how to choose another."""
    host, _, port_text = bind.rpartition(":")
    if not host or not (port_text.isascii() and port_text.isdigit()) or not 0 <= int(port_text) < 65536:
        raise CommandError(f"--bind {bind!r} is not HOST:PORT (e.g. 127.0.0.1:8001)")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), int(port_text)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"{bind} is already in use by another program: stop it, or serve elsewhere with "
                    f"`make demo PORT={int(port_text) + 1}` (or `retain demo --bind {host}:{int(port_text) + 1}`)"
                ) from None
            raise CommandError(f"cannot serve on {bind}: {exc.strerror}") from None
