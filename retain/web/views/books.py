"""CSM books: who owns how much, against what capacity; moving a book to another CSM.

Everyone in the workspace sees the books; only managers and admins move accounts between them
(a CSM changes its own accounts' owner on the account page, one at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from retain import access
from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.segments import NO_OWNER
from retain.tenancy.choices import CapacityUnit, Role
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors
from retain.web.forms_admin import BookMoveForm


@dataclass(frozen=True)
class Book:
    """One CSM's book: its size in accounts and ARR, and how full it is against capacity."""

    owner: Member | None
    accounts: int
    mrr: Decimal

    @property
    def arr(self) -> Decimal:
        return self.mrr * 12

    @property
    def utilisation(self) -> Decimal | None:
        """Share of capacity used (1 = full), in the member's capacity unit; None without one."""
        owner = self.owner
        if owner is None or not owner.capacity or not owner.capacity_unit:
            return None
        used = Decimal(self.accounts) if owner.capacity_unit == CapacityUnit.ACCOUNTS else self.arr
        return used / owner.capacity

    @property
    def utilisation_percent(self) -> int | None:
        value = self.utilisation
        return None if value is None else round(value * 100)


def _books(member: Member) -> tuple[list[Book], Book]:
    """Every CSM's book (plus anyone else still owning accounts) and the unowned accounts.

    Two queries whatever the number of CSMs: one grouped count over members, one over unowned.
    """
    owners = (
        access.scoped(member, Member.objects.select_related("user"))
        .annotate(n_accounts=Count("book"), book_mrr=Sum("book__mrr"))
        # Inactive members still holding accounts stay listed: their book is the one to move.
        .filter(Q(role=Role.CSM, is_active=True) | Q(n_accounts__gt=0))
        .order_by("user__first_name", "user__email")
    )
    books = [Book(m, m.n_accounts, m.book_mrr or Decimal(0)) for m in owners]  # type: ignore[attr-defined]  # annotated onto the queryset's rows
    unowned = access.scoped(member, Account.objects.filter(owner__isnull=True)).aggregate(n=Count("pk"), mrr=Sum("mrr"))
    return books, Book(None, unowned["n"], unowned["mrr"] or Decimal(0))


@workspace_view
def books(request: HttpRequest, member: Member) -> HttpResponse:
    rows, unowned = _books(member)
    return render(request, "web/admin/books.html", {"books": rows, "unowned": unowned, "can_move": member.can_manage})


@require_http_methods(["GET", "POST"])
@workspace_view
def book_move(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_manager(member)
    data = request.POST if request.method == "POST" else None
    source = (data or request.GET).get("from_owner", NO_OWNER)
    book = access.scoped(member, Account.objects.select_related("owner__user")).order_by("name", "pk")
    if source == NO_OWNER:
        book = book.filter(owner__isnull=True)
    else:
        owner_id = _int_or_none(source)
        book = book.filter(owner_id=owner_id) if owner_id is not None else book.none()
    owners = access.scoped(member, Member.objects.select_related("user")).exclude(role=Role.VIEWER)
    form = BookMoveForm(
        data,
        initial={"from_owner": source},
        owners=owners.order_by("user__first_name", "user__email"),
        account_choices=[(a.pk, a.name) for a in book],
    )
    status = 200
    if data is not None:
        if form.is_valid():
            chosen = form.cleaned_data["accounts"]
            selection = book.filter(pk__in=chosen) if chosen else book
            target = owners.get(pk=form.cleaned_data["to_owner"])
            try:
                moved = account_services.accounts_reassign(
                    workspace=member.workspace,
                    actor=member,
                    via="web",
                    accounts=selection,
                    new_owner=target,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Moved {moved} account{'s' if moved != 1 else ''} to {target.display_name}.")
                return redirect("books", member.workspace.slug)
        status = 400
    return render(request, "web/admin/book_move.html", {"form": form, "book": book}, status=status)


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
