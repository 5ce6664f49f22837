"""The demo vendor's workspace, its customer-success team and its exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from retain.demo.generator import names
from retain.demo.generator.context import DEMO_PASSWORD, DEMO_SLUG, DemoContext
from retain.demo.generator.world import BOOK_SIZE, RATES_TO_USD
from retain.tenancy import services as tenancy_services
from retain.tenancy.choices import CapacityUnit, Role
from retain.tenancy.models import Member


def _roster(ctx: DemoContext) -> list[tuple[str, str, str, str]]:
    """The fixed team, with as many CSMs of each kind as the books need (extra ones named in turn)."""
    needed = ctx.world.csm_counts()
    roster: list[tuple[str, str, str, str]] = []
    for first, last, role, kind in names.TEAM:
        if role != Role.CSM:
            roster.append((first, last, role, kind))
        elif needed.get(kind, 0) > 0:
            roster.append((first, last, role, kind))
            needed[kind] -= 1
    rng = ctx.rng("team")
    for kind, missing in needed.items():
        for _ in range(missing):
            roster.append((rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES), Role.CSM, kind))
    return roster


def build_team(ctx: DemoContext) -> str:
    workspace = tenancy_services.workspace_create(name=f"{names.VENDOR} (demo)", slug=DEMO_SLUG, is_demo=True)
    ctx.workspace = workspace
    # Hashing a password takes most of a second by design; every demo login shares one password,
    # so it is hashed once and the hash given to each login.
    password_hash = make_password(DEMO_PASSWORD)
    User = get_user_model()
    seen: set[str] = set()
    for first, last, role, kind in _roster(ctx):
        local = names.email_local(first, "").rstrip(".")
        email = f"{local}@{names.VENDOR_DOMAIN}"
        n = 1
        while email in seen:
            n += 1
            email = f"{local}{n}@{names.VENDOR_DOMAIN}"
        seen.add(email)
        member = tenancy_services.member_add(
            workspace=workspace,
            email=email,
            role=role,
            first_name=first,
            last_name=last,
            csm_kind=kind,
            capacity_unit=CapacityUnit.ACCOUNTS if kind else "",
            capacity=Decimal(BOOK_SIZE[kind]) if kind else None,
        )
        User.objects.filter(pk=member.user_id).update(password=password_hash, first_name=first, last_name=last)
        member.user.password = password_hash
        ctx.members.setdefault(role, []).append(member)
        if kind:
            ctx.csms.setdefault(kind, []).append(member)
    # Rates from before the oldest subscription, then one a month through the year.
    oldest = min(a.customer_since for a in ctx.world.accounts) if ctx.world.accounts else ctx.today
    rng = ctx.rng("rates")
    for currency, rate in RATES_TO_USD.items():
        tenancy_services.exchange_rate_set(
            workspace=workspace, currency=currency, valid_from=oldest - dt.timedelta(days=1), rate=rate
        )
        month = ctx.world.window_start.replace(day=1)
        while month <= ctx.today:
            rate *= 1 + rng.gauss(0, 0.01)
            tenancy_services.exchange_rate_set(
                workspace=workspace, currency=currency, valid_from=month, rate=Decimal(f"{rate:.4f}")
            )
            month = (month + dt.timedelta(days=32)).replace(day=1)
    count = sum(len(members) for members in ctx.members.values())
    return f"{count} members, exchange rates for {', '.join(RATES_TO_USD)}"


def demo_logins(members: list[Member]) -> list[tuple[str, str]]:
    """One login per role (and per CSM kind) to print: (what it is, e-mail)."""
    lines: list[tuple[str, str]] = []
    taken: set[str] = set()
    for member in sorted(members, key=lambda m: m.pk):
        label = (
            f"CSM ({member.get_csm_kind_display().lower()})" if member.role == Role.CSM else member.get_role_display()
        )
        if label not in taken:
            taken.add(label)
            lines.append((label, member.user.email))
    order = ["Admin", "Manager", "CSM (strategic)", "CSM (enterprise)", "CSM (smb)", "CSM (operational)", "Viewer"]
    return sorted(lines, key=lambda line: order.index(line[0]) if line[0] in order else len(order))
