"""Segment's and RudderStack's own Python libraries, with only the host changed, deliver to Retain."""

from __future__ import annotations

from typing import Any

import pytest
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from retain.accounts.models import Account, Contact
from retain.tenancy.models import Workspace
from retain.tenancy.services import write_key_create
from retain.usage.models import UsageEvent, UsageUser

pytestmark = [pytest.mark.urls("retain.usage.tests.urls"), pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("library", [SegmentClient, RudderClient], ids=["segment", "rudderstack"])
def test_the_library_delivers_identify_group_and_track(library: Any, live_server: Any, workspace: Workspace) -> None:
    _, key = write_key_create(workspace=workspace, name=library.__module__)
    errors: list[Any] = []
    client = library(write_key=key, host=live_server.url, on_error=lambda error, batch: errors.append(error))
    client.identify("user-1", {"email": "pat@initech.example", "firstName": "Pat"})
    client.group("user-1", "acct-1", {"name": "Initech", "industry": "Software"})
    for _ in range(3):
        client.track("user-1", "Workflow Activated", {"feature": "workflows"}, context={"groupId": "acct-1"})
    client.flush()
    client.shutdown()
    assert errors == []
    assert UsageEvent.objects.filter(type="track", name="Workflow Activated", group_id="acct-1").count() == 3
    assert UsageEvent.objects.filter(type__in=["identify", "group"]).count() == 2
    account = Account.objects.get(external_id="acct-1")
    assert (account.name, account.industry) == ("Initech", "Software")
    assert Contact.objects.get(account=account).email == "pat@initech.example"
    assert UsageUser.objects.get(user_id="user-1").account == account
