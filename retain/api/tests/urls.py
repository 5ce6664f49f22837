"""Only the API's routes, so its tests do not depend on the rest of the site's URLs."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("retain.api.urls"))]
