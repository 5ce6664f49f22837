"""The customer portal's routes, included at /portal/ (route names start with "portal-")."""

from django.urls import path

from retain.portal import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("sign-in/", views.sign_in, name="portal-sign-in"),
    path("sign-in/<str:token>/", views.sign_in_link, name="portal-sign-in-link"),
    path("sign-out/", views.sign_out, name="portal-sign-out"),
    path("commitments/", views.commitments, name="portal-commitments"),
    path("commitments/<int:pk>/tick/", views.commitment_tick, name="portal-commitment-tick"),
    path("milestones/<int:pk>/tick/", views.milestone_tick, name="portal-milestone-tick"),
    path("path/", views.path, name="portal-path"),
    path("reviews/", views.reviews, name="portal-reviews"),
    path("reviews/<int:pk>/", views.review, name="portal-review"),
    path("resources/", views.resources, name="portal-resources"),
    path("ask/", views.ask, name="portal-ask"),
]
