"""Forms for the accounts pages: the list's filters and the forms that change an account.

Forms check the shape of the input (types, required fields); the services in accounts.services
decide what is allowed and raise ValidationError naming the field, which `add_service_errors` puts
next to that field. Forms never save anything themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from retain.accounts.choices import ContactRole, ContactStatus, Edition, Stage, Tier, TouchpointKind
from retain.accounts.models import Account, Contact, Subscription
from retain.accounts.segments import NO_OWNER, clean_criteria
from retain.lib.columns import integer_max
from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace

PAGE_SIZES = (25, 50, 100)
SORT_CHOICES = [
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-arr", "ARR, highest first"),
    ("arr", "ARR, lowest first"),
    ("renewal", "Renewal, soonest first"),
    ("-renewal", "Renewal, latest first"),
    ("-in_stage", "Days in stage, longest first"),
    ("in_stage", "Days in stage, shortest first"),
]
# Criteria fields that repeat in the query string (?tier=a&tier=b) and those that appear once.
MULTI_CRITERIA = ("tier", "edition", "stage", "owner")
SINGLE_CRITERIA = ("q", "renewal_within_days", "arr_min", "arr_max", "in_stage_days_min")


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a service's ValidationError to the field it names, or to the form as a whole."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message if target else f"{field}: {message}")
    else:
        for message in error.messages:
            form.add_error(None, message)


@dataclass(frozen=True)
class ActionOutcome:
    """What a page's posted action did: a form with errors to show again, or the raw token of a new
    shared link; neither when it is simply done."""

    failed: forms.Form | None = None
    token: str = ""


def submit_action(form: forms.Form, save: Callable[[dict[str, Any]], object]) -> ActionOutcome:
    """Validate the form and save its data; the service's refusals are shown on the form."""
    if not form.is_valid():
        return ActionOutcome(failed=form)
    try:
        save(dict(form.cleaned_data))
    except ValidationError as error:
        add_service_errors(form, error)
        return ActionOutcome(failed=form)
    return ActionOutcome()


def owner_candidates(workspace: Workspace) -> QuerySet[Member]:
    """Members who can own accounts: every active member but viewers."""
    return (
        Member.objects.filter(workspace=workspace, is_active=True)
        .exclude(role=Role.VIEWER)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def _member_choices(members: QuerySet[Member]) -> list[tuple[str, str]]:
    return [(str(m.pk), m.display_name) for m in members]


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# The accounts list ------------------------------------------------------------------------------


class AccountFilterForm(forms.Form):
    """The accounts list's GET form. Its criteria fields are named exactly as segment criteria, so
    the same query string filters the list, saves a segment and exports the CSV."""

    q = forms.CharField(
        required=False, label="Search", widget=forms.SearchInput(attrs={"placeholder": "Name or domain"})
    )
    tier = forms.MultipleChoiceField(required=False, choices=Tier.choices, widget=forms.CheckboxSelectMultiple)
    edition = forms.MultipleChoiceField(required=False, choices=Edition.choices, widget=forms.CheckboxSelectMultiple)
    stage = forms.MultipleChoiceField(
        required=False, choices=Stage.choices, label="Lifecycle stage", widget=forms.CheckboxSelectMultiple
    )
    owner = forms.MultipleChoiceField(required=False, label="Owner", widget=forms.SelectMultiple(attrs={"size": 5}))
    # Text, not IntegerField: clean_criteria is the one place that says what a valid value is.
    renewal_within_days = forms.CharField(
        required=False,
        label="Renews within (days)",
        widget=forms.NumberInput(attrs={"min": 0, "placeholder": "e.g. 90", "class": "num-filter"}),
    )
    arr_min = forms.CharField(
        required=False, label="ARR from", widget=forms.NumberInput(attrs={"min": 0, "class": "num-filter"})
    )
    arr_max = forms.CharField(
        required=False, label="ARR to", widget=forms.NumberInput(attrs={"min": 0, "class": "num-filter"})
    )
    in_stage_days_min = forms.CharField(
        required=False,
        label="In stage at least (days)",
        widget=forms.NumberInput(attrs={"min": 0, "placeholder": "e.g. 180", "class": "num-filter"}),
    )
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort by")
    per_page = forms.TypedChoiceField(
        required=False, coerce=int, choices=[(n, f"{n} per page") for n in PAGE_SIZES], label="Page size"
    )

    def __init__(self, *args: Any, workspace: Workspace, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Sort and page size sit above the results, outside the filters' <form>, but belong to it.
        for name in ("sort", "per_page"):
            self.fields[name].widget.attrs.update(
                {"form": "filters", "hx-get": action, "hx-include": "#filters", "hx-target": "#results"}
            )
            self.fields[name].widget.attrs["hx-push-url"] = "true"
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.MultipleChoiceField)
        owner_field.choices = [(NO_OWNER, "No owner"), *_member_choices(owner_candidates(workspace))]

    def raw_criteria(self) -> dict[str, Any]:
        """The criteria exactly as typed, for clean_criteria and for posting to segment-save."""
        data = self.data
        raw: dict[str, Any] = {}
        for key in MULTI_CRITERIA:
            values = [v for v in data.getlist(key) if v != ""] if hasattr(data, "getlist") else data.get(key, [])
            if values:
                raw[key] = values
        for key in SINGLE_CRITERIA:
            value = (data.get(key) or "").strip()
            if value:
                raw[key] = value
        return raw

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["criteria"] = clean_criteria(self.raw_criteria())
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned

    @property
    def criteria(self) -> dict[str, Any]:
        """Cleaned criteria, or none at all when the form has errors (the page shows them)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return dict(self.cleaned_data.get("criteria", {}))

    @property
    def sort_key(self) -> str:
        value = self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else ""
        return value or "name"

    @property
    def page_size(self) -> int:
        value = self.cleaned_data.get("per_page") if self.is_bound and self.is_valid() else None
        return value or PAGE_SIZES[0]

    def criteria_items(self) -> list[tuple[str, str]]:
        """(name, value) pairs of the raw criteria, one per value, for hidden inputs."""
        pairs: list[tuple[str, str]] = []
        for key, value in self.raw_criteria().items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, str(item)))
        return pairs


# Accounts ----------------------------------------------------------------------------------------


class AccountForm(forms.Form):
    """An account's own fields. A CSM cannot give an account away: the owner is fixed to them."""

    name = forms.CharField(max_length=255)
    domain = forms.CharField(max_length=255, required=False)
    external_id = forms.CharField(max_length=128, required=False, label="CRM id")
    tier = forms.ChoiceField(choices=Tier.choices)
    edition = forms.ChoiceField(choices=Edition.choices)
    stage = forms.ChoiceField(choices=Stage.choices, label="Lifecycle stage")
    owner = MemberChoiceField(queryset=Member.objects.none(), required=False, empty_label="No owner")
    reason = forms.CharField(
        required=False,
        max_length=300,
        help_text="Why the owner or stage changes; kept on the timeline.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. handover to the enterprise team"}),
    )
    industry = forms.CharField(max_length=100, required=False)
    employees = forms.IntegerField(min_value=0, max_value=integer_max(Account, "employees"), required=False)
    annual_revenue = forms.DecimalField(
        min_value=0, max_digits=16, decimal_places=2, required=False, label="Company annual revenue",
        help_text="The customer's own revenue, not what they pay us.",
    )  # fmt: skip
    customer_since = forms.DateField(required=False, widget=DateInput())

    MODEL_FIELDS = (
        "name", "domain", "external_id", "tier", "edition", "stage", "owner",
        "industry", "employees", "annual_revenue", "customer_since",
    )  # fmt: skip

    def __init__(self, *args: Any, member: Member, account: Account | None = None, **kwargs: Any) -> None:
        self.account = account
        if account is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(account, name) for name in self.MODEL_FIELDS}
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = owner_candidates(member.workspace)
        if not member.can_manage:
            owner.disabled = True
            owner.help_text = "Only a manager can give an account to someone else."
            if account is None:
                owner.initial = member
        if account is None:
            del self.fields["reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.account is not None and not cleaned.get("reason", "").strip():
            moved = "owner" in cleaned and cleaned["owner"] != self.account.owner
            restaged = "stage" in cleaned and cleaned["stage"] != self.account.stage
            if moved or restaged:
                self.add_error("reason", "Say why the owner or lifecycle stage changes.")
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.MODEL_FIELDS if name in self.cleaned_data}
        for name in ("domain", "external_id", "industry"):
            data[name] = data.get(name) or ""
        return data


# Contacts ----------------------------------------------------------------------------------------


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False, label="E-mail")
    title = forms.CharField(max_length=200, required=False, label="Job title")
    phone = forms.CharField(max_length=50, required=False)
    role = forms.ChoiceField(choices=ContactRole.choices)
    # Erased is the erasure's to set (retain.ownership), never a choice on the form.
    status = forms.ChoiceField(choices=[c for c in ContactStatus.choices if c[0] != ContactStatus.ERASED])
    left_on = forms.DateField(required=False, label="Left on", widget=DateInput())

    MODEL_FIELDS = ("first_name", "last_name", "email", "title", "phone", "role", "status", "left_on")

    def __init__(self, *args: Any, contact: Contact | None = None, **kwargs: Any) -> None:
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(contact, name) for name in self.MODEL_FIELDS}
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        nameless = not (cleaned.get("first_name") or cleaned.get("last_name") or cleaned.get("email"))
        if nameless and "email" not in self.errors:
            self.add_error("email", "Give a name or an e-mail address.")
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.MODEL_FIELDS}


# Touchpoints -------------------------------------------------------------------------------------


def _contact_label(contact: Contact) -> str:
    left = " · left" if contact.status == ContactStatus.LEFT else ""
    return f"{contact} ({contact.get_role_display()}{left})"


class TouchpointForm(forms.Form):
    kind = forms.ChoiceField(choices=TouchpointKind.choices)
    occurred_at = forms.DateTimeField(label="When", widget=DateTimeInput())
    member = MemberChoiceField(queryset=Member.objects.none(), label="With us", empty_label=None)
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(), required=False, label="With them", widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, member: Member, account: Account, now: dt.datetime, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": TouchpointKind.CALL, "occurred_at": now.replace(second=0, microsecond=0)})
        kwargs["initial"].setdefault("member", member.pk)
        super().__init__(*args, **kwargs)
        member_field = self.fields["member"]
        contacts_field = self.fields["contacts"]
        assert isinstance(member_field, forms.ModelChoiceField)
        assert isinstance(contacts_field, forms.ModelMultipleChoiceField)
        member_field.queryset = owner_candidates(member.workspace)
        contacts_field.queryset = account.contacts.order_by("status", "last_name", "first_name")
        contacts_field.label_from_instance = _contact_label  # type: ignore[method-assign,assignment]  # Django's documented way to label the choices


# Subscriptions -----------------------------------------------------------------------------------


class SubscriptionForm(forms.Form):
    product = forms.CharField(max_length=200)
    seats = forms.IntegerField(min_value=0, max_value=integer_max(Subscription, "seats"), initial=1)
    mrr = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, label="MRR")
    currency = forms.CharField(max_length=3, min_length=3)
    started_on = forms.DateField(label="Start", widget=DateInput())
    term_end = forms.DateField(label="Term end", widget=DateInput())
    external_id = forms.CharField(max_length=128, required=False, label="CRM id")

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()


class SubscriptionChangeForm(forms.Form):
    """A dated change: new MRR, seats, product or term end. MRR 0 churns the subscription."""

    effective_on = forms.DateField(label="Effective", widget=DateInput())
    mrr = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, label="MRR")
    seats = forms.IntegerField(min_value=0, max_value=integer_max(Subscription, "seats"))
    product = forms.CharField(max_length=200)
    term_end = forms.DateField(label="Term end", widget=DateInput())

    def __init__(self, *args: Any, subscription: Subscription, today: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "effective_on": today,
                "mrr": subscription.mrr,
                "seats": subscription.seats,
                "product": subscription.product,
                "term_end": subscription.term_end,
            },
        )
        super().__init__(*args, **kwargs)
