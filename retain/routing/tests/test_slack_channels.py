"""The Slack channels page: list, link and unlink a customer's shared channel; the Events API intake
files a linked channel's messages under its account. Outsiders get 404, viewers read only, a CSM
links only the accounts of its own book."""

from __future__ import annotations

import pytest
from django.test import Client

from retain.accounts.models import Account
from retain.routing import selectors, services
from retain.routing.models import ChannelLink
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def _client(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def _url(workspace: Workspace) -> str:
    return f"/w/{workspace.slug}/inbound/slack/"


def test_the_account_s_csm_links_and_unlinks_a_channel(workspace: Workspace, account: Account, carol: Member) -> None:
    client = _client(carol)
    response = client.post(_url(workspace), {"channel_id": " c0ABCDEF12 ", "account": account.pk})
    assert response.status_code == 302
    link = ChannelLink.objects.get(workspace=workspace)
    assert (link.channel_id, link.account) == ("C0ABCDEF12", account)
    assert selectors.channel_account(workspace, "C0ABCDEF12") == account
    page = client.get(_url(workspace)).content.decode()
    assert 'id="channel-C0ABCDEF12"' in page and "Globex" in page
    again = client.post(_url(workspace), {"channel_id": "C0ABCDEF12", "account": account.pk})
    assert again.status_code == 400 and "channel_id: is already linked to Globex" in again.content.decode()
    assert client.post(_url(workspace), {"remove": link.pk}).status_code == 302
    assert not ChannelLink.objects.exists()


def test_bad_input_names_the_field_and_keeps_nothing(workspace: Workspace, account: Account, carol: Member) -> None:
    client = _client(carol)
    for wrong in ("#general", "general", "C0AB"):
        bad = client.post(_url(workspace), {"channel_id": wrong, "account": account.pk})
        assert bad.status_code == 400 and "channel_id: must be a Slack channel id" in bad.content.decode()
    missing = client.post(_url(workspace), {"channel_id": "C0ABCDEF12", "account": ""})
    assert missing.status_code == 400 and "account: choose the account" in missing.content.decode()
    assert not ChannelLink.objects.exists()


def test_outsiders_viewers_and_other_csms(
    workspace: Workspace, account: Account, olga: Member, vic: Member, dave: Member, mark: Member
) -> None:
    link = services.channel_link_add(actor=mark, workspace=workspace, channel_id="C0ABCDEF12", account=account)
    assert _client(olga).get(_url(workspace)).status_code == 404
    assert _client(olga).post(_url(workspace), {"remove": link.pk}).status_code == 404
    viewer = _client(vic)
    page = viewer.get(_url(workspace))
    text = page.content.decode()
    assert page.status_code == 200 and "C0ABCDEF12" in text and "Unlink C0ABCDEF12" not in text
    assert viewer.post(_url(workspace), {"remove": link.pk}).status_code == 403
    other_csm = _client(dave)  # Globex is Carol's
    assert other_csm.post(_url(workspace), {"remove": link.pk}).status_code == 403
    assert other_csm.post(_url(workspace), {"channel_id": "C0ZZZZZZ99", "account": account.pk}).status_code == 403
    assert ChannelLink.objects.count() == 1


def test_an_account_of_another_workspace_cannot_be_linked(
    workspace: Workspace, other_workspace: Workspace, account: Account, olga: Member
) -> None:
    with pytest.raises(services.RoutingError, match="account: is not in this workspace"):
        services.channel_link_add(actor=olga, workspace=other_workspace, channel_id="C0ABCDEF12", account=account)
    response = _client(olga).post(_url(other_workspace), {"channel_id": "C0ABCDEF12", "account": account.pk})
    assert response.status_code == 404
    assert not ChannelLink.objects.exists()
