"""The demo's playbooks: the defaults, one scan as of the demo's today, and one sweep of what is due.

So the demo opens with enrolments, step runs and the tasks they made. E-mails the steps queue go
to the demo's `.example` addresses, which no mail server delivers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone

from retain.demo.generator.context import DemoContext
from retain.lib.dates import start_of_day, today_in
from retain.playbooks.defaults import playbooks_install_defaults
from retain.playbooks.engine import scan, sweep
from retain.playbooks.models import Enrollment

# One sweep's worth: enough to show every kind of run without making the build wait.
DEMO_SWEEP_LIMIT = 400


def build_playbooks(ctx: DemoContext) -> str:
    workspace = ctx.ws
    added = playbooks_install_defaults(workspace=workspace)
    now = timezone.now()
    if ctx.today != today_in(workspace.time_zone):
        now = start_of_day(ctx.today, workspace.time_zone) + dt.timedelta(hours=12)
    scanned = scan(workspace=workspace, now=now)
    swept = sweep(now=now, worker_name="demo", limit=DEMO_SWEEP_LIMIT)
    by_status = Counter(Enrollment.objects.filter(workspace=workspace).values_list("status", flat=True))
    ctx.counts["playbook_enrollments"] = scanned.enrolled
    states = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    return f"{len(added)} default playbooks; {scanned.enrolled} enrolments ({states}); {swept.claimed} swept"
