"""The administration pages with the routes their templates link to, the ingest and the API.

The administration tests use this so they do not depend on every other page of the site.
"""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from retain.usage import views as ingest
from retain.web.views import books, home, segments, settings


def _elsewhere(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("another page")


w = "w/<slug:slug>/"

urlpatterns = [
    path("v1/track", ingest.track),
    path("api/v1/", include("retain.api.urls")),
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(w + "accounts/", _elsewhere, name="accounts"),
    path(w + "imports/", _elsewhere, name="imports"),
    path(w + "segments/", segments.segment_list, name="segments"),
    path(w + "segments/save/", segments.segment_save, name="segment-save"),
    path(w + "segments/<int:pk>/", segments.segment_open, name="segment"),
    path(w + "segments/<int:pk>/delete/", segments.segment_delete, name="segment-delete"),
    path(w + "books/", books.books, name="books"),
    path(w + "books/move/", books.book_move, name="book-move"),
    path(w + "settings/", settings.workspace_settings, name="settings"),
    path(w + "settings/rates/", settings.rate_add, name="rate-add"),
    path(w + "members/", settings.members, name="members"),
    path(w + "members/<int:pk>/", settings.member_edit, name="member-edit"),
    path(w + "api-tokens/", settings.api_tokens, name="api-tokens"),
    path(w + "api-tokens/<int:pk>/revoke/", settings.api_token_revoke, name="api-token-revoke"),
    path(w + "write-keys/", settings.write_keys, name="write-keys"),
    path(w + "write-keys/<int:pk>/revoke/", settings.write_key_revoke, name="write-key-revoke"),
    path(w + "write-keys/<int:pk>/", settings.write_key_detail, name="write-key"),
]
