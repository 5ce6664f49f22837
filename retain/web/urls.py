from django.contrib.auth import views as auth_views
from django.urls import path

from retain.web.views import (
    accounts,
    audit,
    auth,
    books,
    health,
    home,
    imports,
    renewals,
    revenue,
    search,
    segments,
    settings,
    surveys,
)
from retain.web.views import expansion as expansion_views
from retain.web.views import inbound as inbound_views
from retain.web.views import jobs as jobs_views
from retain.web.views import journeys as journey_views
from retain.web.views import leadership as leadership_views
from retain.web.views import login as login_views
from retain.web.views import messaging as messaging_views
from retain.web.views import notifications as notification_views
from retain.web.views import ownership as ownership_views
from retain.web.views import plans as plan_views
from retain.web.views import playbooks as playbook_views
from retain.web.views import portal as portal_views
from retain.web.views import reference as reference_views
from retain.web.views import reviews as review_views
from retain.web.views import risk as risk_views
from retain.web.views import spend as spend_views
from retain.web.views import tasks as task_views
from retain.web.views import team as team_views
from retain.web.views import team_reports as team_report_views
from retain.web.views import unmatched_groups as unmatched_group_views
from retain.web.views import warehouse as warehouse_views

w = "w/<slug:slug>/"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", login_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset by e-mail (Django's views, rate-limited per address) and accepting an invitation.
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/auth/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="web/auth/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="web/auth/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", auth.invitation_accept, name="invitation-accept"),
    # A business review's customer version, through its signed, expiring link (no login).
    path("r/<str:token>/", review_views.shared_review, name="shared-review"),
    # The API reference, public like the schema it is drawn from.
    path("api/docs/", reference_views.api_reference, name="api-reference"),
    # Accounts, their people, revenue and conversations.
    path(w, accounts.accounts_list, name="workspace"),
    path(w + "search/", search.search, name="search"),
    path(w + "accounts/", accounts.accounts_list, name="accounts"),
    path(w + "accounts/export.csv", accounts.accounts_export, name="accounts-export"),
    path(w + "accounts/new/", accounts.account_create, name="account-create"),
    path(w + "accounts/<int:pk>/", accounts.account_detail, name="account"),
    path(w + "accounts/<int:pk>/edit/", accounts.account_edit, name="account-edit"),
    path(w + "accounts/<int:pk>/timeline/", accounts.account_timeline, name="account-timeline"),
    path(w + "accounts/<int:pk>/touchpoints/new/", accounts.touchpoint_log, name="touchpoint-log"),
    path(w + "accounts/<int:pk>/contacts/new/", accounts.contact_create, name="contact-create"),
    path(w + "contacts/<int:pk>/edit/", accounts.contact_edit, name="contact-edit"),
    path(w + "contacts/<int:pk>/erase/", ownership_views.contact_erase, name="contact-erase"),
    path(w + "accounts/<int:pk>/subscriptions/new/", accounts.subscription_create, name="subscription-create"),
    path(w + "subscriptions/<int:pk>/change/", accounts.subscription_change, name="subscription-change"),
    # Health: the CSM pulse, the portfolio dashboard and the scorecards.
    path(w + "accounts/<int:pk>/pulse/", health.account_pulse, name="account-pulse"),
    path(w + "accounts/<int:pk>/plan/", plan_views.success_plan, name="success-plan"),
    path(w + "accounts/<int:pk>/reviews/", review_views.account_reviews, name="business-reviews"),
    path(w + "reviews/<int:pk>/", review_views.business_review, name="business-review"),
    path(w + "reviews/<int:pk>/pack.pdf", review_views.business_review_pdf, name="business-review-pdf"),
    path(w + "health/", health.health_dashboard, name="health"),
    path(w + "health/scorecards/", health.scorecard_list, name="scorecards"),
    path(w + "health/scorecards/edit/", health.scorecard_edit, name="scorecard-edit"),
    path(w + "health/scorecards/<int:pk>/", health.scorecard_detail, name="scorecard"),
    # Saved filters.
    path(w + "segments/", segments.segment_list, name="segments"),
    path(w + "segments/save/", segments.segment_save, name="segment-save"),
    path(w + "segments/<int:pk>/", segments.segment_open, name="segment"),
    path(w + "segments/<int:pk>/delete/", segments.segment_delete, name="segment-delete"),
    # Revenue metrics from the subscription ledger.
    path(w + "revenue/", revenue.revenue_dashboard, name="revenue"),
    # The leadership pack: seed 001's key performance metrics for a quarter, as a page and as PDF.
    path(w + "leadership/", leadership_views.leadership_pack, name="leadership"),
    path(w + "leadership/pack.pdf", leadership_views.leadership_pack_pdf, name="leadership-pdf"),
    # CSM books and capacity; moving a book.
    path(w + "books/", books.books, name="books"),
    path(w + "books/move/", books.book_move, name="book-move"),
    # The team: a CSM's home, the manager's team page and drill-down, coverage, balancing plans.
    path(w + "my-book/", team_views.my_book, name="my-book"),
    path(w + "team/", team_views.team, name="team"),
    # A member's notifications: the list, the bell's count (htmx), marking read, opening one.
    path(w + "notifications/", notification_views.notification_list, name="notifications"),
    path(w + "notifications/count/", notification_views.notification_count, name="notification-count"),
    path(w + "notifications/read/", notification_views.notification_read, name="notification-read"),
    path(w + "notifications/<int:pk>/open/", notification_views.notification_open, name="notification-open"),
    path(w + "team/coverage/", team_views.coverage, name="team-coverage"),
    path(w + "team/balance/", team_views.balance, name="team-balance"),
    path(w + "team/balance/<int:pk>/", team_views.plan, name="team-plan"),
    path(w + "team/education/", team_report_views.team_education, name="team-education"),
    path(w + "team/time-in-stage/", team_report_views.time_in_stage, name="team-time-in-stage"),
    path(w + "team/targets/", team_report_views.portfolio_targets, name="team-targets"),
    path(w + "team/<int:member_pk>/", team_views.team_member, name="team-member"),
    path(w + "accounts/<int:pk>/team/", team_views.account_team, name="account-team"),
    path(w + "accounts/<int:pk>/education/", team_report_views.account_education, name="account-education"),
    # Workspace administration.
    path(w + "settings/", settings.workspace_settings, name="settings"),
    path(w + "settings/rates/", settings.rate_add, name="rate-add"),
    path(w + "settings/data/", ownership_views.data, name="data"),
    # Warehouse connections, measures defined as SQL there, and the health export.
    path(w + "settings/warehouse/", warehouse_views.warehouse, name="warehouse"),
    path(
        w + "settings/warehouse/connections/<int:pk>/",
        warehouse_views.warehouse_connection,
        name="warehouse-connection",
    ),
    path(w + "settings/warehouse/measures/new/", warehouse_views.warehouse_measure_new, name="warehouse-measure-new"),
    path(w + "settings/warehouse/measures/<int:pk>/", warehouse_views.warehouse_measure, name="warehouse-measure"),
    path(w + "settings/data/export/", ownership_views.data_export, name="data-export"),
    path(w + "settings/data/delete/", ownership_views.workspace_delete, name="workspace-delete"),
    # The customer portal: the tiers it is on for, its resources, invited contacts.
    path(w + "settings/portal/", portal_views.portal_settings, name="portal-settings"),
    path(w + "settings/portal/resources/", portal_views.resource_add, name="portal-resource-add"),
    path(w + "settings/portal/resources/<int:pk>/", portal_views.resource_edit, name="portal-resource-edit"),
    path(w + "settings/portal/invite/", portal_views.portal_invite, name="portal-invite"),
    path(w + "settings/portal/access/<int:pk>/revoke/", portal_views.portal_access_revoke, name="portal-access-revoke"),
    path(w + "members/", settings.members, name="members"),
    path(w + "members/<int:pk>/", settings.member_edit, name="member-edit"),
    path(w + "members/invitations/", settings.invitation_create, name="invitation-create"),
    path(w + "members/invitations/<int:pk>/resend/", settings.invitation_resend, name="invitation-resend"),
    path(w + "members/invitations/<int:pk>/revoke/", settings.invitation_revoke, name="invitation-revoke"),
    path(w + "audit/", audit.audit_log, name="audit"),
    path(w + "audit.csv", audit.audit_log_csv, name="audit-csv"),
    path(w + "jobs/", jobs_views.jobs, name="jobs"),
    path(w + "api-tokens/", settings.api_tokens, name="api-tokens"),
    path(w + "api-tokens/<int:pk>/revoke/", settings.api_token_revoke, name="api-token-revoke"),
    path(w + "write-keys/", settings.write_keys, name="write-keys"),
    path(w + "write-keys/<int:pk>/revoke/", settings.write_key_revoke, name="write-key-revoke"),
    path(w + "write-keys/<int:pk>/", settings.write_key_detail, name="write-key"),
    path(w + "unmatched-groups/", unmatched_group_views.unmatched_groups, name="unmatched-groups"),
    path(
        w + "unmatched-groups/<int:pk>/",
        unmatched_group_views.unmatched_group_resolve,
        name="unmatched-group-resolve",
    ),
    # CSV imports from a CRM export.
    path(w + "imports/", imports.import_list, name="imports"),
    path(w + "imports/<int:pk>/", imports.import_detail, name="import"),
    path(w + "imports/<int:pk>/progress/", imports.import_progress, name="import-progress"),
    # Surveys: NPS and CSAT figures, trends and comments; definitions; snoozing a contact.
    path(w + "surveys/", surveys.survey_list, name="surveys"),
    path(w + "surveys/<int:pk>/", surveys.survey_detail, name="survey"),
    path(w + "surveys/<int:pk>/responses.csv", surveys.survey_export, name="survey-export"),
    path(w + "surveys/new/", surveys.survey_create, name="survey-create"),
    path(w + "surveys/<int:pk>/edit/", surveys.survey_edit, name="survey-edit"),
    path(w + "surveys/<int:pk>/test/", surveys.survey_test_send, name="survey-test-send"),
    path(w + "contacts/<int:pk>/surveys/snooze/", surveys.contact_surveys_snooze, name="contact-surveys-snooze"),
    # Renewals: the board by forecast category, at risk, one renewal, the reason codes.
    path(w + "renewals/", renewals.renewal_board, name="renewals"),
    path(w + "renewals/board.csv", renewals.renewal_board_csv, name="renewals-csv"),
    path(w + "renewals/at-risk/", renewals.renewal_at_risk, name="renewals-at-risk"),
    path(w + "renewals/reasons/", renewals.reason_codes, name="renewal-reasons"),
    path(w + "renewals/reasons/<int:pk>/", renewals.reason_code_edit, name="renewal-reason-edit"),
    path(w + "renewals/<int:pk>/", renewals.renewal_detail, name="renewal"),
    path(w + "renewals/<int:pk>/edit/", renewals.renewal_edit, name="renewal-edit"),
    path(w + "renewals/<int:pk>/close/", renewals.renewal_close, name="renewal-close"),
    # Spend per period and CSM quotas (CAC, CRC, quota attainment); one CSM's book.
    path(w + "revenue/spend/", spend_views.spend_settings, name="spend"),
    path(w + "books/<int:member_pk>/", spend_views.csm_book, name="book"),
    # Churn risk per account (the model trained on this workspace) and cohort retention per tier.
    path(w + "risk/", risk_views.churn_risk, name="risk"),
    path(w + "risk/churn-risk.csv", risk_views.churn_risk_csv, name="risk-csv"),
    path(w + "retention/", risk_views.cohort_retention, name="retention"),
    # Expansion opportunities opened by signals, with their close forms.
    path(w + "expansion/", expansion_views.expansion_list, name="expansion"),
    path(w + "expansion/<int:pk>/close/", expansion_views.expansion_close, name="expansion-close"),
    # Playbooks: list, editor with preview, one playbook's simulation and runs; an account's runs and snooze.
    path(w + "playbooks/", playbook_views.playbook_list, name="playbooks"),
    path(w + "playbooks/new/", playbook_views.playbook_edit, name="playbook-new"),
    path(w + "playbooks/preview/", playbook_views.playbook_preview, name="playbook-preview"),
    path(w + "playbooks/<slug:key>/", playbook_views.playbook_detail, name="playbook"),
    path(w + "playbooks/<slug:key>/edit/", playbook_views.playbook_edit, name="playbook-edit"),
    path(w + "playbooks/<slug:key>/today/", playbook_views.playbook_today, name="playbook-today"),
    path(w + "playbooks/<slug:key>/simulate/", playbook_views.playbook_simulate, name="playbook-simulate"),
    path(w + "playbooks/<slug:key>/active/", playbook_views.playbook_set_active, name="playbook-active"),
    path(w + "accounts/<int:pk>/playbooks/", playbook_views.account_playbooks, name="account-playbooks"),
    # Journeys: the board, metrics, barriers across accounts, template versions; ticks, barriers and
    # lifecycle moves from the account page.
    path(w + "journeys/", journey_views.journey_board, name="journeys"),
    path(w + "journeys/board.csv", journey_views.journey_board_csv, name="journeys-csv"),
    path(w + "journeys/metrics/", journey_views.journey_metrics, name="journeys-metrics"),
    path(w + "journeys/barriers/", journey_views.journey_barriers, name="journeys-barriers"),
    path(w + "journeys/templates/", journey_views.journey_templates, name="journey-templates"),
    path(w + "journeys/templates/<slug:key>/", journey_views.journey_template_publish, name="journey-template-publish"),
    path(w + "milestones/<int:pk>/tick/", journey_views.milestone_tick, name="milestone-tick"),
    path(w + "milestones/<int:pk>/barriers/", journey_views.barrier_add, name="barrier-add"),
    path(w + "barriers/<int:pk>/resolve/", journey_views.barrier_resolve, name="barrier-resolve"),
    path(w + "accounts/<int:pk>/lifecycle/", journey_views.lifecycle_move, name="account-lifecycle"),
    # Tasks: my tasks by due day, the team view, one task's page; completing and ticking answer htmx.
    path(w + "tasks/", task_views.my_tasks, name="tasks"),
    path(w + "tasks/team/", task_views.team_tasks, name="tasks-team"),
    path(w + "tasks/new/", task_views.task_new, name="task-new"),
    path(w + "tasks/<int:pk>/", task_views.task_detail, name="task"),
    path(w + "tasks/<int:pk>/edit/", task_views.task_edit, name="task-edit"),
    path(w + "tasks/<int:pk>/complete/", task_views.task_complete, name="task-complete"),
    path(w + "tasks/<int:pk>/checklist/<int:index>/", task_views.task_check, name="task-check"),
    path(w + "tasks/<int:pk>/cancel/", task_views.task_cancel, name="task-cancel"),
    path(w + "tasks/<int:pk>/reopen/", task_views.task_reopen, name="task-reopen"),
    # Messages: the outbound log with retry, the suppression list, bounces marked by hand.
    # Inbound questions: the inbox by desk, corrections, unmatched senders, product feedback, measures, rules.
    path(w + "inbound/", inbound_views.inbound, name="inbound"),
    path(w + "inbound/new/", inbound_views.inbound_new, name="inbound-new"),
    path(w + "inbound/<int:pk>/correct/", inbound_views.inbound_correct, name="inbound-correct"),
    path(w + "inbound/<int:pk>/answered/", inbound_views.inbound_answer, name="inbound-answer"),
    path(w + "inbound/unmatched/", inbound_views.inbound_unmatched, name="inbound-unmatched"),
    path(w + "inbound/feedback/", inbound_views.inbound_feedback, name="inbound-feedback"),
    path(w + "inbound/measures/", inbound_views.inbound_measures, name="inbound-measures"),
    path(w + "inbound/rules/", inbound_views.inbound_rules, name="inbound-rules"),
    path(w + "inbound/settings/", inbound_views.inbound_settings, name="inbound-settings"),
    path(w + "inbound/slack/", inbound_views.inbound_slack, name="inbound-slack"),
    path(w + "messages/", messaging_views.messages_page, name="messages"),
    path(w + "messages/<int:pk>/retry/", messaging_views.message_retry, name="message-retry"),
    path(w + "messages/suppressions/", messaging_views.suppression_add, name="suppression-add"),
    path(w + "messages/suppressions/<int:pk>/remove/", messaging_views.suppression_remove, name="suppression-remove"),
    path(w + "messages/bounces/", messaging_views.bounce_mark, name="bounce-mark"),
]
