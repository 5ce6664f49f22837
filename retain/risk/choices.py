from django.db import models


class RunStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    # Too little history or one class only: the run says why and nothing is scored.
    REFUSED = "refused", "Refused"
    # Trained and evaluated, but below the quality gate (too few churned accounts or a held-out AUC
    # too low): stored with its evaluation and the reasons; it scores no account.
    GATED = "gated", "Not used (below the quality gate)"
