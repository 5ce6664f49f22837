"""Demo steps that run the product's own daily jobs once the history exists.

Nothing here is invented: expansion opportunities come from the real signal scan over the demo's
usage, health and survey rows, and the churn-risk model is trained on the demo's own history, as
the weekly job would, so the pages show what a workspace with a year of data shows.
"""

from __future__ import annotations

from retain.demo.generator.context import DemoContext
from retain.renewals.expansion import expansion_signals_scan
from retain.risk.services import churn_model_train


def build_expansion(ctx: DemoContext) -> str:
    opened = expansion_signals_scan(workspace=ctx.ws, today=ctx.today)
    ctx.counts["expansion_opportunities"] = opened
    return f"{opened} expansion opportunities opened by the signal scan"


def build_churn_model(ctx: DemoContext) -> str:
    run = churn_model_train(workspace=ctx.ws, today=ctx.today)
    ctx.counts["churn_model_rows"] = run.rows
    if run.holdout_auc is None:
        return f"churn model {run.status}: {run.message or 'no held-out figure'}"
    found = f"churn model {run.status} on {run.rows} snapshot rows, held-out AUC {run.holdout_auc:.3f}"
    return f"{found} ({run.message})" if run.message else found
