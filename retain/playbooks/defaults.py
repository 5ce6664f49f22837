"""The playbooks every workspace starts with, from the seeds: one YAML file each in defaults/.

Per tier (seed 001): community accounts are served by automated e-mail, enterprise accounts by
calls, strategic accounts by personal contact and an executive sponsor. Installing is idempotent
and never touches a playbook the team already has under the same key (edited, switched off or
not): the defaults are a starting point, not a policy that comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from retain.playbooks.models import Playbook
from retain.playbooks.services import playbook_save
from retain.tenancy.models import Member, Workspace

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


@dataclass(frozen=True)
class DefaultPlaybook:
    key: str
    path: Path

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def default_playbooks() -> list[DefaultPlaybook]:
    """The shipped definitions, ordered by key (the file name is the key)."""
    return [DefaultPlaybook(key=path.stem, path=path) for path in sorted(DEFAULTS_DIR.glob("*.yaml"))]


@transaction.atomic
def playbooks_install_defaults(*, workspace: Workspace, actor: Member | None = None) -> list[Playbook]:
    """Save each default playbook the workspace has no playbook for yet; returns the ones added."""
    existing = set(Playbook.objects.filter(workspace=workspace).values_list("key", flat=True).distinct())
    added = []
    for default in default_playbooks():
        if default.key in existing:
            continue
        added.append(
            playbook_save(
                workspace=workspace,
                definition_yaml=default.source,
                actor=actor,
                filename=f"defaults/{default.path.name}",
            )
        )
    return added
