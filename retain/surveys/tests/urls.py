"""The public survey pages (and the outbox's unsubscribe link), so these tests do not depend on
the rest of the site's URLs."""

from django.urls import include, path

from retain.messaging import views as messaging_views
from retain.surveys import views

urlpatterns = [
    path("s/<str:token>/", views.answer, name="survey-answer"),
    path("s/<str:token>/unsubscribe/", views.unsubscribe, name="survey-unsubscribe"),
    path("m/u/<str:token>/", messaging_views.unsubscribe, name="message-unsubscribe"),
    path("api/v1/", include("retain.api.urls")),
]
