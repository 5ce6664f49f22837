"""Forms of the business review pages: create, narrative, hold, a proposal, a customer link."""

from __future__ import annotations

from typing import Any

from django import forms

from retain.accounts.models import Account, Contact
from retain.reports.choices import ProposalKind, Sentiment
from retain.reports.services import DEFAULT_LINK_DAYS, MAX_LINK_DAYS
from retain.tenancy.models import Member

DATE = forms.DateInput(attrs={"type": "date"})


class ReviewForm(forms.Form):
    period = forms.CharField(max_length=6, help_text="the quarter reviewed, like 2026Q4")
    meeting_on = forms.DateField(required=False, widget=DATE, label="Meeting on")
    agenda = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NarrativeForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    wins = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    challenges = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    recommendations = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class _Attendees(forms.Form):
    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = account.contacts.order_by("last_name", "first_name", "id")  # type: ignore[attr-defined]  # a ModelMultipleChoiceField
        self.fields["members"].queryset = Member.objects.filter(  # type: ignore[attr-defined]  # a ModelMultipleChoiceField
            workspace_id=account.workspace_id, is_active=True
        ).select_related("user")


class HoldForm(_Attendees):
    held_on = forms.DateField(widget=DATE, label="Held on")
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Their attendees"
    )
    members = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Our attendees"
    )
    decisions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Customer feedback")
    sentiment = forms.ChoiceField(choices=Sentiment.choices)


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(choices=ProposalKind.choices)
    text = forms.CharField(max_length=200)
    owner = forms.ChoiceField(help_text="who does it (a commitment)", required=False)
    due_on = forms.DateField(widget=DATE, label="Due on")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = [(f"contact-{c.pk}", f"{c.full_name} (customer)") for c in account.contacts.order_by("pk")]
        members = [
            (f"member-{m.pk}", f"{m.display_name} (us)")
            for m in Member.objects.filter(workspace_id=account.workspace_id, is_active=True).select_related("user")
        ]
        self.fields["owner"].choices = [("", "—"), *contacts, *members]  # type: ignore[attr-defined]  # a ChoiceField


class LinkForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_LINK_DAYS, initial=DEFAULT_LINK_DAYS)
