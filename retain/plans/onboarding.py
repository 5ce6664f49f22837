"""The 30/60/90-day plan: what happens in a new customer's first 90 days, and who does it.

Pure (no database): from the account's tier, the day its journey started and the journey's
milestones with their due dates, `plan_items` lists the commitments on both sides — what the
customer does and what we do — each with its due day. plans.services.onboarding_plan_generate
writes them into the success plan's commitments, where people edit them like any other.

The content follows the seeds' onboarding strategies per tier (seed 001, slides 6–9; seed 000):

- community (tech touch): automated e-mail, the live onboarding webinar, knowledge-base articles;
- enterprise: a kick-off call, a goal review (goals, expectations, readiness and risks), product
  reviews, and a call every two weeks through adoption;
- strategic: all of enterprise, with a personal kick-off, the resources and engagement model, an
  executive sponsor introduction, and the customer confirming its key contacts.

Customer steps tied to a milestone are due on that milestone's due day when the journey has it.
A description is said the same way for every account and names the item within its plan: the
generator adds nothing whose description the plan already has, so generating twice adds nothing,
and a commitment someone marked done or missed stays as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

CUSTOMER = "customer"
US = "us"

PERIOD_DAYS = (30, 60, 90)


@dataclass(frozen=True)
class MilestoneDue:
    key: str
    name: str
    due_on: dt.date
    status: str = ""  # its label, for the customer's page


@dataclass(frozen=True)
class Item:
    """One step of the template: on day `day` (1 = the first day), `side` does `text`.

    `milestone` names the journey milestone the step delivers; when the journey has it, the step
    is due on that milestone's due day instead.
    """

    day: int
    side: str
    text: str
    milestone: str = ""


@dataclass(frozen=True)
class PlanItem:
    side: str
    description: str
    due_on: dt.date
    milestone: str = ""
    # Names the step whatever its commitment's description is edited into: "onboarding:<tier>:<n>".
    key: str = ""


_COMMUNITY: tuple[Item, ...] = (
    Item(1, US, "Welcome e-mail with the set-up guide"),
    Item(3, US, "Invitation to the live onboarding webinar"),
    Item(10, CUSTOMER, "Install the tracking code on every page", "technical-setup"),
    Item(14, CUSTOMER, "Work through the getting-started knowledge-base articles"),
    Item(14, US, "Set-up check e-mail with the knowledge-base articles for what is missing"),
    Item(28, CUSTOMER, "Publish the first blog post or capture the first leads", "active"),
    Item(30, US, "30-day check-in e-mail with usage highlights"),
    Item(45, US, "Invitation to the e-mail campaigns webinar"),
    Item(56, CUSTOMER, "Send the first e-mail campaign", "initial-value"),
    Item(60, US, "Invitation to the community forum and office hours"),
    Item(75, CUSTOMER, "Use the product on most working days for a month"),
    Item(90, US, "90-day e-mail: what customers like you do next"),
)

_ENTERPRISE: tuple[Item, ...] = (
    Item(2, US, "Kick-off call: roles, responsibilities and this plan"),
    Item(7, CUSTOMER, "Migrate the blog, connect the CRM and install the tracking code", "technical-setup"),
    Item(10, CUSTOMER, "Name the admins and attend the admin training"),
    Item(14, US, "Goal review: goals and expectations, readiness and risks"),
    Item(14, CUSTOMER, "Agree the goals and key success metrics", "oriented"),
    Item(28, CUSTOMER, "Leads flowing, first workflow live and first post published", "active"),
    Item(28, US, "Product review and follow-up on the set-up"),
    Item(42, US, "Progress review: barriers agreed with the customer", "progress"),
    Item(56, CUSTOMER, "Build the first attribution report", "initial-value"),
    Item(60, US, "60-day review of the key success metrics"),
    Item(70, CUSTOMER, "Send the first campaign, start lead nurture and social monitoring", "full-speed"),
    Item(84, CUSTOMER, "Review the goals reached with the sponsor", "achievement"),
    Item(90, US, "90-day goal review with the sponsor"),
    # Adoption: a call every two weeks once the set-up is done.
    *(Item(day, US, f"Biweekly adoption call (week {day // 7})") for day in (35, 49, 63, 77)),
)

_STRATEGIC_EXTRA: tuple[Item, ...] = (
    Item(1, US, "Personal kick-off with the project team"),
    Item(5, US, "Introduce the resources and the engagement model"),
    Item(14, CUSTOMER, "Confirm the key contacts: champion, admins and executive sponsor"),
    Item(21, US, "Executive sponsor introduction and sponsor selection"),
    Item(45, US, "Begin the transition from implementation to adoption"),
)

TEMPLATES: dict[str, tuple[Item, ...]] = {
    "community": _COMMUNITY,
    "enterprise": _ENTERPRISE,
    # A strategic customer's personal kick-off replaces the enterprise kick-off call.
    "strategic": tuple(i for i in _ENTERPRISE if not i.text.startswith("Kick-off call")) + _STRATEGIC_EXTRA,
}


def plan_items(tier: str, starts_on: dt.date, milestones: Iterable[MilestoneDue] = ()) -> list[PlanItem]:
    """The tier's 30/60/90-day steps for a customer whose first day is `starts_on`, by due day."""
    due = {m.key: m.due_on for m in milestones}
    items = []
    template = tier if tier in TEMPLATES else "community"
    for number, item in enumerate(TEMPLATES.get(tier, _COMMUNITY), start=1):
        due_on = due.get(item.milestone) or starts_on + dt.timedelta(days=item.day - 1)
        items.append(PlanItem(item.side, item.text, due_on, item.milestone, f"onboarding:{template}:{number}"))
    return sorted(items, key=lambda i: (i.due_on, i.side != CUSTOMER, i.description))


def milestones_by_period(starts_on: dt.date, milestones: Iterable[MilestoneDue]) -> list[list[MilestoneDue]]:
    """The milestones due in days 1–30, 31–60 and 61–90 counted from `starts_on`."""
    periods: list[list[MilestoneDue]] = [[] for _ in PERIOD_DAYS]
    for milestone in sorted(milestones, key=lambda m: m.due_on):
        day = (milestone.due_on - starts_on).days + 1
        for index, last in enumerate(PERIOD_DAYS):
            if 1 <= day <= last:
                periods[index].append(milestone)
                break
    return periods
