"""Forms of the customer portal's page in the app: the tiers it is on for, resources, invitations."""

from __future__ import annotations

import datetime as dt

from django import forms

from retain.accounts.choices import Edition, Stage, Tier
from retain.portal.choices import ResourceKind


class PortalTiersForm(forms.Form):
    tiers = forms.MultipleChoiceField(
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="The portal is on for",
        help_text="Contacts of accounts in these tiers can be invited and sign in.",
    )


class ResourceForm(forms.Form):
    title = forms.CharField(max_length=200)
    url = forms.URLField(max_length=500, label="Link", assume_scheme="https")
    kind = forms.ChoiceField(choices=ResourceKind.choices)
    stages = forms.MultipleChoiceField(
        choices=Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every stage.",
    )
    editions = forms.MultipleChoiceField(
        choices=Edition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every edition.",
    )
    refreshed_on = forms.DateField(
        label="Last refreshed", initial=dt.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )


class PortalInviteForm(forms.Form):
    email = forms.EmailField(label="Contact's e-mail address", help_text="A contact of one of your accounts.")
