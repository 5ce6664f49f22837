"""The only place the portal's activity and resource kinds are spelled."""

from django.db import models


class ActivityKind(models.TextChoices):
    """What a contact did in the portal; each is an engagement signal (portal.measures)."""

    SIGN_IN = "sign_in", "Signed in"
    TICK = "tick", "Ticked"
    QUESTION = "question", "Asked a question"


class ResourceKind(models.TextChoices):
    KB_ARTICLE = "kb_article", "Knowledge-base article"
    WEBINAR = "webinar", "Webinar"
    TRAINING = "training", "Training"
