from __future__ import annotations

import pytest

from retain.lib.definitions import DefinitionError
from retain.team.coverage import DEFAULT, DEFAULT_SOURCE, clean_coverage, parse_coverage


def test_the_default_model_follows_the_seeds() -> None:
    assert DEFAULT.tiers["strategic"].csm_kind == "strategic"
    assert DEFAULT.tiers["community"].csm_kind == "smb"
    assert DEFAULT.onboarding_kind == "operational"
    adoption = DEFAULT.tiers["strategic"].cadence_for("adoption")
    assert adoption is not None and adoption.every_days == 14 and "call" in adoption.touches
    assert DEFAULT.tiers["community"].cadence_for("adoption").digital  # type: ignore[union-attr]
    assert DEFAULT.tiers["strategic"].executive_sponsor == "required"
    assert "slack" in DEFAULT.tiers["strategic"].channels


def test_stored_data_reads_back_to_the_same_model() -> None:
    again = clean_coverage(DEFAULT.as_data())
    assert again.as_data() == DEFAULT.as_data()


def test_a_mistake_is_named_by_its_line_and_column() -> None:
    text = DEFAULT_SOURCE.replace(
        "adoption: {every_days: 14, touches: [call, meeting]}", "adoption: {every_days: 0, touches: [fax]}", 1
    )
    with pytest.raises(DefinitionError) as caught:
        parse_coverage(text, "coverage.yaml")
    lines = caught.value.lines
    assert any("tiers.strategic.cadence.adoption.every_days: must be from 1 to 365 days" in line for line in lines)
    assert any("touches[0]: must be one of call, meeting, email, note (got 'fax')" in line for line in lines)
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "every_days: 0" in line)
    assert all(line.startswith(f"coverage.yaml:{line_no}:") for line in lines)


def test_unknown_keys_and_tiers_are_refused_with_a_suggestion() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_coverage("tiers:\n  strategik:\n    csm_kind: strategic\n", "c.yaml")
    assert caught.value.lines == ["c.yaml:2:3: tiers.strategik: unknown key (did you mean 'strategic'?)"]


def test_two_tiers_may_not_share_a_csm_kind() -> None:
    text = "tiers:\n  strategic:\n    csm_kind: enterprise\n  enterprise:\n    csm_kind: enterprise\n"
    with pytest.raises(DefinitionError) as caught:
        parse_coverage(text)
    assert "tiers.enterprise.csm_kind: 'enterprise' already owns tier 'strategic'" in caught.value.lines[0]


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_coverage("tiers:\n  community:\n    csm_kind: smb\n    csm_kind: smb\n")
    assert "appears twice" in caught.value.lines[0]
