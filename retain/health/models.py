from __future__ import annotations

from django.db import models
from django.db.models import Q

from retain.accounts.models import Account
from retain.health.choices import Band, MatchOn, PulseValue, ScorecardStatus, WarehouseDirection, WarehouseRunKind
from retain.tenancy.models import Member, Workspace


class Scorecard(models.Model):
    """One version of a health scorecard: which measures make an account healthy, and how they add up.

    `definition` is the YAML exactly as written (what export gives back) and `parsed` its validated
    form, which scoring reads. A scorecard applies to the accounts matching `applies_to` (criteria in
    the accounts-list language); scorecards are tried in `priority` order (lowest first) and the
    published default takes the accounts no other one matched. Versions are rows: publishing a changed
    definition adds version n + 1 and retires n, so every stored score still names the exact
    definition it was computed with.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scorecards")
    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    definition = models.TextField()
    parsed = models.JSONField(default=dict)
    priority = models.IntegerField(default=100)
    applies_to = models.JSONField(default=dict, blank=True)
    is_default = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name", "version"], name="scorecard_unique_version"),
            # Two published versions of one scorecard would make "which one scored this" ambiguous.
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=Q(status=ScorecardStatus.PUBLISHED),
                name="scorecard_one_published_version",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="scorecard_version_from_one"),
        ]
        indexes = [models.Index(fields=["workspace", "status", "priority"])]
        ordering = ["priority", "name", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class HealthScore(models.Model):
    """An account's health on one calendar day (workspace time zone), with how it was reached.

    `measures` keeps, per measure, what the page and the backtest need to explain the number:
    [{"kind", "label", "raw", "score", "weight", "contribution", "missing"}, ...]. One row per account
    and day: a later computation on the same day replaces the earlier one (an upsert on the unique
    pair), so the history is one point per day. `overall` is 0–100, or None with a blank band when
    none of the scorecard's measures had an input, or when the account is not scored yet
    (`not_scored_reason` says why: no revenue yet, or still in its onboarding window; its measures
    are kept so the page can show where it stands).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="health_scores")
    day = models.DateField()
    overall = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=8, choices=Band.choices, default=Band.BLANK)
    measures = models.JSONField(default=list, blank=True)
    # RESTRICT rather than PROTECT: a version in use cannot be deleted on its own, but deleting the
    # whole workspace (which cascades to both) still works.
    scorecard = models.ForeignKey(Scorecard, on_delete=models.RESTRICT, related_name="scores")
    not_scored_reason = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="health_score_one_per_day"),
            models.CheckConstraint(
                condition=Q(overall__isnull=True) | Q(overall__gte=0, overall__lte=100),
                name="health_score_overall_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "day"], name="health_score_ws_day"),
            models.Index(fields=["account", "-day"], name="health_score_account_day"),
        ]
        ordering = ["-day", "account_id"]

    def __str__(self) -> str:
        overall = "–" if self.overall is None else f"{self.overall:.0f}"
        return f"{self.account_id} on {self.day}: {overall} ({self.band})"


class Pulse(models.Model):
    """The CSM's manual read of an account (red, yellow or green) with why; every change is kept.

    The latest pulse set on or before a day is the account's pulse that day, which is how the
    `csm_pulse` measure and the backtest read it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="pulses")
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    value = models.PositiveSmallIntegerField(choices=PulseValue.choices)
    note = models.TextField(blank=True)
    set_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=3), name="pulse_value_1_to_3"),
        ]
        indexes = [models.Index(fields=["account", "-set_on", "-created_at"], name="pulse_account_latest")]
        ordering = ["-set_on", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_value_display()} for {self.account_id} on {self.set_on}"


class WarehouseConnection(models.Model):
    """A warehouse Retain reads measures from and exports health to, as a SQLAlchemy URL.

    The URL is stored without its password: `secret_env` names the environment variable that holds
    it (set on every web and worker process), so the database never holds a warehouse credential.
    Blank when the warehouse needs none (a DuckDB file) or takes its credentials from the
    environment in its own way (BigQuery's GOOGLE_APPLICATION_CREDENTIALS).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    url = models.CharField(max_length=500, help_text="SQLAlchemy URL without the password")
    secret_env = models.CharField(max_length=100, blank=True, help_text="environment variable holding the password")
    export_table = models.CharField(max_length=100, blank=True, default="retain_account_health")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="warehouse_connection_unique_name")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WarehouseMeasure(models.Model):
    """A measure whose values come from SQL run in a warehouse: one value per account and day.

    The SQL returns the columns `account` (the account's external id or domain, per `match_on`),
    `value` (a number) and optionally `day` (the day the value is for; the run's day when absent).
    Scorecards use it as the measure kind `warehouse.KEY` (or `warehouse_low.KEY` when lower is
    healthier), read from WarehouseValue like any other measure's daily values.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(WarehouseConnection, on_delete=models.PROTECT, related_name="measures")
    key = models.SlugField(max_length=60, help_text="the name scorecards use: warehouse.KEY")
    name = models.CharField(max_length=100)
    sql = models.TextField()
    match_on = models.CharField(max_length=16, choices=MatchOn.choices, default=MatchOn.EXTERNAL_ID)
    direction = models.SmallIntegerField(choices=WarehouseDirection.choices, default=WarehouseDirection.HIGHER)
    unit = models.CharField(max_length=40, blank=True)
    timeout_seconds = models.PositiveIntegerField(default=60)
    row_limit = models.PositiveIntegerField(default=100_000)
    enabled = models.BooleanField(default=True, help_text="run by the schedule")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="warehouse_measure_unique_key"),
            models.CheckConstraint(condition=Q(timeout_seconds__gte=1), name="warehouse_measure_timeout_positive"),
            models.CheckConstraint(condition=Q(row_limit__gte=1), name="warehouse_measure_row_limit_positive"),
        ]
        ordering = ["key", "id"]

    def __str__(self) -> str:
        return self.key

    @property
    def kind(self) -> str:
        """The measure kind scorecards name."""
        prefix = "warehouse" if self.direction == WarehouseDirection.HIGHER else "warehouse_low"
        return f"{prefix}.{self.key}"


class WarehouseValue(models.Model):
    """One warehouse measure's value for one account on one day; a later run for the day replaces it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(WarehouseMeasure, on_delete=models.CASCADE, related_name="values")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    value = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "account", "day"], name="warehouse_value_one_per_day")
        ]
        indexes = [models.Index(fields=["measure", "day"], name="warehouse_value_measure_day")]

    def __str__(self) -> str:
        return f"{self.measure_id} for {self.account_id} on {self.day}: {self.value}"


class WarehouseRun(models.Model):
    """One run against a warehouse: a measure, a preview, an export or a connection test.

    Written when the run starts and completed when it ends, so a worker that died mid-run leaves a
    run without `finished_at`. `rows` counts what the warehouse returned (or, for an export, the
    rows written); `matched`/`unmatched` how many returned rows named an account of the workspace.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(WarehouseConnection, on_delete=models.CASCADE, related_name="runs")
    measure = models.ForeignKey(WarehouseMeasure, on_delete=models.CASCADE, null=True, blank=True, related_name="runs")
    kind = models.CharField(max_length=10, choices=WarehouseRunKind.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    # A few of the unmatched account values, to fix the SQL or the accounts' external ids by.
    unmatched_sample = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-started_at"], name="warehouse_run_ws_started")]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} on {self.connection_id}"

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and not self.error
