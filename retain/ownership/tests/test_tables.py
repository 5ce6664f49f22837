"""The set of tables export, import and deletion cover is derived from the models, and complete."""

from __future__ import annotations

from django.db import models

from retain.ownership.tables import EMBEDDED_IDS, GLOBAL, WATERMARKS, label_of, owned_tables, retain_models


def test_every_model_of_retain_is_owned_by_a_workspace_or_declared_global() -> None:
    owned = {spec.label for spec in owned_tables()}
    forgotten = sorted(label_of(m) for m in retain_models() if label_of(m) not in owned and label_of(m) not in GLOBAL)
    assert forgotten == [], "a model no workspace owns: give it a workspace key or declare it in GLOBAL"


def test_children_are_reached_through_their_parents() -> None:
    paths = {spec.label: spec.path for spec in owned_tables()}
    assert paths["tenancy.apitoken"] == "member__workspace_id"
    assert paths["plans.successmetric"] == "objective__goal__plan__workspace_id"
    assert paths["accounts.touchpoint_contacts"].endswith("__workspace_id")
    assert paths["renewals.renewal_reasons"].endswith("__workspace_id")


def test_parents_come_before_the_tables_that_point_at_them() -> None:
    order = [spec.label for spec in owned_tables()]
    assert order[0] == "tenancy.workspace"
    for spec in owned_tables():
        for target in spec.links.values():
            if target in order and target != spec.label:
                assert order.index(target) < order.index(spec.label), (spec.label, target)
    for (owner, _column), target in WATERMARKS.items():
        assert order.index(target) < order.index(owner)


def test_every_plain_column_named_like_an_id_is_declared_as_a_watermark() -> None:
    """A new integer column holding another row's id must say which table, or import would keep stale ids."""
    undeclared = []
    for spec in owned_tables():
        for column in spec.columns:
            plain_int = isinstance(column, models.IntegerField) and not isinstance(column, models.AutoField)
            named_like_id = column.attname.endswith("_id") and column.attname not in spec.links
            if plain_int and named_like_id and (spec.label, column.attname) not in WATERMARKS:
                undeclared.append(f"{spec.label}.{column.attname}")
    assert undeclared == []


def test_declared_columns_exist() -> None:
    columns = {(spec.label, name) for spec in owned_tables() for name in spec.column_names}
    for key in [*WATERMARKS, *EMBEDDED_IDS]:
        assert key in columns, key
