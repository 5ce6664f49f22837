from django.db import models


class Stage(models.TextChoices):
    """Where a renewal opportunity stands; every stage but CLOSED is open."""

    OPEN = "open", "Window opened"
    ENGAGED = "engaged", "Customer engaged"
    PROPOSAL = "proposal", "Proposal sent"
    NEGOTIATION = "negotiation", "Negotiation"
    CLOSED = "closed", "Closed"


OPEN_STAGES = (Stage.OPEN, Stage.ENGAGED, Stage.PROPOSAL, Stage.NEGOTIATION)


class ForecastCategory(models.TextChoices):
    """The owner's call on a renewal; a renewal the owner has not called yet has none (NOT_FORECAST)."""

    COMMIT = "commit", "Commit"
    PROBABLE = "probable", "Probable"
    AT_RISK = "at_risk", "At risk"
    LOST = "lost", "Lost"


# A renewal opens without a forecast: the category is blank and the amount empty until its owner
# sets both, so the board counts such renewals apart instead of showing the target as a forecast.
NOT_FORECAST = ""
NOT_FORECAST_LABEL = "Not forecast yet"


class Outcome(models.TextChoices):
    RENEWED = "renewed", "Renewed"
    RENEWED_EXPANSION = "renewed_expansion", "Renewed with expansion"
    RENEWED_CONTRACTION = "renewed_contraction", "Renewed with contraction"
    CHURNED = "churned", "Churned"


class ReasonKind(models.TextChoices):
    CHURN = "churn", "Churn"
    DOWNGRADE = "downgrade", "Downgrade"
    EXPANSION = "expansion", "Expansion"


# Which reason kind an outcome must be explained with; a plain renewal needs none.
REASON_KIND_FOR_OUTCOME = {
    Outcome.CHURNED: ReasonKind.CHURN,
    Outcome.RENEWED_CONTRACTION: ReasonKind.DOWNGRADE,
    Outcome.RENEWED_EXPANSION: ReasonKind.EXPANSION,
}

# The library every workspace starts with; managers add, rename and retire codes.
DEFAULT_REASONS = {
    ReasonKind.CHURN: (
        "Budget cut",
        "Moved to a competitor",
        "Low adoption",
        "Champion left",
        "Company acquired or closed",
        "Missing functionality",
        "Poor support experience",
    ),
    ReasonKind.DOWNGRADE: (
        "Fewer seats needed",
        "Budget reduced",
        "Moved to a lower edition",
        "Unused features",
    ),
    ReasonKind.EXPANSION: (
        "More seats",
        "Upgraded edition",
        "New team or business unit",
        "Added product",
        "Price increase",
    ),
}


class ExpansionKind(models.TextChoices):
    UPSELL = "upsell", "Upsell"
    CROSS_SELL = "cross_sell", "Cross-sell"


class ExpansionSignal(models.TextChoices):
    """What opened an expansion opportunity; retain/renewals/expansion.py detects each one."""

    SEAT_UTILISATION = "seat_utilisation", "Seat utilisation"
    HIGHER_EDITION_FEATURES = "higher_edition_features", "Higher-edition features in use"
    PROMOTER_CHAMPION = "promoter_champion", "Healthy account with a promoter champion"
    MANUAL = "manual", "Entered by hand"


class ExpansionStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"
