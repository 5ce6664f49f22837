from django.db import models


class Band(models.TextChoices):
    """Where an overall score falls against the scorecard's cut-offs; blank when nothing could be scored."""

    RED = "red", "Red"
    YELLOW = "yellow", "Yellow"
    GREEN = "green", "Green"
    BLANK = "blank", "Not scored"


class ScorecardStatus(models.TextChoices):
    # Being edited: never used to score.
    DRAFT = "draft", "Draft"
    # The version in use; at most one per scorecard name.
    PUBLISHED = "published", "Published"
    # Superseded by a newer version or withdrawn; kept because scores point at it.
    RETIRED = "retired", "Retired"


class PulseValue(models.IntegerChoices):
    """The CSM's own read of an account, the way a traffic light reads."""

    RED = 1, "Red"
    YELLOW = 2, "Yellow"
    GREEN = 3, "Green"


class MatchOn(models.TextChoices):
    """Which account field a warehouse measure's `account` column holds."""

    EXTERNAL_ID = "external_id", "External id"
    DOMAIN = "domain", "Domain"


class WarehouseRunKind(models.TextChoices):
    MEASURE = "measure", "Measure"
    PREVIEW = "preview", "Preview"
    EXPORT = "export", "Export"
    TEST = "test", "Connection test"


class WarehouseDirection(models.IntegerChoices):
    HIGHER = 1, "Higher is healthier"
    LOWER = -1, "Lower is healthier"
