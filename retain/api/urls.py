from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework import permissions
from rest_framework.routers import SimpleRouter

from retain.api import expansion, inbound, journeys, messaging, ownership, plans, renewals, reviews, tasks, team, views
from retain.api import team_reports as team_report_api

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("contacts", ownership.ContactErasureViewSet, basename="contact-erasure")
router.register("workspace", ownership.WorkspaceDataViewSet, basename="workspace-data")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("touchpoints", views.TouchpointViewSet, basename="touchpoint")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("members", views.MemberViewSet, basename="member")
router.register("surveys", views.SurveyViewSet, basename="survey")
router.register("survey-responses", views.SurveyResponseViewSet, basename="survey-response")
router.register("renewals", renewals.RenewalViewSet, basename="api-renewal")
router.register("business-reviews", reviews.ReviewViewSet, basename="api-business-review")
router.register("expansion-opportunities", expansion.ExpansionViewSet, basename="api-expansion")
router.register("accounts", journeys.AccountStageViewSet, basename="account-lifecycle")
router.register("journey-templates", journeys.JourneyTemplateViewSet, basename="api-journey-template")
router.register("journeys", journeys.JourneyViewSet, basename="api-journey")
router.register("milestones", journeys.MilestoneViewSet, basename="api-milestone")
router.register("barriers", journeys.BarrierViewSet, basename="api-barrier")
router.register("success-plans", plans.SuccessPlanViewSet, basename="api-success-plan")
router.register("goals", plans.GoalViewSet, basename="api-goal")
router.register("objectives", plans.ObjectiveViewSet, basename="api-objective")
router.register("success-metrics", plans.SuccessMetricViewSet, basename="api-success-metric")
router.register("commitments", plans.CommitmentViewSet, basename="api-commitment")
router.register("shared-links", plans.SharedLinkViewSet, basename="api-shared-link")
router.register("tasks", tasks.TaskViewSet, basename="api-task")
router.register("messages", messaging.OutboundMessageViewSet, basename="api-message")
router.register("suppressions", messaging.SuppressionViewSet, basename="api-suppression")
router.register("email-events", messaging.EmailEventViewSet, basename="api-email-event")
router.register("inbound", inbound.InboundViewSet, basename="api-inbound")
router.register("team/balance-plans", team.BalancePlanViewSet, basename="api-balance-plan")
router.register("team", team.TeamViewSet, basename="api-team")
router.register("handoffs", team.HandoffViewSet, basename="api-handoff")
router.register("accounts", team.AccountTeamViewSet, basename="account-team")
router.register("notifications", team.NotificationViewSet, basename="api-notification")
router.register("hooks/events", messaging.InboundEventViewSet, basename="api-inbound-event")
router.register("learnings", team_report_api.LearningViewSet, basename="api-learning")
router.register("time-in-stage", team_report_api.TimeInStageViewSet, basename="api-time-in-stage")
router.register("portfolio-targets", team_report_api.PortfolioTargetViewSet, basename="api-portfolio-target")

urlpatterns = [
    # The schema is public: it describes the API, not any workspace's data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[permissions.AllowAny]), name="api-schema"),
    *router.urls,
    re_path(r"^(?P<rest>.*)$", views.not_found, name="api-not-found"),
]
