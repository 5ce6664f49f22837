"""Only the ingest routes, so these tests do not depend on the rest of the site."""

from django.urls import path

from retain.usage import views

urlpatterns = [
    path("v1/batch", views.batch),
    path("v1/track", views.track),
    path("v1/identify", views.identify),
    path("v1/group", views.group),
    path("v1/page", views.page),
]
