"""The measure catalogue: every kind of the contract is there, documented, and says its value in words."""

from __future__ import annotations

import pytest

from retain.health import catalogue
from retain.health.catalogue import GROUPS, MEASURES, MeasureKind, Param, describe, get, register
from retain.usage.vocabulary import KEY_EVENTS

CONTRACT = {
    "active_users_per_seat": ("usage", 1),
    "seat_utilisation": ("commercial", 1),
    "active_days": ("usage", 1),
    "logins": ("usage", 1),
    "feature_breadth": ("usage", 1),
    "key_events": ("usage", 1),
    "usage_trend": ("usage", 1),
    "champion_active": ("relationship", 1),
    "sponsor_engaged": ("relationship", 1),
    "days_since_touchpoint": ("relationship", -1),
    "open_tickets": ("support", -1),
    "tickets_per_active_user": ("support", -1),
    "nps": ("sentiment", 1),
    "csat": ("sentiment", 1),
    "csm_pulse": ("sentiment", 1),
    "days_to_renewal": ("commercial", 1),
}


def test_every_kind_of_the_contract_is_registered_with_its_group_and_direction() -> None:
    assert {kind: (m.group, m.direction) for kind, m in MEASURES.items() if kind in CONTRACT} == CONTRACT
    assert set(CONTRACT) <= set(MEASURES)


@pytest.mark.parametrize("kind", sorted(CONTRACT))
def test_every_kind_is_documented(kind: str) -> None:
    measure = get(kind)
    assert measure.kind == kind
    assert measure.name and measure.unit
    assert len(measure.doc) > 60
    assert measure.group in GROUPS
    assert measure.describe(None) == measure.when_missing


def test_only_key_events_and_sponsor_engaged_take_parameters() -> None:
    assert {kind: set(m.params) for kind, m in MEASURES.items() if m.params} == {
        "key_events": {"events"},
        "sponsor_engaged": {"days"},
    }
    assert get("key_events").resolve() == {"events": list(KEY_EVENTS)}
    assert get("sponsor_engaged").resolve({"days": 30}) == {"days": 30}


@pytest.mark.parametrize(
    ("kind", "value", "params", "words"),
    [
        ("usage_trend", -0.38, None, "events 38% below their 28-day baseline"),
        ("usage_trend", 0.12, None, "events 12% above their 28-day baseline"),
        ("usage_trend", 0.001, None, "events level with their 28-day baseline"),
        ("usage_trend", None, None, "no usage baseline to compare with"),
        ("champion_active", 0, None, "no champion"),
        ("champion_active", 1, None, "a champion in place"),
        ("days_since_touchpoint", 41, None, "41 days since the last touchpoint"),
        ("days_since_touchpoint", 1, None, "1 day since the last touchpoint"),
        ("days_since_touchpoint", 0, None, "a touchpoint today"),
        ("days_since_touchpoint", None, None, "no touchpoint yet"),
        ("active_users_per_seat", 0.425, None, "0.42 active users per seat on an average day of the last 28"),
        ("active_users_per_seat", None, None, "no paid seats"),
        ("seat_utilisation", 0.61, None, "61% of seats used in the last 28 days"),
        ("active_days", 12, None, "active on 12 of the last 28 days"),
        ("logins", 1, None, "1 login in the last 28 days"),
        ("logins", 1234, None, "1,234 logins in the last 28 days"),
        ("feature_breadth", 5, None, "5 features used in the last 28 days"),
        ("key_events", 4, None, "4 of 10 key events reached"),
        ("key_events", 1, {"events": ["Blog Migrated", "CRM Integrated"]}, "1 of 2 key events reached"),
        ("sponsor_engaged", 1, None, "executive sponsor engaged in the last 90 days"),
        ("sponsor_engaged", 0, {"days": 60}, "no executive sponsor engaged in the last 60 days"),
        ("open_tickets", 3, None, "3 open tickets"),
        ("tickets_per_active_user", 0.25, None, "0.25 tickets per active user in the last 28 days"),
        ("nps", 40, None, "NPS +40 from each contact's latest answer this year"),
        ("nps", -20, None, "NPS -20 from each contact's latest answer this year"),
        ("csat", 4.25, None, "CSAT 4.2 of 5 over the last 90 days"),
        ("csm_pulse", 1, None, "the CSM's pulse is red"),
        ("csm_pulse", 3, None, "the CSM's pulse is green"),
        ("days_to_renewal", 45, None, "renewal in 45 days"),
        ("days_to_renewal", None, None, "no renewal ahead"),
    ],
)
def test_describe_puts_a_value_into_words(
    kind: str, value: float | None, params: dict[str, object] | None, words: str
) -> None:
    assert describe(kind, value, params) == words


def test_an_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="'nope' is not a measure kind"):
        get("nope")


def test_a_later_feature_registers_a_kind_of_its_own() -> None:
    milestones = MeasureKind(
        kind="test_milestones_on_track",
        name="Milestones on track",
        group="usage",
        direction=1,
        unit="share",
        doc="The share of the account's onboarding milestones reached by their due day.",
        words=lambda v, p: f"{round(v * 100)}% of milestones on track",
        when_missing="no milestones due yet",
        params={"grace_days": Param("grace_days", 7, "days late still counted on track", lambda v: None)},
    )
    try:
        assert register(milestones) is milestones
        assert describe("test_milestones_on_track", 0.5) == "50% of milestones on track"
        with pytest.raises(ValueError, match="already registered"):
            register(milestones)
        register(milestones, replace=True)
    finally:
        catalogue.MEASURES.pop("test_milestones_on_track", None)


@pytest.mark.parametrize(
    ("field", "value", "message"), [("group", "money", "group must be one of"), ("direction", 0, r"\+1 or -1")]
)
def test_register_refuses_a_kind_outside_the_groups_or_directions(field: str, value: object, message: str) -> None:
    base = get("logins")
    broken = MeasureKind(**{**base.__dict__, "kind": "test_broken", field: value})
    with pytest.raises(ValueError, match=message):
        register(broken)
    assert "test_broken" not in MEASURES
