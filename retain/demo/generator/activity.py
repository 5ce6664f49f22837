"""A day of product usage at one account, drawn from its hidden engagement (pure: no database).

The same draw feeds both paths: recent days become raw events (usage.store.insert_events), older
days' events are folded into the rollups without being stored (usage.rollups.rollups_add). So every
day's rollups are what the real fold gives for that day's events, whichever path it took.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from retain.demo.generator import names
from retain.demo.generator.world import AccountPlan, PersonPlan, sigmoid
from retain.usage.vocabulary import LEAD_CONVERTED, LEAD_CREATED

WEEKEND_FACTOR = 0.15
FEATURE_RATE = 3.2  # feature events per active user and day at average engagement
LEAD_RATE = 0.3  # leads per active user and day once leads recur, times sigmoid(engagement)
LEADS_RECUR_AFTER_DAYS = 60
# A lead turns into a sale (`Lead Converted`, as the vendor's CRM sync sends it) with this chance at
# average engagement; an engaged customer's leads convert more often, a disengaged one's less.
CONVERSION_RATE = 0.12


@dataclass
class UserDay:
    person: PersonPlan
    features: list[tuple[str, str]] = field(default_factory=list)  # (feature, event name)
    key_events: list[str] = field(default_factory=list)


@dataclass
class AccountDay:
    users: list[UserDay] = field(default_factory=list)
    tickets_created: int = 0
    tickets_escalated: int = 0
    tickets_solved: int = 0

    @property
    def events(self) -> int:
        per_user = sum(1 + len(u.features) + len(u.key_events) for u in self.users)
        return per_user + self.tickets_created + self.tickets_escalated + self.tickets_solved

    def key_event_counts(self) -> Counter[str]:
        return Counter(name for u in self.users for name in u.key_events)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def milestone_schedule(account: AccountPlan, rng: random.Random, today: dt.date) -> dict[dt.date, list[str]]:
    """When the account reaches each critical-path milestone (seed 002), at its own pace.

    Engaged accounts keep to the weekly plan; slow ones are late, and some stall and never get there.
    """
    schedule: dict[dt.date, list[str]] = {}
    for event, week in names.MILESTONES:
        offset = week * 7 * account.onboarding_pace + rng.gauss(0, 2.0) - rng.randint(0, 5)
        day = account.customer_since + dt.timedelta(days=max(0, round(offset)))
        if day > today or not account.is_customer_on(day):
            continue
        if rng.random() < sigmoid(-2.0 - 1.5 * account.latent_on(day)):
            continue  # stalled: a barrier the customer did not get past
        schedule.setdefault(day, []).append(event)
    return schedule


def expected_daily_leads(account: AccountPlan) -> float:
    """The leads a day the account's size promises at average engagement, once leads recur: what a CSM
    can estimate at kick-off (its people, not how engaged it will turn out to be)."""
    week_share = (5 + 2 * WEEKEND_FACTOR) / 7
    return sum(sigmoid(person.propensity) * week_share * LEAD_RATE * 0.5 for person in account.people)


def account_day(
    account: AccountPlan,
    day: dt.date,
    rng: random.Random,
    milestones: dict[dt.date, list[str]],
    sales_rng: random.Random | None = None,
) -> AccountDay:
    """Who used the product that day and how much; empty on days the account was not a customer.

    Sales are drawn from `sales_rng` (one stream per account), so adding them left every other draw of
    the day as it was."""
    result = AccountDay()
    if not account.is_customer_on(day):
        return result
    e = account.latent_on(day)
    tenure = (day - account.customer_since).days
    weekday = day.weekday() < 5
    ramp = -0.6 if tenure < 14 else 0.0
    feature_mean = FEATURE_RATE * math.exp(0.3 * e)
    breadth = 2 + round(9 * sigmoid(e - 0.2))
    available = account.features[:breadth]
    recurring = tenure > LEADS_RECUR_AFTER_DAYS
    for person in account.people:
        if person.joined_on > day or (person.left_on is not None and person.left_on <= day):
            continue
        chance = sigmoid(person.propensity + 1.1 * e + ramp)
        if not weekday:
            chance *= WEEKEND_FACTOR
        if rng.random() >= chance:
            continue
        user = UserDay(person)
        for _ in range(poisson(rng, feature_mean)):
            # Earlier features in the account's order are the ones it leans on most.
            user.features.append(available[min(int(rng.expovariate(0.5)), len(available) - 1)])
        if recurring:
            strength = sigmoid(e)
            if rng.random() < LEAD_RATE * strength:
                user.key_events.append(LEAD_CREATED)
                if sales_rng is not None and sales_rng.random() < CONVERSION_RATE * 2 * strength:
                    user.key_events.append(LEAD_CONVERTED)
            if rng.random() < 0.05 * strength:
                user.key_events.append("Email Campaign Sent")
            if rng.random() < 0.04 * strength:
                user.key_events.append("Blog Post Published")
        result.users.append(user)
    due = milestones.get(day)
    if due:
        by_key = {u.person.key: u for u in result.users}
        owner = next((p for p in account.people if p.left_on is None or p.left_on > day), account.people[0])
        found = by_key.get(owner.key)
        if found is None:
            found = UserDay(owner)
            result.users.append(found)
        found.key_events.extend(due)
    ticket_rate = 0.012 * math.exp(-0.4 * e) + (0.03 if tenure < 60 else 0.0)
    for _ in result.users:
        if rng.random() < ticket_rate:
            result.tickets_created += 1
            if rng.random() < 0.12 * math.exp(-0.5 * e):
                result.tickets_escalated += 1
            if rng.random() < 0.85:
                result.tickets_solved += 1
    return result
