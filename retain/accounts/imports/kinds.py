"""Rows to records, one class per kind of import: parse every cell, look up what rows refer to,
then write one row through accounts.services.

Every row is parsed and checked before anything is written, so a file with a bad row can be
refused whole. An empty cell leaves the current value alone (CRM exports leave unknown values
blank), so a column cannot be cleared by import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from retain.accounts import services
from retain.accounts.choices import ContactRole, ContactStatus, Edition, Stage, Tier
from retain.accounts.imports.columns import (
    ACCOUNT_COLUMNS,
    CHOICE,
    CONTACT_COLUMNS,
    DATE,
    DOMAIN,
    EMAIL,
    MONEY,
    OWNER,
    SUBSCRIPTION_COLUMNS,
    WHOLE,
    Column,
    Columns,
    misleading,
    missing,
    resolve,
)
from retain.accounts.imports.problems import FileRefused, Problem
from retain.accounts.imports.reading import Table
from retain.accounts.imports.values import (
    domain_from,
    parse_choice,
    parse_date,
    parse_money,
    parse_whole_number,
    person_name_key,
    slash_order,
)
from retain.accounts.models import Account, Contact, Subscription
from retain.accounts.selectors import rate_table, workspace_today
from retain.lib.money import quantize
from retain.tenancy.models import Member, Workspace

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
LOOKUP_CHUNK = 500
VIA = "import"

CHOICES: dict[str, tuple[list[tuple[str, str]], dict[str, str]]] = {
    "tier": (Tier.choices, {"tech touch": Tier.COMMUNITY, "mid touch": Tier.ENTERPRISE, "high touch": Tier.STRATEGIC}),
    "edition": (Edition.choices, {}),
    "stage": (Stage.choices, {}),
    "role": (ContactRole.choices, {"sponsor": ContactRole.EXECUTIVE_SPONSOR}),
    "status": (ContactStatus.choices, {"left": ContactStatus.LEFT, "inactive": ContactStatus.LEFT}),
}


@dataclass
class Draft:
    """One row, parsed: its cell values by field and what it refers to in the database."""

    line: int
    values: dict[str, Any]
    target: Any = None
    refs: dict[str, Any] = field(default_factory=dict)


class RowProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == LOOKUP_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class TableImport:
    """The parts every kind shares: parsing cells, duplicate keys, turning errors into problems."""

    kind: ClassVar[str]
    table_columns: ClassVar[tuple[Column, ...]]
    # Columns whose values must not repeat inside one file (case-insensitively for e-mail).
    unique_fields: ClassVar[tuple[str, ...]] = ("external_id",)
    # A service's field name → the import field whose column to blame.
    service_fields: ClassVar[dict[str, str]] = {}

    def __init__(self, *, workspace: Workspace, actor: Member | None, headers: list[str]) -> None:
        self.workspace = workspace
        self.actor = actor
        self.columns: Columns = resolve(self.kind, self.table_columns, headers)
        problems = misleading(self.kind, headers) + self.check_columns()
        if problems:
            raise FileRefused(problems)
        self.orders: dict[str, str | None] = {}

    # Overridden per kind -------------------------------------------------------------------------

    def check_columns(self) -> list[Problem]:
        return []

    def check(self, drafts: list[Draft]) -> list[tuple[Draft, RowProblem]]:
        """Look up what the rows refer to; return the rows that cannot be written and why."""
        raise NotImplementedError

    def apply(self, draft: Draft) -> str:
        raise NotImplementedError

    # Shared --------------------------------------------------------------------------------------

    def header(self, field: str) -> str:
        field = self.service_fields.get(field, field)
        return self.columns.header(field)

    def problem(self, line: int, field: str, message: str) -> Problem:
        """A problem in `field`'s column; a column the file lacks is named by our own header for it."""
        header = self.header(field)
        if not header and field:
            labels = {column.field: column.label for column in self.table_columns}
            header = labels.get(self.service_fields.get(field, field), field.replace("_", " "))
        return Problem(line, header, message)

    def problems_from(self, line: int, error: ValidationError) -> list[Problem]:
        if hasattr(error, "error_dict"):
            return [
                self.problem(line, "" if name == "__all__" else name, "; ".join(messages))
                for name, messages in error.message_dict.items()
            ]
        return [Problem(line, "", "; ".join(error.messages))]

    def _cell(self, column: Column, text: str) -> Any:
        if column.kind == MONEY:
            amount = parse_money(text)
            if amount < 0:
                raise ValueError(f"{text!r} is negative: amounts of money here cannot be")
            return amount
        if column.kind == WHOLE:
            return parse_whole_number(text)
        if column.kind == DATE:
            return parse_date(text, self.orders.get(column.field))
        if column.kind == DOMAIN:
            return domain_from(text)
        if column.kind == CHOICE:
            choices, synonyms = CHOICES[column.field]
            return parse_choice(text, choices, synonyms)
        if column.kind == EMAIL or (column.kind == OWNER and "@" in text):
            try:
                validate_email(text)
            except ValidationError:
                raise ValueError(f"{text!r} is not an e-mail address") from None
            return text.lower()
        return text

    def parse(self, table: Table) -> tuple[list[Draft], list[Problem]]:
        """Every row's cells parsed; ragged rows, unreadable cells and repeated keys refused."""
        expected = len(table.headers)
        used = [c for c in self.table_columns if c.field in self.columns]
        for column in used:
            if column.kind == DATE:
                position = self.columns.found[column.field][0]
                self.orders[column.field] = slash_order(
                    fields[position] for _, fields in table.rows if position < len(fields)
                )
        problems: list[Problem] = []
        drafts: list[Draft] = []
        seen: dict[str, dict[str, list[int]]] = {name: {} for name in self.unique_fields if name in self.columns}
        for line, fields in table.rows:
            extra = [f for f in fields[expected:] if f.strip()]
            if len(fields) < expected or extra:
                blamed = table.headers[len(fields)] if len(fields) < expected else f"field {expected + 1}"
                problems.append(
                    Problem(
                        line,
                        blamed or f"field {len(fields) + 1}",
                        f"the row has {len(fields)} fields but the header has {expected} "
                        f"(is a value holding {_delimiter_name(table.delimiter)} missing its quotes?)",
                    )
                )
                continue
            values: dict[str, Any] = {}
            for column in used:
                position, header = self.columns.found[column.field]
                text = fields[position].strip()
                if not text:
                    continue
                try:
                    values[column.field] = self._cell(column, text)
                except ValueError as exc:
                    problems.append(Problem(line, header, str(exc)))
                if column.field in seen:
                    key = text.lower() if column.kind == EMAIL else text
                    seen[column.field].setdefault(key, []).append(line)
            drafts.append(Draft(line=line, values=values))
        for name, keys in seen.items():
            for key, lines in keys.items():
                if len(lines) > 1:
                    where = ", ".join(str(n) for n in lines)
                    problems.extend(
                        Problem(
                            n, self.columns.header(name), f"{key!r} appears more than once in the file (lines {where})"
                        )
                        for n in lines
                    )
        bad = {p.line for p in problems}
        good = [d for d in drafts if d.line not in bad]
        for draft, issue in self.check(good):
            problems.append(self.problem(draft.line, issue.field, issue.message))
        bad = {p.line for p in problems}
        return [d for d in good if d.line not in bad], sorted(problems, key=lambda p: p.line)


def _delimiter_name(delimiter: str) -> str:
    return {",": "a comma", ";": "a semicolon", "\t": "a tab"}[delimiter]


def _accounts_by_external_id(workspace: Workspace, keys: Iterable[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for batch in _chunks(sorted(set(keys))):
        for account in Account.objects.filter(workspace=workspace, external_id__in=batch).select_related("workspace"):
            found[account.external_id] = account
    return found


# Accounts ----------------------------------------------------------------------------------------


class OwnerIndex:
    """The workspace's active members who can own accounts, by e-mail and by full name.

    CRM exports name the owner ("Sasha Petrova", "sasha petrova", "José Núñez" as "Jose Nunez"): a name
    matches case- and accent-insensitively; two members with one name must be told apart by e-mail.
    """

    def __init__(self, workspace: Workspace) -> None:
        members = Member.objects.filter(workspace=workspace, is_active=True)  # a viewer is refused by the service
        self.by_email: dict[str, Member] = {}
        self.by_name: dict[str, list[Member]] = {}
        for member in members.select_related("user"):
            self.by_email[member.user.email.lower()] = member
            full = member.user.get_full_name()
            if full:
                self.by_name.setdefault(person_name_key(full), []).append(member)

    def find(self, owner: str) -> Member:
        if "@" in owner:
            member = self.by_email.get(owner)
            if member is None:
                raise RowProblem("owner", f"{owner!r} is not a member of this workspace")
            return member
        matches = self.by_name.get(person_name_key(owner), [])
        if len(matches) > 1:
            emails = " or ".join(m.user.email for m in matches)
            raise RowProblem("owner", f"{owner!r} is the name of {len(matches)} members: give the e-mail ({emails})")
        if not matches:
            raise RowProblem("owner", f"{owner!r} matches no active member by name or e-mail: invite them first")
        return matches[0]


class AccountImport(TableImport):
    kind = "accounts"
    table_columns = ACCOUNT_COLUMNS

    def check_columns(self) -> list[Problem]:
        problems = []
        if "external_id" not in self.columns:
            problems.append(missing(self.table_columns, ("external_id",), "the account's external id"))
        if "name" not in self.columns:
            problems.append(missing(self.table_columns, ("name",), "the account's name"))
        return problems

    def check(self, drafts: list[Draft]) -> list[tuple[Draft, RowProblem]]:
        owners = OwnerIndex(self.workspace)
        existing = _accounts_by_external_id(self.workspace, (d.values.get("external_id", "") for d in drafts))
        issues = []
        for draft in drafts:
            values = draft.values
            if "external_id" not in values:
                issues.append((draft, RowProblem("external_id", "is empty: every account needs its external id")))
                continue
            draft.target = existing.get(values["external_id"])
            if draft.target is None and "name" not in values:
                issues.append((draft, RowProblem("name", "is empty: a new account needs a name")))
                continue
            if "owner" in values:
                try:
                    draft.refs["owner"] = owners.find(values["owner"])
                except RowProblem as problem:
                    issues.append((draft, problem))
        return issues

    def apply(self, draft: Draft) -> str:
        fields = {name: value for name, value in draft.values.items() if name != "owner"}
        fields.update(draft.refs)
        if draft.target is None:
            services.account_create(workspace=self.workspace, actor=self.actor, via=VIA, **fields)
            return CREATED
        changes = services.account_update(account=draft.target, actor=self.actor, via=VIA, **fields)
        return UPDATED if changes else UNCHANGED


# Contacts ----------------------------------------------------------------------------------------


class ContactImport(TableImport):
    kind = "contacts"
    table_columns = CONTACT_COLUMNS
    unique_fields = ("external_id", "email")
    ACCOUNT_REFS = ("account_external_id", "account_domain", "account_name")

    def check_columns(self) -> list[Problem]:
        problems = []
        if "external_id" not in self.columns and "email" not in self.columns:
            problems.append(
                missing(self.table_columns, ("external_id", "email"), "the contact's external id or e-mail")
            )
        if not any(ref in self.columns for ref in self.ACCOUNT_REFS):
            problems.append(missing(self.table_columns, self.ACCOUNT_REFS, "the contact's account"))
        return problems

    def _account_index(self, drafts: list[Draft]) -> tuple[dict[str, Account], dict[str, list[Account]]]:
        by_id = _accounts_by_external_id(self.workspace, (d.values.get("account_external_id", "") for d in drafts))
        wanted_domains = {d.values["account_domain"] for d in drafts if "account_domain" in d.values}
        wanted_names = {d.values["account_name"].lower() for d in drafts if "account_name" in d.values}
        by_other: dict[str, list[Account]] = {}
        if wanted_domains or wanted_names:
            for account in Account.objects.filter(workspace=self.workspace).select_related("workspace").iterator():
                if account.domain in wanted_domains:
                    by_other.setdefault("domain:" + account.domain, []).append(account)
                if account.name.lower() in wanted_names:
                    by_other.setdefault("name:" + account.name.lower(), []).append(account)
        return by_id, by_other

    def _account_for(
        self, values: dict[str, Any], by_id: dict[str, Account], by_other: dict[str, list[Account]]
    ) -> Account:
        if "account_external_id" in values:
            account = by_id.get(values["account_external_id"])
            if account is None:
                raise RowProblem(
                    "account_external_id",
                    f"no account with external id {values['account_external_id']!r} in this workspace",
                )
            return account
        for field_name, prefix, what in (("account_domain", "domain:", "domain"), ("account_name", "name:", "name")):
            if field_name not in values:
                continue
            key = values[field_name] if prefix == "domain:" else values[field_name].lower()
            matches = by_other.get(prefix + key, [])
            if not matches:
                raise RowProblem(field_name, f"no account with {what} {values[field_name]!r} in this workspace")
            if len(matches) > 1:
                raise RowProblem(
                    field_name, f"{len(matches)} accounts have {what} {values[field_name]!r}: give the account's id"
                )
            return matches[0]
        first = next(ref for ref in self.ACCOUNT_REFS if ref in self.columns)
        raise RowProblem(first, "is empty: every contact needs its account")

    def check(self, drafts: list[Draft]) -> list[tuple[Draft, RowProblem]]:
        by_id, by_other = self._account_index(drafts)
        contacts_by_id: dict[str, Contact] = {}
        contacts_by_email: dict[str, Contact] = {}
        ids = sorted({d.values["external_id"] for d in drafts if "external_id" in d.values})
        emails = sorted({d.values["email"] for d in drafts if "email" in d.values})
        for batch in _chunks(ids):
            for contact in Contact.objects.filter(workspace=self.workspace, external_id__in=batch):
                contacts_by_id[contact.external_id] = contact
        for batch in _chunks(emails):
            for contact in Contact.objects.filter(workspace=self.workspace, email__in=batch):
                contacts_by_email[contact.email] = contact
        issues = []
        for draft in drafts:
            values = draft.values
            if "external_id" not in values and "email" not in values:
                key_field = "external_id" if "external_id" in self.columns else "email"
                issues.append((draft, RowProblem(key_field, "is empty: every contact needs an external id or e-mail")))
                continue
            try:
                draft.refs["account"] = self._account_for(values, by_id, by_other)
            except RowProblem as issue:
                issues.append((draft, issue))
                continue
            target = contacts_by_id.get(values.get("external_id", ""))
            if target is None and "email" in values:
                # A contact typed in by hand (no external id yet) is the one the CRM row describes.
                candidate = contacts_by_email.get(values["email"])
                if candidate is not None and candidate.external_id in ("", values.get("external_id", "")):
                    target = candidate
            draft.target = target
        return issues

    def apply(self, draft: Draft) -> str:
        fields = {k: v for k, v in draft.values.items() if k not in self.ACCOUNT_REFS}
        account: Account = draft.refs["account"]
        if draft.target is None:
            services.contact_create(account=account, actor=self.actor, via=VIA, **fields)
            return CREATED
        changes = services.contact_update(contact=draft.target, actor=self.actor, via=VIA, account=account, **fields)
        return UPDATED if changes else UNCHANGED


# Subscriptions -----------------------------------------------------------------------------------


class SubscriptionImport(TableImport):
    kind = "subscriptions"
    table_columns = SUBSCRIPTION_COLUMNS

    def __init__(self, *, workspace: Workspace, actor: Member | None, headers: list[str]) -> None:
        super().__init__(workspace=workspace, actor=actor, headers=headers)
        self.rates = rate_table(workspace)
        self.today = workspace_today(workspace)

    def header(self, field: str) -> str:
        # The service speaks of MRR; the file may have given it as ARR.
        if field == "mrr" and "mrr" not in self.columns:
            field = "arr"
        return super().header(field)

    def check_columns(self) -> list[Problem]:
        problems = []
        for name, what in (
            ("external_id", "the subscription's external id"),
            ("account_external_id", "the external id of the subscription's account"),
        ):
            if name not in self.columns:
                problems.append(missing(self.table_columns, (name,), what))
        if "mrr" in self.columns and "arr" in self.columns:
            problems.append(
                Problem(1, self.columns.header("arr"), f"give {self.columns.header('mrr')!r} or this column, not both")
            )
        return problems

    def check(self, drafts: list[Draft]) -> list[tuple[Draft, RowProblem]]:
        accounts = _accounts_by_external_id(self.workspace, (d.values.get("account_external_id", "") for d in drafts))
        existing: dict[str, Subscription] = {}
        for batch in _chunks(sorted({d.values.get("external_id", "") for d in drafts} - {""})):
            for subscription in Subscription.objects.filter(workspace=self.workspace, external_id__in=batch):
                existing[subscription.external_id] = subscription
        issues = []
        for draft in drafts:
            try:
                self._check_one(draft, accounts, existing)
            except RowProblem as issue:
                issues.append((draft, issue))
        return issues

    def _check_one(self, draft: Draft, accounts: dict[str, Account], existing: dict[str, Subscription]) -> None:
        values = draft.values
        for name in ("external_id", "account_external_id"):
            if name not in values:
                raise RowProblem(name, "is empty: every subscription needs it")
        account = accounts.get(values["account_external_id"])
        if account is None:
            raise RowProblem(
                "account_external_id",
                f"no account with external id {values['account_external_id']!r} in this workspace",
            )
        draft.refs["account"] = account
        if "arr" in values:
            values["mrr"] = quantize(values.pop("arr") / 12)
        if "currency" in values:
            currency = values["currency"].upper()
            if len(currency) != 3 or not currency.isalpha():
                raise RowProblem("currency", f"{values['currency']!r} is not a three-letter currency code such as USD")
            values["currency"] = currency
        target = existing.get(values["external_id"])
        draft.target = target
        if target is None:
            for name, what in (
                ("product", "product"),
                ("mrr", "MRR"),
                ("started_on", "start date"),
                ("term_end", "term end date"),
            ):
                if name not in values:
                    raise RowProblem(name, f"is empty: a new subscription needs its {what}")
            return
        if target.account_id != account.pk:
            raise RowProblem("account_external_id", "differs from the account the subscription belongs to")
        if "currency" in values and values["currency"] != target.currency:
            raise RowProblem("currency", f"is {values['currency']}, but the subscription is in {target.currency}")
        if "started_on" in values and values["started_on"] != target.started_on:
            raise RowProblem(
                "started_on", f"differs from the recorded start {target.started_on.isoformat()}, which cannot change"
            )

    def apply(self, draft: Draft) -> str:
        values = draft.values
        if draft.target is None:
            services.subscription_create(
                account=draft.refs["account"],
                actor=self.actor,
                via=VIA,
                external_id=values["external_id"],
                product=values["product"],
                mrr=values["mrr"],
                seats=values.get("seats", 1),
                currency=values.get("currency", ""),
                started_on=values["started_on"],
                term_end=values["term_end"],
                table=self.rates,
            )
            return CREATED
        subscription: Subscription = draft.target
        changes = {
            name: values[name]
            for name in ("mrr", "seats", "product", "term_end")
            if name in values and values[name] != getattr(subscription, name)
        }
        if not changes:
            return UNCHANGED
        effective_on: dt.date = values.get("effective_on", self.today)
        services.subscription_change(
            subscription=subscription, actor=self.actor, via=VIA, effective_on=effective_on, table=self.rates, **changes
        )
        return UPDATED


KINDS: dict[str, type[TableImport]] = {
    AccountImport.kind: AccountImport,
    ContactImport.kind: ContactImport,
    SubscriptionImport.kind: SubscriptionImport,
}
