"""A year of survey history: a twice-yearly relationship NPS and a CSAT after support tickets.

The answers follow the same hidden engagement process as usage and churn: a contact asked on a day
answers with a chance that grows with the account's latent engagement that day, and scores it from
that engagement plus the person's own noise. Nothing reads the churn outcome, so detractors come
before churn only as often as low engagement does. Rows are bulk-written as the survey service
would leave them: invitations sent, responses with their category, the contact's latest NPS, and
the timeline entries for every answer and for every detractor or unhappy CSAT.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from django.db import transaction

from retain.accounts import services as account_services
from retain.accounts import timeline
from retain.accounts.choices import ContactRole, Stage
from retain.accounts.models import Contact, TimelineEntry
from retain.demo.generator.context import DemoContext
from retain.demo.generator.world import AccountPlan, PersonPlan, sigmoid
from retain.lib.dates import start_of_day
from retain.surveys import services as survey_services
from retain.surveys.choices import InvitationStatus, ResponseCategory, ResponseSource, ScheduleKind, SurveyKind
from retain.surveys.models import Invitation, Response, Survey
from retain.tenancy.models import Workspace

BATCH = 1000
VIA = "demo"
NPS_EVERY = 182
NPS_ROLES = [ContactRole.CHAMPION, ContactRole.DECISION_MAKER, ContactRole.EXECUTIVE_SPONSOR]
CSAT_ROLES = (ContactRole.ADMIN, ContactRole.USER, ContactRole.CHAMPION)
# Support tickets that end with a CSAT ask, per account and month.
TICKETS_PER_MONTH = {"community": 0.3, "enterprise": 0.8, "strategic": 1.6}
CSAT_PER_CONTACT_A_YEAR = 4
VALIDITY_DAYS = 30
# Answer chance: sigmoid(ANSWER_BASE + ANSWER_SLOPE × engagement); about 35–40% on average.
ANSWER_BASE, ANSWER_SLOPE = -0.55, 0.55
COMMENT_CHANCE = {"promoter": 0.45, "passive": 0.4, "detractor": 0.7, "satisfied": 0.3, "neutral": 0.4,
                  "dissatisfied": 0.75}  # fmt: skip

COMMENTS = {
    "promoter": (
        "The workflows save our team hours every week.",
        "Lead nurture finally runs without us babysitting it.",
        "Our CSM knows our business and it shows.",
        "Attribution reports gave us the numbers the board asked for.",
        "Easy to use, and the onboarding was quick.",
        "Support answers fast and actually solves the problem.",
        "We moved the blog and the CRM sync in a week; everything just works.",
        "Best marketing tool we have used. The e-mail editor is great.",
        "The QBRs are useful: we leave with a plan, not a slide deck.",
        "Social monitoring caught two PR issues early for us.",
    ),
    "passive": (
        "Good product, but reporting could be more flexible.",
        "Does what we need. Pricing is on the high side for our size.",
        "Solid overall; the CRM sync sometimes lags by an hour.",
        "We use a fraction of the features; more training would help.",
        "Fine for e-mail campaigns, weaker on social.",
        "The editor is fine, templates feel dated.",
        "Works well, but the new navigation took getting used to.",
        "Happy enough. Would like better lead scoring.",
        "Reliable. Nothing that wows us lately.",
    ),
    "detractor": (
        "Attribution reports take forever to load.",
        "We lost leads when the CRM integration broke and nobody told us.",
        "Too expensive for how little of it our team uses.",
        "Support tickets sit for days without an answer.",
        "Our champion left and nobody from your side reached out.",
        "The workflow builder is confusing; we went back to spreadsheets.",
        "Deliverability dropped and we could not find out why.",
        "We never got past the set-up; the tracking code still is not live.",
        "Renewal price went up and the product did not get better.",
        "Too many bugs in the e-mail editor.",
    ),
    "satisfied": (
        "Quick answer, problem solved.",
        "Clear explanation, thanks!",
        "Fixed on the first reply.",
        "Helpful and friendly.",
        "The knowledge-base link was exactly what I needed.",
    ),
    "neutral": (
        "Solved, but it took a few back-and-forths.",
        "OK in the end. The first answer missed the point.",
        "Took two days, which is long for a simple question.",
    ),
    "dissatisfied": (
        "Still not fixed.",
        "I had to explain the problem three times.",
        "Closed the ticket without solving anything.",
        "Slow, and the workaround does not work for us.",
    ),
}
FOLLOW_UPS = {
    "promoter": ("Keep it up!", "Happy to be a reference.", ""),
    "passive": ("", "Would recommend with caveats."),
    "detractor": ("", "We are looking at alternatives.", "Please call me.", "Considering whether to renew."),
}


def _at(ctx: DemoContext, day: dt.date, rng: random.Random) -> dt.datetime:
    return ctx.at(day, rng.randint(8, 17), rng.randrange(60))


def _present(person: PersonPlan, day: dt.date) -> bool:
    return person.joined_on <= day and (person.left_on is None or day < person.left_on)


def _answers(rng: random.Random, engagement: float) -> bool:
    return rng.random() < sigmoid(ANSWER_BASE + ANSWER_SLOPE * engagement)


def nps_score(rng: random.Random, engagement: float, role: str) -> int:
    """Engaged accounts recommend us; executives are a little more guarded than champions."""
    lifts: dict[str, float] = {ContactRole.CHAMPION: 0.4, ContactRole.EXECUTIVE_SPONSOR: -0.3}
    lift = lifts.get(role, 0.0)
    return max(0, min(10, round(7.4 + 1.9 * engagement + lift + rng.gauss(0.0, 1.5))))


def csat_score(rng: random.Random, engagement: float) -> int:
    return max(1, min(5, round(3.9 + 0.6 * engagement + rng.gauss(0.0, 0.85))))


def _comment(rng: random.Random, category: str) -> str:
    if rng.random() >= COMMENT_CHANCE[category]:
        return ""
    text = rng.choice(COMMENTS[category])
    follow = rng.choice(FOLLOW_UPS.get(category, ("",)))
    return f"{text} {follow}".strip()


class _Writer:
    """Collects the rows of one survey's history, then writes them in bulk."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.tz = ctx.ws.time_zone
        self.now = ctx.at(ctx.today, 24)  # the build's now: no answer is dated after it
        self.invitations: list[Invitation] = []
        self.answers: list[tuple[Invitation, Response]] = []

    def ask(
        self,
        survey: Survey,
        plan: AccountPlan,
        person: PersonPlan,
        day: dt.date,
        occurrence: str,
        rng: random.Random,
    ) -> None:
        contact = self.ctx.contacts[person.key]
        sent_at = _at(self.ctx, day, rng)
        invitation = Invitation(
            workspace=self.ctx.ws, survey=survey, account=self.ctx.accounts[plan.external_id], contact=contact,
            occurrence=occurrence, status=InvitationStatus.SENT, due_at=sent_at, sent_at=sent_at,
            expires_at=sent_at + dt.timedelta(days=survey.validity_days),
        )  # fmt: skip
        self.invitations.append(invitation)
        answered_at = sent_at + dt.timedelta(hours=min(rng.expovariate(1 / 40), 24 * (survey.validity_days - 1)))
        if answered_at > self.now or not _answers(rng, plan.latent_on(answered_at.date())):
            return
        if not _present(person, answered_at.date()) or not plan.is_customer_on(answered_at.date()):
            return
        engagement = plan.latent_on(answered_at.date())
        if survey.kind == SurveyKind.NPS:
            score = nps_score(rng, engagement, person.role)
        else:
            score = csat_score(rng, engagement)
        category = survey_services.category_for(survey.kind, score)
        response = Response(
            workspace=self.ctx.ws, survey=survey, account=invitation.account, contact=contact, score=score,
            category=category, comment=_comment(rng, category), answered_at=answered_at, source=ResponseSource.DEMO,
        )  # fmt: skip
        self.answers.append((invitation, response))

    def write(self) -> tuple[int, int]:
        Invitation.objects.bulk_create(self.invitations, batch_size=BATCH)
        responses = []
        for invitation, response in self.answers:
            response.invitation = invitation
            responses.append(response)
        Response.objects.bulk_create(responses, batch_size=BATCH)
        entries: list[TimelineEntry] = []
        latest: dict[int, Response] = {}
        for response in responses:
            survey, contact = response.survey, response.contact
            high = survey.scale[1]
            entries.append(
                timeline.survey_answered_entry(
                    contact, survey_name=survey.name, survey_id=survey.pk, response_id=response.pk,
                    score=response.score, scale_max=high, category=ResponseCategory(response.category).label.lower(),
                    comment=response.comment, changed_from=None, actor=None, via=VIA, occurred_at=response.answered_at,
                )
            )  # fmt: skip
            if survey_services.is_unhappy(survey.kind, response.score):
                factory = (
                    timeline.detractor_answered_entry if survey.kind == SurveyKind.NPS else timeline.low_csat_entry
                )
                entries.append(
                    factory(
                        contact, survey_name=survey.name, survey_id=survey.pk, response_id=response.pk,
                        score=response.score, comment=response.comment, via=VIA, occurred_at=response.answered_at,
                    )
                )  # fmt: skip
            if survey.kind == SurveyKind.NPS:
                earlier = latest.get(contact.pk)
                if earlier is None or response.answered_at >= earlier.answered_at:
                    latest[contact.pk] = response
        TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
        contacts = []
        for contact_id, response in latest.items():
            contact = response.contact
            assert contact.pk == contact_id
            contact.nps_score, contact.nps_category = response.score, response.category
            contact.nps_answered_at = response.answered_at
            contacts.append(contact)
        Contact.objects.bulk_update(contacts, ["nps_score", "nps_category", "nps_answered_at"], batch_size=BATCH)
        return len(self.invitations), len(responses)


def _surveys(workspace: Workspace, created_on: dt.date) -> tuple[Survey, Survey]:
    # Churned accounts are not asked any more; the segment is evaluated on every sweep.
    customers = account_services.segment_create(
        workspace=workspace, actor=None, name="Current customers",
        criteria={"stage": [stage for stage in Stage.values if stage != Stage.CHURNED]},
    )  # fmt: skip
    nps = survey_services.survey_create(
        workspace=workspace, actor=None, name="Relationship NPS", kind=SurveyKind.NPS,
        schedule_kind=ScheduleKind.RECURRING, schedule_days=NPS_EVERY, roles=[str(role) for role in NPS_ROLES],
        fatigue_limit=3, segment=customers,
    )  # fmt: skip
    csat = survey_services.survey_create(
        workspace=workspace, actor=None, name="Support CSAT", kind=SurveyKind.CSAT,
        schedule_kind=ScheduleKind.AFTER_EVENT, trigger_kind="ticket_solved", ask_why=True,
        question=f"How satisfied are you with the help you got from {workspace.name} support?",
        fatigue_limit=CSAT_PER_CONTACT_A_YEAR, segment=customers,
    )  # fmt: skip
    # The history starts a year ago, so the recurring schedule's current occasion is the one the
    # history already asked, and the first sweep after the build sends nothing new.
    created_at = start_of_day(created_on, workspace.time_zone)
    Survey.objects.filter(pk__in=[nps.pk, csat.pk]).update(created_at=created_at)
    nps.created_at = csat.created_at = created_at
    return nps, csat


def build_surveys(ctx: DemoContext) -> str:
    window_start = ctx.world.window_start
    started = window_start + dt.timedelta(days=4)
    with transaction.atomic():
        nps, csat = _surveys(ctx.ws, started)
        writer = _Writer(ctx)
        periods = (ctx.today - started).days // NPS_EVERY + 1
        for plan in ctx.world.accounts:
            rng = ctx.rng("surveys", plan.external_id)
            audience = [p for p in plan.people if p.is_contact and p.role in NPS_ROLES]
            for period in range(periods):
                opens = started + dt.timedelta(days=period * NPS_EVERY)
                closes = min(opens + dt.timedelta(days=NPS_EVERY - 1), ctx.today)
                for person in audience:
                    # Asked in the first weeks of the occasion, or soon after joining within it.
                    day = max(opens, person.joined_on + dt.timedelta(days=14)) + dt.timedelta(days=rng.randint(0, 20))
                    if day <= closes and _present(person, day) and plan.is_customer_on(day):
                        writer.ask(nps, plan, person, day, f"every:{period}", rng)
            helped = [p for p in plan.people if p.is_contact and p.role in CSAT_ROLES]
            rate = TICKETS_PER_MONTH[plan.tier] / 30.0
            day = max(plan.customer_since, window_start)
            asked: dict[str, int] = {}
            while helped:
                # A support ticket solved; quieter accounts file a few more of them.
                day += dt.timedelta(days=1 + int(rng.expovariate(rate * math.exp(-0.2 * plan.latent_on(day)))))
                if day > ctx.today or not plan.is_customer_on(day):
                    break
                present = [p for p in helped if _present(p, day) and asked.get(p.key, 0) < CSAT_PER_CONTACT_A_YEAR]
                if present:
                    person = rng.choice(present)
                    asked[person.key] = asked.get(person.key, 0) + 1
                    writer.ask(csat, plan, person, day, f"ticket:{day.isoformat()}:{person.key}", rng)
        invitations, responses = writer.write()
    return f"2 surveys, {invitations} invitations, {responses} responses"
