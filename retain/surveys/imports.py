"""`retain import responses FILE`: survey answers exported from another survey tool.

Each row is one answer: the contact (by e-mail or by its external id), the score, the comment, the
date and the survey's name. The survey must exist in the workspace (an import never creates one: a
misspelt name would otherwise start a survey nobody defined); the score must fit its scale (0–10
for NPS, 1–5 for CSAT). Every row is recorded through `surveys.services.response_record` with the
source "import" and a key made from what the row says (survey, contact, date and time, score,
comment), so importing the same file again, or a later export that repeats earlier answers, adds
nothing. The run, its report and its all-or-nothing, partial and dry-run rules are those of the
other CSV imports (accounts.imports.csv_import); this module only adds the kind.

Headers understood: ours, Delighted's ("Email", "Score", "Comment", "Created At", "Survey Type"),
Typeform's and SurveyMonkey's ("Submitted At", "Submit Date (UTC)", "Email Address", "End Date").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone

from retain.accounts.choices import ImportKind
from retain.accounts.imports.columns import DATE, EMAIL, TEXT, Column, missing
from retain.accounts.imports.kinds import (
    CREATED,
    KINDS,
    UNCHANGED,
    Draft,
    RowProblem,
    TableImport,
    _chunks,
)
from retain.accounts.imports.problems import Problem
from retain.accounts.imports.values import parse_date
from retain.accounts.models import Contact
from retain.lib.dates import start_of_day, zone
from retain.surveys import services
from retain.surveys.choices import ResponseSource, SurveyKind
from retain.surveys.models import Response, Survey
from retain.tenancy.models import Member, Workspace

SCORE = "score"
ISO_WITH_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")

RESPONSE_COLUMNS = (
    Column("email", EMAIL, ("Email", "E-mail", "Email address", "E-mail address", "Respondent email", "Contact email")),
    Column("contact_external_id", TEXT, ("Contact ID", "Contact external ID", "External ID", "Customer ID")),
    Column(SCORE, SCORE, ("Score", "NPS score", "NPS", "CSAT score", "CSAT", "Rating", "Answer")),
    Column("comment", TEXT, ("Comment", "Comments", "Reason", "Feedback", "Why", "Open answer")),
    Column(
        "answered_at",
        DATE,
        (
            "Date",
            "Answered at",
            "Answered on",
            "Response date",
            "Created At",
            "Submitted At",
            "Submit Date (UTC)",
            "End Date",
            "Completed At",
            "Date Submitted",
        ),
    ),
    Column("survey", TEXT, ("Survey", "Survey name", "Survey Type", "Survey title")),
)


def parse_score(text: str) -> int:
    """A whole-number score; "9.0" (spreadsheets write whole numbers so) is 9."""
    value = text.strip()
    if re.fullmatch(r"\d+(\.0+)?", value):
        return int(value.split(".")[0])
    raise ValueError(f"{value!r} is not a whole-number score")


def parse_answered_at(text: str, order: str | None, tz: str) -> dt.datetime:
    """An ISO 8601 date and time is kept (a time without offset is the workspace's); any other date
    is the start of that day in the workspace's time zone."""
    value = text.strip()
    if ISO_WITH_TIME.match(value):
        try:
            instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" UTC", "+00:00"))
        except ValueError:
            instant = None
        if instant is not None:
            return instant if instant.tzinfo else instant.replace(tzinfo=zone(tz))
    return start_of_day(parse_date(value, order), tz)


def source_key(survey: Survey, contact: Contact, score: int, answered_at: dt.datetime, comment: str) -> str:
    """The same answer gives the same key, however the file that carries it is laid out."""
    text = "\x1f".join(
        [str(survey.pk), str(contact.pk), str(score), answered_at.astimezone(dt.UTC).isoformat(), comment.strip()]
    )
    return "import:" + hashlib.sha256(text.encode()).hexdigest()


class ResponseImport(TableImport):
    kind = ImportKind.RESPONSES.value
    table_columns = RESPONSE_COLUMNS
    unique_fields = ()
    service_fields = {"contact": "email"}

    def check_columns(self) -> list[Problem]:
        problems = []
        if "email" not in self.columns and "contact_external_id" not in self.columns:
            problems.append(missing(self.table_columns, ("email", "contact_external_id"), "the contact's e-mail or id"))
        for name, what in ((SCORE, "the score"), ("answered_at", "the date of the answer"), ("survey", "the survey")):
            if name not in self.columns:
                problems.append(missing(self.table_columns, (name,), what))
        return problems

    def __init__(self, *, workspace: Workspace, actor: Member | None, headers: list[str]) -> None:
        super().__init__(workspace=workspace, actor=actor, headers=headers)
        self.recorded: set[str] = set()

    def header(self, field: str) -> str:
        field = self.service_fields.get(field, field)
        if field == "email" and "email" not in self.columns:
            field = "contact_external_id"
        return self.columns.header(field)

    def _cell(self, column: Column, text: str) -> Any:
        if column.kind == SCORE:
            return parse_score(text)
        if column.kind == DATE:
            return parse_answered_at(text, self.orders.get(column.field), self.workspace.time_zone)
        return super()._cell(column, text)

    def _contacts(self, drafts: list[Draft]) -> tuple[dict[str, list[Contact]], dict[str, Contact]]:
        by_email: dict[str, list[Contact]] = {}
        by_id: dict[str, Contact] = {}
        contacts = Contact.objects.filter(workspace=self.workspace).select_related("account")
        for batch in _chunks(sorted({d.values["email"] for d in drafts if "email" in d.values})):
            for found in contacts.annotate(email_lower=Lower("email")).filter(email_lower__in=batch):
                by_email.setdefault(found.email.lower(), []).append(found)
        for batch in _chunks(
            sorted({d.values["contact_external_id"] for d in drafts if "contact_external_id" in d.values})
        ):
            for contact in contacts.filter(external_id__in=batch):
                by_id[contact.external_id] = contact
        return by_email, by_id

    def _contact_for(
        self, values: dict[str, Any], by_email: dict[str, list[Contact]], by_id: dict[str, Contact]
    ) -> Contact:
        if "contact_external_id" in values:
            contact = by_id.get(values["contact_external_id"])
            if contact is None:
                raise RowProblem(
                    "contact_external_id", f"no contact with id {values['contact_external_id']!r} in this workspace"
                )
            return contact
        if "email" in values:
            matches = by_email.get(values["email"], [])
            if not matches:
                raise RowProblem("email", f"no contact with e-mail {values['email']!r} in this workspace")
            if len(matches) > 1:
                raise RowProblem(
                    "email", f"{len(matches)} contacts have e-mail {values['email']!r}: give the contact's id"
                )
            return matches[0]
        blamed = "email" if "email" in self.columns else "contact_external_id"
        raise RowProblem(blamed, "is empty: every answer needs its contact's e-mail or id")

    def check(self, drafts: list[Draft]) -> list[tuple[Draft, RowProblem]]:
        surveys = {
            s.name.lower(): s for s in Survey.objects.filter(workspace=self.workspace).select_related("workspace")
        }
        by_email, by_id = self._contacts(drafts)
        issues: list[tuple[Draft, RowProblem]] = []
        for draft in drafts:
            try:
                self._check_one(draft, surveys, by_email, by_id)
            except RowProblem as issue:
                issues.append((draft, issue))
        keys = [d.refs["source_key"] for d in drafts if "source_key" in d.refs]
        known: set[str] = set()
        for batch in _chunks(keys):
            stored = Response.objects.filter(workspace=self.workspace, source_key__in=batch)
            known.update(key for key in stored.values_list("source_key", flat=True) if key)
        for draft in drafts:
            draft.target = draft.refs.get("source_key") in known or None
        return issues

    def _check_one(
        self,
        draft: Draft,
        surveys: dict[str, Survey],
        by_email: dict[str, list[Contact]],
        by_id: dict[str, Contact],
    ) -> None:
        values = draft.values
        for name, what in (("survey", "the survey's name"), (SCORE, "the score"), ("answered_at", "the date")):
            if name not in values:
                raise RowProblem(name, f"is empty: every answer needs {what}")
        survey = surveys.get(values["survey"].lower())
        if survey is None:
            raise RowProblem(
                "survey",
                f"no survey named {values['survey']!r} in this workspace: create it first "
                f"(an import does not create surveys)",
            )
        low, high = survey.scale
        if not low <= values[SCORE] <= high:
            raise RowProblem(
                SCORE, f"{values[SCORE]} is outside {low}–{high}, the scale of {SurveyKind(survey.kind).label} surveys"
            )
        if values["answered_at"] > timezone.now():
            raise RowProblem("answered_at", "is in the future")
        contact = self._contact_for(values, by_email, by_id)
        draft.refs.update(survey=survey, contact=contact)
        draft.refs["source_key"] = source_key(
            survey, contact, values[SCORE], values["answered_at"], values.get("comment", "")
        )

    def apply(self, draft: Draft) -> str:
        key = draft.refs["source_key"]
        # Known before the run, or a repeat of a row earlier in this file: recorded once.
        if draft.target or key in self.recorded:
            return UNCHANGED
        values = draft.values
        services.response_record(
            survey=draft.refs["survey"],
            contact=draft.refs["contact"],
            score=values[SCORE],
            comment=values.get("comment", ""),
            answered_at=values["answered_at"],
            source=ResponseSource.IMPORT,
            actor=self.actor,
            source_key=key,
        )
        self.recorded.add(key)
        return CREATED


KINDS[ResponseImport.kind] = ResponseImport
