"""Every periodic system job, in one place: what runs, when, why, and how long a run may wait.

User-defined timings (playbook steps, survey sends) are data, swept by one minutely job; they are
never individual entries here.
"""

from celery.schedules import crontab

SCHEDULE = {
    "fold-usage": {
        # New product events reach the daily rollups (and so health and milestones) within a
        # minute. A run that finds nothing new costs two small queries.
        "task": "retain.usage.jobs.fold_usage",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "expire-usage-events": {
        # Raw events past RETAIN_EVENT_RETENTION_DAYS (default 400) go; rollups stay. Nightly,
        # when ingest is quietest; chunked so it never holds the write lock for long.
        "task": "retain.usage.jobs.expire_events",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 6 * 3600},
    },
    "expire-ingest-rejections": {
        # Refused events are kept 30 days, long enough to fix the sender that made them; without
        # an expiry a sender that keeps sending bad calls grows the table for good.
        "task": "retain.usage.jobs.expire_rejections",
        "schedule": crontab(hour=3, minute=37),
        "options": {"expires": 6 * 3600},
    },
    "open-renewal-windows": {
        # Writes "renewal window opened" once per subscription term (seed 002: renewals start 90
        # days out). Hourly rather than daily so every workspace time zone's midnight is covered
        # within the hour; the entry's dedupe key makes repeats free.
        "task": "retain.accounts.jobs.open_renewal_windows",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    "open-renewals": {
        # One renewal opportunity per subscription term once its window opens (the same per-tier
        # window as above); hourly for the same time-zone reason, idempotent per term.
        "task": "retain.renewals.jobs.open_renewals",
        "schedule": crontab(minute=7),
        "options": {"expires": 50 * 60},
    },
    "send-survey-invitations": {
        # Survey sends are data (schedules on each survey); this one sweep plans what is due and
        # sends it, so a contact is asked within a minute of the occasion.
        "task": "retain.surveys.jobs.send_due_invitations",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "send-due-deliveries": {
        # Outbound e-mail, Slack posts and webhooks are rows with a due time (first attempt or the
        # next retry); this sweep claims and sends them, so a message leaves within a minute.
        "task": "retain.messaging.jobs.send_due_deliveries",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "run-playbooks": {
        # Playbook timings are data: this one job enrols each new occurrence (time, data and event
        # triggers; the unique occurrence key makes repeats free) and then works through the
        # enrolments that are due, within a 45-second budget so runs never overlap for long.
        "task": "retain.playbooks.jobs.run_playbooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "scan-expansion-signals": {
        # Seat utilisation, enterprise features on the professional edition and green accounts
        # with a promoter champion open expansion opportunities. Daily, after the nightly health
        # run it reads; one open opportunity per account and signal makes repeats free.
        "task": "retain.renewals.jobs.scan_expansion_signals",
        "schedule": crontab(hour=4, minute=10),
        "options": {"expires": 6 * 3600},
    },
    "refresh-success-metrics": {
        # Success-plan metrics bound to a usage measure follow the rollups; hourly is fresh enough
        # for a number reviewed in calls, and costs one measure query per workspace that binds any.
        "task": "retain.plans.jobs.refresh_bound_metrics",
        "schedule": crontab(minute=20),
        "options": {"expires": 50 * 60},
    },
    "resume-imports": {
        # Uploaded CSV imports are written by workers in checkpointed chunks; one whose worker
        # died (no chunk for 5 minutes) or that no worker picked up is handed out again and
        # continues after its last committed chunk.
        "task": "retain.accounts.jobs.resume_imports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "run-warehouse-measures": {
        # Measures defined as SQL in a customer's warehouse: once a night, before the nightly
        # health run reads their values (warehouse loads usually land after midnight UTC).
        "task": "retain.health.jobs.run_warehouse_measures",
        "schedule": crontab(hour=2, minute=5),
        "options": {"expires": 6 * 3600},
    },
    "recompute-health": {
        # The nightly full run: every account gets its day's score even with no new data (windows
        # move, renewals come closer, contacts leave); new usage and pulses re-score within minutes.
        "task": "retain.health.jobs.recompute_all",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 3600},
    },
    "evaluate-journeys": {
        # Nightly: new onboarding accounts start their journey, and milestone statuses move with the
        # calendar (behind, stuck) even without new usage; the minutely fold completes milestones
        # for accounts with new usage in between.
        "task": "retain.journeys.jobs.evaluate_journeys",
        "schedule": crontab(hour=2, minute=50),
        "options": {"expires": 6 * 3600},
    },
    "prune-job-runs": {
        # Each job's run per workspace is kept RETAIN_JOB_RUN_RETENTION_DAYS (90 by default): a
        # quarter of history answers "when did this start failing?"; the minutely jobs write two
        # rows a minute per workspace, so without a limit the table grows for good.
        "task": "retain.tenancy.jobs.prune_job_runs",
        "schedule": crontab(hour=3, minute=47),
        "options": {"expires": 6 * 3600},
    },
    "retrain-churn-model": {
        # Weekly: a month of new outcomes changes the model little, and training compares several
        # models on every snapshot. Sunday night, after the nightly health run has scored the day.
        "task": "retain.risk.jobs.retrain_all",
        "schedule": crontab(day_of_week=0, hour=4, minute=10),
        "options": {"expires": 12 * 3600},
    },
    "retrain-question-router": {
        # Weekly: each workspace with new corrections retrains its question router on them.
        "task": "retain.routing.jobs.retrain_all",
        "schedule": crontab(day_of_week=0, hour=4, minute=40),
        "options": {"expires": 12 * 3600},
    },
}
