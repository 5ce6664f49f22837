"""The balancer: which accounts to move so that every CSM is within capacity and near the team's
average load. Pure: it takes books as plain values and returns moves and the constraints it could
not meet, so it can be property-tested and previewed without writing anything.

Decided once:
- CSMs are balanced within their pool (the CSMs of one kind, who serve one tier); an account never
  moves to a CSM of another kind.
- Capacity is hard: a CSM over its account or ARR limit gives accounts away first, to whoever has
  room, even past the balance band. Balance is soft: a CSM's share is its capacity in accounts
  (everyone equal when some have none), and "within 10%" is read on whole accounts: a book of
  n accounts is balanced when floor(target × 0.9) ≤ n ≤ ceil(target × 1.1).
- The least disruptive account moves first: not red, no renewal in the next 90 days, then the
  smallest ARR (for ARR overflow, the one that brings the giver under its limit).
- What cannot be met is named, in words, with the numbers (the pool's total against its total
  capacity; a CSM still over a limit; a CSM still outside the band).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Csm:
    id: int
    name: str
    kind: str
    max_accounts: int | None = None
    max_arr: Decimal | None = None


@dataclass(frozen=True)
class Item:
    """One account in a book: what it weighs and what moving it disturbs."""

    id: int
    owner: int
    arr: Decimal
    red: bool = False
    renewal_soon: bool = False


@dataclass(frozen=True)
class Move:
    account: int
    from_owner: int
    to_owner: int
    why: str


@dataclass(frozen=True)
class Unmet:
    """A constraint the proposal could not meet: `kind` is capacity, arr_capacity or balance."""

    kind: str
    csm: int | None
    message: str


@dataclass
class Proposal:
    moves: list[Move] = field(default_factory=list)
    unmet: list[Unmet] = field(default_factory=list)


@dataclass
class _Book:
    csm: Csm
    items: dict[int, Item]
    arr: Decimal
    weight: float
    low: int = 0
    high: int = 0

    @property
    def n(self) -> int:
        return len(self.items)

    def over_count(self) -> bool:
        return self.csm.max_accounts is not None and self.n > self.csm.max_accounts

    def over_arr(self) -> bool:
        return self.csm.max_arr is not None and self.arr > self.csm.max_arr

    def fits(self, item: Item) -> bool:
        if self.csm.max_accounts is not None and self.n + 1 > self.csm.max_accounts:
            return False
        return self.csm.max_arr is None or self.arr + item.arr <= self.csm.max_arr

    def take(self, item: Item) -> None:
        self.items[item.id] = item
        self.arr += item.arr

    def give(self, item: Item) -> None:
        del self.items[item.id]
        self.arr -= item.arr


def _quiet_first(item: Item) -> tuple[bool, bool, Decimal, int]:
    return (item.red, item.renewal_soon, item.arr, item.id)


def _money(value: Decimal) -> str:
    return f"${value:,.0f}"


def _pool(csms: Sequence[Csm], items: Iterable[Item], tolerance: float) -> Proposal:
    proposal = Proposal()
    everyone_has_capacity = all(c.max_accounts for c in csms)
    books = {
        c.id: _Book(c, {}, Decimal(0), float(c.max_accounts) if everyone_has_capacity and c.max_accounts else 1.0)
        for c in csms
    }
    for item in items:
        books[item.owner].take(item)
    total = sum(b.n for b in books.values())
    weights = sum(b.weight for b in books.values())
    for book in books.values():
        target = total * book.weight / weights
        book.low = math.floor(target * (1 - tolerance) + 1e-9)
        book.high = math.ceil(target * (1 + tolerance) - 1e-9)
    moved: dict[int, int] = {}  # account → its owner before the proposal

    def move(item: Item, giver: _Book, taker: _Book, why: str) -> None:
        giver.give(item)
        taker.take(item)
        moved.setdefault(item.id, giver.csm.id)
        proposal.moves.append(Move(item.id, giver.csm.id, taker.csm.id, why))

    # Capacity first: give away until within limits, to the least loaded CSM with room.
    for book in sorted(books.values(), key=lambda b: b.csm.id):
        while book.over_count() or book.over_arr():
            takers = sorted(
                (b for b in books.values() if b is not book),
                key=lambda b: (b.n / b.weight, b.csm.id),
            )
            if book.over_arr():
                excess = book.arr - (book.csm.max_arr or Decimal(0))
                # The smallest account that clears the excess, else the largest one (progress).
                candidates = sorted(book.items.values(), key=lambda i: (i.arr < excess, i.arr, i.id))
                candidates = [i for i in candidates if i.arr >= excess] or sorted(
                    book.items.values(), key=lambda i: (-i.arr, i.id)
                )
            else:
                candidates = sorted(book.items.values(), key=_quiet_first)
            pair = next(((i, t) for i in candidates for t in takers if t.fits(i)), None)
            if pair is None:
                break
            why = "over the ARR limit" if book.over_arr() else "over the account limit"
            move(pair[0], book, pair[1], f"{book.csm.name} is {why}")

    # Moving one account at a time can get stuck where only a swap helps (bin packing): then a
    # bounded exhaustive search, each account trying its current owner first so few move.
    if any(b.over_count() or b.over_arr() for b in books.values()) and _may_fit(list(books.values())):
        found = _search(list(books.values()))
        if found is not None:
            for holder in list(books.values()):
                for held in list(holder.items.values()):
                    new_book = books[found[held.id]]
                    if new_book is not holder:
                        move(held, holder, new_book, f"{holder.csm.name} is over a limit that only an exchange can fix")

    # Then balance: from a book above its band to the emptiest one below its own, while it helps.
    for _ in range(max(total, 1) * 2):
        ranked = sorted(books.values(), key=lambda b: (b.n / b.weight, b.csm.id))
        giver = next((b for b in reversed(ranked) if b.n > b.high), None)
        if giver is None:
            giver = next((b for b in reversed(ranked) if any(t.n < t.low for t in ranked) and b.n > b.low), None)
            taker_pool = [b for b in ranked if b.n < b.low]
        else:
            taker_pool = [b for b in ranked if b.n + 1 <= b.high]
        if giver is None or not taker_pool:
            break
        done = False
        for taker in taker_pool:
            if taker is giver or (taker.n + 1) / taker.weight > (giver.n - 1) / giver.weight + 1e-9:
                continue
            quiet = next((i for i in sorted(giver.items.values(), key=_quiet_first) if taker.fits(i)), None)
            if quiet is None:
                continue
            move(quiet, giver, taker, f"brings {giver.csm.name} and {taker.csm.name} nearer the team's average")
            done = True
            break
        if not done:
            break

    # An account moved twice is one move from its first owner to its last.
    last = {m.account: m for m in proposal.moves}
    proposal.moves = [
        Move(account, origin, last[account].to_owner, last[account].why)
        for account, origin in moved.items()
        if origin != last[account].to_owner
    ]
    _report(books, proposal, tolerance)
    return proposal


def _may_fit(books: list[_Book]) -> bool:
    """False when the totals alone exceed the team's limits (no search can help)."""
    count_caps = [b.csm.max_accounts for b in books]
    arr_caps = [b.csm.max_arr for b in books]
    if None not in count_caps and sum(b.n for b in books) > sum(c or 0 for c in count_caps):
        return False
    return None in arr_caps or sum((b.arr for b in books), Decimal(0)) <= sum(
        (c or Decimal(0) for c in arr_caps), Decimal(0)
    )


SEARCH_BUDGET = 20_000  # nodes; past it the proposal names the limits it could not meet


def _search(books: list[_Book]) -> dict[int, int] | None:
    """An owner per account within every limit, or None when there is none (or the budget ran out)."""
    items = sorted(((i, b.csm.id) for b in books for i in b.items.values()), key=lambda p: (-p[0].arr, p[0].id))
    count = {b.csm.id: 0 for b in books}
    arr = {b.csm.id: Decimal(0) for b in books}
    limits = {b.csm.id: b.csm for b in books}
    chosen: dict[int, int] = {}
    budget = [SEARCH_BUDGET]

    def fits(csm: Csm, item: Item) -> bool:
        if csm.max_accounts is not None and count[csm.id] + 1 > csm.max_accounts:
            return False
        return csm.max_arr is None or arr[csm.id] + item.arr <= csm.max_arr

    def place(k: int) -> bool:
        if k == len(items):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        item, owner = items[k]
        order = [owner, *sorted((c for c in limits if c != owner), key=lambda c: (arr[c], c))]
        for csm_id in order:
            if fits(limits[csm_id], item):
                count[csm_id] += 1
                arr[csm_id] += item.arr
                chosen[item.id] = csm_id
                if place(k + 1):
                    return True
                count[csm_id] -= 1
                arr[csm_id] -= item.arr
        return False

    return dict(chosen) if place(0) else None


def _report(books: dict[int, _Book], proposal: Proposal, tolerance: float) -> None:
    pool = list(books.values())
    total_n = sum(b.n for b in pool)
    caps = [b.csm.max_accounts for b in pool]
    if all(c is not None for c in caps) and total_n > sum(c or 0 for c in caps):
        proposal.unmet.append(
            Unmet("capacity", None, f"{total_n} accounts but room for {sum(c or 0 for c in caps)} in this team")
        )
    for b in pool:
        name = b.csm.name
        if b.over_count():
            proposal.unmet.append(
                Unmet("capacity", b.csm.id, f"{name} keeps {b.n} accounts, over the limit of {b.csm.max_accounts}")
            )
        if b.over_arr():
            proposal.unmet.append(
                Unmet(
                    "arr_capacity",
                    b.csm.id,
                    f"{name} keeps {_money(b.arr)} ARR, over the limit of {_money(b.csm.max_arr or Decimal(0))}",
                )
            )
        elif not b.over_count() and not b.low <= b.n <= b.high:
            proposal.unmet.append(
                Unmet(
                    "balance",
                    b.csm.id,
                    f"{name} keeps {b.n} accounts, outside {tolerance:.0%} of the team's average ({b.low}–{b.high})",
                )
            )


def propose(csms: Sequence[Csm], items: Iterable[Item], *, tolerance_pct: float = 10.0) -> Proposal:
    """Moves that bring every pool of CSMs (one kind each) within capacity and balance."""
    by_kind: dict[str, list[Csm]] = {}
    for csm in csms:
        by_kind.setdefault(csm.kind, []).append(csm)
    owners = {c.id: c.kind for c in csms}
    pools: dict[str, list[Item]] = {kind: [] for kind in by_kind}
    for item in items:
        kind = owners.get(item.owner)
        if kind is not None:
            pools[kind].append(item)
    result = Proposal()
    for kind in sorted(by_kind):
        part = _pool(by_kind[kind], pools[kind], tolerance_pct / 100)
        result.moves += part.moves
        result.unmet += part.unmet
    return result
