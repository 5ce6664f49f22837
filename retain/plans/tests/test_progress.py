"""The roll-up arithmetic: metric progress clamped to 0..1, means that skip empty levels."""

from __future__ import annotations

from decimal import Decimal as D

from retain.plans.progress import commitments_done_share, mean, metric_progress


def test_metric_progress_is_the_share_of_the_way_from_start_to_target() -> None:
    assert metric_progress(D(10), D(25), D(40)) == 0.5


def test_metric_progress_works_for_metrics_that_should_go_down() -> None:
    assert metric_progress(D(40), D(25), D(10)) == 0.5


def test_metric_progress_is_clamped_below_and_above() -> None:
    assert metric_progress(D(10), D(5), D(20)) == 0.0
    assert metric_progress(D(10), D(30), D(20)) == 1.0


def test_a_metric_whose_target_is_its_start_is_done_only_when_current_reaches_it() -> None:
    assert metric_progress(D(5), D(5), D(5)) == 1.0
    assert metric_progress(D(5), D(4), D(5)) == 0.0


def test_mean_skips_levels_with_nothing_under_them() -> None:
    assert mean([0.5, None, 1.0]) == 0.75
    assert mean([None]) is None
    assert mean([]) is None


def test_commitments_done_share_counts_done_among_all() -> None:
    assert commitments_done_share(["done", "open", "missed", "done"]) == 0.5
    assert commitments_done_share([]) is None
