"""The top bar: every section in one of its menus, and the page's menu and link marked as current."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from retain.tenancy.models import Member
from retain.web import urls as web_urls
from retain.web.templatetags.nav_ui import GROUPS, SECTIONS, section_of


def test_every_workspace_page_belongs_to_a_section() -> None:
    workspace_pages = [p.name or "" for p in web_urls.urlpatterns if str(p.pattern).startswith("w/<slug:slug>/")]
    assert len(workspace_pages) > 50, "the web URLs were read"
    # Search and notifications belong to no section: the search box and the bell are in the bar itself.
    notifications = ["notifications", "notification-count", "notification-read", "notification-open"]
    assert [name for name in workspace_pages if not section_of(name)] == ["search", *notifications]


def test_every_section_but_accounts_and_tasks_is_in_a_menu() -> None:
    in_menus = [section for sections in GROUPS.values() for section in sections]
    assert sorted(in_menus) == sorted(section for section, _ in SECTIONS if section not in ("accounts", "tasks"))
    assert len(in_menus) == len(set(in_menus))


@pytest.mark.parametrize(
    ("page", "menu", "link"),
    [
        ("renewals-at-risk", "Revenue", "Renewals"),
        ("retention", "Success", "Churn risk"),
        ("messages", "Outreach", "Messages"),
        ("api-tokens", "Workspace", "Settings"),
    ],
)
def test_the_page_marks_its_menu_and_link(mark: Member, page: str, menu: str, link: str) -> None:
    client = Client()
    client.force_login(mark.user)
    html = client.get(reverse(page, args=["acme"])).content.decode()
    assert re.findall(r'<summary class="current">(\w+)</summary>', html) == [menu]
    assert re.findall(r'aria-current="page">([\w ]+)</a>', html) == [link]


def test_an_outsider_sees_no_menus_of_a_workspace_not_theirs(olga: Member) -> None:
    client = Client()
    client.force_login(olga.user)
    response = client.get(reverse("renewals", args=["acme"]))
    assert response.status_code == 404 and "navgroup" not in response.content.decode()
