"""The customer portal's routes, included at /portal/ (namespace "portal")."""

from django.urls import path

from retain.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/<str:token>/", views.sign_in_link, name="sign-in-link"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/<int:pk>/tick/", views.commitment_tick, name="commitment-tick"),
    path("milestones/<int:pk>/tick/", views.milestone_tick, name="milestone-tick"),
    path("path/", views.path, name="path"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("resources/", views.resources, name="resources"),
    path("ask/", views.ask, name="ask"),
]
