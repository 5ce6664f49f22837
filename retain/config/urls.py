from django.urls import include, path

from retain.messaging import views as messaging
from retain.plans import views as plans
from retain.routing import views as inbound
from retain.surveys import views as surveys
from retain.usage import views as ingest

urlpatterns = [
    # Segment/RudderStack-compatible ingest: senders change only the host.
    path("v1/batch", ingest.batch, name="ingest-batch"),
    path("v1/track", ingest.track, name="ingest-track"),
    path("v1/identify", ingest.identify, name="ingest-identify"),
    path("v1/group", ingest.group, name="ingest-group"),
    path("v1/page", ingest.page, name="ingest-page"),
    path("v1/screen", ingest.screen, name="ingest-screen"),
    # Inbound questions from mail providers, helpdesks and Slack: the token names the workspace.
    path("hooks/inbound/<str:token>/json/", inbound.generic, name="inbound-hook-json"),
    path("hooks/inbound/<str:token>/postmark/", inbound.postmark, name="inbound-hook-postmark"),
    path("hooks/inbound/<str:token>/sendgrid/", inbound.sendgrid, name="inbound-hook-sendgrid"),
    path("hooks/inbound/<str:token>/mailgun/", inbound.mailgun, name="inbound-hook-mailgun"),
    path("hooks/inbound/<str:token>/zendesk/", inbound.zendesk, name="inbound-hook-zendesk"),
    path("hooks/inbound/<str:token>/intercom/", inbound.intercom, name="inbound-hook-intercom"),
    path("hooks/inbound/<str:token>/slack/", inbound.slack, name="inbound-hook-slack"),
    path("api/v1/", include("retain.api.urls")),
    path("s/<str:token>/", surveys.answer, name="survey-answer"),
    path("s/<str:token>/unsubscribe/", surveys.unsubscribe, name="survey-unsubscribe"),
    path("p/<str:token>/", plans.shared_plan, name="shared-plan"),
    path("m/u/<str:token>/", messaging.unsubscribe, name="message-unsubscribe"),
    # The customer portal: contacts sign in by an e-mailed link (their own cookie, not a member's session).
    path("portal/", include("retain.portal.urls")),
    path("", include("retain.web.urls")),
]
