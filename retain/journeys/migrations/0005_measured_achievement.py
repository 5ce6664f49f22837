"""The default critical path's "Achievement" becomes measured, in workspaces that already have it.

Seed 002's Achievement is the share of the lead goal and of the new-sales goal reached, not two ticks.
The rule chosen for a workspace's current critical-path template whose Achievement is still the old
default checklist (the team never edited that milestone; other milestones may differ):

- the template gets a new version in which only Achievement changes (measured, due in week 26);
- the open journeys on the replaced version move to the new one, so every customer under way is
  measured the same way: the other milestones are the same entries, so their progress carries over;
- an Achievement already ticked complete stays complete, with its ticks as evidence; an open one is
  due again 26 weeks after its journey started (its ticks stay on the row but no longer count), and
  the nightly evaluation reads it from the success plan's goals from then on;
- a closed journey (a churned account) is history and keeps its version.

A workspace that changed its Achievement milestone keeps what it made. The milestone is written out
here, not imported, so that later changes to the defaults do not rewrite this step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import Max

KEY = "critical-path"
OLD_ITEMS = ["Goals reviewed with the sponsor", "Share of goals reached recorded"]
WEEK = 26
ACHIEVEMENT: dict[str, Any] = {
    "key": "achievement",
    "name": "Achievement",
    "target_week": WEEK,
    "kind": "data",
    "description": (
        "Seed 002's weeks 12 to 52: the share of the year's lead goal and new-sales goal reached. Due half-way "
        "(week 26): leads to date at least 50% of the success plan's lead goal and new sales to date at least 50% "
        "of its new-sales goal (journeys.measured); the level of effort it took is shown beside it."
    ),
    "criteria": {
        "and": [
            {"attr": "measures.leads_to_date.goal_pct", "op": "gte", "value": 50},
            {"attr": "measures.sales_to_date.goal_pct", "op": "gte", "value": 50},
        ]
    },
}


def _is_old_default(milestone: dict[str, Any]) -> bool:
    return milestone.get("key") == "achievement" and milestone.get("kind") == "checklist" and (
        milestone.get("items") == OLD_ITEMS
    )


def _weeks_in_order(milestones: list[dict[str, Any]]) -> bool:
    weeks = [m.get("target_week") or 0 for m in milestones]
    return weeks == sorted(weeks)


def forwards(apps: Any, schema_editor: Any) -> None:
    JourneyTemplate = apps.get_model("journeys", "JourneyTemplate")
    Journey = apps.get_model("journeys", "Journey")
    MilestoneProgress = apps.get_model("journeys", "MilestoneProgress")
    for template in JourneyTemplate.objects.filter(key=KEY, is_current=True).order_by("id"):
        milestones = [ACHIEVEMENT if _is_old_default(m) else m for m in template.milestones]
        if milestones == template.milestones or not _weeks_in_order(milestones):
            continue
        latest = JourneyTemplate.objects.filter(workspace_id=template.workspace_id, key=KEY).aggregate(
            high=Max("version")
        )["high"]
        JourneyTemplate.objects.filter(pk=template.pk).update(is_current=False)
        published = JourneyTemplate.objects.create(
            workspace_id=template.workspace_id,
            key=KEY,
            name=template.name,
            version=latest + 1,
            applies_to=template.applies_to,
            priority=template.priority,
            milestones=milestones,
            is_current=True,
        )
        for journey in Journey.objects.filter(template_id=template.pk, closed_on__isnull=True).iterator():
            Journey.objects.filter(pk=journey.pk).update(template_id=published.pk)
            MilestoneProgress.objects.filter(journey_id=journey.pk, key="achievement", completed_on__isnull=True).update(
                due_on=journey.started_on + dt.timedelta(weeks=WEEK)
            )


class Migration(migrations.Migration):
    dependencies = [("journeys", "0004_measured_milestones")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
