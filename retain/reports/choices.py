"""The only place a business review's status, sentiment or audience string is spelled."""

from django.db import models


class ReviewStatus(models.TextChoices):
    """plan → implement → review → update (seed 001): planned, prepared, held, followed up."""

    PLANNED = "planned", "Planned"
    PREPARED = "prepared", "Prepared"
    HELD = "held", "Held"
    FOLLOWED_UP = "followed_up", "Followed up"


# Which status may follow which: a review is prepared (and re-prepared) before it is held, and
# followed up after; nothing goes back.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReviewStatus.PLANNED: (ReviewStatus.PREPARED,),
    ReviewStatus.PREPARED: (ReviewStatus.PREPARED, ReviewStatus.HELD),
    ReviewStatus.HELD: (ReviewStatus.FOLLOWED_UP,),
    ReviewStatus.FOLLOWED_UP: (),
}


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Audience(models.TextChoices):
    """Who a pack is rendered for: the customer's version never holds the internal sections."""

    CUSTOMER = "customer", "Customer"
    INTERNAL = "internal", "Internal prep"


class ProposalKind(models.TextChoices):
    """A next-period item agreed in the review: an objective for the plan or a commitment."""

    OBJECTIVE = "objective", "Objective"
    COMMITMENT = "commitment", "Commitment"
