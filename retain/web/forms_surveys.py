"""The survey definition form: what is asked, of whom, when, and how often at most.

The form checks shapes only (whole numbers, known choices, a segment of this workspace); what a
schedule needs (days before a renewal, an entry kind to follow) is surveys.services' rule, whose
ValidationError lands on the field it names through `add_service_errors`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from retain.accounts.choices import ContactRole, EntryKind, Tier
from retain.accounts.models import Segment
from retain.accounts.selectors import workspace_today
from retain.lib.columns import integer_max
from retain.surveys.choices import ScheduleKind, SurveyKind
from retain.surveys.measures import Period
from retain.surveys.models import (
    DEFAULT_FATIGUE_LIMIT,
    DEFAULT_FATIGUE_WINDOW_DAYS,
    DEFAULT_FIRST_ASK_AFTER_DAYS,
    DEFAULT_VALIDITY_DAYS,
    QUESTIONS,
    Survey,
)
from retain.tenancy.models import Workspace

# The fields a schedule kind uses; the others are cleared so a switched schedule leaves nothing stale.
DAYS_SCHEDULES = (ScheduleKind.BEFORE_RENEWAL, ScheduleKind.RECURRING)
TRIGGER_CHOICES = [("", "—"), *EntryKind.choices]


class SurveyForm(forms.Form):
    MODEL_FIELDS = (
        "name", "kind", "question", "ask_why", "segment", "roles", "schedule_kind", "schedule_days",
        "trigger_kind", "validity_days", "fatigue_limit", "fatigue_window_days", "first_ask_after_days",
        "is_active",
    )  # fmt: skip

    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=SurveyKind.choices, help_text="NPS asks 0–10, CSAT asks 1–5.")
    question = forms.CharField(
        max_length=300, required=False, help_text="Left empty, the standard question of the kind is asked."
    )
    ask_why = forms.BooleanField(required=False, label="Ask why", help_text="A comment box under the score.")
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(), required=False, empty_label="All accounts", label="Accounts in segment"
    )
    roles = forms.MultipleChoiceField(
        choices=ContactRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Contact roles",
        help_text="None ticked: every role.",
    )
    schedule_kind = forms.ChoiceField(
        choices=ScheduleKind.choices, initial=ScheduleKind.BEFORE_RENEWAL, label="Schedule"
    )
    schedule_days = forms.IntegerField(
        min_value=1,
        max_value=integer_max(Survey, "schedule_days"),
        required=False,
        label="Days",
        help_text="Before renewal: days before the term ends. Recurring: days between asks (182 = twice a year).",
    )
    trigger_kind = forms.ChoiceField(
        choices=TRIGGER_CHOICES,
        required=False,
        label="After timeline entry",
        help_text="For an after-event schedule: the kind of timeline entry that starts a send.",
    )
    validity_days = forms.IntegerField(
        min_value=1,
        max_value=integer_max(Survey, "validity_days"),
        initial=DEFAULT_VALIDITY_DAYS,
        help_text="How long a link answers.",
    )
    fatigue_limit = forms.IntegerField(
        min_value=1,
        max_value=integer_max(Survey, "fatigue_limit"),
        initial=DEFAULT_FATIGUE_LIMIT,
        help_text="At most this many surveys per contact…",
    )
    fatigue_window_days = forms.IntegerField(
        min_value=1,
        max_value=integer_max(Survey, "fatigue_window_days"),
        initial=DEFAULT_FATIGUE_WINDOW_DAYS,
        label="Fatigue window (days)",
        help_text="…in this many days.",
    )
    first_ask_after_days = forms.IntegerField(
        min_value=0,
        max_value=integer_max(Survey, "first_ask_after_days"),
        initial=DEFAULT_FIRST_ASK_AFTER_DAYS,
        required=False,
        label="First ask after (days)",
        help_text="Recurring: an account is first asked this many days after it became a paying customer "
        f"(left empty: {DEFAULT_FIRST_ASK_AFTER_DAYS}).",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, workspace: Workspace, survey: Survey | None = None, **kwargs: Any) -> None:
        self.workspace = workspace
        self.survey = survey
        if survey is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(survey, name) for name in self.MODEL_FIELDS}
        super().__init__(*args, **kwargs)
        segment = self.fields["segment"]
        assert isinstance(segment, forms.ModelChoiceField)
        segment.queryset = Segment.objects.filter(workspace=workspace).order_by("name", "id")
        trigger = self.fields["trigger_kind"]
        assert isinstance(trigger, forms.ChoiceField)
        # A survey may follow an entry kind that no app writes yet; editing it must not lose it.
        if survey is not None and survey.trigger_kind and survey.trigger_kind not in EntryKind.values:
            trigger.choices = [*TRIGGER_CHOICES, (survey.trigger_kind, survey.trigger_kind)]
        if survey is None:
            self.fields["ask_why"].initial = True

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.MODEL_FIELDS}
        question = data["question"].strip()
        # A switched kind takes its own standard question unless the old one was reworded.
        if self.survey is not None and question == self._standard_question(self.survey.kind):
            question = ""
        data["question"] = question or self._standard_question(data["kind"])
        if data["schedule_kind"] not in DAYS_SCHEDULES:
            data["schedule_days"] = None
        if data["schedule_kind"] != ScheduleKind.AFTER_EVENT:
            data["trigger_kind"] = ""
        if data["first_ask_after_days"] is None:
            data["first_ask_after_days"] = (
                self.survey.first_ask_after_days if self.survey is not None else DEFAULT_FIRST_ASK_AFTER_DAYS
            )
        return data

    def _standard_question(self, kind: str) -> str:
        return QUESTIONS[SurveyKind(kind)].format(vendor=self.workspace.name)


PRESETS = ((3, "3 months"), (6, "6 months"), (12, "12 months"), (24, "24 months"))
MAX_PERIOD_DAYS = 5 * 366


class PeriodForm(forms.Form):
    """The period a page shows: two calendar days in the workspace's time zone, or a preset."""

    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")
    months = forms.TypedChoiceField(required=False, coerce=int, choices=[(m, label) for m, label in PRESETS])
    tier = forms.ChoiceField(required=False, choices=[("", "All tiers"), *Tier.choices])

    def __init__(self, data: Any, *, workspace: Workspace) -> None:
        super().__init__(data)
        self.workspace = workspace

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "must be on or after the start")
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("start", "the period can be five years at most")
        return data

    def period(self) -> Period:
        today = workspace_today(self.workspace)
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("start") or data.get("end"):
            end = data.get("end") or today
            start = data.get("start") or end - dt.timedelta(days=364)
            if start <= end:
                return Period(start, end, self.workspace.time_zone)
        return Period.last_months(self.workspace, data.get("months") or 12, today)
