"""The demo world planned in memory: accounts, their hidden engagement, and what follows from it.

Pure (no database): the same seed gives the same world, and tests can plan thousands of accounts
in a fraction of a second. Nothing here is written as is: the write steps turn a plan into rows.

Every account carries a latent engagement trajectory (a weekly AR(1) process around the account's
own level, knocked down when its champion leaves). That one hidden variable drives product usage,
expansions and contractions, and the chance of churn at renewal, so churn is predictable from
observable usage only as well as real churn is, never read back from a stored flag. The latent
values stay in memory: no model field holds them.

Renewals and churn are planned over each account's whole life, from its first day, also before the
year of history (with the engagement of the year's first week): customers who left before the year
are planned and written too, as former customers, on top of the `size` accounts of the book. The
tiers' churn odds put annual logo churn where published SaaS figures put it by segment (SMB about
15–25%, mid-market 8–15%, enterprise 3–8%; seed 003's CLV example, 1% a month, is about 11% a
year), the same in every year, so the cohort page and the revenue page read the same rates.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from retain.accounts.choices import ContactRole, Edition, MovementKind, Stage, Tier
from retain.demo.generator import names
from retain.renewals.expansion import ENTERPRISE_FEATURES
from retain.tenancy.choices import CsmKind

HISTORY_DAYS = 365
TIER_MIX = ((Tier.COMMUNITY, 0.70), (Tier.ENTERPRISE, 0.25), (Tier.STRATEGIC, 0.05))
# Which kind of CSM carries which tier (seed 000/002): operational CSMs onboard the tech-touch tier.
CSM_KIND_FOR_TIER = {
    Tier.STRATEGIC: (CsmKind.STRATEGIC,),
    Tier.ENTERPRISE: (CsmKind.ENTERPRISE,),
    Tier.COMMUNITY: (CsmKind.SMB, CsmKind.OPERATIONAL),
}
# Accounts one CSM of each kind carries (books sized by tier).
BOOK_SIZE: dict[str, int] = {CsmKind.STRATEGIC: 20, CsmKind.ENTERPRISE: 70, CsmKind.SMB: 250, CsmKind.OPERATIONAL: 40}
LIST_PRICE = {Edition.PROFESSIONAL: 48, Edition.ENTERPRISE: 96}  # per seat and month, in USD
DISCOUNT = {Tier.COMMUNITY: 0.0, Tier.ENTERPRISE: 0.12, Tier.STRATEGIC: 0.25}
CURRENCIES = (("USD", 0.77, 1.0), ("EUR", 0.15, 0.92), ("GBP", 0.08, 0.79))  # share, price level
RATES_TO_USD = {"EUR": 1.08, "GBP": 1.26}

# Churn at renewal: log-odds at average engagement, per tier; each unit of engagement takes
# CHURN_SLOPE off. Community accounts also churn between renewals (card plans, no contract).
RENEWAL_CHURN_BASE = {Tier.COMMUNITY: -1.9, Tier.ENTERPRISE: -2.8, Tier.STRATEGIC: -4.4}
CHURN_SLOPE = 2.0
# Monthly chances at average engagement (each scaled by exp(±0.9 × engagement)) that the main
# subscription grows or shrinks by some seats, and that an add-on product is bought: the revenue
# movements behind retention (about 87% gross and 105–115% net over a year; community, on card plans
# with little CSM time, keeps less and grows less).
SEAT_EXPANSION = {Tier.COMMUNITY: 0.03, Tier.ENTERPRISE: 0.038, Tier.STRATEGIC: 0.042}
SEAT_CONTRACTION = {Tier.COMMUNITY: 0.02, Tier.ENTERPRISE: 0.015, Tier.STRATEGIC: 0.015}
ADD_ON_RATE = {Tier.COMMUNITY: 0.012, Tier.ENTERPRISE: 0.025, Tier.STRATEGIC: 0.025}
MONTHLY_CHURN_BASE = -6.6
EARLY_CHURN_BOOST = 1.2  # seed 004: a customer not bound in its first 3 months rarely is later


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class MovementPlan:
    on: dt.date
    kind: str
    seats: int
    mrr: Decimal
    product: str


@dataclass
class SubscriptionPlan:
    key: str
    product: str
    currency: str
    started_on: dt.date
    term_end: dt.date
    movements: list[MovementPlan] = field(default_factory=list)
    ended_on: dt.date | None = None

    @property
    def mrr(self) -> Decimal:
        return self.movements[-1].mrr

    @property
    def seats(self) -> int:
        return self.movements[-1].seats

    @property
    def current_product(self) -> str:
        return self.movements[-1].product

    @property
    def active(self) -> bool:
        return self.ended_on is None

    def change(self, on: dt.date, seats: int, mrr: Decimal, product: str | None = None) -> None:
        last = self.movements[-1]
        product = product or last.product
        if (seats, mrr, product) == (last.seats, last.mrr, last.product):
            return
        kind = MovementKind.EXPANSION if mrr > last.mrr else MovementKind.CONTRACTION
        if mrr == last.mrr:
            kind = MovementKind.CHANGE
        self.movements.append(MovementPlan(on, kind, seats, mrr, product))

    def churn(self, on: dt.date) -> None:
        self.movements.append(MovementPlan(on, MovementKind.CHURN, 0, Decimal(0), self.current_product))
        self.ended_on = on


@dataclass
class PersonPlan:
    """A person at the customer: a contact when named in the CRM, and a product user."""

    key: str
    first_name: str
    last_name: str
    email: str
    title: str
    role: str
    joined_on: dt.date
    propensity: float  # how much this person uses the product, on the logit scale
    is_contact: bool = True
    left_on: dt.date | None = None


@dataclass
class TouchpointPlan:
    kind: str
    at: dt.datetime
    summary: str
    next_step: str
    people: list[str]
    by_operational: bool = False


@dataclass
class AccountPlan:
    index: int
    external_id: str
    name: str
    domain: str
    industry: str
    employees: int
    annual_revenue: int
    tier: Tier
    edition: Edition
    currency: str
    customer_since: dt.date
    window_start: dt.date
    # Hidden: one value per week from window_start. Never written to the database.
    latent: list[float] = field(default_factory=list, repr=False)
    subscriptions: list[SubscriptionPlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    touchpoints: list[TouchpointPlan] = field(default_factory=list)
    features: list[tuple[str, str]] = field(default_factory=list)
    onboarding_pace: float = 1.0
    churned_on: dt.date | None = None
    stage: str = Stage.SUCCESS
    stage_entered_on: dt.date | None = None
    csm_kind: CsmKind = CsmKind.SMB

    def latent_on(self, day: dt.date) -> float:
        week = (day - self.window_start).days // 7
        return self.latent[min(max(week, 0), len(self.latent) - 1)]

    @property
    def former(self) -> bool:
        """A customer that left before the year of history began."""
        return self.churned_on is not None and self.churned_on < self.window_start

    def is_customer_on(self, day: dt.date) -> bool:
        return self.customer_since <= day and (self.churned_on is None or day < self.churned_on)

    def mean_latent(self, start: dt.date, end: dt.date) -> float:
        days = [start + dt.timedelta(days=n) for n in range(0, max((end - start).days, 1), 7)]
        return sum(self.latent_on(day) for day in days) / len(days)

    @property
    def mrr(self) -> Decimal:
        return sum((s.mrr for s in self.subscriptions if s.active), Decimal(0))


@dataclass
class World:
    seed: int
    today: dt.date
    window_start: dt.date
    accounts: list[AccountPlan]

    def csm_counts(self) -> dict[str, int]:
        """How many CSMs of each kind the books need (at least one of each)."""
        load = dict.fromkeys(BOOK_SIZE, 0)
        for account in self.accounts:
            load[account.csm_kind] += not account.former
        return {kind: max(1, math.ceil(load[kind] / BOOK_SIZE[kind])) for kind in BOOK_SIZE}


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for value, share in weighted:
        roll -= share
        if roll < 0:
            return value
    return weighted[-1][0]


def _seats(rng: random.Random, tier: Tier) -> int:
    low, high = {Tier.COMMUNITY: (3, 15), Tier.ENTERPRISE: (15, 90), Tier.STRATEGIC: (120, 500)}[tier]
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _price(tier: Tier, edition: Edition, level: float) -> Decimal:
    return Decimal(LIST_PRICE[edition] * (1 - DISCOUNT[tier]) * level)


def _mrr(seats: int, unit: Decimal) -> Decimal:
    return (unit * seats).quantize(Decimal(1))


class _Planner:
    def __init__(self, seed: int, size: int, today: dt.date) -> None:
        self.seed = seed
        self.size = size
        self.today = today
        self.window_start = today - dt.timedelta(days=HISTORY_DAYS - 1)
        self.weeks = HISTORY_DAYS // 7 + 1
        self.rng = random.Random(f"demo-world:{seed}")
        self.used_names: set[str] = set()

    def plan(self) -> World:
        """`size` accounts that are customers at some time in the year of history, and the former
        customers who left before it: planned as any other account, they are what keeps the older
        cohorts honest (without them every account older than the window would have renewed every
        year until it, and the cohorts would show almost no churn)."""
        accounts: list[AccountPlan] = []
        book = 0
        while book < self.size:
            account = self.account(len(accounts))
            accounts.append(account)
            book += not account.former
        return World(seed=self.seed, today=self.today, window_start=self.window_start, accounts=accounts)

    def account(self, index: int) -> AccountPlan:
        rng = self.rng
        tier = Tier(_pick(rng, tuple((str(t), share) for t, share in TIER_MIX)))
        edition_share = {Tier.COMMUNITY: 0.15, Tier.ENTERPRISE: 0.5, Tier.STRATEGIC: 0.85}[tier]
        edition = Edition.ENTERPRISE if rng.random() < edition_share else Edition.PROFESSIONAL
        name, industry = names.company(rng)
        while name in self.used_names:
            name, industry = names.company(rng)
        self.used_names.add(name)
        employees = {
            Tier.COMMUNITY: lambda: rng.randint(8, 220),
            Tier.ENTERPRISE: lambda: rng.randint(200, 2500),
            Tier.STRATEGIC: lambda: rng.randint(2500, 60000),
        }[tier]()
        # About a quarter of the book was won during the year; the rest are older customers.
        if rng.random() < 0.24:
            since = self.window_start + dt.timedelta(days=rng.randrange(HISTORY_DAYS))
        else:
            since = self.window_start - dt.timedelta(days=rng.randint(1, 4 * 365))
        account = AccountPlan(
            index=index,
            external_id=f"acct-{index + 1:05d}",
            name=name,
            domain=names.domain_of(name),
            industry=industry,
            employees=employees,
            annual_revenue=int(employees * rng.uniform(60_000, 260_000) // 1000 * 1000),
            tier=tier,
            edition=edition,
            currency=_pick(rng, tuple((code, share) for code, share, _ in CURRENCIES)),
            customer_since=since,
            window_start=self.window_start,
        )
        self.people(account)
        self.engagement(account)
        self.revenue(account)
        self.close(account)
        self.touchpoints(account)
        features = list(names.FEATURES)
        rng.shuffle(features)
        if account.edition == Edition.PROFESSIONAL:
            # The enterprise edition's features are gated on professional: only the broadest users
            # reach them (a trial, a workaround), the behaviour the expansion signal looks for.
            features.sort(key=lambda pair: pair[0] in ENTERPRISE_FEATURES)
        account.features = features
        return account

    # People ---------------------------------------------------------------------------------------

    def person(self, account: AccountPlan, role: str, joined_on: dt.date, is_contact: bool = True) -> PersonPlan:
        rng = self.rng
        taken = {p.email for p in account.people}
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        local = names.email_local(first, last)
        email, n = f"{local}@{account.domain}", 1
        while email in taken:
            n += 1
            email = f"{local}{n}@{account.domain}"
        propensity = rng.gauss(-0.5, 0.9) + {"executive_sponsor": -2.0, "champion": 1.0, "admin": 0.6}.get(role, 0.0)
        person = PersonPlan(
            key=f"{account.external_id}-p{len(account.people) + 1}",
            first_name=first,
            last_name=last,
            email=email,
            title=rng.choice(names.TITLES[role]),
            role=role,
            joined_on=joined_on,
            propensity=propensity,
            is_contact=is_contact,
        )
        account.people.append(person)
        return person

    def people(self, account: AccountPlan) -> None:
        rng = self.rng
        since = account.customer_since
        self.person(account, ContactRole.CHAMPION, since)
        self.person(account, ContactRole.ADMIN, since)
        if account.tier != Tier.COMMUNITY:
            self.person(account, ContactRole.EXECUTIVE_SPONSOR, since)
            self.person(account, ContactRole.DECISION_MAKER, since)
        named_users = {Tier.COMMUNITY: (0, 1), Tier.ENTERPRISE: (1, 3), Tier.STRATEGIC: (3, 6)}[account.tier]
        for _ in range(rng.randint(*named_users)):
            self.person(account, ContactRole.USER, since + dt.timedelta(days=rng.randint(0, 30)))
        # Product users the CRM does not list as contacts.
        unnamed = {Tier.COMMUNITY: (1, 4), Tier.ENTERPRISE: (4, 12), Tier.STRATEGIC: (14, 30)}[account.tier]
        for _ in range(rng.randint(*unnamed)):
            joined = since + dt.timedelta(days=int(rng.expovariate(1 / 20)))
            self.person(account, ContactRole.USER, joined, is_contact=False)

    # The hidden process ---------------------------------------------------------------------------

    def engagement(self, account: AccountPlan) -> None:
        rng = self.rng
        level = rng.gauss(0.0, 0.8)
        phi, sigma = 0.93, 0.25
        value = level + rng.gauss(0.0, sigma / math.sqrt(1 - phi * phi))
        start_week = (account.customer_since - self.window_start).days // 7
        latent: list[float] = []
        for week in range(self.weeks):
            if week == start_week:  # a new customer starts near its own level, a little unsure
                value = level + rng.gauss(-0.2, 0.4)
            value = level + phi * (value - level) + rng.gauss(0.0, sigma)
            latent.append(value)
        account.latent = latent
        # Seed 000's event trigger: the internal champion changes jobs; engagement drops and recovers.
        champion = account.people[0]
        leave_chance = {Tier.COMMUNITY: 0.12, Tier.ENTERPRISE: 0.16, Tier.STRATEGIC: 0.14}[account.tier]
        earliest = max(account.customer_since + dt.timedelta(days=45), self.window_start)
        if rng.random() < leave_chance and earliest < self.today - dt.timedelta(days=7):
            left_on = earliest + dt.timedelta(days=rng.randrange((self.today - earliest).days))
            champion.left_on = left_on
            first_week = (left_on - self.window_start).days // 7
            for week in range(max(first_week, 0), self.weeks):
                account.latent[week] -= 0.9 * phi ** (week - first_week)
            if rng.random() < 0.7:
                successor_on = left_on + dt.timedelta(days=rng.randint(10, 60))
                if successor_on < self.today:
                    self.person(account, ContactRole.CHAMPION, successor_on)
        for person in account.people[1:]:
            if person.left_on is None and rng.random() < 0.05:
                start = max(person.joined_on, self.window_start) + dt.timedelta(days=20)
                if start < self.today:
                    person.left_on = start + dt.timedelta(days=rng.randrange((self.today - start).days + 1))
        account.onboarding_pace = math.exp(-0.35 * account.latent_on(account.customer_since) + rng.gauss(0, 0.3))

    # Revenue: subscriptions, their movements and churn ---------------------------------------------

    def revenue(self, account: AccountPlan) -> None:
        rng = self.rng
        level = next(lvl for code, _, lvl in CURRENCIES if code == account.currency)
        product = names.PRODUCT_ENTERPRISE if account.edition == Edition.ENTERPRISE else names.PRODUCT_PROFESSIONAL
        unit = _price(account.tier, account.edition, level)
        seats = _seats(rng, account.tier)
        since = account.customer_since
        main = SubscriptionPlan(
            key=f"{account.external_id}-s1", product=product, currency=account.currency, started_on=since,
            term_end=since,
        )  # fmt: skip
        main.movements.append(MovementPlan(since, MovementKind.NEW, seats, _mrr(seats, unit), product))
        account.subscriptions.append(main)
        add_on_share = {Tier.COMMUNITY: 0.08, Tier.ENTERPRISE: 0.3, Tier.STRATEGIC: 0.6}[account.tier]
        if rng.random() < add_on_share:
            self.add_on(account, since)

        # Walk the account's life month by month: renewal and churn from its first day (before the
        # year of history too, so older cohorts lose customers at the same rates), and expansion and
        # contraction within the year of history.
        day = since + dt.timedelta(days=rng.randint(0, 29))
        renewal = add_years(since, 1)
        while day <= self.today and account.churned_on is None:
            e = account.latent_on(day)
            tenure = (day - since).days
            if renewal <= day:
                self.renew(account, renewal, unit, level)
                renewal = add_years(renewal, 1)
            elif tenure >= 30 and day < self.window_start:
                if rng.random() < sigmoid(self.monthly_churn(account, e, tenure)):
                    self.churn(account, day)
                    break
            elif tenure >= 30:
                if rng.random() < sigmoid(self.monthly_churn(account, e, tenure)):
                    self.churn(account, day)
                    break
                self.resize(account, main, day, e, unit)
                if rng.random() < ADD_ON_RATE[account.tier] * math.exp(0.8 * e) and len(account.subscriptions) < 3:
                    self.add_on(account, day)
            day += dt.timedelta(days=rng.randint(26, 34))
        # Add-ons are co-termed with the main subscription: every term ends on its anniversary.
        end = add_years(since, 1)
        while end <= self.today:
            end = add_years(end, 1)
        for subscription in account.subscriptions:
            if subscription.active:
                subscription.term_end = end

    @staticmethod
    def monthly_churn(account: AccountPlan, e: float, tenure: int) -> float:
        """Log-odds of leaving in a month between renewals."""
        early = EARLY_CHURN_BOOST if tenure < 100 else 0.0
        monthly = MONTHLY_CHURN_BASE - CHURN_SLOPE * e + early
        if account.tier != Tier.COMMUNITY:
            monthly -= 2.0  # contracts: they leave at renewal, rarely before
        return monthly

    def add_on(self, account: AccountPlan, day: dt.date) -> None:
        rng = self.rng
        taken = {s.product for s in account.subscriptions}
        choices = [p for p in names.ADD_ONS if p not in taken]
        if not choices:
            return
        product = rng.choice(choices)
        level = next(lvl for code, _, lvl in CURRENCIES if code == account.currency)
        flat = {Tier.COMMUNITY: 150, Tier.ENTERPRISE: 600, Tier.STRATEGIC: 2000}[account.tier]
        mrr = Decimal(int(flat * level * rng.uniform(0.8, 1.5)))
        subscription = SubscriptionPlan(
            key=f"{account.external_id}-s{len(account.subscriptions) + 1}", product=product,
            currency=account.currency, started_on=day, term_end=day,
        )  # fmt: skip
        subscription.movements.append(MovementPlan(day, MovementKind.NEW, 1, mrr, product))
        account.subscriptions.append(subscription)

    def resize(self, account: AccountPlan, main: SubscriptionPlan, day: dt.date, e: float, unit: Decimal) -> None:
        rng = self.rng
        seats = main.seats
        unit = main.mrr / seats if seats else unit
        if rng.random() < SEAT_EXPANSION[account.tier] * math.exp(0.9 * e):
            seats += max(1, int(seats * rng.uniform(0.1, 0.4)))
        elif rng.random() < SEAT_CONTRACTION[account.tier] * math.exp(-0.9 * e) and seats > 2:
            seats -= max(1, int(seats * rng.uniform(0.1, 0.3)))
        else:
            return
        main.change(day, seats, _mrr(seats, unit))

    def renew(self, account: AccountPlan, on: dt.date, unit: Decimal, level: float) -> None:
        """A renewal date: the customer renews (perhaps resized or upgraded) or leaves."""
        rng = self.rng
        if account.customer_since > on - dt.timedelta(days=300):
            return
        recent = account.mean_latent(on - dt.timedelta(days=91), on)
        if rng.random() < sigmoid(RENEWAL_CHURN_BASE[account.tier] - CHURN_SLOPE * recent):
            self.churn(account, on)
            return
        if on < self.window_start:
            return  # before the year of history only who stayed is planned, not how they changed
        main = account.subscriptions[0]
        if main.current_product == names.PRODUCT_PROFESSIONAL and recent > 0.7 and rng.random() < 0.3:
            upgraded = _price(account.tier, Edition.ENTERPRISE, level)
            main.change(on, main.seats, _mrr(main.seats, upgraded), names.PRODUCT_ENTERPRISE)
            account.edition = Edition.ENTERPRISE
        elif recent < -0.6 and main.seats > 2 and rng.random() < 0.25:  # right-sized at the new term
            seats = main.seats - max(1, int(main.seats * rng.uniform(0.1, 0.25)))
            main.change(on, seats, _mrr(seats, main.mrr / main.seats))
        elif recent > 0.6 and rng.random() < 0.25:  # more seats signed with the new term
            seats = main.seats + max(1, int(main.seats * rng.uniform(0.1, 0.25)))
            main.change(on, seats, _mrr(seats, main.mrr / main.seats))
        for add_on in account.subscriptions[1:]:
            if add_on.active and recent < -0.6 and rng.random() < 0.4:
                add_on.churn(on)

    def churn(self, account: AccountPlan, on: dt.date) -> None:
        account.churned_on = on
        for subscription in account.subscriptions:
            if subscription.active:
                subscription.churn(on)
                subscription.term_end = max(on, subscription.started_on + dt.timedelta(days=1))

    def close(self, account: AccountPlan) -> None:
        """Stage and owner follow from the history just planned."""
        today = self.today
        since = account.customer_since
        tenure = (today - since).days
        if account.churned_on is not None:
            account.stage, account.stage_entered_on = Stage.CHURNED, account.churned_on
        elif tenure < 90:
            account.stage, account.stage_entered_on = Stage.ONBOARDING, since
        else:
            next_end = min(s.term_end for s in account.subscriptions if s.active)
            expansions = [
                m.on
                for s in account.subscriptions
                for m in s.movements
                if m.kind == MovementKind.EXPANSION and (today - m.on).days < 60
            ]
            if (next_end - today).days <= 90:
                account.stage, account.stage_entered_on = Stage.RENEWAL, next_end - dt.timedelta(days=90)
            elif expansions:
                account.stage, account.stage_entered_on = Stage.EXPANSION, max(expansions)
            elif tenure < 180:
                account.stage, account.stage_entered_on = Stage.ADOPTION, since + dt.timedelta(days=90)
            else:
                account.stage, account.stage_entered_on = Stage.SUCCESS, since + dt.timedelta(days=180)
        if account.tier == Tier.COMMUNITY:
            onboarding = account.stage == Stage.ONBOARDING
            account.csm_kind = CsmKind.OPERATIONAL if onboarding else CsmKind.SMB
        else:
            account.csm_kind = CSM_KIND_FOR_TIER[account.tier][0]

    # Conversations ---------------------------------------------------------------------------------

    def touchpoints(self, account: AccountPlan) -> None:
        rng = self.rng
        per_month = {Tier.COMMUNITY: 0.25, Tier.ENTERPRISE: 1.3, Tier.STRATEGIC: 3.2}[account.tier]
        start = max(account.customer_since, self.window_start)
        end = min(account.churned_on or self.today, self.today)
        day = start
        if account.customer_since >= self.window_start:  # onboarding: kickoff and training calls
            for offset, summary in ((1, "Kickoff call: goals, timeline and the week-1 technical set-up"),
                                    (9, "Training session: workflows, lists and the e-mail editor"),
                                    (30, "30-day check-in: leads flowing, first workflow live?")):  # fmt: skip
                on = since_plus(account.customer_since, offset)
                if on < end:
                    self.touchpoint(account, on, "meeting", summary, operational=account.tier == Tier.COMMUNITY)
        while day < end:
            gap = rng.expovariate(per_month / 30.0)
            day = day + dt.timedelta(days=max(1, int(gap)))
            if day >= end:
                break
            e = account.latent_on(day)
            kind, summary, next_step = rng.choice(_CONVERSATIONS[account.tier])
            if e < -0.8 and rng.random() < 0.3:
                kind, summary, next_step = (
                    "call", "Usage review: fewer people signing in; agreed a re-training session",
                    "Book a training for the marketing team",
                )  # fmt: skip
            self.touchpoint(account, day, kind, summary, next_step)

    def touchpoint(
        self,
        account: AccountPlan,
        day: dt.date,
        kind: str,
        summary: str,
        next_step: str = "",
        operational: bool = False,
    ) -> None:
        rng = self.rng
        at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), tzinfo=dt.UTC)
        present = [p for p in account.people if p.is_contact and p.joined_on <= day and not _gone(p, day)]
        people = [p.key for p in rng.sample(present, min(len(present), rng.randint(1, 2)))]
        account.touchpoints.append(TouchpointPlan(kind, at, summary, next_step, people, by_operational=operational))


def since_plus(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def _gone(person: PersonPlan, day: dt.date) -> bool:
    return person.left_on is not None and person.left_on <= day


_CONVERSATIONS = {
    Tier.COMMUNITY: (
        ("email", "Sent the monthly webinar invitation and the new knowledge-base guides", ""),
        ("email", "Answered a question about list segmentation; pointed to the community forum", ""),
        ("note", "Attended the 'Nurture flows that convert' webinar", ""),
    ),
    Tier.ENTERPRISE: (
        ("call", "Monthly check-in: campaign results and open questions", "Send the attribution report how-to"),
        ("meeting", "Goal review against the success plan", "Follow up on lead-scoring set-up"),
        ("email", "Shared the release notes and invited to the customer advisory webinar", ""),
        ("call", "Follow-up on the open support escalation", "Confirm the fix with their admin"),
    ),
    Tier.STRATEGIC: (
        ("meeting", "Quarterly business review: pipeline influenced, goals for next quarter", "Send the QBR deck"),
        ("meeting", "Executive sponsor meeting", "Draft the joint plan for the next half year"),
        ("call", "Weekly working session with the marketing operations team", ""),
        ("email", "Confirmed key contacts and the escalation path", ""),
        ("call", "Roadmap preview with the product team", "Collect feedback on the attribution beta"),
    ),
}


def plan_world(*, seed: int, size: int, today: dt.date) -> World:
    """Plan `size` accounts with a year of history up to `today`; the same inputs give the same world."""
    return _Planner(seed, size, today).plan()
