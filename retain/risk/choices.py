from django.db import models


class RunStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    # Too little history or one class only: the run says why and nothing is scored.
    REFUSED = "refused", "Refused"
