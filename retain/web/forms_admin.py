"""Forms for segments, CSM books and workspace administration.

Forms check the shape of the input; the services decide what is allowed and name the field when
they refuse, and `add_service_errors` puts those refusals next to the right input.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from retain.accounts.models import Account
from retain.accounts.segments import NO_OWNER
from retain.lib.senders import DEFAULT_SENDER_NAME
from retain.tenancy.choices import AuditAction, CapacityUnit, CsmKind, JobName, JobStatus, Role, UnknownGroups
from retain.tenancy.models import Member, Workspace
from retain.web.forms import MULTI_CRITERIA, SINGLE_CRITERIA


def segment_criteria_from(data: Any) -> dict[str, Any]:
    """The raw criteria dict from a QueryDict carrying the accounts list's filter fields."""
    criteria: dict[str, Any] = {}
    for key in MULTI_CRITERIA:
        values = [v for v in data.getlist(key) if v != ""]
        if values:
            criteria[key] = values
    for key in SINGLE_CRITERIA:
        value = data.get(key, "")
        if value != "":
            criteria[key] = value
    return criteria


class SegmentNameForm(forms.Form):
    name = forms.CharField(max_length=120)


def _time_zone_choices() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class UnmatchedGroupLinkForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), label="Existing account")

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = self.fields["account"]
        assert isinstance(account, forms.ModelChoiceField)
        account.queryset = Account.objects.filter(workspace=workspace).order_by("name", "id")


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    # Free text with a datalist of known zones; workspace_update rejects unknown ones by name.
    time_zone = forms.CharField(max_length=64, widget=forms.TextInput(attrs={"list": "time-zones"}))
    currency = forms.CharField(max_length=3, min_length=3, help_text="ISO 4217 code such as USD or EUR")
    renewal_window_community_days = forms.IntegerField(
        min_value=1, max_value=730, label="Community renewal window (days)"
    )
    renewal_window_enterprise_days = forms.IntegerField(
        min_value=1, max_value=730, label="Enterprise renewal window (days)"
    )
    renewal_window_strategic_days = forms.IntegerField(
        min_value=1, max_value=730, label="Strategic renewal window (days)"
    )
    gross_margin_pct = forms.DecimalField(
        min_value=1,
        max_value=100,
        decimal_places=2,
        label="Gross margin (%)",
        help_text="The share of revenue kept after the cost of serving it; customer lifetime value multiplies by "
        "it (75% in the seed's example).",
    )

    fallback_owner = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        required=False,
        empty_label="The first manager",
        label="Fallback owner",
        help_text="Takes the tasks of accounts nobody owns, so that no task is left unassigned.",
    )

    sender_name = forms.CharField(
        max_length=200,
        required=False,
        label="Sender name",
        help_text="Who e-mail to customers is from: {csm} is the account's CSM, {workspace} this workspace's "
        "name (empty: {csm} at {workspace}). Mail without a CSM (digests, accounts nobody owns) is from the "
        "workspace's name.",
    )
    sender_email = forms.EmailField(
        required=False,
        label="Sender address",
        help_text="The From address of playbook e-mail, survey invitations and digests; empty for the "
        "server's own. Your mail provider must be allowed to send for its domain. Replies go to the CSM.",
    )
    unknown_groups = forms.ChoiceField(
        choices=UnknownGroups.choices,
        required=False,
        label="Unknown groupIds",
        help_text="A Segment group call whose groupId no account has: create the account (marked, not scored "
        "until it pays), or hold it in the unmatched-groups list for an admin to link or create.",
    )

    time_zones = staticmethod(_time_zone_choices)

    @classmethod
    def for_workspace(cls, workspace: Workspace, data: Any = None) -> WorkspaceSettingsForm:
        initial = {name: getattr(workspace, name) for name in cls.base_fields}
        form = cls(data=data, initial=initial)
        fallback = form.fields["fallback_owner"]
        assert isinstance(fallback, forms.ModelChoiceField)
        fallback.queryset = (
            Member.objects.filter(workspace=workspace, is_active=True)
            .exclude(role=Role.VIEWER)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "pk")
        )
        return form

    def clean_unknown_groups(self) -> str:
        # Left out of a post (an older form): the setting stays as it is.
        return str(self.cleaned_data["unknown_groups"] or self.initial.get("unknown_groups") or UnknownGroups.CREATE)

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()

    def clean_time_zone(self) -> str:
        return str(self.cleaned_data["time_zone"]).strip()

    def clean_sender_name(self) -> str:
        return str(self.cleaned_data["sender_name"]).strip() or DEFAULT_SENDER_NAME


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(max_length=3, min_length=3)
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.DecimalField(max_digits=18, decimal_places=8, min_value=Decimal("0.00000001"))

    def clean_valid_from(self) -> dt.date:
        value: dt.date = self.cleaned_data["valid_from"]
        return value


class MemberAddForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)
    csm_kind = forms.ChoiceField(choices=[("", "—"), *CsmKind.choices], required=False, label="CSM kind")
    capacity_unit = forms.ChoiceField(choices=[("", "—"), *CapacityUnit.choices], required=False)
    capacity = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)


# Managers plan books (kind and capacity); only admins decide who is in the workspace and with what role.
MANAGER_EDITABLE = ("csm_kind", "capacity_unit", "capacity", "manager")
ADMIN_EDITABLE = ("role", "is_active", *MANAGER_EDITABLE)


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(required=False, label="Active")
    csm_kind = forms.ChoiceField(choices=[("", "—"), *CsmKind.choices], required=False, label="CSM kind")
    capacity_unit = forms.ChoiceField(choices=[("", "—"), *CapacityUnit.choices], required=False)
    capacity = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)
    manager = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        required=False,
        label="Reports to",
        empty_label="Nobody set (escalations go to the first manager)",
        help_text="who gets this member's overdue playbook tasks escalated",
    )

    def __init__(self, *args: Any, subject: Member, editor: Member, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(subject, name) for name in ADMIN_EDITABLE})
        super().__init__(*args, **kwargs)
        self.subject = subject
        self.editor = editor
        manager_field = self.fields["manager"]
        assert isinstance(manager_field, forms.ModelChoiceField)
        manager_field.queryset = (
            Member.objects.filter(workspace_id=subject.workspace_id, is_active=True)
            .exclude(role=Role.VIEWER)
            .exclude(pk=subject.pk)
            .select_related("user")
            .order_by("user__first_name", "user__email")
        )
        manager_field.label_from_instance = lambda m: m.display_name  # type: ignore[method-assign,assignment]  # Django's documented way to label the choices
        if not editor.is_admin:
            for name in ("role", "is_active"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("capacity") is not None and not cleaned.get("capacity_unit"):
            self.add_error("capacity_unit", "say whether the capacity counts accounts or ARR")
        return cleaned

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class AuditFilterForm(forms.Form):
    """The audit log's filters; every field is optional and an empty form shows everything."""

    action = forms.ChoiceField(choices=[("", "Any change"), *AuditAction.choices], required=False)
    actor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="By")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, max_length=100, label="Search")

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Member.objects.filter(workspace=workspace).select_related("user").order_by("user__email")
        actor_field: Any = self.fields["actor"]
        actor_field.choices = [("", "Anyone"), *[(m.pk, m.display_name) for m in people]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "must be on or after the From day")
        return cleaned


class JobRunFilterForm(forms.Form):
    """The Jobs page's history filters; both optional, an empty form shows every run."""

    job = forms.ChoiceField(choices=[("", "Any job"), *JobName.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *JobStatus.choices], required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100)


class WriteKeyForm(forms.Form):
    name = forms.CharField(max_length=100)


class BookMoveForm(forms.Form):
    """Move a CSM's book, or the unowned accounts, to another CSM: all of it or a selection."""

    # Chosen with the page's "show book" picker, so the ticked accounts always belong to it.
    from_owner = forms.ChoiceField(label="From", widget=forms.HiddenInput)
    accounts = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: the whole book"
    )
    to_owner = forms.TypedChoiceField(coerce=int, label="To")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, owners: QuerySet[Member], account_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = [(m.pk, f"{m.display_name}{'' if m.is_active else ' (inactive)'}") for m in owners]
        from_field: Any = self.fields["from_owner"]
        from_field.choices = [(NO_OWNER, "No owner"), *[(str(pk), label) for pk, label in people]]
        to_field: Any = self.fields["to_owner"]
        to_field.choices = [(m.pk, m.display_name) for m in owners if m.is_active and m.role != Role.VIEWER]
        accounts_field: Any = self.fields["accounts"]
        accounts_field.choices = account_choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source, target = cleaned.get("from_owner"), cleaned.get("to_owner")
        if source is not None and target is not None and source == str(target):
            self.add_error("to_owner", "choose a different CSM than the one the book is moved from")
        return cleaned
