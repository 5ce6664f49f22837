"""Reading an archive into a new workspace: every row inserted anew, every reference remapped.

Ids are never carried over: each row gets a fresh id and every foreign key, watermark and id held in
JSON is rewritten through the old → new map of the table it names, so an archive imports beside the
workspace it came from (or into another Retain). Members are matched to logins by e-mail; a person
with no login here gets one without a usable password (they set one through the usual reset).
Credentials (API token and write-key hashes, survey and shared-link token hashes) are kept, so a
move to a new server keeps keys and links working, unless the same hash is already in use in this
database (importing beside the original): then the copy gets a fresh hash and is revoked, since one
key cannot open two workspaces.
"""

from __future__ import annotations

import bisect
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from retain.ownership.archive import USER_COLUMNS, Archive, ArchiveError
from retain.ownership.tables import EMBEDDED_IDS, USER_TABLE, WATERMARKS, Table, owned_tables
from retain.tenancy.models import Workspace

BATCH = 1000


class Loader:
    def __init__(self, archive: Archive, progress: Callable[[str, int], None]) -> None:
        self.archive = archive
        self.progress = progress
        self.ids: dict[str, dict[int, int]] = {}
        # Tables whose old → new map someone needs: link and watermark targets.
        self.keep = {USER_TABLE, "tenancy.workspace"}
        for spec in owned_tables():
            self.keep.update(spec.links.values())
        self.keep.update(WATERMARKS.values())
        for _rewrite, targets in EMBEDDED_IDS.values():
            self.keep.update(targets)
        known = {spec.label for spec in owned_tables()} | {USER_TABLE}
        unknown = sorted(set(archive.tables) - known)
        if unknown:
            raise ArchiveError(f"table {unknown[0]} is not one this version of Retain has")

    # The maps -------------------------------------------------------------------------------

    def new_id(self, label: str, old: Any) -> int | None:
        if old is None:
            return None
        return self.ids.get(label, {}).get(int(old))

    def watermark(self, label: str, old: Any) -> int:
        """The new id of the last row at or below the old watermark (0 when there is none)."""
        mapping = self.ids.get(label, {})
        olds = list(mapping)  # inserted in ascending old id order
        at = bisect.bisect_right(olds, int(old or 0))
        return mapping[olds[at - 1]] if at else 0

    # Users and the workspace ------------------------------------------------------------------

    def load_users(self) -> None:
        User = get_user_model()
        mapping: dict[int, int] = {}
        for number, row in self.archive.rows(USER_TABLE):
            missing = [c for c in USER_COLUMNS if c not in row]
            if missing:
                raise ArchiveError(f"json/{USER_TABLE}.jsonl, line {number}: no {missing[0]}")
            email = str(row["email"] or "").strip().lower()
            user = User.objects.filter(email__iexact=email).first() if email else None
            if user is None:
                user = User(username=email or f"imported-{secrets.token_hex(6)}", email=email)
                user.first_name = row["first_name"] or ""
                user.last_name = row["last_name"] or ""
                user.set_unusable_password()
                user.save()
            mapping[int(row["id"])] = user.pk
        self.ids[USER_TABLE] = mapping

    def load_workspace(self, slug: str, name: str | None) -> Workspace:
        rows = list(self.archive.rows("tenancy.workspace"))
        if len(rows) != 1:
            raise ArchiveError("json/tenancy.workspace.jsonl: must hold exactly one workspace")
        _number, row = rows[0]
        spec = next(t for t in owned_tables() if t.label == "tenancy.workspace")
        values = self._values(spec, row, "json/tenancy.workspace.jsonl", 1)
        values.pop("id")
        values.update(slug=slug, name=name or values["name"])
        workspace = Workspace(**values)
        try:
            workspace.full_clean()
        except ValidationError as exc:
            raise ValidationError({"workspace": "; ".join(exc.messages)}) from None
        workspace.save()
        Workspace.objects.filter(pk=workspace.pk).update(created_at=values["created_at"])
        self.ids["tenancy.workspace"] = {int(row["id"]): workspace.pk}
        return workspace

    # Every other table -----------------------------------------------------------------------

    def _values(self, spec: Table, row: dict[str, Any], where: str, number: int) -> dict[str, Any]:
        unknown = sorted(set(row) - set(spec.column_names))
        if unknown:
            raise ArchiveError(f"{where}, line {number}: {spec.label} has no column {unknown[0]}")
        values: dict[str, Any] = {}
        for column in spec.columns:
            name = column.attname
            if name not in row:
                if column.has_default() or column.null:
                    continue
                raise ArchiveError(f"{where}, line {number}: no {name}")
            try:
                values[name] = column.to_python(row[name])
            except ValidationError as exc:
                raise ArchiveError(f"{where}, line {number}: {name}: {'; '.join(exc.messages)}") from None
        return values

    def load_table(self, spec: Table) -> int:
        where = f"json/{spec.label}.jsonl"
        model = spec.model
        stamped = [
            c.attname for c in spec.columns if getattr(c, "auto_now", False) or getattr(c, "auto_now_add", False)
        ]
        unique = [c.attname for c in spec.columns if c.unique and not c.primary_key and c.attname not in spec.links]
        mapping: dict[int, int] = {}
        deferred: list[tuple[int, dict[str, Any]]] = []  # (old id, {self link: old target})
        batch: list[tuple[int, models.Model, dict[str, Any]]] = []

        def flush() -> None:
            objs = [obj for _old, obj, _stamps in batch]
            self._fresh_credentials(model, objs, unique)
            model._default_manager.bulk_create(objs, batch_size=BATCH)
            # bulk_create stamps auto_now columns with the time of the import: put history back.
            if stamped:
                for _old, obj, stamps in batch:
                    for column, value in stamps.items():
                        setattr(obj, column, value)
                model._default_manager.bulk_update(objs, stamped, batch_size=BATCH)
            for old, obj, _stamps in batch:
                mapping[old] = obj.pk
            self.progress(spec.label, len(batch))
            batch.clear()

        for number, row in self.archive.rows(spec.label):
            values = self._values(spec, row, where, number)
            old = int(values.pop("id"))
            later = {}
            for column, target in spec.links.items():
                if values.get(column) is None:
                    continue
                if target == spec.label:
                    later[column] = values.pop(column)
                    continue
                new = self.new_id(target, values[column])
                if new is None:
                    raise ArchiveError(f"{where}, line {number}: {column} {values[column]} is not in {target}")
                values[column] = new
            for (owner, column), target in WATERMARKS.items():
                if owner == spec.label and column in values:
                    values[column] = self.watermark(target, values[column])
            for (owner, column), (rewrite, _targets) in EMBEDDED_IDS.items():
                if owner == spec.label and column in values:
                    values[column] = rewrite(values[column], self.new_id)
            if later:
                deferred.append((old, later))
            batch.append((old, model(**values), {c: values[c] for c in stamped if c in values}))
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        for old, later in deferred:
            fixed = {column: mapping.get(int(target)) for column, target in later.items()}
            model._default_manager.filter(pk=mapping[old]).update(**fixed)
        if spec.label in self.keep:
            self.ids[spec.label] = mapping
        return len(mapping)

    @staticmethod
    def _fresh_credentials(model: type[models.Model], objs: list[models.Model], unique: list[str]) -> None:
        """A credential hash already used in this database gets a fresh one, and the copy is revoked."""
        revocable = any(f.name == "revoked_at" for f in model._meta.concrete_fields)
        for column in unique:
            values = [getattr(obj, column) for obj in objs if getattr(obj, column) is not None]
            taken = set(model._default_manager.filter(**{f"{column}__in": values}).values_list(column, flat=True))
            for obj in objs:
                if getattr(obj, column) in taken:
                    setattr(obj, column, secrets.token_hex(32))
                    if revocable and getattr(obj, "revoked_at", None) is None:
                        obj.revoked_at = timezone.now()  # type: ignore[attr-defined]  # only token models reach this branch, and they have revoked_at
