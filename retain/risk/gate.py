"""The churn model's quality gate: when a trained model may score accounts (pure: no database).

A model that fails it is stored with its evaluation and the reasons, and scores no account, so no
page, forecast or API answer reads a probability from it. Below MIN_CHURNED_ACCOUNTS churned accounts
the held-out quarter holds a handful of churners and its AUC is noise; below MIN_HOLDOUT_AUC the model
ranks a churner above an account that renewed barely more often than a coin would (0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHURNED_ACCOUNTS = 30
MIN_HOLDOUT_AUC = 0.60


@dataclass(frozen=True)
class Shortfall:
    """One requirement a model missed: what it has, what it needs, and what would close the gap."""

    measure: str
    have: str
    need: str
    reason: str  # one line, as the run's message keeps it
    remedy: str  # what data is missing, in the reader's words


def shortfalls(
    *,
    churned_accounts: int | None,
    holdout_auc: float | None,
    min_churned_accounts: int = MIN_CHURNED_ACCOUNTS,
    min_holdout_auc: float = MIN_HOLDOUT_AUC,
) -> list[Shortfall]:
    """Every requirement the model misses; none when it may score accounts. `churned_accounts` is None
    for a run trained before the count was kept: only its AUC is judged."""
    found = []
    if churned_accounts is not None and churned_accounts < min_churned_accounts:
        found.append(
            Shortfall(
                measure="Churned accounts",
                have=str(churned_accounts),
                need=f"at least {min_churned_accounts}",
                reason=f"{churned_accounts} churned accounts; at least {min_churned_accounts} needed",
                remedy=f"{min_churned_accounts - churned_accounts} more accounts that stopped paying: a longer "
                "subscription history (import older subscriptions and their cancellations) or more accounts",
            )
        )
    if holdout_auc is None:
        found.append(
            Shortfall(
                measure="Held-out ROC-AUC",
                have="not measured",
                need=f"at least {min_holdout_auc:.2f}",
                reason=f"no held-out AUC (the held-out months hold one outcome only); at least {min_holdout_auc:.2f} "
                "needed",
                remedy="churned and renewed accounts both in the latest quarter, so the model can be checked on it",
            )
        )
    elif holdout_auc < min_holdout_auc:
        found.append(
            Shortfall(
                measure="Held-out ROC-AUC",
                have=f"{holdout_auc:.2f}",
                need=f"at least {min_holdout_auc:.2f}",
                reason=f"held-out AUC {holdout_auc:.2f} < {min_holdout_auc:.2f}",
                remedy="signals that tell churners apart on months the model never saw: product usage, "
                "support tickets, NPS answers and touchpoints for the accounts, and more history",
            )
        )
    return found


def quality_gate(
    *,
    churned_accounts: int,
    holdout_auc: float | None,
    min_churned_accounts: int = MIN_CHURNED_ACCOUNTS,
    min_holdout_auc: float = MIN_HOLDOUT_AUC,
) -> list[str]:
    """Why a trained model may not score accounts, one line per requirement missed; empty when it may."""
    found = shortfalls(
        churned_accounts=churned_accounts,
        holdout_auc=holdout_auc,
        min_churned_accounts=min_churned_accounts,
        min_holdout_auc=min_holdout_auc,
    )
    return [shortfall.reason for shortfall in found]
