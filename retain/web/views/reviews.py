"""Business review pages: an account's reviews (and a new one), one review's page with its pack,
the PDF, and the customer's link opened without a login.

The review page is one GET and one POST endpoint: the `action` field names the small form sent and
ACTIONS maps it to its handler, each calling one retain.reports service. The pack shown is the
internal preparation by default, the customer's version with ?audience=customer (what the PDF and
link give the customer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from retain import access
from retain.accounts.models import Contact
from retain.lib.columns import parse_whole
from retain.messaging.views import rate_limited
from retain.reports import render as pack_render
from retain.reports import selectors, services
from retain.reports.choices import Audience, ReviewStatus
from retain.reports.models import BusinessReview, ReviewLink
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import ActionOutcome, add_service_errors, submit_action
from retain.web.forms_reviews import HoldForm, LinkForm, NarrativeForm, ProposalForm, ReviewForm


@require_http_methods(["GET", "POST"])
@workspace_view
def account_reviews(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """The account's reviews, newest quarter first, and the form for a new one."""
    if request.method == "POST":
        account = access.get_rw_account_for_user(member, pk)
    else:
        account = access.get_account_for_user(member, pk)
    form = ReviewForm(request.POST) if request.method == "POST" else ReviewForm()
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(account=account, actor=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Review {review.period} planned.")
            return redirect("business-review", member.workspace.slug, review.pk)
    context = {
        "account": account,
        "workspace": member.workspace,
        "can_edit": access.can_edit_account(member, account),
        "reviews": list(selectors.account_reviews(account)),
        "form": form,
    }
    return render(request, "web/reviews/list.html", context, status=400 if form.errors else 200)


@dataclass(frozen=True)
class _Posted:
    member: Member
    review: BusinessReview
    data: QueryDict


def _prepare(p: _Posted) -> ActionOutcome:
    return submit_action(forms.Form(p.data), lambda data: services.review_prepare(review=p.review, actor=p.member))


def _refresh(p: _Posted) -> ActionOutcome:
    return submit_action(forms.Form(p.data), lambda data: services.review_draft(review=p.review, actor=p.member))


def _narrative(p: _Posted) -> ActionOutcome:
    return submit_action(
        NarrativeForm(p.data), lambda data: services.review_narrative_update(review=p.review, actor=p.member, **data)
    )


def _hold(p: _Posted) -> ActionOutcome:
    return submit_action(
        HoldForm(p.data, account=p.review.account),
        lambda data: services.review_hold(
            review=p.review,
            actor=p.member,
            held_on=data["held_on"],
            contacts=list(data["contacts"]),
            members=list(data["members"]),
            decisions=data["decisions"],
            feedback=data["feedback"],
            sentiment=data["sentiment"],
        ),
    )


def _accept(p: _Posted) -> ActionOutcome:
    """Tick which proposals the customer agreed to."""
    accepted = {parse_whole(value) for value in p.data.getlist("accepted")}
    proposals = [{**item, "accepted": index in accepted} for index, item in enumerate(p.review.proposals)]
    return submit_action(
        forms.Form(p.data),
        lambda data: services.review_proposals_update(review=p.review, actor=p.member, proposals=proposals),
    )


def _proposal(p: _Posted) -> ActionOutcome:
    def save(data: dict[str, Any]) -> None:
        side, _, pk = data["owner"].partition("-")
        item = {
            "kind": data["kind"],
            "text": data["text"],
            "side": "us" if side == "member" else "customer",
            "owner_contact": parse_whole(pk) if side == "contact" else None,
            "owner_member": parse_whole(pk) if side == "member" else None,
            "due_on": data["due_on"].isoformat(),
            "accepted": True,
        }
        services.review_proposals_update(review=p.review, actor=p.member, proposals=[*p.review.proposals, item])

    return submit_action(ProposalForm(p.data, account=p.review.account), save)


def _follow_up(p: _Posted) -> ActionOutcome:
    return submit_action(forms.Form(p.data), lambda data: services.review_follow_up(review=p.review, actor=p.member))


def _link(p: _Posted) -> ActionOutcome:
    tokens: list[str] = []

    def save(data: dict[str, Any]) -> None:
        _, raw = services.review_link_create(review=p.review, actor=p.member, days=data["days"])
        tokens.append(raw)

    outcome = submit_action(LinkForm(p.data), save)
    return ActionOutcome(token=tokens[0]) if tokens else outcome


def _link_revoke(p: _Posted) -> ActionOutcome:
    pk = parse_whole(p.data.get("link"))
    if pk is None:
        raise Http404("No such link")
    link = get_object_or_404(ReviewLink, pk=pk, review=p.review)
    return submit_action(forms.Form(p.data), lambda data: services.review_link_revoke(link=link, actor=p.member))


def _email(p: _Posted) -> ActionOutcome:
    return submit_action(forms.Form(p.data), lambda data: services.review_email(review=p.review, actor=p.member))


ACTIONS: dict[str, Callable[[_Posted], ActionOutcome]] = {
    "email": _email,
    "prepare": _prepare,
    "refresh": _refresh,
    "narrative": _narrative,
    "hold": _hold,
    "accept": _accept,
    "proposal": _proposal,
    "follow-up": _follow_up,
    "link": _link,
    "link-revoke": _link_revoke,
}


@require_http_methods(["GET", "POST"])
@workspace_view
def business_review(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    if request.method == "POST":
        review = access.get_rw_review_for_user(member, pk)
    else:
        review = access.get_review_for_user(member, pk)
    failed: forms.Form | None = None
    new_link = ""
    if request.method == "POST":
        handler = ACTIONS.get(request.POST.get("action", ""))
        if handler is None:
            failed = forms.Form(request.POST)
            failed.add_error(None, "Unknown action")
        else:
            outcome = handler(_Posted(member, review, request.POST))
            failed = outcome.failed
            if outcome.token:
                new_link = settings.SITE_URL + reverse("shared-review", args=[outcome.token])
            elif failed is None:
                messages.success(request, "Review saved.")
                return redirect("business-review", member.workspace.slug, review.pk)
        review.refresh_from_db()
    account = review.account
    audience = Audience.CUSTOMER if request.GET.get("audience") == Audience.CUSTOMER else Audience.INTERNAL
    can_edit = access.can_edit_account(member, account)
    owners = {f"contact-{c.pk}": c.full_name for c in Contact.objects.filter(account=account)}
    owners |= {f"member-{m.pk}": m.display_name for m in Member.objects.filter(workspace_id=account.workspace_id)}
    proposals = [
        {
            **item,
            "index": index,
            "owner": owners.get(
                f"contact-{item['owner_contact']}"
                if item.get("owner_contact")
                else f"member-{item.get('owner_member')}",
                "",
            ),
        }
        for index, item in enumerate(review.proposals)
    ]
    context: dict[str, Any] = {
        "account": account,
        "workspace": member.workspace,
        "review": review,
        "can_edit": can_edit,
        "audience": audience,
        "failed": failed,
        "new_link": new_link,
        "links": list(selectors.review_links(review)) if can_edit else [],
        "proposal_rows": proposals,
        "narrative_form": NarrativeForm(initial=review.narrative),
        "hold_form": HoldForm(account=account, initial={"held_on": review.meeting_on}),
        "proposal_form": ProposalForm(account=account),
        "link_form": LinkForm(),
        "statuses": ReviewStatus,
    }
    if review.pack:
        context["pack_context"] = pack_render.context(review, audience)
    return render(request, "web/reviews/detail.html", context, status=400 if failed is not None else 200)


@require_GET
@workspace_view
def business_review_pdf(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    review = access.get_review_for_user(member, pk)
    if not review.pack:
        raise Http404("The review is not prepared yet")
    audience = Audience.INTERNAL if request.GET.get("audience") == Audience.INTERNAL else Audience.CUSTOMER
    try:
        data = pack_render.pdf(review, audience)
    except pack_render.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain")
    response = HttpResponse(data, content_type="application/pdf")
    suffix = "-internal" if audience == Audience.INTERNAL else ""
    response["Content-Disposition"] = f'inline; filename="qbr-{review.period}-{review.account_id}{suffix}.pdf"'
    return response


RATE_PER_ADDRESS = 30
RATE_PER_TOKEN = 60


@require_GET
@never_cache
def shared_review(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's version of a review, through its link: a bad, expired or revoked token is a 404."""
    if limited := rate_limited(request, token, scope="reviews", per_address=RATE_PER_ADDRESS, per_token=RATE_PER_TOKEN):
        return limited
    link = selectors.review_link_resolve(token)
    if link is None:
        raise Http404("No such link")
    response = HttpResponse(pack_render.html_document(link.review, Audience.CUSTOMER, browser=True))
    response["X-Robots-Tag"] = "noindex"
    return response
