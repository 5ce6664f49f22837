from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from retain.accounts.choices import EntryKind, MovementKind, SubscriptionStatus
from retain.accounts.models import Account, SubscriptionMovement, TimelineEntry
from retain.renewals import services
from retain.renewals.choices import NOT_FORECAST, ForecastCategory, Outcome, Stage
from retain.renewals.models import ReasonCode, Renewal
from retain.renewals.tests.conftest import make_account
from retain.tenancy.models import Member, Workspace


def reasons(workspace: Workspace, kind: str) -> list[ReasonCode]:
    return list(ReasonCode.objects.filter(workspace=workspace, kind=kind)[:1])


class TestOpening:
    def test_it_opens_one_renewal_per_term_inside_the_window(
        self, workspace: Workspace, account: Account, carol: Member, today: dt.date
    ) -> None:
        assert services.renewals_open(workspace=workspace, today=today) == 1
        renewal = Renewal.objects.get()
        assert renewal.subscription == account.subscriptions.get()
        assert renewal.term_end == today + dt.timedelta(days=60)
        assert renewal.owner == carol
        assert renewal.target_amount == Decimal("12000.00")
        assert renewal.stage == Stage.OPEN

    def test_it_opens_not_forecast_yet_rather_than_copying_the_target(
        self, workspace: Workspace, account: Account, today: dt.date
    ) -> None:
        services.renewals_open(workspace=workspace, today=today)
        renewal = Renewal.objects.get()
        assert (renewal.forecast_category, renewal.forecast_amount) == (NOT_FORECAST, None)
        assert not renewal.is_forecast and renewal.forecast_label == "Not forecast yet"
        entry = TimelineEntry.objects.get(kind=EntryKind.RENEWAL_OPENED)
        assert "12,000" in entry.summary or "12000" in entry.summary

    def test_it_is_idempotent(self, workspace: Workspace, account: Account, today: dt.date) -> None:
        services.renewals_open(workspace=workspace, today=today)
        assert services.renewals_open(workspace=workspace, today=today) == 0
        assert services.renewals_open(workspace=workspace, today=today + dt.timedelta(days=1)) == 0
        assert Renewal.objects.count() == 1
        assert TimelineEntry.objects.filter(kind=EntryKind.RENEWAL_OPENED).count() == 1

    def test_it_follows_the_window_per_tier(self, workspace: Workspace, carol: Member, today: dt.date) -> None:
        workspace.renewal_window_community_days = 30
        workspace.renewal_window_strategic_days = 180
        workspace.save()
        make_account(workspace, "Small", "community", carol, term_in_days=45)
        make_account(workspace, "Big", "strategic", carol, term_in_days=150)
        make_account(workspace, "Mid", "enterprise", carol, term_in_days=120)  # default window is 90
        services.renewals_open(workspace=workspace, today=today)
        assert set(Renewal.objects.values_list("account__name", flat=True)) == {"Big"}
        services.renewals_open(workspace=workspace, today=today + dt.timedelta(days=30))
        assert set(Renewal.objects.values_list("account__name", flat=True)) == {"Big", "Mid", "Small"}

    def test_it_skips_churned_subscriptions(self, workspace: Workspace, account: Account, today: dt.date) -> None:
        from retain.accounts.services import subscription_churn

        subscription_churn(subscription=account.subscriptions.get(), actor=None, via="test", effective_on=today)
        assert services.renewals_open(workspace=workspace, today=today) == 0

    def test_the_next_term_gets_its_own_renewal(self, workspace: Workspace, renewal: Renewal, today: dt.date) -> None:
        services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED,
                               new_term_end=renewal.term_end + dt.timedelta(days=60))  # fmt: skip
        services.renewals_open(workspace=workspace, today=today + dt.timedelta(days=60))
        assert sorted(Renewal.objects.values_list("term_end", flat=True)) == [
            renewal.term_end,
            renewal.term_end + dt.timedelta(days=60),
        ]


class TestClosing:
    def test_renewed_moves_the_term_and_keeps_mrr(self, renewal: Renewal) -> None:
        subscription = renewal.subscription
        closed = services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED)
        subscription.refresh_from_db()
        assert subscription.term_end == renewal.term_end.replace(year=renewal.term_end.year + 1)
        assert subscription.mrr == Decimal("1000.00")
        assert subscription.movements.count() == 1  # only the "new" one: no revenue changed
        assert closed.stage == Stage.CLOSED and closed.final_amount == Decimal("12000.00")
        assert closed.forecast_category == ForecastCategory.COMMIT and closed.closed_at is not None

    def test_expansion_writes_an_expansion_movement_at_final_over_twelve(
        self, workspace: Workspace, renewal: Renewal
    ) -> None:
        services.renewal_close(
            renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED_EXPANSION,
            final_amount=Decimal("18000"), reasons=reasons(workspace, "expansion"),
        )  # fmt: skip
        movement = SubscriptionMovement.objects.order_by("-id").first()
        assert movement is not None
        assert movement.kind == MovementKind.EXPANSION
        assert movement.mrr_before == Decimal("1000.00") and movement.mrr_after == Decimal("1500.00")
        assert movement.effective_on == renewal.term_end

    def test_contraction_writes_a_contraction_movement(self, workspace: Workspace, renewal: Renewal) -> None:
        new_end = renewal.term_end + dt.timedelta(days=200)
        services.renewal_close(
            renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED_CONTRACTION,
            final_amount=Decimal("6000"), reasons=reasons(workspace, "downgrade"), new_term_end=new_end,
        )  # fmt: skip
        renewal.subscription.refresh_from_db()
        movement = renewal.subscription.movements.order_by("-id").first()
        assert movement is not None and movement.kind == MovementKind.CONTRACTION
        assert movement.mrr_after == Decimal("500.00")
        assert renewal.subscription.term_end == new_end

    def test_churn_writes_a_churn_movement_to_zero(self, workspace: Workspace, renewal: Renewal) -> None:
        services.renewal_close(
            renewal=renewal, actor=None, via="test", outcome=Outcome.CHURNED, reasons=reasons(workspace, "churn")
        )
        renewal.subscription.refresh_from_db()
        movement = renewal.subscription.movements.order_by("-id").first()
        assert movement is not None and movement.kind == MovementKind.CHURN and movement.mrr_after == 0
        assert renewal.subscription.status == SubscriptionStatus.CHURNED
        renewal.refresh_from_db()
        assert renewal.final_amount == 0 and renewal.forecast_category == ForecastCategory.LOST
        assert list(renewal.reasons.values_list("label", flat=True)) == ["Budget cut"]

    def test_closing_writes_a_timeline_entry_with_the_reasons(
        self, workspace: Workspace, renewal: Renewal, alice: Member
    ) -> None:
        services.renewal_close(
            renewal=renewal, actor=alice, via="web", outcome=Outcome.CHURNED, reasons=reasons(workspace, "churn")
        )
        entry = TimelineEntry.objects.get(kind=EntryKind.RENEWAL_CLOSED)
        assert entry.actor == alice and "churned" in entry.summary and "Budget cut" in entry.summary
        assert entry.data["outcome"] == "churned" and entry.data["reasons"] == ["Budget cut"]

    def test_a_closed_renewal_cannot_close_again(self, renewal: Renewal) -> None:
        services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED)
        with pytest.raises(ValidationError) as error:
            services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED)
        assert "stage" in error.value.message_dict


class TestValidation:
    @pytest.mark.parametrize(
        ("outcome", "final", "kind", "field"),
        [
            ("churned", None, None, "reasons"),
            ("renewed_expansion", "18000", None, "reasons"),
            ("renewed_contraction", "6000", None, "reasons"),
            ("renewed_expansion", "12000", "expansion", "final_amount"),
            ("renewed_expansion", None, "expansion", "final_amount"),
            ("renewed_contraction", "13000", "downgrade", "final_amount"),
            ("renewed_contraction", "0", "downgrade", "final_amount"),
            ("renewed", "13000", None, "final_amount"),
            ("churned", "100", "churn", "final_amount"),
            ("renewed_expansion", "-1", "expansion", "final_amount"),
            ("renewed_expansion", "18000", "churn", "reasons"),
            ("renewed", None, "expansion", "reasons"),
            ("won", None, None, "outcome"),
        ],
    )
    def test_errors_name_the_field(
        self, workspace: Workspace, renewal: Renewal, outcome: str, final: str | None, kind: str | None, field: str
    ) -> None:
        with pytest.raises(ValidationError) as error:
            services.renewal_close(
                renewal=renewal, actor=None, via="test", outcome=outcome,
                final_amount=None if final is None else Decimal(final),
                reasons=reasons(workspace, kind) if kind else [],
            )  # fmt: skip
        assert field in error.value.message_dict
        assert renewal.subscription.movements.count() == 1
        renewal.refresh_from_db()
        assert renewal.stage == Stage.OPEN

    def test_a_retired_reason_is_refused(self, workspace: Workspace, renewal: Renewal, reason: ReasonCode) -> None:
        services.reason_code_update(reason=reason, active=False)
        with pytest.raises(ValidationError) as error:
            services.renewal_close(renewal=renewal, actor=None, via="test", outcome="churned", reasons=[reason])
        assert "retired" in error.value.message_dict["reasons"][0]

    def test_another_workspaces_reason_is_refused(self, renewal: Renewal, other_workspace: Workspace) -> None:
        services.reason_codes_seed(workspace=other_workspace)
        foreign = ReasonCode.objects.filter(workspace=other_workspace, kind="churn")[:1]
        with pytest.raises(ValidationError) as error:
            services.renewal_close(renewal=renewal, actor=None, via="test", outcome="churned", reasons=list(foreign))
        assert "reasons" in error.value.message_dict

    def test_the_new_term_must_end_after_the_old_one(self, renewal: Renewal) -> None:
        with pytest.raises(ValidationError) as error:
            services.renewal_close(
                renewal=renewal, actor=None, via="test", outcome="renewed", new_term_end=renewal.term_end
            )
        assert "new_term_end" in error.value.message_dict

    def test_the_first_forecast_needs_a_category_and_an_amount_together(self, renewal: Renewal) -> None:
        with pytest.raises(ValidationError) as error:
            services.renewal_update(renewal=renewal, actor=None, forecast_category="commit")
        assert list(error.value.message_dict) == ["forecast_amount"]
        with pytest.raises(ValidationError) as error:
            services.renewal_update(renewal=renewal, actor=None, forecast_amount=Decimal("9000"))
        assert list(error.value.message_dict) == ["forecast_category"]
        renewal.refresh_from_db()
        assert not renewal.is_forecast
        services.renewal_update(renewal=renewal, actor=None, forecast_category="commit", forecast_amount="9000")
        services.renewal_update(renewal=renewal, actor=None, forecast_amount="9500")  # once set, alone
        renewal.refresh_from_db()
        assert (renewal.forecast_category, renewal.forecast_amount) == ("commit", Decimal("9500.00"))

    def test_the_database_refuses_half_a_forecast(self, renewal: Renewal) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            Renewal.objects.filter(pk=renewal.pk).update(forecast_category="commit")
        with pytest.raises(IntegrityError), transaction.atomic():
            Renewal.objects.filter(pk=renewal.pk).update(forecast_amount=Decimal("1"))

    def test_update_refuses_a_blank_category(self, renewal: Renewal) -> None:
        with pytest.raises(ValidationError) as error:
            services.renewal_update(renewal=renewal, actor=None, forecast_category="", forecast_amount="1")
        assert "forecast_category" in error.value.message_dict

    def test_update_refuses_negative_forecast_and_closed_stage(self, renewal: Renewal) -> None:
        with pytest.raises(ValidationError) as error:
            services.renewal_update(
                renewal=renewal, actor=None, forecast_category="commit", forecast_amount=Decimal("-5")
            )
        assert "forecast_amount" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.renewal_update(renewal=renewal, actor=None, stage="closed")
        assert "stage" in error.value.message_dict

    def test_update_refuses_a_viewer_as_owner(self, renewal: Renewal, vic: Member) -> None:
        with pytest.raises(ValidationError) as error:
            services.renewal_update(renewal=renewal, actor=None, owner=vic)
        assert "owner" in error.value.message_dict

    def test_update_changes_the_forecast(self, renewal: Renewal, dave: Member) -> None:
        services.renewal_update(
            renewal=renewal, actor=None, forecast_category="at_risk", forecast_amount=Decimal("9000"), owner=dave,
            stage="negotiation",
        )  # fmt: skip
        renewal.refresh_from_db()
        assert (renewal.forecast_category, renewal.forecast_amount, renewal.owner, renewal.stage) == (
            "at_risk", Decimal("9000.00"), dave, "negotiation",
        )  # fmt: skip


class TestReasonCodes:
    def test_every_workspace_gets_the_default_library_once(self, workspace: Workspace) -> None:
        first = services.reason_codes_seed(workspace=workspace)
        assert first > 10
        assert services.reason_codes_seed(workspace=workspace) == 0
        assert set(ReasonCode.objects.values_list("kind", flat=True)) == {"churn", "downgrade", "expansion"}

    def test_labels_are_unique_per_kind(self, workspace: Workspace, reason: ReasonCode) -> None:
        with pytest.raises(ValidationError) as error:
            services.reason_code_create(workspace=workspace, kind="churn", label="budget CUT")
        assert "label" in error.value.message_dict
        assert services.reason_code_create(workspace=workspace, kind="downgrade", label="Budget cut").pk

    def test_an_empty_label_is_refused(self, workspace: Workspace) -> None:
        with pytest.raises(ValidationError) as error:
            services.reason_code_create(workspace=workspace, kind="churn", label="  ")
        assert "label" in error.value.message_dict


class TestMigratingOldForecasts:
    def test_open_renewals_still_holding_the_copied_target_become_not_forecast_yet(
        self, workspace: Workspace, carol: Member, today: dt.date
    ) -> None:
        migration = importlib.import_module("retain.renewals.migrations.0003_renewal_not_forecast_yet")
        for name, term in (("Copied", 20), ("Called", 30), ("Lowered", 40), ("Closed", 50)):
            make_account(workspace, name, "enterprise", carol, term, mrr="100")
        services.renewals_open(workspace=workspace, today=today)
        rows = {r.account.name: r for r in Renewal.objects.select_related("account")}
        # What opening wrote before: the target copied in as a probable forecast.
        Renewal.objects.update(forecast_category="probable", forecast_amount=F("target_amount"))
        Renewal.objects.filter(pk=rows["Called"].pk).update(forecast_category="commit")
        Renewal.objects.filter(pk=rows["Lowered"].pk).update(forecast_amount=Decimal("900"))
        services.renewal_close(renewal=rows["Closed"], actor=None, via="test", outcome=Outcome.RENEWED)
        Renewal.objects.filter(pk=rows["Closed"].pk).update(forecast_category="probable")
        migration.unset_copied_forecasts(django_apps, connection.schema_editor())
        after = {
            r.account.name: (r.forecast_category, r.forecast_amount) for r in Renewal.objects.select_related("account")
        }
        assert after == {
            "Copied": (NOT_FORECAST, None),
            "Called": ("commit", Decimal("1200.00")),
            "Lowered": ("probable", Decimal("900.00")),
            "Closed": ("probable", Decimal("1200.00")),
        }
