"""Finding and rewriting personal data in free text and JSON, across every table a workspace owns.

Specific columns (the contact row, survey comments, outbound messages, product users) are handled
by name in services.contact_erase; this sweep catches the rest: a timeline summary, a task note, a
Slack post or an event property that names the person. Every text and JSON column of every owned
table is searched in the database (case-insensitive), and matching rows are rewritten in Python
with the person's e-mail and name replaced by ERASED.

An e-mail address is unambiguous and is replaced wherever it appears in the workspace. A full name
of two or more words is replaced workspace-wide; each word of the name alone ("call Jane") only in
rows of the contact's own account, so that other people who share a first name keep theirs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast

from retain.ownership.tables import Table, owned_tables

ERASED = "[erased]"
TEXT_FIELDS = (models.CharField, models.TextField)  # EmailField and SlugField are CharFields


@dataclass(frozen=True)
class Needle:
    """One piece of personal data to find, and where: the whole workspace or one account's rows."""

    text: str
    whole_words: bool
    account_id: int | None = None  # None: everywhere in the workspace

    @property
    def pattern(self) -> re.Pattern[str]:
        core = re.escape(self.text)
        return re.compile(rf"(?<!\w){core}(?!\w)" if self.whole_words else core, re.IGNORECASE)

    def variants(self) -> set[str]:
        """How the text may be stored: as is, or JSON-escaped (SQLite keeps JSON with \\u escapes)."""
        return {self.text, json.dumps(self.text)[1:-1]}


def needles_for(email: str, name: str, account_id: int) -> list[Needle]:
    """The e-mail everywhere; the full name everywhere when it has two words or more; in the
    contact's own account also each part of the name ("call Jane on Monday")."""
    found = []
    if email.strip():
        found.append(Needle(email.strip(), whole_words=False))
    parts = name.split()
    if len(parts) > 1:
        found.append(Needle(" ".join(parts), whole_words=True))
    found.extend(
        Needle(part, whole_words=True, account_id=account_id) for part in dict.fromkeys(parts) if len(part) > 1
    )
    return found


def _rewrite(value: Any, needles: Iterable[Needle]) -> Any:
    if isinstance(value, str):
        for needle in needles:
            value = needle.pattern.sub(ERASED, value)
        return value
    if isinstance(value, list):
        return [_rewrite(item, needles) for item in value]
    if isinstance(value, dict):
        return {_rewrite(key, needles): _rewrite(item, needles) for key, item in value.items()}
    return value


def _searchable(spec: Table) -> list[models.Field[Any, Any]]:
    return [
        column
        for column in spec.columns
        if (isinstance(column, TEXT_FIELDS) and not column.choices and column.attname not in spec.links)
        or isinstance(column, models.JSONField)
    ]


def scrub(workspace_id: int, needles: list[Needle], skip: set[str] = frozenset()) -> dict[str, int]:  # type: ignore[assignment]  # an immutable default; the function only reads it
    """Replace the needles in every text and JSON column of the workspace; rows changed per table."""
    changed: dict[str, int] = {}
    for spec in owned_tables():
        if spec.label in skip:
            continue
        columns = _searchable(spec)
        if not columns:
            continue
        has_account = "account_id" in spec.column_names
        for column in columns:
            where = Q()
            used = []
            for needle in needles:
                if needle.account_id is not None and not has_account:
                    continue
                match = Q()
                for variant in needle.variants():
                    if isinstance(column, models.JSONField):
                        match |= Q(**{"_as_text__icontains": variant})
                    else:
                        match |= Q(**{f"{column.attname}__icontains": variant})
                if needle.account_id is not None:
                    match &= Q(account_id=needle.account_id)
                where |= match
                used.append(needle)
            if not used:
                continue
            rows = spec.rows_of(workspace_id)
            if isinstance(column, models.JSONField):
                rows = rows.annotate(_as_text=Cast(column.attname, models.TextField()))
            objs = []
            for obj in (
                rows.filter(where)
                .only("pk", column.attname, *(["account_id"] if has_account else []))
                .iterator(chunk_size=500)
            ):
                account_id = getattr(obj, "account_id", None) if has_account else None
                applicable = [n for n in used if n.account_id is None or n.account_id == account_id]
                before = getattr(obj, column.attname)
                after = _rewrite(before, applicable)
                if after != before:
                    if isinstance(after, str) and column.max_length:
                        after = after[: column.max_length]
                    setattr(obj, column.attname, after)
                    objs.append(obj)
            if objs:
                spec.model._default_manager.bulk_update(objs, [column.attname], batch_size=500)
                changed[spec.label] = changed.get(spec.label, 0) + len(objs)
    return changed
